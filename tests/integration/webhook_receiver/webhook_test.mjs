// A webhook receiver that checks mediagw's deliveries with the
// standardwebhooks npm library (the Standard Webhooks reference code), run
// against the real server and simulator. It counts deliveries per
// webhook-id and checks: every signature verifies under the current secret
// and under the previous one (a rotation sends both); the events filter; a
// refused first attempt retried; GET /v1/tasks/{id}/webhooks and replay;
// kie's callback shape and X-Webhook-Signature for a callBackUrl; the legacy
// webhook_url extension; and a delivery cut by a crash of the server is
// delivered after the restart.
// Env: SERVER_BIN, CONFIG, PORTS_FILE, LOG_FILE, API_KEY, SECRET,
// PREVIOUS_SECRET (and the upstream key variables for the server).
import http from 'node:http';
import fs from 'node:fs';
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';

const key = process.env.API_KEY;
const current = new Webhook(process.env.SECRET);
const previous = new Webhook(process.env.PREVIOUS_SECRET);
const stranger = new Webhook(`whsec_${crypto.randomBytes(24).toString('base64')}`);

// --- the receiver -----------------------------------------------------------
const deliveries = new Map();  // webhook-id -> [{path, body, headers}]
const seenByPath = new Map();  // path -> count of requests
let hangRelease = null;        // while set, /hang requests get no answer
const hanging = [];

function record(path, id, body, headers) {
  if (!deliveries.has(id)) deliveries.set(id, []);
  deliveries.get(id).push({ path, body, headers });
}

const receiver = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = req.url;
    seenByPath.set(path, (seenByPath.get(path) ?? 0) + 1);
    // Signed with both secrets during the rotation: either verifies alone.
    let payload;
    try {
      payload = current.verify(raw, req.headers);
      previous.verify(raw, req.headers);
    } catch (e) {
      console.error(`verification failed on ${path}: ${e.message}`);
      res.writeHead(400).end('bad signature');
      return;
    }
    assert.throws(() => stranger.verify(raw, req.headers));
    const id = req.headers['webhook-id'];
    if (path === '/hang' && hangRelease === null) {
      hanging.push({ res, id });  // no answer: the server is killed meanwhile
      return;
    }
    if (path === '/flaky' && !deliveries.has(`refused:${id}`)) {
      deliveries.set(`refused:${id}`, []);
      res.writeHead(500).end('try later');
      return;
    }
    record(path, id, payload, req.headers);
    res.writeHead(path === '/kie' ? 200 : 204).end();
  });
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const hookBase = `http://127.0.0.1:${receiver.address().port}`;

// --- the server -------------------------------------------------------------
let server = null;
let rest = '';
async function startServer() {
  fs.rmSync(process.env.PORTS_FILE, { force: true });
  const log = fs.openSync(process.env.LOG_FILE, 'a');
  server = spawn(process.env.SERVER_BIN, [`--config=${process.env.CONFIG}`],
                 { stdio: ['ignore', log, log] });
  for (let i = 0; i < 300; i++) {
    if (fs.existsSync(process.env.PORTS_FILE)) {
      const text = fs.readFileSync(process.env.PORTS_FILE, 'utf8');
      if (text.includes('http')) {
        rest = `http://127.0.0.1:${JSON.parse(text).http}`;
        return;
      }
    }
    await sleep(100);
  }
  throw new Error('mediagw did not start');
}
function crashServer() {
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGKILL');
  return exited;
}
async function stopServer() {
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  await exited;
}

