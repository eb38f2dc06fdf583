// Shared helpers of the browser tests. tests/browser.sh sets the environment:
//   CBT_BASE_URL   the site as `cbt-site serve` answers it (forms included)
//   CBT_STATIC_URL the built site (`cbt-site build`) as a plain file server
//                  answers it: what ships, without serve's reload script
//   CBT_DATA_DIR   serve's data folder (store/, uploads/, outbox/)
//   CBT_SITE_DIR   the built site
//   CBT_WORK_DIR   a scratch folder (saved pages, browser profiles)
//   CBT_ARTIFACTS  where screenshots go (test-artifacts/ at the repo root)
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through tests/browser.sh`);
  return value;
}

export const BASE = env('CBT_BASE_URL').replace(/\/$/, '');
export const STATIC = (process.env.CBT_STATIC_URL || BASE).replace(/\/$/, '');
export const DATA_DIR = env('CBT_DATA_DIR');
export const SITE_DIR = env('CBT_SITE_DIR');
export const WORK_DIR = env('CBT_WORK_DIR');
export const ARTIFACTS = env('CBT_ARTIFACTS');
export const STAFF = process.env.CBT_STAFF || 'secretariaat@voorbeeld.nl';
export const CHROMIUM = process.env.CBT_CHROMIUM || '/usr/bin/chromium';

// The flags Chromium needs on these machines (closed network, root, no GPU).
export const CHROME_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

let browserPromise = null;

/** One browser per test file, started on first use. */
export function browser() {
  if (!browserPromise) {
    browserPromise = chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROME_FLAGS,
      timeout: 60_000,
    });
  }
  return browserPromise;
}

export async function closeBrowser() {
  if (browserPromise) {
    const b = await browserPromise;
    browserPromise = null;
    await b.close();
  }
}

/** A fresh context (cookies, cache) and page. */
export async function newPage(options = {}) {
  const b = await browser();
  const context = await b.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  return { context, page };
}

// ---------------------------------------------------------------- the built site

/** Every page of the built site as a URL path: `index.html` -> `/`. */
export function builtPages() {
  const out = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.html')) {
        const rel = path.relative(SITE_DIR, full).split(path.sep).join('/');
        out.push('/' + (rel.endsWith('index.html') ? rel.slice(0, -'index.html'.length) : rel));
      }
    }
  };
  walk(SITE_DIR);
  return out.sort();
}

// ---------------------------------------------------------------- test data

/** A small, valid one-page PDF (header, objects, exact xref, trailer). */
export function tinyPdf(text = 'Balanstest') {
  const stream = `BT /F1 18 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let pdf = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(pdf, 'latin1'));
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(pdf, 'latin1');
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) pdf += `${String(o).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

/** What an applicant enters, by the labels of content/data/forms/aanvraag.toml. */
export function application(tag) {
  return {
    text: [
      ['Statutaire naam van de organisatie', `Voorbeeld Energie B.V. ${tag}`],
      ['KvK-nummer', '12345678'],
      ['Naam', 'Jan Jansen'],
      ['Functie (optioneel)', 'Manager klantcontact'],
      ['E-mailadres', `jan.${tag}@voorbeeld.nl`],
      ['Telefoonnummer (optioneel)', '020 123 4567'],
      ['Gevraagde klanttermijn', '5'],
      ['Korte toelichting', `Onze klanten stellen prijs op contact over nieuwe tarieven. (${tag})`],
      ['Naam op de factuur', 'Voorbeeld Energie B.V.'],
      ['Straat en huisnummer', 'Keizersgracht 1'],
      ['Postcode', '1015 CJ'],
      ['Plaats', 'Amsterdam'],
      ['E-mailadres voor de factuur', `factuur.${tag}@voorbeeld.nl`],
      ['Extra informatie factuur (bijv. PO-nummer) (optioneel)', `PO-${tag}`],
      ['Btw-identificatienummer (optioneel)', 'NL004495445B01'],
    ],
    selects: [['Land van vestiging', 'NL'], ['Land', 'NL']],
    radios: ['Commerciële organisatie', 'Voor de eigen organisatie'],
    checkboxes: [
      'Oud-klanten',
      'Ik begrijp dat de CBT voor deze aanvraag een factuur stuurt, en dat de aanvraag pas in behandeling wordt genomen als die is betaald.',
    ],
    file: { label: 'Uw balanstest', name: `balanstest-${tag}.pdf`, mimeType: 'application/pdf', buffer: tinyPdf(`Balanstest ${tag}`) },
  };
}

/** What a visitor enters in the contact form (content/data/forms/contact.toml). */
export function contactMessage(tag) {
  return {
    text: [
      ['Naam', 'Petra de Vries'],
      ['Organisatie (optioneel)', 'Stichting Voorbeeld'],
      ['E-mailadres', `petra.${tag}@voorbeeld.nl`],
      ['Telefoonnummer (optioneel)', '+31 20 123 4567'],
      ['Onderwerp', `Vraag over de balanstest ${tag}`],
      ['Uw bericht', `Mag een balanstest ook in het Engels? (${tag})`],
    ],
    radios: [],
    checkboxes: [],
  };
}

/** Answers the check page shows in their normalised form. */
export const CHECK_PAGE_SHOWS = { 'Telefoonnummer (optioneel)': '+31201234567', 'Gevraagde klanttermijn': '5 jaar' };
/** Answers the form shows in their stored (normalised) form when it is changed. */
export const STORED_AS = { 'Telefoonnummer (optioneel)': '+31201234567' };

/** Fills a form by its labels only. */
export async function fillByLabels(page, data) {
  for (const [label, value] of data.text) {
    await page.getByLabel(label, { exact: true }).fill(value);
  }
  for (const [label, value] of data.selects ?? []) {
    await page.getByLabel(label, { exact: true }).selectOption(value);
  }
  for (const label of data.radios) {
    await page.getByLabel(label, { exact: true }).check();
  }
  for (const label of data.checkboxes) {
    await page.getByLabel(label, { exact: true }).check();
  }
  if (data.file) {
    await page.getByLabel(data.file.label, { exact: true }).setInputFiles({
      name: data.file.name,
      mimeType: data.file.mimeType,
      buffer: data.file.buffer,
    });
  }
}

/** Clicks a button and waits for the page it leads to. */
export async function clickAndWait(page, locator) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), locator.click()]);
}

// ---------------------------------------------------------------- store and outbox

export const outboxDir = () => path.join(DATA_DIR, 'outbox');
/** Where the local store keeps each case (function/src/adapters/local.rs). */
export const casesDir = () => path.join(DATA_DIR, 'store', 'cases');

export function listDir(dir) {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** The stored applications, by reference. */
/** Every case in the local store by reference: the `case` of each file. */
export function applications() {
  const out = new Map();
  for (const name of listDir(casesDir())) {
    if (!name.endsWith('.json')) continue;
    const { case: kept } = JSON.parse(fs.readFileSync(path.join(casesDir(), name), 'utf8'));
    out.set(kept.reference, kept);
  }
  return out;
}

/** The highest invoice sequence number of `year` in the store (0: none). */
export function lastInvoiceSeq(year) {
  let last = 0;
  for (const app of applications().values()) {
    const n = app.invoice_number;
    if (n && n.year === year && n.seq > last) last = n.seq;
  }
  return last;
}

/** Waits until `dir` holds `count` files that `before` did not. */
export async function newFiles(dir, before, count, timeoutMs = 10_000) {
  const start = Date.now();
  for (;;) {
    const added = listDir(dir).filter((n) => !before.includes(n) && !n.includes('.tmp-'));
    if (added.length >= count || Date.now() - start > timeoutMs) return added;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function readEml(name) {
  return fs.readFileSync(path.join(outboxDir(), name), 'latin1');
}

/** The mail's headers unfolded and decoded (RFC 2047), for reading its subject. */
export function decodedHeaders(eml) {
  const head = eml.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
  return head.replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_, enc, text) =>
    enc.toLowerCase() === 'b'
      ? Buffer.from(text, 'base64').toString('utf8')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9a-f]{2})/gi, (m, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'),
  );
}

/** A mail's headers and every part, decoded: where to look for a link. */
export function emlText(eml) {
  const parts = [eml, decodedHeaders(eml)];
  for (const m of eml.matchAll(/Content-Transfer-Encoding: base64\r?\n(?:[^\r\n]+\r?\n)*?\r?\n([A-Za-z0-9+/=\r\n]+)/gi)) {
    parts.push(Buffer.from(m[1].replace(/\s+/g, ''), 'base64').toString('utf8'));
  }
  const qp = eml.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (m, h) => String.fromCharCode(parseInt(h, 16)));
  parts.push(Buffer.from(qp, 'latin1').toString('utf8'));
  return parts.join('\n');
}

/** The paths of the links `/<prefix>/<64 hex>` in the outbox mails `names`, each once, in order. */
export function linksIn(names, prefix) {
  const found = [];
  for (const name of names) {
    for (const m of emlText(readEml(name)).matchAll(new RegExp(`${prefix}/[0-9a-f]{64}(?![0-9a-f])`, 'g'))) {
      if (!found.includes(m[0])) found.push(m[0]);
    }
  }
  return found;
}

/** Whether a mail mentions `needle` in a header or any (decoded) text part. */
export function emlMentions(eml, needle) {
  if (eml.includes(needle) || decodedHeaders(eml).includes(needle)) return true;
  // base64 parts
  for (const m of eml.matchAll(/Content-Transfer-Encoding: base64\r?\n(?:[^\r\n]+\r?\n)*?\r?\n([A-Za-z0-9+/=\r\n]+)/gi)) {
    if (Buffer.from(m[1].replace(/\s+/g, ''), 'base64').toString('utf8').includes(needle)) return true;
  }
  // quoted-printable parts
  const qp = eml.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (m, h) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(qp, 'latin1').toString('utf8').includes(needle);
}

/** The text/html part of a mail, decoded (quoted-printable or base64). */
export function emlHtml(eml) {
  const parts = eml.split(/\r?\n--[^\r\n]+\r?\n/);
  for (const part of parts) {
    const [head, ...rest] = part.split(/\r?\n\r?\n/);
    if (!/Content-Type:\s*text\/html/i.test(head)) continue;
    const body = rest.join('\n\n').replace(/\r?\n--[^\r\n]*--\s*$/, '');
    if (/Content-Transfer-Encoding:\s*base64/i.test(head)) {
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    }
    if (/Content-Transfer-Encoding:\s*quoted-printable/i.test(head)) {
      const raw = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (m, h) => String.fromCharCode(parseInt(h, 16)));
      return Buffer.from(raw, 'latin1').toString('utf8');
    }
    return Buffer.from(body, 'latin1').toString('utf8');
  }
  throw new Error('no text/html part in the mail');
}

// ---------------------------------------------------------------- the journey

/**
 * The proof of work of the form `selector`: with JavaScript the script
 * solves it while the form is filled in, and its stamp's SHA-256 starts
 * with 16 zero bits (function/src/challenge.rs checks the same); without
 * JavaScript there is none, and the form posts all the same.
 */
export async function assertChallenge(page, selector, javaScript) {
  const field = page.locator(`${selector} input[name="bewijs"]`);
  if (!javaScript) {
    assert.equal(await field.count(), 0, 'no stamp without JavaScript');
    return;
  }
  await page.waitForFunction((s) => document.querySelector(`${s} input[name="bewijs"]`)?.value, selector, { timeout: 30_000 });
  const stamp = await field.inputValue();
  assert.match(stamp, /^1:16:\d{10}:[0-9a-f]{24}:\d+$/, `the stamp's shape: ${stamp}`);
  const hash = crypto.createHash('sha256').update(stamp).digest();
  assert.ok(hash[0] === 0 && hash[1] === 0, `the stamp's hash starts with 16 zero bits: ${hash.toString('hex')}`);
}

