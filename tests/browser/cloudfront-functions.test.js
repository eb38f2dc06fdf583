// The CloudFront function in deploy/template.yaml (PrettyUrlsFunction), run
// as CloudFront runs it: its handler on an event, here in node. No browser
// and no server: `node --test tests/browser/cloudfront-functions.test.js`.
//
// The function adds the trailing slash of a page's address with a 301. Its
// Location must be a path on this site: `//3627734734` once became
// `Location: //3627734734/`, a protocol-relative address of another host
// (3627734734 is an IPv4 address as one number), and `//evil%2ecom` a
// redirect to evil.com.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const TEMPLATE = fileURLToPath(new URL('../../deploy/template.yaml', import.meta.url));

/** The `FunctionCode: |` block of the resource `name`, unindented. */
function functionCode(name) {
  const lines = readFileSync(TEMPLATE, 'utf8').split('\n');
  const start = lines.findIndex((l) => l === `  ${name}:`);
  assert.ok(start >= 0, `${name} in the template`);
  const code = lines.findIndex((l, i) => i > start && /^\s+FunctionCode: \|$/.test(l));
  assert.ok(code > start, `${name} has FunctionCode`);
  const indent = lines[code + 1].match(/^\s*/)[0];
  const body = [];
  for (const line of lines.slice(code + 1)) {
    if (line.trim() !== '' && !line.startsWith(indent)) break;
    body.push(line.slice(indent.length));
  }
  return body.join('\n');
}

const sandbox = {};
vm.createContext(sandbox);
vm.runInContext(functionCode('PrettyUrlsFunction'), sandbox);
const run = (uri) => sandbox.handler({ request: { uri, method: 'GET', headers: {} } });
const location = (uri) => {
  const answer = run(uri);
  assert.equal(answer.statusCode, 301, `${uri} is redirected`);
  return answer.headers.location.value;
};

test('a folder gets its index, a page its trailing slash, a file stays', () => {
  assert.equal(run('/').uri, '/index.html');
  assert.equal(run('/tarieven/').uri, '/tarieven/index.html');
  assert.equal(location('/tarieven'), '/tarieven/');
  assert.equal(location('/de-commissie/wilbert-tomesen'), '/de-commissie/wilbert-tomesen/');
  assert.equal(run('/assets/style.css').uri, '/assets/style.css');
  assert.equal(run('/assets/style.css').statusCode, undefined);
});

test('the redirect stays on this site: leading slashes collapse', () => {
  for (const [uri, expected] of [
    ['//3627734734', '/3627734734/'],
    ['//evil%2ecom', '/evil%2ecom/'],
    ['///evil%2ecom', '/evil%2ecom/'],
    ['//evil%2ecom/pad', '/evil%2ecom/pad/'],
    ['/\\evil%2ecom', '/evil%2ecom/'],
    ['/\\/evil%2ecom', '/evil%2ecom/'],
    ['/a\\b', '/a%5Cb/'],
    ['/%2F%2Fevil%2ecom', '/%2F%2Fevil%2ecom/'],
  ]) {
    const value = location(uri);
    assert.equal(value, expected, uri);
    // What a browser makes of it: a path on the site's own origin.
    const resolved = new URL(value, 'https://www.balanstoetstelemarketing.nl/tarieven/');
    assert.equal(resolved.origin, 'https://www.balanstoetstelemarketing.nl', `${uri} -> ${value}`);
  }
});
