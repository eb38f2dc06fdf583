// End to end in headless Chromium: the application and the contact form as
// a person uses them, with and without JavaScript, and the error path.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, newPage, closeBrowser, applyJourney, fillByLabels, contactMessage, application,
  clickAndWait, listDir, outboxDir, newFiles, readEml, emlMentions, emlHtml, assertHeading, tinyPdf, applications, answerRow,
  assertChallenge, confirmAddresses, sendAndConfirm,
} from './lib.js';

after(closeBrowser);

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';

  test(`application: home, menu, form, check, change, send (${mode})`, async () => {
    const { context, page } = await newPage({ javaScriptEnabled });
    try {
      const { reference } = await applyJourney(page, javaScriptEnabled ? 'js' : 'nojs', { javaScript: javaScriptEnabled });
      assert.match(reference, /CBT-\d{4}-\d{4}/);
    } finally {
      await context.close();
    }
  });

  test(`contact: form, thank-you page, two mails (${mode})`, async () => {
    const { context, page } = await newPage({ javaScriptEnabled });
    try {
      const tag = javaScriptEnabled ? 'js' : 'nojs';
      const data = contactMessage(tag);
      await page.goto(BASE + '/');
      await clickAndWait(page, page.getByRole('navigation', { name: 'Hoofdmenu' }).getByRole('link', { name: 'Contact', exact: true }));
      assert.equal(new URL(page.url()).pathname, '/contact/');
      await fillByLabels(page, data);
      await assertChallenge(page, 'form#contact', javaScriptEnabled);
      const before = listDir(outboxDir());
      await clickAndWait(page, page.getByRole('button', { name: 'Verstuur uw bericht' }));
      assert.equal(new URL(page.url()).pathname, '/contact/bedankt');
      await assertHeading(page, 'Bedankt voor uw bericht');
      await newFiles(outboxDir(), before, 2);
      await new Promise((r) => setTimeout(r, 300));
      const mails = listDir(outboxDir()).filter((n) => !before.includes(n) && n.endsWith('.eml'));
      assert.deepEqual(
        mails.map((n) => n.replace(/^.*-(contact-secretariaat|contact-ontvangst)\.eml$/, '$1')).sort(),
        ['contact-ontvangst', 'contact-secretariaat'],
        `exactly the two contact mails, got ${mails.join(', ')}`,
      );
      const subject = `Vraag over de balanstest ${tag}`;
      for (const name of mails) {
        assert.ok(emlMentions(readEml(name), subject) || emlMentions(readEml(name), `petra.${tag}@voorbeeld.nl`), `${name} is about this message`);
      }
      const toSecretariat = readEml(mails.find((n) => n.endsWith('-contact-secretariaat.eml')));
      assert.ok(emlMentions(toSecretariat, `(${tag})`), 'the secretariat gets the message itself');
      // The acknowledgement goes to an address anyone can type: it says
      // what came in, not what it says.
      const acknowledgement = readEml(mails.find((n) => n.endsWith('-contact-ontvangst.eml')));
      assert.ok(emlMentions(acknowledgement, 'CBT-C-'), 'the acknowledgement names the kenmerk');
      for (const typed of [`(${tag})`, subject]) {
        assert.ok(!emlMentions(acknowledgement, typed), `the acknowledgement does not carry ${typed}`);
      }
    } finally {
      await context.close();
    }
  });
}