/**
 * Confirms a sent application as the people at its addresses do, in the
 * browser: each address-check link in the outbox mails `names`, its page,
 * its button. Returns the reference on the last page.
 */
export async function confirmAddresses(page, names) {
  const links = linksIn(names, '/aanvraag/adres');
  assert.equal(links.length, 2, `a link to the contact and one to the invoice address: ${names}`);
  await page.goto(BASE + links[0]);
  await assertHeading(page, 'Bevestig de aanvraag');
  await clickAndWait(page, page.getByRole('button', { name: 'Ja, ik bevestig' }));
  assert.equal(new URL(page.url()).pathname, links[0]);
  await assertHeading(page, 'Dank u voor uw bevestiging');
  await page.goto(BASE + links[1]);
  await assertHeading(page, 'Bevestig het factuuradres');
  await clickAndWait(page, page.getByRole('button', { name: 'Ja, ik bevestig' }));
  await assertHeading(page, 'De aanvraag is ingediend');
  return (await page.locator('.reference strong').innerText()).trim();
}

/**
 * Sends the application on the check page, and both addresses confirm by
 * the links mailed to them. Returns the address check's mails and the
 * application's three mails (confirmation, invoice, secretariat).
 */
export async function sendAndConfirm(page) {
  const before = listDir(outboxDir());
  await clickAndWait(page, page.getByRole('button', { name: 'Aanvraag versturen' }));
  await assertHeading(page, 'Bevestig uw aanvraag via de e-mail');
  await newFiles(outboxDir(), before, 2);
  await new Promise((r) => setTimeout(r, 300));
  const checks = listDir(outboxDir()).filter((n) => !before.includes(n) && n.endsWith('.eml'));
  await confirmAddresses(page, checks);
  const filed = [...before, ...checks];
  await newFiles(outboxDir(), filed, 3);
  await new Promise((r) => setTimeout(r, 300));
  const sent = listDir(outboxDir()).filter((n) => !filed.includes(n) && n.endsWith('.eml'));
  assert.equal(sent.length, 3, `the application's three mails: ${sent}`);
  return { checks, sent };
}

