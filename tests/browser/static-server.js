// The built site as CloudFront answers it from S3: gzip for text when the
// browser accepts it (the template sets Compress: true), without the reload
// script that `cbt-site serve` adds to every page. Used for Lighthouse and
// page weights.
// Usage: node static-server.js DIR PORT
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const [dir, port] = process.argv.slice(2);
const root = path.resolve(dir);
const types = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.xml': 'application/xml; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

function send(res, status, file, head, acceptsGzip) {
  let body = fs.readFileSync(file);
  const immutable = /\/assets\/[a-z]+\.[0-9a-f]{10}\.(css|js)$/.test(file);
  const type = types[path.extname(file)] || 'application/octet-stream';
  const headers = {
    'Content-Type': type,
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    Vary: 'Accept-Encoding',
  };
  if (acceptsGzip && /^(text\/|application\/xml|image\/svg)/.test(type)) {
    body = gzipSync(body);
    headers['Content-Encoding'] = 'gzip';
  }
  headers['Content-Length'] = body.length;
  res.writeHead(status, headers);
  res.end(head ? undefined : body);
}

http
  .createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    let rel = decodeURIComponent(url.pathname);
    if (rel.split('/').includes('..')) {
      res.writeHead(400).end();
      return;
    }
    let file = path.join(root, rel);
    if (rel.endsWith('/')) file = path.join(file, 'index.html');
    const head = req.method === 'HEAD';
    const gz = /\bgzip\b/.test(req.headers['accept-encoding'] || '');
    if (fs.existsSync(file) && fs.statSync(file).isFile()) return send(res, 200, file, head, gz);
    if (!rel.endsWith('/') && fs.existsSync(path.join(file, 'index.html'))) {
      res.writeHead(301, { Location: rel + '/' }).end();
      return;
    }
    send(res, 404, path.join(root, '404.html'), head, gz);
  })
  .listen(Number(port), '127.0.0.1', () => console.log(`static ${root} on http://127.0.0.1:${port}/`));
