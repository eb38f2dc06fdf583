// The built site as a plain file server answers it (like S3 behind
// CloudFront, uncompressed): what ships, without the reload script that
// `cbt-site serve` adds to every page. Used for Lighthouse and page weights.
// Usage: node static-server.js DIR PORT
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

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

function send(res, status, file, head) {
  const body = fs.readFileSync(file);
  const immutable = /\/assets\/style\.[0-9a-f]{10}\.css$/.test(file);
  res.writeHead(status, {
    'Content-Type': types[path.extname(file)] || 'application/octet-stream',
    'Content-Length': body.length,
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
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
    if (fs.existsSync(file) && fs.statSync(file).isFile()) return send(res, 200, file, head);
    if (!rel.endsWith('/') && fs.existsSync(path.join(file, 'index.html'))) {
      res.writeHead(301, { Location: rel + '/' }).end();
      return;
    }
    send(res, 404, path.join(root, '404.html'), head);
  })
  .listen(Number(port), '127.0.0.1', () => console.log(`static ${root} on http://127.0.0.1:${port}/`));