/**
 * The whole application, as a person in a browser does it: home page,
 * menu, form by its labels, check page, one change, sending, and the two
 * addresses confirming by the links mailed to them. Returns what it saw,
 * with the personal link from the confirmation mail; asserts every step.
 */
export async function applyJourney(page, tag, { javaScript = true } = {}) {
  const data = application(tag);
  await page.goto(BASE + '/');
  await clickAndWait(page, page.getByRole('navigation', { name: 'Hoofdmenu' }).getByRole('link', { name: 'Aanvragen', exact: true }));
  assert.equal(new URL(page.url()).pathname, '/aanvragen/');
  await fillByLabels(page, data);
  await assertChallenge(page, 'form#aanvraag', javaScript);
  await clickAndWait(page, page.getByRole('button', { name: 'Controleer uw aanvraag' }));

  // Check your answers.
  await assertHeading(page, 'Controleer uw aanvraag');
  const checkUrl = page.url();
  const functie = answerRow(page, 'Functie');
  assert.equal((await functie.locator('dd.answer-value').innerText()).trim(), 'Manager klantcontact');
  const mainText = await page.locator('main').innerText();
  for (const [label, value] of data.text) {
    const shown = CHECK_PAGE_SHOWS[label] ?? value;
    assert.ok(mainText.includes(shown), `check page shows ${label}: ${shown}`);
  }
  assert.ok((await page.locator('main').innerText()).includes(data.file.name), 'check page names the document');

  // Change one answer through its own "Wijzigen" link.
  await clickAndWait(page, functie.getByRole('link', { name: /^Wijzigen/ }));
  assert.match(page.url(), /\/aanvraag\/wijzigen\?concept=[^#]+#aanvraag-contact_functie$/);
  const field = page.getByLabel('Functie (optioneel)', { exact: true });
  assert.equal(await field.inputValue(), 'Manager klantcontact', 'the form comes back with the answer');
  // Every other answer is still there.
  for (const [label, value] of data.text) {
    assert.equal(await page.getByLabel(label, { exact: true }).inputValue(), STORED_AS[label] ?? value, `kept: ${label}`);
  }
  for (const label of [...data.radios, ...data.checkboxes]) {
    assert.ok(await page.getByLabel(label, { exact: true }).isChecked(), `kept: ${label}`);
  }
  await field.fill('Directeur klantrelaties');
  await clickAndWait(page, page.getByRole('button', { name: 'Controleer uw aanvraag' }));
  await assertHeading(page, 'Controleer uw aanvraag');
  assert.equal((await answerRow(page, 'Functie').locator('dd.answer-value').innerText()).trim(), 'Directeur klantrelaties');
  assert.ok((await page.locator('main').innerText()).includes(data.file.name), 'the document is kept after the change');
  const checkHtml = await page.content();

  // Send it.
  const year = new Date().getFullYear();
  const lastSeq = lastInvoiceSeq(year);
  const outboxBefore = listDir(outboxDir());
  const appsBefore = new Set(applications().keys());
  await assertChallenge(page, 'main form', javaScript);
  await clickAndWait(page, page.getByRole('button', { name: 'Aanvraag versturen' }));
  assert.match(page.url(), /\/aanvraag\/ontvangen\?concept=/);
  const sentUrl = page.url();
  await assertHeading(page, 'Bevestig uw aanvraag via de e-mail');
  assert.ok((await page.locator('main').innerText()).includes(`factuur.${tag}@voorbeeld.nl`), 'the page names the addresses');

  // The address check: one mail to each address, nothing filed yet.
  const checks = await newFiles(outboxDir(), outboxBefore, 2);
  await new Promise((r) => setTimeout(r, 300));
  const checkMails = listDir(outboxDir()).filter((n) => !outboxBefore.includes(n) && n.endsWith('.eml'));
  assert.deepEqual(
    checkMails.map((n) => n.replace(/^.*-((?:factuur)?adres-bevestigen)\.eml$/, '$1')).sort(),
    ['adres-bevestigen', 'factuuradres-bevestigen'],
    `the two address checks, got: ${checks.join(', ')}`,
  );
  for (const name of checkMails) {
    const text = emlText(readEml(name));
    for (const typed of [`Voorbeeld Energie B.V. ${tag}`, `(${tag})`, `PO-${tag}`]) {
      assert.ok(!text.includes(typed), `${name} carries nothing the applicant typed: ${typed}`);
    }
  }
  assert.equal(lastInvoiceSeq(year), lastSeq, 'no number before the addresses confirm');
  const reference = await confirmAddresses(page, checkMails);
  assert.match(reference, /^CBT-\d{4}-\d{4}$/);

  // Exactly three mails for it: confirmation, invoice (with the PDF), secretariat.
  const before = [...outboxBefore, ...checkMails];
  const added = await newFiles(outboxDir(), before, 3);
  await new Promise((r) => setTimeout(r, 300));
  const mails = listDir(outboxDir()).filter((n) => !before.includes(n) && n.endsWith('.eml'));
  assert.deepEqual(
    mails.map((n) => n.replace(/^.*-(aanvraag-bevestiging|factuur|aanvraag-secretariaat)\.eml$/, '$1')).sort(),
    ['aanvraag-bevestiging', 'aanvraag-secretariaat', 'factuur'],
    `the outbox got exactly the three mails of the application, got: ${added.join(', ')}`,
  );
  for (const name of mails) {
    const eml = readEml(name);
    assert.ok(emlMentions(eml, reference), `${name} names ${reference}`);
  }
  const invoiceMail = readEml(mails.find((n) => n.endsWith('-factuur.eml')));
  assert.ok(invoiceMail.includes('factuur-'), 'the invoice mail has an attachment factuur-…');
  assert.ok(invoiceMail.includes('application/pdf'), 'the invoice mail attaches a PDF');
  assert.match(invoiceMail, new RegExp(`filename="?factuur-${year}-\\d{4}\\.pdf`), 'the PDF is named factuur-YYYY-NNNN.pdf');
  const pdfPart = invoiceMail.match(/Content-Type: application\/pdf[\s\S]*?\r?\n\r?\n([A-Za-z0-9+/=\r\n]+)/);
  assert.ok(pdfPart, 'the PDF part is there');
  assert.ok(Buffer.from(pdfPart[1].replace(/\s+/g, ''), 'base64').subarray(0, 5).toString() === '%PDF-', 'the attachment is a PDF');

  // The store holds it, with the next invoice number.
  const apps = applications();
  const created = [...apps.keys()].filter((k) => !appsBefore.has(k));
  assert.deepEqual(created, [reference], 'exactly this application was stored');
  const stored = apps.get(reference);
  assert.deepEqual(
    { year: stored.invoice_number.year, seq: stored.invoice_number.seq },
    { year, seq: lastSeq + 1 },
    'the application got the next invoice number',
  );
  assert.equal(stored.application.contact.role, 'Directeur klantrelaties', 'the changed answer is stored');
  const personalLink = linksIn(mails.filter((n) => n.endsWith('-aanvraag-bevestiging.eml')), '/mijn-aanvraag')[0];
  assert.ok(personalLink, 'the confirmation mail carries the personal link');
  return { reference, checkUrl, checkHtml, mails, personalLink, sentUrl };
}

export function answerRow(page, label) {
  return page.locator('.answer-row').filter({ has: page.locator('dt', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) });
}

export function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export async function assertHeading(page, text) {
  const h1 = (await page.locator('h1').first().innerText()).trim();
  if (text instanceof RegExp) assert.match(h1, text, `page ${page.url()} has heading ${text}`);
  else assert.equal(h1, text, `page ${page.url()} has heading ${text}`);
}

/** Writes `content` under the scratch folder's `pages/` (for vnu). */
export function savePage(name, content) {
  const dir = path.join(WORK_DIR, 'pages');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, name), content);
  return path.join(dir, name);
}

