// The secretariat's workspace in Chromium, as its people use it: sign in
// through the link in the outbox, register a payment, take the case into
// handling once the applicant is done, ask for a completion that the
// applicant answers on their own page, record the advice (previewed first;
// the applicant gets the letter as PDF), and withdraw another case with a
// credit note. axe and vnu see every workspace page in a11y.test.js and
// validity.test.js (through lib.js's walks).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, newPage, closeBrowser, clickAndWait, listDir, outboxDir, newFiles, readEml, emlMentions,
  assertHeading, applyJourney, signInToWorkspace, applications,
} from './lib.js';

after(closeBrowser);

function stored(reference) {
  return applications().get(reference);
}

async function notice(page, text) {
  await assertHeading(page, /^Aanvraag CBT-\d{4}-\d{4}$/);
  const shown = await page.locator('[role="status"], [role="alert"]').first().textContent();
  assert.ok(shown.includes(text), `the page says "${text}", not "${shown}"`);
}

test('workspace: from sign-in to advice, and a withdrawal with a credit note', async () => {
  const applicant = await newPage();
  const staff = await newPage();
  try {
    const a = await applyJourney(applicant.page, 'beheer-a');
    const b = await applyJourney(applicant.page, 'beheer-b');
    const page = staff.page;
    await signInToWorkspace(page);
    await assertHeading(page, 'Aanvragen');
    const list = await page.locator('main').textContent();
    assert.ok(list.includes(a.reference) && list.includes(b.reference), 'the list has both cases');
    assert.match(list, /nog \d+ dagen/, 'days left in words');

    // Search, then the case.
    await page.getByLabel('Zoeken').fill(a.reference);
    await clickAndWait(page, page.getByRole('button', { name: 'Toon' }));
    assert.ok(!(await page.locator('main').textContent()).includes(b.reference), 'the search leaves the other out');
    await clickAndWait(page, page.getByRole('link', { name: a.reference, exact: true }));
    const casePath = new URL(page.url()).pathname;

    // The payment, as invoiced (the form proposes the invoiced amount).
    await clickAndWait(page, page.getByRole('button', { name: 'Betaling registreren' }));
    await notice(page, 'De betaling is geregistreerd.');
    assert.equal(stored(a.reference).state, 'betaald');

    // The applicant says they are done; then handling may start.
    await applicant.page.goto(BASE + a.personalLink);
    await clickAndWait(applicant.page, applicant.page.getByRole('button', { name: 'Ik heb geen wijzigingen meer' }));
    await page.goto(BASE + casePath);
    await clickAndWait(page, page.getByRole('button', { name: 'In behandeling nemen', exact: true }));
    await notice(page, 'in behandeling genomen');

    // A completion request, mailed; the applicant answers it.
    const before = listDir(outboxDir());
    await page.getByLabel('Wat moet de aanvrager aanvullen of wijzigen?').fill('Licht de duur van de klantrelatie toe.');
    await clickAndWait(page, page.getByRole('button', { name: 'Aanvulling vragen' }));
    await notice(page, 'Het verzoek om aanvulling is verstuurd.');
    const asked = (await newFiles(outboxDir(), before, 1)).filter((n) => n.endsWith('-aanvulling-gevraagd.eml'));
    assert.equal(asked.length, 1);
    assert.ok(emlMentions(readEml(asked[0]), 'Licht de duur van de klantrelatie toe.'));
    await applicant.page.goto(BASE + a.personalLink);
    await applicant.page.getByLabel('Uw aanvulling').fill('Onze klanten blijven gemiddeld acht jaar.');
    await clickAndWait(applicant.page, applicant.page.getByRole('button', { name: 'Aanvulling versturen' }));

    // The advice: previewed as a PDF, then recorded and sent with the letter.
    await page.goto(BASE + casePath);
    await page.getByLabel('Positief', { exact: true }).check();
    await page.getByLabel('Toegekende klanttermijn in jaren (bij een positief advies)').fill('5');
    await page.getByLabel('Geldig tot en met (bij een positief advies)').fill('2031-12-31');
    await page.getByLabel('Motivering', { exact: true }).fill('De commissie heeft de belangen **zorgvuldig** gewogen.');
    const csrf = await page.locator('input[name="csrf"]').first().inputValue();
    const preview = await page.request.post(`${BASE}${casePath}/advies-voorbeeld`, {
      headers: { Origin: BASE },
      form: { csrf, uitkomst: 'positief', termijn: '5', geldig_tot: '2031-12-31', motivering: 'Voorbeeld.' },
    });
    assert.equal(preview.status(), 200);
    assert.equal(preview.headers()['content-type'], 'application/pdf');
    assert.equal((await preview.body()).subarray(0, 5).toString(), '%PDF-');
    assert.equal(stored(a.reference).state, 'aanvulling_ontvangen', 'a preview records nothing');
    const beforeAdvice = listDir(outboxDir());
    await clickAndWait(page, page.getByRole('button', { name: 'Advies vastleggen en versturen' }));
    await notice(page, 'Het advies is vastgelegd');
    assert.equal(stored(a.reference).state, 'advies_uitgebracht');
    const advice = (await newFiles(outboxDir(), beforeAdvice, 1)).filter((n) => n.endsWith('-advies.eml'));
    assert.equal(advice.length, 1);
    assert.ok(emlMentions(readEml(advice[0]), `advies-${a.reference}.pdf`), 'the letter is attached');
    const mails = await page.locator('main').textContent();
    assert.ok(mails.includes('het advies'), 'the case lists the advice mail');

    // The other case: withdrawn with a credit note, after confirming.
    await page.goto(`${BASE}/beheer/zaak/${b.reference}`);
    await page.getByLabel(/^Met een creditnota/).check();
    await clickAndWait(page, page.getByRole('button', { name: 'Intrekken' }));
    await notice(page, 'Vink aan dat u de aanvraag wilt intrekken');
    assert.equal(stored(b.reference).state, 'ontvangen');
    await page.getByLabel(/^Met een creditnota/).check();
    await page.getByLabel('Ik weet dat dit niet ongedaan kan worden gemaakt').check();
    await clickAndWait(page, page.getByRole('button', { name: 'Intrekken' }));
    await notice(page, 'De aanvraag is ingetrokken.');
    const withdrawn = stored(b.reference);
    assert.equal(withdrawn.state, 'ingetrokken');
    assert.equal(withdrawn.credit_note, true);

    // Signed out: the workspace sends to sign-in again.
    await clickAndWait(page, page.getByRole('button', { name: 'Afmelden' }));
    await page.goto(BASE + casePath);
    await assertHeading(page, 'Aanmelden bij het beheer');
  } finally {
    await applicant.context.close();
    await staff.context.close();
  }
});
