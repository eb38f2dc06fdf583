// A Belgian company with a btw-id applies in Chromium, without JavaScript:
// no KvK number but its own registration number, a Belgian
// postcode, a btw-id typed without its BE; the check page says it pays no
// Dutch VAT (btw verlegd), and the invoice carries both btw-ids.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, newPage, closeBrowser, fillByLabels, clickAndWait, listDir, outboxDir, newFiles, readEml, emlMentions,
  assertHeading, tinyPdf, answerRow, sendAndConfirm,
} from './lib.js';

after(closeBrowser);

function belgianCompany(tag) {
  return {
    text: [
      ['Statutaire naam van de organisatie', `Voorbeeld Belgium NV ${tag}`],
      ['Registratienummer', '0123.456.749'],
      ['Naam', 'An Peeters'],
      ['E-mailadres', `an.${tag}@voorbeeld.be`],
      ['Telefoonnummer (optioneel)', '(+32) 2 123 45 67'],
      ['Gevraagde klanttermijn', '5'],
      ['Korte toelichting', `Onze klanten in Nederland verwachten een belletje bij een nieuw aanbod. (${tag})`],
      ['Naam op de factuur', 'Voorbeeld Belgium NV'],
      ['Straat en huisnummer', 'Wetstraat 16'],
      ['Postcode', '1000'],
      ['Plaats', 'Brussel'],
      ['E-mailadres voor de factuur', `facturen.${tag}@voorbeeld.be`],
      ['Btw-identificatienummer (optioneel)', '0123.456.749'],
    ],
    selects: [['Land van vestiging', 'BE'], ['Land', 'BE']],
    radios: ['Commerciële organisatie', 'Voor de eigen organisatie'],
    checkboxes: [
      'Oud-klanten',
      'Ik begrijp dat de CBT voor deze aanvraag een factuur stuurt, en dat de aanvraag pas in behandeling wordt genomen als die is betaald.',
    ],
    file: { label: 'Uw balanstest', name: `balanstest-${tag}.pdf`, mimeType: 'application/pdf', buffer: tinyPdf(`Balanstest ${tag}`) },
  };
}

test('a Belgian company with a btw-id: checks, what it pays, its invoice', async () => {
  const { context, page } = await newPage({ javaScriptEnabled: false });
  try {
    const tag = 'be';
    const data = belgianCompany(tag);
    await page.goto(BASE + '/aanvragen/');
    // First without its registration number and with a German btw-id:
    // both refused.
    await fillByLabels(page, {
      ...data,
      text: data.text.map(([l, v]) => [l, l === 'Registratienummer' ? '' : l === 'Btw-identificatienummer (optioneel)' ? 'DE123456789' : v]),
    });
    await clickAndWait(page, page.getByRole('button', { name: 'Controleer uw aanvraag' }));
    assert.ok((await page.title()).startsWith('Fout: '));
    assert.equal(await page.locator('.error-summary li').count(), 2, await page.locator('.error-summary').innerText());
    assert.equal(await page.getByLabel('Registratienummer', { exact: true }).getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByLabel('Btw-identificatienummer (optioneel)', { exact: true }).getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByLabel('KvK-nummer', { exact: true }).getAttribute('aria-invalid'), null, 'no KvK number is asked');

    await page.getByLabel('Registratienummer', { exact: true }).fill('0123.456.749');
    await page.getByLabel('Btw-identificatienummer (optioneel)', { exact: true }).fill('0123.456.749');
    if (!(await page.locator('main').innerText()).includes(`${data.file.name}`)) {
      await page.getByLabel('Uw balanstest', { exact: true }).setInputFiles({ name: data.file.name, mimeType: 'application/pdf', buffer: data.file.buffer });
    }
    await clickAndWait(page, page.getByRole('button', { name: 'Controleer uw aanvraag' }));
    await assertHeading(page, 'Controleer uw aanvraag');
    assert.equal((await answerRow(page, 'Btw-identificatienummer').locator('dd.answer-value').innerText()).trim(), 'BE0123456749');
    const main = await page.locator('main').innerText();
    assert.match(main, /gaat u een betalingsverplichting aan/);
    assert.match(main, /Btw: geen Nederlandse btw\. Btw verlegd/);
    assert.match(main, /Te betalen: €\s3\.680,00/);

    const { sent } = await sendAndConfirm(page);
    const invoice = sent.find((n) => n.endsWith('-factuur.eml'));
    assert.ok(invoice, 'an invoice mail');
    const eml = readEml(invoice);
    for (const says of ['Btw verlegd', 'Btw-identificatienummer afnemer: BE0123456749', 'Te betalen: €\u00a03.680,00', 'Wetstraat 16, 1000 Brussel, België']) {
      assert.ok(emlMentions(eml, says), `the invoice mail says ${says}`);
    }
  } finally {
    await context.close();
  }
});