test('the applicant\'s own page: follow the link, add a document, withdraw (without JavaScript)', async () => {
  const { context, page } = await newPage({ javaScriptEnabled: false });
  try {
    const { reference, personalLink } = await applyJourney(page, 'eigen', { javaScript: false });
    await page.goto(BASE + personalLink);
    await assertHeading(page, `Uw aanvraag ${reference}`);
    const own = new URL(page.url()).pathname;
    assert.match(own, /^\/mijn-aanvraag\/[0-9a-f]{64}$/);

    // An extra document: kept with the case, listed, and confirmed by mail.
    let before = listDir(outboxDir());
    await page.getByLabel('Extra document').setInputFiles({
      name: 'toelichting.pdf', mimeType: 'application/pdf', buffer: tinyPdf('Toelichting'),
    });
    await clickAndWait(page, page.getByRole('button', { name: 'Document toevoegen' }));
    assert.equal(new URL(page.url()).pathname, own, 'back on the own page (post, redirect, get)');
    await page.getByText('Het document is toegevoegd.').waitFor();
    await page.getByRole('link', { name: 'toelichting.pdf' }).waitFor();
    await newFiles(outboxDir(), before, 2);
    const amended = listDir(outboxDir()).filter((n) => !before.includes(n));
    assert.ok(amended.some((n) => n.endsWith('-wijziging-ontvangen.eml')), `the applicant's confirmation: ${amended}`);
    assert.ok(amended.some((n) => n.endsWith('-wijziging-secretariaat.eml')), `the secretariat's copy: ${amended}`);
    assert.equal(applications().get(reference).documents.length, 2, 'the balancing test and the extra document');

    // Withdrawing asks first, then ends the case.
    before = listDir(outboxDir());
    await clickAndWait(page, page.getByRole('link', { name: 'Aanvraag intrekken' }));
    await clickAndWait(page, page.getByRole('button', { name: 'Ja, trek de aanvraag in' }));
    await page.getByText('Uw aanvraag is ingetrokken.').waitFor();
    await newFiles(outboxDir(), before, 2);
    const withdrawn = listDir(outboxDir()).filter((n) => !before.includes(n));
    assert.ok(withdrawn.some((n) => n.endsWith('-ingetrokken.eml')), `the applicant's confirmation: ${withdrawn}`);
    assert.ok(withdrawn.some((n) => n.endsWith('-ingetrokken-secretariaat.eml')), `the secretariat's copy: ${withdrawn}`);
    assert.equal(applications().get(reference).state, 'ingetrokken');
    assert.equal(await page.getByRole('button', { name: 'Document toevoegen' }).count(), 0, 'nothing to add to a withdrawn case');
  } finally {
    await context.close();
  }
});

test('the check page has its own address: reload, Back and Forward send nothing twice', async () => {
  const { context, page } = await newPage();
  try {
    await page.goto(BASE + '/aanvragen/');
    await fillByLabels(page, application('prg'));
    await clickAndWait(page, page.getByRole('button', { name: 'Controleer uw aanvraag' }));
    await assertHeading(page, 'Controleer uw aanvraag');
    const check = new URL(page.url());
    assert.equal(check.pathname, '/aanvraag/controle', 'post, redirect, get');
    // A reload asks the same page again, without "resend the form?".
    let dialogs = 0;
    page.on('dialog', (d) => { dialogs += 1; d.dismiss(); });
    await page.reload();
    await assertHeading(page, 'Controleer uw aanvraag');
    const before = listDir(outboxDir());
    const sentPage = 'Bevestig uw aanvraag via de e-mail';
    await clickAndWait(page, page.getByRole('button', { name: 'Aanvraag versturen' }));
    await assertHeading(page, sentPage);
    await newFiles(outboxDir(), before, 2);
    // Back after sending: the page that shows the address check again,
    // nothing sent again.
    await page.goBack();
    await assertHeading(page, sentPage);
    await page.goForward();
    await assertHeading(page, sentPage);
    await new Promise((r) => setTimeout(r, 300));
    const sent = listDir(outboxDir()).filter((n) => !before.includes(n) && n.endsWith('.eml'));
    assert.equal(sent.length, 2, `the address check's two mails: ${sent}`);
    assert.equal(dialogs, 0, 'no resubmission prompt');
  } finally {
    await context.close();
  }
});

