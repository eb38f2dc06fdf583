// Keyboard alone: the application and the contact form are completed and
// sent with Tab, Shift+Tab, Space, the arrow keys, typing and Enter (the
// file is chosen with setInputFiles on the focused file input: the system's
// file dialog cannot be driven). Every element that takes focus shows a
// visible focus indicator (an outline or a box-shadow).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, newPage, closeBrowser, tinyPdf } from './lib.js';

after(closeBrowser);

/** What has focus, and whether it shows it. */
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { tag: 'body' };
    const cs = getComputedStyle(el);
    const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
    const shadow = cs.boxShadow && cs.boxShadow !== 'none';
    return {
      tag: el.tagName.toLowerCase(),
      type: el.type || '',
      id: el.id,
      name: el.name || '',
      text: (el.innerText || el.value || '').trim().slice(0, 60),
      checked: !!el.checked,
      inForm: !!el.closest('form'),
      ring: outline || shadow,
      style: `outline: ${cs.outlineStyle} ${cs.outlineWidth}; box-shadow: ${cs.boxShadow}`,
    };
  });
}

function describe(f) {
  return `${f.tag}${f.type ? `[${f.type}]` : ''}${f.id ? '#' + f.id : ''} "${f.text}"`;
}

const INTERACTIVE = new Set(['a', 'input', 'button', 'textarea', 'select', 'summary']);

/** Tab (or Shift+Tab) once; asserts the newly focused element shows its focus. */
async function tab(page, seen, shift = false) {
  await page.keyboard.press(shift ? 'Shift+Tab' : 'Tab');
  const f = await focused(page);
  if (INTERACTIVE.has(f.tag) || f.tag === 'div') {
    assert.ok(f.ring, `no visible focus on ${describe(f)} (${f.style})`);
    seen.add(f.tag === 'input' ? `input[${f.type}]` : f.tag);
  }
  return f;
}

/** Completes a form by keyboard: `answers` maps a control's name to what to do. */
async function completeByKeyboard(page, answers, submitText) {
  const seen = new Set();
  const done = new Set();
  // Start at the top: the skip link comes first and leads into the content.
  let f = await tab(page, seen);
  assert.equal(f.text, 'Naar de inhoud', 'the first Tab reaches the skip link');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'inhoud', 'the skip link moves focus to the content');
  for (let i = 0; i < 400; i++) {
    f = await tab(page, seen);
    if (f.tag === 'body') assert.fail('focus fell off the page before the button was reached');
    if (!f.inForm) continue;
    if (f.tag === 'button') {
      assert.equal(f.text, submitText);
      // Every answer was given before the button.
      assert.deepEqual([...done].sort(), Object.keys(answers).sort(), 'every answer was given by keyboard');
      return seen;
    }
    const answer = answers[f.name];
    if (!answer || done.has(f.name)) continue;
    done.add(f.name);
    if (answer.type === 'text') {
      await page.keyboard.type(answer.value);
      // Shift+Tab goes back to the previous control and Tab returns here.
      if (answer.shiftTabTo) {
        const back = await tab(page, seen, true);
        assert.equal(back.name, answer.shiftTabTo, `Shift+Tab from ${f.name} goes back to ${answer.shiftTabTo}`);
        const again = await tab(page, seen);
        assert.equal(again.name, f.name);
        assert.equal(await page.evaluate(() => document.activeElement.value), answer.value);
      }
    } else if (answer.type === 'radio') {
      // Tab lands on the group's first radio: Space chooses it, an arrow key
      // moves to (and chooses) the next.
      assert.equal(f.type, 'radio');
      if (answer.index === 0) await page.keyboard.press('Space');
      for (let k = 0; k < answer.index; k++) await page.keyboard.press('ArrowDown');
      const now = await focused(page);
      assert.ok(now.checked, `${f.name}: the radio is chosen`);
      assert.equal(now.id.endsWith(answer.value), true, `${f.name}: ${answer.value} chosen (${now.id})`);
      assert.ok(now.ring, `no visible focus on ${describe(now)}`);
    } else if (answer.type === 'checkbox') {
      assert.equal(f.type, 'checkbox');
      await page.keyboard.press('Space');
      assert.ok((await focused(page)).checked, `${f.name} is ticked`);
    } else if (answer.type === 'file') {
      assert.equal(f.type, 'file');
      await page.locator(':focus').setInputFiles(answer.file);
    }
  }
  assert.fail(`the ${submitText} button was not reached`);
}

async function enterAndWait(page) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
}