async function api(method, path, body) {
  const r = await fetch(`${rest}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

async function submit(image) {
  const r = await api('POST', '/v1/tasks', { image: { prompt: 'a lighthouse', width: 64, height: 64, steps: 4, ...image } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.id;
}

async function until(what, fn, ms = 60000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
const delivered = (taskId, n = 1) =>
  until(`${n} deliveries of ${taskId}`, () => (deliveries.get(`msg_${taskId}`)?.length ?? 0) >= n);

try {
  await startServer();

  // 1. A completed task, native REST.
  const t1 = await submit({ webhookUrl: `${hookBase}/ok` });
  await delivered(t1);
  const [d1] = deliveries.get(`msg_${t1}`);
  assert.equal(d1.body.type, 'task.completed');
  assert.equal(d1.body.data.id, t1);
  assert.equal(d1.body.data.state, 'TASK_STATE_SUCCEEDED');
  assert.ok(d1.body.data.outputs.length >= 1);
  assert.match(d1.headers['webhook-signature'], /^v1,\S+ v1,\S+$/);  // two secrets
  console.log(`ok: ${t1} delivered and verified under both secrets`);

  // 2. The events filter: only failures asked for, the task succeeds.
  const t2 = await submit({ webhookUrl: `${hookBase}/ok`, webhookEvents: ['failed'] });
  await until(`${t2} to end`, async () =>
    (await api('GET', `/v1/tasks/${t2}`)).body.state === 'TASK_STATE_SUCCEEDED');
  const h2 = await api('GET', `/v1/tasks/${t2}/webhooks`);
  assert.equal(h2.status, 200);
  assert.equal(h2.body.state, 'none');
  assert.ok(!deliveries.has(`msg_${t2}`));
  const bad = await api('POST', '/v1/tasks', { image: { prompt: 'x', webhookEvents: ['succeeded'] } });
  assert.equal(bad.status, 400);
  console.log('ok: events filter');

  // 3. A refused first attempt is retried; the attempts are visible.
  const t3 = await submit({ webhookUrl: `${hookBase}/flaky` });
  await delivered(t3);
  const h3 = await until('the delivered state', async () => {
    const h = await api('GET', `/v1/tasks/${t3}/webhooks`);
    return h.body.state === 'delivered' ? h : null;
  });
  assert.equal(h3.body.webhookId, `msg_${t3}`);
  assert.equal(h3.body.event, 'completed');
  assert.equal(h3.body.attempts.length, 2);
  assert.equal(h3.body.attempts[0].statusCode, 500);
  assert.equal(h3.body.attempts[0].outcome, 'retry');
  assert.ok(h3.body.attempts[0].nextAttemptTime);
  assert.equal(h3.body.attempts[1].statusCode, 204);
  assert.equal(h3.body.attempts[1].outcome, 'delivered');
  console.log('ok: retried after a 500, attempts listed');

  // 4. Replay sends the same event again, with the same webhook-id.
  const r4 = await api('POST', `/v1/tasks/${t1}/webhooks/replay`);
  assert.equal(r4.status, 202, JSON.stringify(r4.body));
  await delivered(t1, 2);
  const again = deliveries.get(`msg_${t1}`)[1];
  assert.deepEqual(again.body, d1.body);
  assert.equal((await api('GET', '/v1/tasks/no-such-task/webhooks')).status, 404);
  assert.equal((await api('POST', `/v1/tasks/${t2}/webhooks/replay`)).status, 412);
  console.log('ok: replay');

  // 5. kie's callBackUrl: kie's callback shape and signature, and ours.
  const kie = await fetch(`${rest}/api/v1/jobs/createTask`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: 'z-image', input: { prompt: 'a kie lighthouse' }, callBackUrl: `${hookBase}/kie` }),
  });
  const kieBody = await kie.json();
  assert.equal(kieBody.code, 200, JSON.stringify(kieBody));
  const t5 = kieBody.data.taskId;
  await delivered(t5);
  const [d5] = deliveries.get(`msg_${t5}`);
  assert.equal(d5.body.code, 200);
  assert.equal(d5.body.data.taskId, t5);
  assert.equal(d5.body.data.state, 'success');
  assert.ok(JSON.parse(d5.body.data.resultJson).resultUrls.length >= 1);
  const ts = d5.headers['x-webhook-timestamp'];
  const kieSig = crypto.createHmac('sha256', process.env.SECRET)
    .update(`${t5}.${ts}`).digest('base64');
  assert.equal(d5.headers['x-webhook-signature'], kieSig);
  console.log('ok: kie callback');

  // 6. The legacy surface's webhook_url extension; its reply is the seed's.
  const legacy = await fetch(`${rest}/v1/index.php?endpoint=image_generation`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify({ prompt: 'a legacy lighthouse', steps: 4, width: 64, height: 64, webhook_url: `${hookBase}/ok` }),
  });
  const legacyBody = await legacy.json();
  assert.equal(legacyBody.data.message, 'Request queued. Webhook support coming soon.');
  await delivered(legacyBody.data.id);
  console.log('ok: legacy webhook_url');

  // 7. A crash while a delivery is in flight: it is delivered after the
  // restart, from the outbox, with the same webhook-id.
  const t7 = await submit({ webhookUrl: `${hookBase}/hang` });
  await until('the hanging attempt', () => hanging.length > 0);
  assert.equal(hanging[0].id, `msg_${t7}`);
  await crashServer();
  for (const h of hanging) h.res.destroy();
  hangRelease = true;
  await startServer();
  await delivered(t7);
  const h7 = await until('the delivered state after restart', async () => {
    const h = await api('GET', `/v1/tasks/${t7}/webhooks`);
    return h.body.state === 'delivered' ? h : null;
  });
  assert.ok(h7.body.attempts.length >= 1);
  console.log(`ok: delivered after a crash (${h7.body.attempts.length} recorded attempts)`);

  // Every delivery carried its own id once per attempt that got a 2xx.
  let total = 0;
  for (const [id, list] of deliveries) if (!id.startsWith('refused:')) total += list.length;
  console.log(`ok: ${total} verified deliveries`);
  await stopServer();
} finally {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  receiver.close();
  for (const h of hanging) h.res.destroy();
}
process.exit(0);
