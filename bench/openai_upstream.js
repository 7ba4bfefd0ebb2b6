#!/usr/bin/env node
// A fixed-reply OpenAI images upstream for bench/openai_compare.sh.
//
//   node bench/openai_upstream.js PORTS_FILE
//
// Listens on 127.0.0.1 with a kernel-chosen port and writes {"port": N} to
// PORTS_FILE once it is listening. Routes (any path prefix before them is
// accepted, so "/v1/images/generations" and "/oai/v1/images/generations"
// both work):
//   POST .../images/generations  reads the body (at most 1 MiB) and answers
//        {"created": <now>, "data": [{"url": "http://127.0.0.1:N/files/img.png"}]}
//        whatever the body says: every contender gets the same reply, and
//        the reply costs the upstream next to nothing.
//   GET  /files/img.png  a 64x64 PNG (generated once at start, ~200 bytes).
//   GET  /stats          {"generations": n, "files": n} served so far.
// Anything else is 404. No authentication: it listens on loopback only.
'use strict';
const http = require('http');
const fs = require('fs');
const zlib = require('zlib');

const portsFile = process.argv[2];
if (!portsFile) {
  console.error('usage: openai_upstream.js PORTS_FILE');
  process.exit(2);
}

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return (~c) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(w, h) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;  // bit depth
  ihdr[9] = 2;  // RGB
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = x * 4; raw[o + 1] = y * 4; raw[o + 2] = 128;
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0))]);
}

const PNG = png(64, 64);
let generations = 0;
let files = 0;
let replyBody = '';

const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url.endsWith('/images/generations')) {
    let size = 0;
    req.on('data', (d) => {
      size += d.length;
      if (size > 1 << 20) req.destroy();
    });
    req.on('end', () => {
      generations++;
      res.writeHead(200, {'content-type': 'application/json',
                          'content-length': Buffer.byteLength(replyBody)});
      res.end(replyBody);
    });
    return;
  }
  if (req.method === 'GET' && req.url === '/files/img.png') {
    files++;
    res.writeHead(200, {'content-type': 'image/png',
                        'content-length': PNG.length});
    res.end(PNG);
    return;
  }
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, {'content-type': 'application/json'});
    res.end(JSON.stringify({generations, files}));
    return;
  }
  res.writeHead(404, {'content-type': 'application/json'});
  res.end('{"error":{"message":"not found","type":"invalid_request_error"}}');
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  replyBody = JSON.stringify({
    created: 1767225600,
    data: [{url: `http://127.0.0.1:${port}/files/img.png`}],
  });
  fs.writeFileSync(portsFile + '.tmp', JSON.stringify({port}));
  fs.renameSync(portsFile + '.tmp', portsFile);
});
process.on('SIGTERM', () => process.exit(0));