test('two tabs: a change in one, the old check page in the other sends the changed answers once', async () => {
  const { context, page } = await newPage();
  try {
    await page.goto(BASE + '/aanvragen/');
    await fillByLabels(page, application('tabs'));
    await clickAndWait(page, page.getByRole('button', { name: 'Controleer uw aanvraag' }));
    await assertHeading(page, 'Controleer uw aanvraag');
    // The second tab changes the job title.
    const other = await context.newPage();
    await other.goto(page.url());
    await clickAndWait(other, answerRow(other, 'Functie').getByRole('link'));
    await other.getByLabel('Functie (optioneel)', { exact: true }).fill('Hoofd marketing');
    await clickAndWait(other, other.getByRole('button', { name: 'Controleer uw aanvraag' }));
    await assertHeading(other, 'Controleer uw aanvraag');
    // The first tab still shows the old answers, and sends: it is shown
    // the current ones instead, and nothing went out.
    const before = listDir(outboxDir());
    const appsBefore = new Set(applications().keys());
    await clickAndWait(page, page.getByRole('button', { name: 'Aanvraag versturen' }));
    await assertHeading(page, 'Controleer uw aanvraag');
    await page.getByText('Uw antwoorden zijn gewijzigd').waitFor();
    await page.getByText('Hoofd marketing').waitFor();
    assert.deepEqual(listDir(outboxDir()).filter((n) => !before.includes(n)), []);
    const sentPage = 'Bevestig uw aanvraag via de e-mail';
    await clickAndWait(page, page.getByRole('button', { name: 'Aanvraag versturen' }));
    await assertHeading(page, sentPage);
    // The second tab's send now leads to the same page, and mails nothing.
    await clickAndWait(other, other.getByRole('button', { name: 'Aanvraag versturen' }));
    await assertHeading(other, sentPage);
    await newFiles(outboxDir(), before, 2);
    await new Promise((r) => setTimeout(r, 300));
    const checks = listDir(outboxDir()).filter((n) => !before.includes(n) && n.endsWith('.eml'));
    assert.equal(checks.length, 2, `the address check's two mails: ${checks}`);
    // Both addresses confirm: one application, one invoice.
    await confirmAddresses(page, checks);
    const filed = [...before, ...checks];
    await newFiles(outboxDir(), filed, 3);
    await new Promise((r) => setTimeout(r, 300));
    const sent = listDir(outboxDir()).filter((n) => !filed.includes(n) && n.endsWith('.eml'));
    assert.equal(sent.length, 3, `one application: ${sent}`);
    const invoices = sent.filter((n) => n.endsWith('-factuur.eml'));
    assert.equal(invoices.length, 1, 'one invoice');
    const created = [...applications().entries()].filter(([k]) => !appsBefore.has(k));
    assert.equal(created.length, 1, 'one application filed');
    assert.equal(created[0][1].application.contact.role, 'Hoofd marketing', 'the changed answers were sent');
  } finally {
    await context.close();
  }
});