// ---------------------------------------------------------------- the function's pages over HTTP

/** The application's fields by name (content/data/forms/aanvraag.toml). */
export function applicationFields(tag) {
  return {
    organisatie_naam: `Voorbeeld Energie B.V. ${tag}`,
    organisatie_land: 'NL',
    kvk_nummer: '12345678',
    soort_organisatie: 'commercieel',
    namens: 'eigen_organisatie',
    contact_naam: 'Jan Jansen',
    contact_functie: 'Manager klantcontact',
    contact_email: `jan.${tag}@voorbeeld.nl`,
    contact_telefoon: '020 123 4567',
    relatie: 'oud_klanten',
    klanttermijn_jaren: '5',
    motivering: 'Onze klanten stellen prijs op contact over nieuwe tarieven.',
    factuur_naam: 'Voorbeeld Energie B.V.',
    factuur_straat: 'Keizersgracht 1',
    factuur_postcode: '1015 CJ',
    factuur_plaats: 'Amsterdam',
    factuur_land: 'NL',
    factuur_email: `factuur.${tag}@voorbeeld.nl`,
    factuur_extra: '',
    btw_nummer: '',
    akkoord_factuur: 'ja',
    website: '',
  };
}

export function contactFields(tag) {
  return {
    naam: 'Petra de Vries',
    organisatie: '',
    email: `petra.${tag}@voorbeeld.nl`,
    telefoon: '',
    onderwerp: `Vraag ${tag}`,
    bericht: 'Mag een balanstest ook in het Engels?',
    website: '',
  };
}

