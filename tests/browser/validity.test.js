// Validity and links: vnu (the Nu Html Checker, vnu-jar pinned) on every page
// of the built site and on saved copies of the pages the function answers
// with; then a crawl of the served pages: every same-origin link answers 200
// and every #fragment names an element of its page.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { BASE, SITE_DIR, WORK_DIR, builtPages, functionPages, savePage } from './lib.js';

const require = createRequire(import.meta.url);
const VNU = path.join(path.dirname(require.resolve('vnu-jar/package.json')), 'build', 'dist', 'vnu.jar');

let served = [];

before(async () => {
  served = await functionPages('valid');
  for (const p of served) savePage(`${p.name}.html`, p.html);
});

test('vnu: no error on the built site nor on the function pages', async (t) => {
  const pagesDir = path.join(WORK_DIR, 'pages');
  const files = [
    ...builtPages().map((p) => path.join(SITE_DIR, p.endsWith('/') ? p + 'index.html' : p)),
    ...served.map((p) => path.join(pagesDir, `${p.name}.html`)),
  ];
  for (const f of files) assert.ok(fs.existsSync(f), `${f} exists`);
  const stdout = await new Promise((resolve, reject) => {
    execFile(
      'java',
      ['-Xss8m', '-jar', VNU, '--errors-only', '--skip-non-html', '--format', 'json', SITE_DIR, pagesDir],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, out, err) => {
        // vnu exits 1 when it found errors; its report is on stderr as JSON.
        try {
          resolve(JSON.parse(err || out));
        } catch {
          reject(error || new Error(`vnu printed no report: ${err}`));
        }
      },
    );
  });
  const messages = stdout.messages || [];
  const fatal = messages.filter((m) => !m.url);
  assert.deepEqual(fatal, [], 'vnu ran');
  for (const file of files) {
    await t.test(path.relative(path.dirname(SITE_DIR), file), () => {
      const url = 'file:' + file;
      const errors = messages.filter((m) => m.url === url && (m.type === 'error' || m.subType === 'fatal'));
      assert.equal(errors.length, 0, errors.map((e) => `${e.lastLine}:${e.firstColumn} ${e.message} [${e.extract?.trim()}]`).join('\n'));
    });
  }
  // Nothing it reported is about a file outside the list.
  const unexpected = messages.filter((m) => m.url && !files.some((f) => m.url === 'file:' + f));
  assert.deepEqual(unexpected, []);
});

function decode(s) {
  return s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

test('links: every same-origin link answers 200 and every #fragment exists', async (t) => {
  const origin = new URL(BASE).origin;
  const cache = new Map(); // url without fragment -> {status, ids}
  // The workspace's pages are fetched with their session's cookie.
  async function get(url, cookie) {
    const key = `${cookie || ''} ${url}`;
    if (!cache.has(key)) {
      const res = await fetch(url, { redirect: 'manual', headers: { Accept: 'text/html', ...(cookie ? { Cookie: cookie } : {}) } });
      const type = res.headers.get('content-type') || '';
      const body = type.startsWith('text/html') ? await res.text() : (await res.arrayBuffer(), '');
      cache.set(key, { status: res.status, html: body, ids: new Set([...body.matchAll(/\sid="([^"]+)"/g)].map((m) => decode(m[1]))) });
    }
    return cache.get(key);
  }
  const start = [
    ...builtPages().map((p) => ({ from: p, url: BASE + p })),
    ...served.map((p) => ({ from: p.name, url: BASE + p.path, html: p.html, cookie: p.cookie })),
  ];
  let checked = 0;
  for (const page of start) {
    await t.test(page.from, async () => {
      const html = page.html ?? (await get(page.url)).html;
      const links = [...html.matchAll(/\s(?:href|src)="([^"]*)"/g)].map((m) => decode(m[1]));
      assert.ok(links.length > 0);
      const problems = [];
      for (const link of links) {
        if (/^(mailto|tel):/.test(link)) continue;
        const url = new URL(link, page.url);
        if (url.origin !== origin) continue;
        const hash = url.hash ? decodeURIComponent(url.hash.slice(1)) : '';
        url.hash = '';
        // A fragment on the page itself is checked against the page as fetched.
        const sameDoc = link.startsWith('#');
        const target = sameDoc && page.html ? { status: 200, ids: new Set([...page.html.matchAll(/\sid="([^"]+)"/g)].map((m) => decode(m[1]))) } : await get(url.href, page.cookie);
        checked++;
        if (target.status !== 200) problems.push(`${link}: status ${target.status}`);
        else if (hash && !target.ids.has(hash)) problems.push(`${link}: no element with id "${hash}"`);
      }
      assert.deepEqual(problems, [], `${page.from}:\n${problems.join('\n')}`);
    });
  }
  assert.ok(checked > 50, `links checked: ${checked}`);
  // And an unknown address answers 404 with the site's own page.
  const missing = await fetch(BASE + '/bestaat-niet/');
  assert.equal(missing.status, 404);
  assert.match(await missing.text(), /<h1>/);
});

// The only script is the proof of work (issue 15), and only on a page with
// a form that posts: it is deferred, from the site itself, and the form
// works without it (at a stricter limit; the e2e tests post without
// JavaScript).
test('no page of the built site needs JavaScript: only a form page loads the proof of work', () => {
  let forms = 0;
  for (const p of builtPages()) {
    const html = fs.readFileSync(path.join(SITE_DIR, p.endsWith('/') ? p + 'index.html' : p), 'utf8');
    const scripts = [...html.matchAll(/<script\b(?![^>]*type="application\/ld\+json")[^>]*>/gi)].map((m) => m[0]);
    if (/<form\b[^>]*method="post"/i.test(html)) {
      forms += 1;
      assert.equal(scripts.length, 1, `${p}: ${scripts}`);
      assert.match(scripts[0], /^<script src="\/assets\/challenge\.[0-9a-f]+\.js" defer>$/, `${p}: ${scripts[0]}`);
    } else {
      assert.deepEqual(scripts, [], `${p} has a script`);
    }
  }
  assert.ok(forms >= 2, `pages with a form: ${forms}`);
});