test('error path: empty submit, summary with focus, links to the fields', async () => {
  const { context, page } = await newPage();
  try {
    await page.goto(BASE + '/aanvragen/');
    await clickAndWait(page, page.getByRole('button', { name: 'Controleer uw aanvraag' }));
    const title = await page.title();
    assert.ok(title.startsWith('Fout: '), `title starts with "Fout: ": ${title}`);
    const summary = page.locator('.error-summary');
    assert.equal((await summary.getByRole('heading').innerText()).trim(), 'Niet alle gegevens zijn goed ingevuld');
    assert.equal(await summary.getAttribute('tabindex'), '-1');
    // The summary has focus (the deferred /assets/focus.js moves it there).
    await page.waitForFunction(() => document.activeElement?.classList.contains('error-summary'), null, { timeout: 5000 });

    const links = summary.getByRole('link');
    const count = await links.count();
    assert.ok(count >= 10, `the summary lists every missing answer (${count})`);
    for (let i = 0; i < count; i++) {
      const link = links.nth(i);
      const href = await link.getAttribute('href');
      assert.match(href, /^#aanvraag-/);
      const id = href.slice(1);
      await link.click();
      const state = await page.evaluate((id) => {
        const el = document.getElementById(id);
        if (!el) return { exists: false };
        const r = el.getBoundingClientRect();
        return {
          exists: true,
          focused: document.activeElement === el,
          target: el.matches(':target'),
          visible: r.bottom > 0 && r.top < window.innerHeight,
        };
      }, id);
      assert.ok(state.exists, `${href} exists`);
      assert.ok(state.focused || state.target, `${href}: the field is focused or is the :target`);
      assert.ok(state.visible, `${href}: the field is scrolled into view`);
      // The message in the summary is also next to the field.
      const message = (await link.innerText()).trim();
      const described = await page.evaluate((id) => {
        const el = document.getElementById(id);
        const holder = el.closest('fieldset[aria-describedby]') && (el.type === 'radio' || el.type === 'checkbox') ? el.closest('fieldset') : el;
        const ids = (holder.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
        return ids.map((i) => document.getElementById(i)?.textContent || '').join(' ');
      }, id);
      assert.ok(described.includes(message), `${href}: the field is described by its error "${message}"`);
      await page.evaluate(() => window.scrollTo(0, 0));
    }
  } finally {
    await context.close();
  }
});

test('error path without JavaScript: summary, links are in-page anchors', async () => {
  const { context, page } = await newPage({ javaScriptEnabled: false });
  try {
    await page.goto(BASE + '/aanvragen/');
    await clickAndWait(page, page.getByRole('button', { name: 'Controleer uw aanvraag' }));
    assert.ok((await page.title()).startsWith('Fout: '));
    const summary = page.locator('.error-summary');
    assert.equal((await summary.getByRole('heading').innerText()).trim(), 'Niet alle gegevens zijn goed ingevuld');
    const first = summary.getByRole('link').first();
    const href = await first.getAttribute('href');
    await first.click();
    await page.waitForURL((url) => url.hash === href);
    assert.ok(await page.evaluate((id) => document.getElementById(id).matches(':target'), href.slice(1)), `${href} is the :target`);
  } finally {
    await context.close();
  }
});

test('error path: every entered value is kept after the round trip', async () => {
  const { context, page } = await newPage();
  try {
    const data = application('fout');
    await page.goto(BASE + '/aanvragen/');
    // A phone number too short, and a wrong KvK number.
    const text = data.text.map(([l, v]) => [l, l === 'Telefoonnummer (optioneel)' ? '12' : l === 'KvK-nummer' ? '1234' : v]);
    await fillByLabels(page, { ...data, text });
    await page.getByLabel('Als vertegenwoordiger van een aantal rechtspersonen', { exact: true }).check();
    const representing = 'Voorbeeld Zuid B.V., 87654321\nVoorbeeld Noord B.V., 11223344';
    await page.getByLabel('Namen en registratienummers van de rechtspersonen die u vertegenwoordigt', { exact: true }).fill(representing);
    await clickAndWait(page, page.getByRole('button', { name: 'Controleer uw aanvraag' }));

    assert.ok((await page.title()).startsWith('Fout: '));
    const messages = (await page.locator('.error-summary li').allInnerTexts()).map((s) => s.trim());
    assert.deepEqual(messages.sort(), [
      'Een KvK-nummer bestaat uit 8 cijfers, zoals 12345678',
      'Vul een geldig telefoonnummer in, zoals 020 123 4567, 0800 1234 of +32 2 123 45 67',
    ].sort());
    for (const [label, value] of text) {
      assert.equal(await page.getByLabel(label, { exact: true }).inputValue(), value, `kept: ${label}`);
    }
    assert.equal(await page.getByLabel('Namen en registratienummers van de rechtspersonen die u vertegenwoordigt', { exact: true }).inputValue(), representing);
    for (const label of ['Commerciële organisatie', 'Als vertegenwoordiger van een aantal rechtspersonen', 'Oud-klanten', ...data.checkboxes]) {
      assert.ok(await page.getByLabel(label, { exact: true }).isChecked(), `kept: ${label}`);
    }
    assert.equal(await page.getByLabel('KvK-nummer', { exact: true }).getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByLabel('Telefoonnummer (optioneel)', { exact: true }).getAttribute('aria-invalid'), 'true');
    // The uploaded document is kept too: the page says so.
    assert.ok((await page.locator('main').innerText()).includes(data.file.name), 'the kept document is named');

    // Correct both; choose the document again unless the page says it is kept.
    await page.getByLabel('KvK-nummer', { exact: true }).fill('12345678');
    await page.getByLabel('Telefoonnummer (optioneel)', { exact: true }).fill('020 123 4567');
    await page.getByLabel('Uw balanstest', { exact: true }).setInputFiles({ name: data.file.name, mimeType: 'application/pdf', buffer: data.file.buffer });
    await clickAndWait(page, page.getByRole('button', { name: 'Controleer uw aanvraag' }));
    await assertHeading(page, 'Controleer uw aanvraag');
    assert.ok((await page.locator('main').innerText()).includes(data.file.name));
  } finally {
    await context.close();
  }
});

// After an error the browser's own file field reads "no file chosen": the
// field itself must say which document the function kept, in the
// applicant's own name for it, and a screen reader must read that with it.
test('error path: the kept document is named at its field and used when sent again', async () => {
  const { context, page } = await newPage();
  try {
    const data = application('bewaard');
    data.file = { ...data.file, name: 'Balanstest 2027 (definitief) bewaard.pdf' };
    await page.goto(BASE + '/aanvragen/');
    await fillByLabels(page, { ...data, text: data.text.map(([l, v]) => [l, l === 'Telefoonnummer (optioneel)' ? '12' : v]) });
    await clickAndWait(page, page.getByRole('button', { name: 'Controleer uw aanvraag' }));
    const field = page.getByLabel('Uw balanstest', { exact: true });
    const described = await field.getAttribute('aria-describedby');
    const kept = page.locator('p.kept');
    assert.equal(
      (await kept.innerText()).trim(),
      'Bewaard: Balanstest 2027 (definitief) bewaard.pdf; kies alleen een ander bestand om het te vervangen.',
    );
    assert.ok(described.split(' ').includes(await kept.getAttribute('id')), `read with the field: ${described}`);
    await page.getByLabel('Telefoonnummer (optioneel)', { exact: true }).fill('020 123 4567');
    await clickAndWait(page, page.getByRole('button', { name: 'Controleer uw aanvraag' }));
    await assertHeading(page, 'Controleer uw aanvraag');
  } finally {
    await context.close();
  }
});

// "Namens" decides whether the list of represented organisations applies;
// without JavaScript the stylesheet hides it while another choice is made.
test('the representatives field shows only when it applies (without JavaScript)', async () => {
  const { context, page } = await newPage({ javaScriptEnabled: false });
  try {
    await page.goto(BASE + '/aanvragen/');
    const list = page.locator('#aanvraag-vertegenwoordigde_organisaties');
    assert.ok(await list.isVisible(), 'nothing chosen yet: shown');
    await page.getByLabel('Voor de eigen organisatie', { exact: true }).check();
    assert.ok(!(await list.isVisible()), 'own organisation: hidden, out of the tab order');
    await page.getByLabel('Als vertegenwoordiger van een aantal rechtspersonen', { exact: true }).check();
    assert.ok(await list.isVisible(), 'representative: shown');
  } finally {
    await context.close();
  }
});

// A phone is 390 px wide: a long file name or the personal link must wrap
// in the HTML mails, not widen them (they were 531 px).
test('the application mails fit a 390 px phone with a long file name', async () => {
  const { context, page } = await newPage();
  try {
    const data = application('breed');
    data.file = { ...data.file, name: 'Balanstest_definitieve_versie_voor_de_Commissie_Balanstoets_Telemarketing_2027_breed.pdf' };
    await page.goto(BASE + '/aanvragen/');
    await fillByLabels(page, data);
    await clickAndWait(page, page.getByRole('button', { name: 'Controleer uw aanvraag' }));
    const { checks, sent } = await sendAndConfirm(page);
    const mails = [...checks, ...sent];
    await page.setViewportSize({ width: 390, height: 844 });
    for (const name of mails) {
      await page.setContent(emlHtml(readEml(name)));
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `${name} is ${width} px wide`);
    }
  } finally {
    await context.close();
  }
});
