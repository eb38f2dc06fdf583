// Lighthouse 12.2.3 (pinned) on the home page, the FAQ and the application
// page, as the built site is served (a plain file server: what ships, without
// the reload script of `cbt-site serve`, whose long poll keeps the network
// busy). Accessibility, best practices and SEO must score 100; performance
// is reported (the goal is 100).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { STATIC, WORK_DIR, CHROMIUM, CHROME_FLAGS } from './lib.js';

const require = createRequire(import.meta.url);
const CLI = path.join(path.dirname(require.resolve('lighthouse/package.json')), 'cli', 'index.js');
const PAGES = ['/', '/veelgestelde-vragen/', '/aanvragen/'];
const REQUIRED = ['accessibility', 'best-practices', 'seo'];
const rows = [];

function lighthouse(url, out, profile) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        CLI, url,
        `--chrome-flags=${[...CHROME_FLAGS, `--user-data-dir=${profile}`].join(' ')}`,
        '--output=json', `--output-path=${out}`, '--quiet',
        '--only-categories=performance,accessibility,best-practices,seo',
      ],
      { env: { ...process.env, CHROME_PATH: CHROMIUM }, maxBuffer: 16 * 1024 * 1024, timeout: 180_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`lighthouse ${url}: ${error.message}\n${stderr}`)) : resolve()),
    );
  });
}

for (const page of PAGES) {
  test(`lighthouse: ${page}`, { timeout: 240_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(WORK_DIR, 'lh-'));
    const out = path.join(dir, 'report.json');
    await lighthouse(STATIC + page, out, path.join(dir, 'profile'));
    const report = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.equal(report.runtimeError, undefined, JSON.stringify(report.runtimeError));
    // Warnings that the results are incomplete fail; the one about a slow
    // CPU (two shared cores) only concerns the performance score.
    const warnings = (report.runWarnings || []).filter((w) => !/slower CPU/.test(w));
    assert.deepEqual(warnings, [], 'lighthouse ran cleanly');
    const score = (id) => Math.round((report.categories[id]?.score ?? 0) * 100);
    const failing = (id) =>
      report.categories[id].auditRefs
        .map((ref) => report.audits[ref.id])
        .filter((a) => a.score !== null && a.score < 1 && a.scoreDisplayMode !== 'informative' && a.scoreDisplayMode !== 'notApplicable' && a.scoreDisplayMode !== 'manual')
        .map((a) => `    ${a.id} (${a.score}): ${a.title}${a.displayValue ? ' — ' + a.displayValue : ''}`);
    const row = { page, performance: score('performance'), accessibility: score('accessibility'), 'best-practices': score('best-practices'), seo: score('seo') };
    rows.push(row);
    console.log(`lighthouse ${page}: ` + Object.entries(row).slice(1).map(([k, v]) => `${k} ${v}`).join(', '));
    if (row.performance < 100) console.log(`  performance below the goal of 100:\n${failing('performance').join('\n')}`);
    const problems = [];
    for (const id of REQUIRED) {
      if (row[id] < 100) problems.push(`${id} ${row[id]}:\n${failing(id).join('\n')}`);
    }
    assert.deepEqual(problems, [], `${page}: ${problems.join('\n')}`);
  });
}

after(() => {
  console.log('lighthouse scores (accessibility, best-practices and SEO must be 100; performance: goal 100)');
  console.table(rows);
});
