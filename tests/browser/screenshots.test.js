// Screenshots a person can open: home and the application page at 390 px
// (a phone) and 1280 px (a laptop), full page, in test-artifacts/screenshots/
// at the repository's root; also the error and check pages on a phone.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BASE, ARTIFACTS, newPage, closeBrowser, clickAndWait, fillByLabels, application, builtPages, walkFunctionPages } from './lib.js';

const DIR = path.join(ARTIFACTS, 'screenshots');
after(closeBrowser);

function pngSize(file) {
  const buf = fs.readFileSync(file);
  assert.equal(buf.subarray(1, 4).toString(), 'PNG', `${file} is a PNG`);
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

for (const width of [390, 1280]) {
  for (const [name, url] of [['home', '/'], ['aanvragen', '/aanvragen/']]) {
    test(`screenshot: ${name} at ${width} px`, async () => {
      const { context, page } = await newPage({ viewport: { width, height: 844 } });
      try {
        await page.goto(BASE + url);
        // Nothing sticks out sideways (no horizontal scrolling on a phone).
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 0, `${url} at ${width} px scrolls sideways by ${overflow} px`);
        fs.mkdirSync(DIR, { recursive: true });
        const file = path.join(DIR, `${name}-${width}.png`);
        await page.screenshot({ path: file, fullPage: true });
        const size = pngSize(file);
        assert.equal(size.width, width);
        assert.ok(size.height >= 844, `${file} is the full page (${size.height} px high)`);
        console.log(`screenshot: ${path.relative(path.dirname(ARTIFACTS), file)} (${size.width}x${size.height})`);
      } finally {
        await context.close();
      }
    });
  }
}

test('screenshot: the error and check pages at 390 px', async () => {
  const { context, page } = await newPage({ viewport: { width: 390, height: 844 } });
  try {
    await page.goto(BASE + '/aanvragen/');
    await clickAndWait(page, page.getByRole('button', { name: 'Controleer uw aanvraag' }));
    const overflow = async () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok((await overflow()) <= 0, 'the error page does not scroll sideways');
    await page.screenshot({ path: path.join(DIR, 'aanvraag-fout-390.png'), fullPage: true });
    await fillByLabels(page, application('shot'));
    await clickAndWait(page, page.getByRole('button', { name: 'Controleer uw aanvraag' }));
    assert.ok((await overflow()) <= 0, 'the check page does not scroll sideways');
    await page.screenshot({ path: path.join(DIR, 'aanvraag-controle-390.png'), fullPage: true });
  } finally {
    await context.close();
  }
});

const sideways = (page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

test('no page scrolls sideways on a 320 px phone', async (t) => {
  const { context, page } = await newPage({ viewport: { width: 320, height: 700 } });
  try {
    for (const p of builtPages()) {
      await t.test(p, async () => {
        await page.goto(BASE + p);
        assert.ok((await sideways(page)) <= 0, `${p} scrolls sideways by ${await sideways(page)} px`);
      });
    }
    await walkFunctionPages(page, async (name) => {
      await t.test(name, async () => {
        assert.ok((await sideways(page)) <= 0, `${name} scrolls sideways by ${await sideways(page)} px`);
      });
    });
  } finally {
    await context.close();
  }
});

// The menu took a quarter of a phone's screen on every page. On a 390 x 844
// phone the header (name and menu) stays within a seventh of it, and every
// menu item is in view and large enough to touch.
test('the header takes at most a seventh of a phone screen, every menu item in view', async () => {
  const { context, page } = await newPage({ viewport: { width: 390, height: 844 } });
  try {
    for (const p of ['/', '/veelgestelde-vragen/', '/aanvragen/']) {
      await page.goto(BASE + p);
      const height = await page.locator('.site-header').evaluate((e) => e.getBoundingClientRect().height);
      assert.ok(height <= 844 / 7, `${p}: the header is ${height} px high`);
      const links = page.getByRole('navigation', { name: 'Hoofdmenu' }).getByRole('link');
      const count = await links.count();
      assert.ok(count >= 7, `${p}: ${count} menu items`);
      for (let i = 0; i < count; i += 1) {
        const box = await links.nth(i).boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `${p}: menu item ${i} is in view (${JSON.stringify(box)})`);
        assert.ok(box.height >= 24, `${p}: menu item ${i} is ${box.height} px high`);
      }
    }
  } finally {
    await context.close();
  }
});
