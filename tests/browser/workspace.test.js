// The secretariat's workspace in Chromium, as its people use it: sign in
// through the link in the outbox, register a payment, take the case into
// handling once the applicant is done, ask for a completion that the
// applicant answers on their own page, record the advice (previewed first;
// the applicant gets the letter as PDF), and withdraw another case with a
// credit note; read a bank statement that pays a third case, take the
// bookkeeper's CSV, and add a passkey and sign in with it. axe and vnu see every workspace page in a11y.test.js and
// validity.test.js (through lib.js's walks).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseCsv } from 'csv-parse/sync';
import {
  BASE, newPage, closeBrowser, clickAndWait, listDir, outboxDir, newFiles, readEml, emlMentions,
  assertHeading, applyJourney, signInToWorkspace, applications, STAFF,
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

/** Clicks `button` and waits for `url`; what passkey.js says instead
 * (in its alert) fails the test with its words, and with the precise
 * reason it logged for programs. */
const consoleWarnings = [];
async function passkeyStep(page, button, url) {
  await page.getByRole('button', { name: button }).click();
  const said = page.locator('#passkey-melding p');
  await Promise.race([page.waitForURL(url), said.waitFor()]);
  if (await said.count()) {
    assert.fail(`passkey.js says: ${await said.textContent()} ${consoleWarnings.join(' ')}`);
  }
}

test('workspace: from sign-in to advice, a withdrawal with a credit note, a bank statement, the export, a passkey', async () => {
  const applicant = await newPage();
  const staff = await newPage();
  try {
    const a = await applyJourney(applicant.page, 'beheer-a');
    const b = await applyJourney(applicant.page, 'beheer-b');
    const c = await applyJourney(applicant.page, 'beheer-c');
    const page = staff.page;
    // Passkeys need a domain: browsers refuse an IP address such as
    // 127.0.0.1 as a passkey's relying party, so the staff member works on
    // localhost (which `serve` admits as an origin too). Chromium's
    // virtual authenticator (DevTools' WebAuthn domain) stands in for a
    // laptop's fingerprint reader.
    const local = BASE.replace('127.0.0.1', 'localhost');
    page.on('console', (m) => { if (m.type() === 'warning') consoleWarnings.push(m.text()); });
    const cdp = await staff.context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
        hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
      },
    });
    await signInToWorkspace(page, async () => {}, STAFF, local);
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
    await page.goto(local + casePath);
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
    await page.goto(local + casePath);
    await page.getByLabel('Positief', { exact: true }).check();
    await page.getByLabel('Toegekende klanttermijn in jaren (bij een positief advies)').fill('5');
    await page.getByLabel('Geldig tot en met (bij een positief advies)').fill('2031-12-31');
    await page.getByLabel('Motivering', { exact: true }).fill('De commissie heeft de belangen **zorgvuldig** gewogen.');
    const csrf = await page.locator('input[name="csrf"]').first().inputValue();
    const preview = await page.request.post(`${local}${casePath}/advies-voorbeeld`, {
      headers: { Origin: local },
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
    await page.goto(`${local}/beheer/zaak/${b.reference}`);
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

    // A bank statement (CAMT.053) that pays the third case: previewed,
    // then registered; the same file again registers nothing.
    const kept = stored(c.reference);
    const number = `${kept.invoice_number.year}-${String(kept.invoice_number.seq).padStart(4, '0')}`;
    const euros = (kept.invoiced / 100).toFixed(2);
    // Booked today (UTC is never ahead of Amsterdam): a payment cannot
    // be dated in the future.
    const booked = new Date().toISOString().slice(0, 10);
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>M</MsgId><CreDtTm>2027-01-05T20:00:00</CreDtTm></GrpHdr>
<Stmt><Id>BROWSER-1</Id><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></Acct>
<Ntry><Amt Ccy="EUR">${euros}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>${booked}</Dt></BookgDt>
<AcctSvcrRef>BROWSER-${c.reference}</AcctSvcrRef><NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Beheer C B.V.</Nm></Dbtr></RltdPties>
<RmtInf><Ustrd>Factuur ${number}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>`;
    await clickAndWait(page, page.getByRole('link', { name: 'Bankafschrift' }));
    await assertHeading(page, 'Bankafschrift inlezen');
    await page.getByLabel('Bankafschrift (CAMT.053)').setInputFiles({
      name: 'afschrift.xml', mimeType: 'application/xml', buffer: Buffer.from(xml),
    });
    await clickAndWait(page, page.getByRole('button', { name: 'Bankafschrift inlezen' }));
    const previewed = await page.locator('main').textContent();
    assert.ok(previewed.includes('Gekoppeld (1)') && previewed.includes(c.reference), previewed);
    assert.equal(stored(c.reference).state, 'ontvangen', 'a preview registers nothing');
    await clickAndWait(page, page.getByRole('button', { name: '1 betaling(en) registreren' }));
    const registered = await page.locator('main').textContent();
    assert.ok(registered.includes('1 betaling(en) geregistreerd.'), registered);
    assert.equal(stored(c.reference).state, 'betaald');

    // The bookkeeper's export: the invoices, and the credit note of b.
    await page.goto(`${local}/beheer/`);
    const today = await page.getByLabel('Tot en met').inputValue();
    const csv = await page.request.get(`${local}/beheer/export?van=2000-01-01&tot=${today}`);
    assert.equal(csv.status(), 200);
    assert.equal(csv.headers()['content-type'], 'text/csv; charset=utf-8');
    const body = await csv.text();
    assert.ok(body.startsWith('\uFEFF'), 'a byte order mark, for spreadsheet programs');
    // Read back as a bookkeeping program would, with a CSV parser.
    const rows = parseCsv(body, { bom: true, columns: true, record_delimiter: '\r\n' });
    const byRef = (ref, kind) => rows.find((r) => r.Zaak === ref && r.Soort === kind);
    for (const r of [a, b, c]) {
      const row = byRef(r.reference, 'factuur');
      assert.ok(row, `${r.reference} is invoiced`);
      assert.match(row['Bedrag incl. btw'], /^\d+\.\d{2}$/);
    }
    const credit = byRef(b.reference, 'creditnota');
    assert.match(credit.Nummer, /^C-\d{4}-\d{4}$/);
    assert.equal(credit['Bedrag incl. btw'], `-${byRef(b.reference, 'factuur')['Bedrag incl. btw']}`);
    assert.equal(credit['Crediteert factuur'], byRef(b.reference, 'factuur').Nummer);

    // A passkey: added, then used to sign in instead of a mail.
    await clickAndWait(page, page.getByRole('link', { name: 'Passkeys' }));
    await assertHeading(page, 'Passkeys');
    await page.getByLabel('Naam van de passkey').fill('laptop <b>');
    await passkeyStep(page, 'Passkey toevoegen', /\/beheer\/passkeys\?toegevoegd=1$/);
    const listed = await page.locator('main').textContent();
    assert.ok(listed.includes('De passkey is toegevoegd.') && listed.includes('laptop <b>'), listed);
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1, 'the authenticator holds the passkey');

    // Signed out, then in again with the passkey: no mail needed.
    await clickAndWait(page, page.getByRole('button', { name: 'Afmelden' }));
    await assertHeading(page, 'Aanmelden bij het beheer');
    const mailsBefore = listDir(outboxDir()).length;
    await page.getByLabel('E-mailadres').fill(STAFF);
    await passkeyStep(page, 'Aanmelden met passkey', `${local}/beheer/`);
    await assertHeading(page, 'Aanvragen');
    assert.equal(listDir(outboxDir()).length, mailsBefore, 'no sign-in mail was sent');
    await clickAndWait(page, page.getByRole('link', { name: 'Passkeys' }));
    assert.ok(!(await page.locator('main').textContent()).includes('nog niet'), 'the passkey shows its last use');
    await clickAndWait(page, page.getByRole('link', { name: 'Logboek' }));
    assert.ok((await page.locator('main').textContent()).includes('Aangemeld met passkey laptop <b>'));

    // Removed by its owner (the authenticator keeps its copy, which the
    // site no longer accepts: the handler tests refuse such answers).
    await clickAndWait(page, page.getByRole('link', { name: 'Passkeys' }));
    await clickAndWait(page, page.getByRole('button', { name: /^Verwijder/ }));
    const after = await page.locator('main').textContent();
    assert.ok(after.includes('De passkey is verwijderd.') && after.includes('U hebt nog geen passkey.'), after);

    // Signed out: the workspace sends to sign-in again.
    await clickAndWait(page, page.getByRole('button', { name: 'Afmelden' }));
    await page.goto(local + casePath);
    await assertHeading(page, 'Aanmelden bij het beheer');
  } finally {
    await applicant.context.close();
    await staff.context.close();
  }
});