test('keyboard: the application, from the form to the confirmation', async () => {
  const { context, page } = await newPage();
  try {
    await page.goto(BASE + '/aanvragen/');
    const seen = await completeByKeyboard(
      page,
      {
        organisatie_naam: { type: 'text', value: 'Toetsenbord B.V.' },
        kvk_nummer: { type: 'text', value: '12345678', shiftTabTo: 'organisatie_land' },
        soort_organisatie: { type: 'radio', index: 1, value: 'non_profit' },
        namens: { type: 'radio', index: 0, value: 'eigen_organisatie' },
        contact_naam: { type: 'text', value: 'Kees Toets' },
        contact_functie: { type: 'text', value: 'Secretaris' },
        contact_email: { type: 'text', value: 'kees@toetsenbord.nl' },
        contact_telefoon: { type: 'text', value: '030 123 4567' },
        relatie: { type: 'checkbox' },
        klanttermijn_jaren: { type: 'text', value: '6' },
        motivering: { type: 'text', value: 'Donateurs waarderen een belletje.' },
        balanstest: { type: 'file', file: { name: 'toetsenbord.pdf', mimeType: 'application/pdf', buffer: tinyPdf('toetsenbord') } },
        factuur_naam: { type: 'text', value: 'Toetsenbord B.V.' },
        factuur_straat: { type: 'text', value: 'Oudegracht 1' },
        factuur_postcode: { type: 'text', value: '3511 AA' },
        factuur_plaats: { type: 'text', value: 'Utrecht' },
        factuur_email: { type: 'text', value: 'factuur@toetsenbord.nl' },
        akkoord_factuur: { type: 'checkbox' },
      },
      'Controleer uw aanvraag',
    );
    for (const kind of ['a', 'input[text]', 'input[radio]', 'input[checkbox]', 'input[file]', 'textarea']) {
      assert.ok(seen.has(kind), `focus was seen on ${kind}`);
    }
    await enterAndWait(page);
    assert.equal((await page.locator('h1').innerText()).trim(), 'Controleer uw aanvraag');

    // On the check page: Tab past every "Wijzigen" link to the button, Enter.
    const seen2 = new Set();
    let wijzigen = 0;
    for (let i = 0; i < 200; i++) {
      const f = await tab(page, seen2);
      if (f.tag === 'a' && f.text.startsWith('Wijzigen')) wijzigen++;
      if (f.tag === 'button') {
        assert.equal(f.text, 'Aanvraag versturen');
        assert.ok(f.ring);
        break;
      }
      assert.notEqual(f.tag, 'body', 'the button was reached');
    }
    assert.ok(wijzigen >= 18, `every answer has a Wijzigen link on the way (${wijzigen})`);
    await enterAndWait(page);
    assert.equal((await page.locator('h1').innerText()).trim(), 'Bevestig uw aanvraag via de e-mail');
  } finally {
    await context.close();
  }
});

test('keyboard: the contact form', async () => {
  const { context, page } = await newPage();
  try {
    await page.goto(BASE + '/contact/');
    const seen = await completeByKeyboard(
      page,
      {
        naam: { type: 'text', value: 'Kees Toets' },
        email: { type: 'text', value: 'kees@toetsenbord.nl' },
        onderwerp: { type: 'text', value: 'Een vraag per toetsenbord' },
        bericht: { type: 'text', value: 'Kan dit ook zonder muis?', shiftTabTo: 'onderwerp' },
      },
      'Verstuur uw bericht',
    );
    assert.ok(seen.has('a') && seen.has('input[text]') && seen.has('textarea'));
    await enterAndWait(page);
    assert.equal(new URL(page.url()).pathname, '/contact/bedankt');
    assert.equal((await page.locator('h1').innerText()).trim(), 'Bedankt voor uw bericht');
  } finally {
    await context.close();
  }
});

test('keyboard: the error summary and its links', async () => {
  const { context, page } = await newPage();
  try {
    await page.goto(BASE + '/contact/');
    await page.getByRole('button', { name: 'Verstuur uw bericht' }).focus();
    await enterAndWait(page);
    // Focus is on the summary (focus.js); the next Tab reaches its first link.
    await page.waitForFunction(() => document.activeElement?.classList.contains('error-summary'));
    const summary = await focused(page);
    assert.ok(summary.ring, `the focused summary shows it (${summary.style})`);
    const seen = new Set();
    const link = await tab(page, seen);
    assert.equal(link.tag, 'a');
    assert.equal(link.text, 'Vul uw naam in');
    await page.keyboard.press('Enter');
    const field = await focused(page);
    assert.equal(field.id, 'contact-naam', 'Enter on the link moves focus to the field');
    assert.ok(field.ring, 'the field shows its focus');
  } finally {
    await context.close();
  }
});