/** A CAMT.053 statement with one credit that pays no invoice: its
 * preview has every kind of row the page shows. */
export function bankStatement() {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>WALK</MsgId><CreDtTm>2027-01-05T20:00:00</CreDtTm></GrpHdr>
<Stmt><Id>WALK-1</Id><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></Acct>
<Ntry><Amt Ccy="EUR">12.50</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2027-01-05</Dt></BookgDt>
<AcctSvcrRef>WALK-1</AcctSvcrRef><NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Een gever</Nm></Dbtr></RltdPties>
<RmtInf><Ustrd>Gift</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>`;
  return { name: 'afschrift.xml', buffer: Buffer.from(xml), mimeType: 'application/xml' };
}

function multipart(fields, file, fieldName = 'balanstest') {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file) form.append(fieldName, new Blob([file.buffer], { type: file.mimeType || 'application/pdf' }), file.name);
  else if (file === null) form.append(fieldName, new Blob([]), '');
  return form;
}

async function html(res, expected) {
  const body = await res.text();
  assert.equal(res.status, expected, `${res.url}: status ${res.status}, wanted ${expected}: ${body.slice(0, 300)}`);
  assert.match(res.headers.get('content-type') || '', /^text\/html/);
  return body;
}

/**
 * Fetches the raw HTML of the function's pages, as a browser posting the
 * forms gets them: the error pages, check your answers, the changed form,
 * the confirmation and the thank-you page. Returns [{name, path, html}].
 */
export async function functionPages(tag = 'pages') {
  const headers = { Accept: 'text/html', Origin: BASE };
  const out = [];
  // The application form sent empty.
  let res = await fetch(BASE + '/aanvraag', { method: 'POST', headers, body: multipart({ website: '' }, null) });
  out.push({ name: 'aanvraag-fout', path: '/aanvraag', html: await html(res, 422) });
  // Complete: check your answers.
  const pdf = { name: `balanstest-${tag}.pdf`, buffer: tinyPdf(tag) };
  res = await fetch(BASE + '/aanvraag', { method: 'POST', headers, body: multipart(applicationFields(tag), pdf) });
  const check = await html(res, 200);
  out.push({ name: 'aanvraag-controle', path: '/aanvraag', html: check });
  const concept = check.match(/name="concept" value="([^"]+)"/)?.[1];
  assert.ok(concept, 'the check page carries the draft');
  // The form again, to change an answer.
  res = await fetch(`${BASE}/aanvraag/wijzigen?concept=${concept}`, { headers });
  out.push({ name: 'aanvraag-wijzigen', path: `/aanvraag/wijzigen?concept=${concept}`, html: await html(res, 200) });
  // Send: 303 to the page that waits for the address check.
  const outboxBefore = listDir(outboxDir());
  res = await fetch(BASE + '/aanvraag/bevestig', {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `concept=${encodeURIComponent(concept)}`,
    redirect: 'manual',
  });
  assert.equal(res.status, 303);
  const location = res.headers.get('location');
  res = await fetch(new URL(location, BASE), { headers });
  out.push({ name: 'aanvraag-verstuurd', path: location, html: await html(res, 200) });
  // The address check: each address's page and button.
  const checks = (await newFiles(outboxDir(), outboxBefore, 2)).filter((n) => n.endsWith('adres-bevestigen.eml'));
  const links = linksIn(checks, '/aanvraag/adres');
  assert.equal(links.length, 2, `two address checks: ${checks}`);
  res = await fetch(BASE + links[0], { headers });
  out.push({ name: 'aanvraag-adres', path: links[0], html: await html(res, 200) });
  for (const link of links) {
    res = await fetch(BASE + link, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' }, body: '', redirect: 'manual' });
    assert.equal(res.status, 303, link);
  }
  res = await fetch(BASE + links[0], { headers });
  out.push({ name: 'aanvraag-ingediend', path: links[0], html: await html(res, 200) });
  res = await fetch(new URL(location, BASE), { headers });
  const received = await html(res, 200);
  assert.match(received, /CBT-\d{4}-\d{4}/);
  out.push({ name: 'aanvraag-ontvangen', path: location, html: received });
  // The applicant's own page under the personal link in the confirmation
  // mail, and what hangs off it.
  const confirmation = (await newFiles(outboxDir(), [...outboxBefore, ...checks], 3)).filter((n) => n.endsWith('-aanvraag-bevestiging.eml'));
  const own = linksIn(confirmation, '/mijn-aanvraag')[0];
  assert.ok(own, 'the confirmation mail carries the personal link');
  for (const [name, suffix] of [
    ['mijn-aanvraag', ''],
    ['mijn-aanvraag-wijzigen', '/wijzigen'],
    ['mijn-aanvraag-intrekken', '/intrekken'],
  ]) {
    res = await fetch(BASE + own + suffix, { headers });
    out.push({ name, path: own + suffix, html: await html(res, 200) });
  }
  // A document that is none: the page again with the problem.
  const notPdf = { name: 'niet-een-document.txt', buffer: Buffer.from('geen document') };
  res = await fetch(BASE + own + '/document', { method: 'POST', headers, body: multipart({}, notPdf, 'document') });
  out.push({ name: 'mijn-aanvraag-melding', path: own, html: await html(res, 422) });
  res = await fetch(BASE + '/mijn-aanvraag/link', { headers });
  out.push({ name: 'link-opnieuw', path: '/mijn-aanvraag/link', html: await html(res, 200) });
  res = await fetch(BASE + '/mijn-aanvraag/link?verstuurd=1', { headers });
  out.push({ name: 'link-verstuurd', path: '/mijn-aanvraag/link?verstuurd=1', html: await html(res, 200) });
  // The contact form: empty, then sent.
  res = await fetch(BASE + '/contact', { method: 'POST', headers, body: new URLSearchParams({ website: '' }) });
  out.push({ name: 'contact-fout', path: '/contact', html: await html(res, 422) });
  res = await fetch(BASE + '/contact', { method: 'POST', headers, body: new URLSearchParams(contactFields(tag)), redirect: 'manual' });
  assert.equal(res.status, 303);
  const thanks = res.headers.get('location');
  res = await fetch(new URL(thanks, BASE), { headers });
  out.push({ name: 'contact-bedankt', path: thanks, html: await html(res, 200) });
  // The workspace, signed in with the mailed link's session cookie.
  const form = { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' };
  res = await fetch(BASE + '/beheer/aanmelden', { headers });
  out.push({ name: 'beheer-aanmelden', path: '/beheer/aanmelden', html: await html(res, 200) });
  const before = listDir(outboxDir());
  res = await fetch(BASE + '/beheer/aanmelden', { method: 'POST', headers: form, body: new URLSearchParams({ email: STAFF }), redirect: 'manual' });
  assert.equal(res.status, 303);
  res = await fetch(BASE + '/beheer/aanmelden?verstuurd=1', { headers });
  out.push({ name: 'beheer-aanmelden-verstuurd', path: '/beheer/aanmelden', html: await html(res, 200) });
  const signIn = linksIn((await newFiles(outboxDir(), before, 1)).filter((n) => n.endsWith('-aanmeldlink.eml')), '/beheer/aanmelden')[0];
  res = await fetch(BASE + signIn, { headers });
  out.push({ name: 'beheer-aanmeldlink', path: '/beheer/aanmelden', html: await html(res, 200) });
  res = await fetch(BASE + signIn, { method: 'POST', headers: form, body: '', redirect: 'manual' });
  assert.equal(res.status, 303);
  const cookie = res.headers.get('set-cookie').split(';')[0];
  const staff = { ...headers, Cookie: cookie };
  res = await fetch(BASE + '/beheer/', { headers: staff });
  const list = await html(res, 200);
  out.push({ name: 'beheer-zaken', path: '/beheer/', html: list, cookie });
  const reference = received.match(/CBT-\d{4}-\d{4}/)[0];
  res = await fetch(`${BASE}/beheer/zaak/${reference}`, { headers: staff });
  const casePage = await html(res, 200);
  out.push({ name: 'beheer-zaak', path: `/beheer/zaak/${reference}`, html: casePage, cookie });
  const csrf = casePage.match(/name="csrf" value="([0-9a-f]+)"/)[1];
  res = await fetch(`${BASE}/beheer/zaak/${reference}/betaling`, { method: 'POST', headers: { ...form, Cookie: cookie }, body: new URLSearchParams({ csrf, datum: '2027-01-05', bedrag: '1,00' }) });
  out.push({ name: 'beheer-zaak-fout', path: `/beheer/zaak/${reference}`, html: await html(res, 409), cookie });
  for (const name of ['medewerkers', 'logboek', 'bank', 'passkeys']) {
    res = await fetch(`${BASE}/beheer/${name}`, { headers: staff });
    out.push({ name: `beheer-${name}`, path: `/beheer/${name}`, html: await html(res, 200), cookie });
  }
  res = await fetch(`${BASE}/beheer/bank`, {
    method: 'POST', headers: { ...headers, Cookie: cookie }, body: multipart({ csrf }, bankStatement(), 'afschrift'),
  });
  out.push({ name: 'beheer-bank-voorbeeld', path: '/beheer/bank', html: await html(res, 200), cookie });
  return out;
}

/**
 * Brings a browser page to each of the function's pages by using the forms,
 * calling `visit(name)` on each (error page, check page, changed form,
 * confirmation; the contact form's error and thank-you pages).
 */
export async function walkFunctionPages(page, visit) {
  await page.goto(BASE + '/aanvragen/');
  await clickAndWait(page, page.getByRole('button', { name: 'Controleer uw aanvraag' }));
  assert.ok((await page.title()).startsWith('Fout: '));
  await visit('aanvraag-fout');
  await fillByLabels(page, application('walk'));
  await clickAndWait(page, page.getByRole('button', { name: 'Controleer uw aanvraag' }));
  await assertHeading(page, 'Controleer uw aanvraag');
  await visit('aanvraag-controle');
  await clickAndWait(page, answerRow(page, 'Functie').getByRole('link', { name: /^Wijzigen/ }));
  await visit('aanvraag-wijzigen');
  await clickAndWait(page, page.getByRole('button', { name: 'Controleer uw aanvraag' }));
  const outboxBefore = listDir(outboxDir());
  await clickAndWait(page, page.getByRole('button', { name: 'Aanvraag versturen' }));
  await assertHeading(page, 'Bevestig uw aanvraag via de e-mail');
  const sent = page.url();
  await visit('aanvraag-verstuurd');
  const checks = (await newFiles(outboxDir(), outboxBefore, 2)).filter((n) => n.endsWith('adres-bevestigen.eml'));
  const links = linksIn(checks, '/aanvraag/adres');
  await page.goto(BASE + links[0]);
  await assertHeading(page, 'Bevestig de aanvraag');
  await visit('aanvraag-adres');
  await clickAndWait(page, page.getByRole('button', { name: 'Ja, ik bevestig' }));
  await assertHeading(page, 'Dank u voor uw bevestiging');
  await visit('aanvraag-adres-bedankt');
  await page.goto(BASE + links[1]);
  await clickAndWait(page, page.getByRole('button', { name: 'Ja, ik bevestig' }));
  await assertHeading(page, 'De aanvraag is ingediend');
  await visit('aanvraag-ingediend');
  await page.goto(sent);
  await assertHeading(page, 'Uw aanvraag is ontvangen');
  await visit('aanvraag-ontvangen');
  // The personal link, as the applicant follows it from the mail.
  const filed = (await newFiles(outboxDir(), [...outboxBefore, ...checks], 3)).filter((n) => n.endsWith('-aanvraag-bevestiging.eml'));
  const own = linksIn(filed, '/mijn-aanvraag')[0];
  assert.ok(own, 'the confirmation mail carries the personal link');
  await page.goto(BASE + own);
  await assertHeading(page, /^Uw aanvraag CBT-\d{4}-\d{4}$/);
  const reference = (await page.getByRole('heading', { level: 1 }).textContent()).replace('Uw aanvraag ', '').trim();
  await visit('mijn-aanvraag');
  await clickAndWait(page, page.getByRole('link', { name: 'Antwoorden wijzigen' }));
  await visit('mijn-aanvraag-wijzigen');
  await page.goto(BASE + own);
  await clickAndWait(page, page.getByRole('button', { name: 'Document toevoegen' }));
  await visit('mijn-aanvraag-melding');
  await clickAndWait(page, page.getByRole('link', { name: 'Aanvraag intrekken' }));
  await visit('mijn-aanvraag-intrekken');
  await page.goto(BASE + '/mijn-aanvraag/link');
  await visit('link-opnieuw');
  await clickAndWait(page, page.getByRole('button', { name: 'Stuur mij de link' }));
  await visit('link-verstuurd');
  await page.goto(BASE + '/contact/');
  await clickAndWait(page, page.getByRole('button', { name: 'Verstuur uw bericht' }));
  assert.ok((await page.title()).startsWith('Fout: '));
  await visit('contact-fout');
  await fillByLabels(page, contactMessage('walk'));
  await clickAndWait(page, page.getByRole('button', { name: 'Verstuur uw bericht' }));
  await assertHeading(page, 'Bedankt voor uw bericht');
  await visit('contact-bedankt');
  // The workspace: sign in through the mailed link, the list, the case (and
  // a refused payment), the staff list, the log, a bank statement's
  // preview, signed out.
  await signInToWorkspace(page, visit);
  await assertHeading(page, 'Aanvragen');
  await visit('beheer-zaken');
  await clickAndWait(page, page.getByRole('link', { name: reference, exact: true }));
  await assertHeading(page, `Aanvraag ${reference}`);
  await visit('beheer-zaak');
  await page.getByLabel('Bedrag in euro').fill('1,00');
  await clickAndWait(page, page.getByRole('button', { name: 'Betaling registreren' }));
  await assertHeading(page, `Aanvraag ${reference}`);
  await visit('beheer-zaak-fout');
  await clickAndWait(page, page.getByRole('link', { name: 'Medewerkers' }));
  await visit('beheer-medewerkers');
  await clickAndWait(page, page.getByRole('link', { name: 'Logboek' }));
  await visit('beheer-logboek');
  await clickAndWait(page, page.getByRole('link', { name: 'Passkeys' }));
  await visit('beheer-passkeys');
  await clickAndWait(page, page.getByRole('link', { name: 'Bankafschrift' }));
  await visit('beheer-bank');
  await page.getByLabel('Bankafschrift (CAMT.053)').setInputFiles(bankStatement());
  await clickAndWait(page, page.getByRole('button', { name: 'Bankafschrift inlezen' }));
  await assertHeading(page, 'Bankafschrift inlezen');
  await visit('beheer-bank-voorbeeld');
  await clickAndWait(page, page.getByRole('button', { name: 'Afmelden' }));
  await assertHeading(page, 'Aanmelden bij het beheer');
  await visit('beheer-afgemeld');
}

/** Signs the staff member in as a person does: the address, the mail's
 * link, the button. `visit` (optional) is called on each page on the way. */
export async function signInToWorkspace(page, visit = async () => {}, email = STAFF, base = BASE) {
  await page.goto(base + '/beheer/');
  await assertHeading(page, 'Aanmelden bij het beheer');
  await visit('beheer-aanmelden');
  const before = listDir(outboxDir());
  await page.getByLabel('E-mailadres').fill(email);
  await clickAndWait(page, page.getByRole('button', { name: 'Stuur mij een aanmeldlink' }));
  await visit('beheer-aanmelden-verstuurd');
  const mails = (await newFiles(outboxDir(), before, 1)).filter((n) => n.endsWith('-aanmeldlink.eml'));
  const link = linksIn(mails, '/beheer/aanmelden')[0];
  assert.ok(link, 'the sign-in mail carries the link');
  await page.goto(base + link);
  await visit('beheer-aanmeldlink');
  await clickAndWait(page, page.getByRole('button', { name: 'Aanmelden', exact: true }));
}
