// Accessibility: axe-core (pinned in package.json), injected into the page as
// @axe-core/playwright does, on every page of the built site as `cbt-site
// serve` answers it, and on the pages the function answers the forms with.
// Zero violations of the WCAG 2.0, 2.1 and 2.2 A and AA rules.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { BASE, newPage, closeBrowser, builtPages, walkFunctionPages } from './lib.js';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

after(closeBrowser);

async function axe(page) {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    TAGS,
  );
}

function describe(violations) {
  return violations
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n` + v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary.replace(/\n/g, ' ')}`).join('\n'))
    .join('\n');
}

for (const width of [1280, 390]) {
  test(`axe: every page of the built site at ${width} px`, async (t) => {
    const { context, page } = await newPage({ viewport: { width, height: 900 }, bypassCSP: true });
    try {
      const pages = builtPages();
      assert.ok(pages.length >= 10, `the build has its pages (${pages.length})`);
      for (const path of pages) {
        await t.test(path, async () => {
          const res = await page.goto(BASE + path);
          assert.equal(res.status(), 200);
          const { violations } = await axe(page);
          assert.equal(violations.length, 0, `${path}:\n${describe(violations)}`);
        });
      }
    } finally {
      await context.close();
    }
  });
}

test("axe: the function's pages: forms with errors, check, change, confirmation, the applicant's own pages, thank you", async (t) => {
  const { context, page } = await newPage({ bypassCSP: true });
  try {
    const seen = [];
    await walkFunctionPages(page, async (name) => {
      seen.push(name);
      await t.test(name, async () => {
        const { violations } = await axe(page);
        assert.equal(violations.length, 0, `${name} (${page.url()}):\n${describe(violations)}`);
      });
    });
    assert.equal(seen.length, 28);
  } finally {
    await context.close();
  }
});
