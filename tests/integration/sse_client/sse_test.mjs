// The eventsource npm client on mediagw's native event stream
// (GET /v1/tasks/{id}/events), through a small TCP proxy that cuts the
// connection after the first event. The client must reconnect with
// Last-Event-ID, get only newer events, see the terminal state, and stop
// after the server's 204. Env: REST_URL (mediagw), API_KEY.
import net from 'node:net';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';

const rest = process.env.REST_URL;
const key = process.env.API_KEY;
const upstream = new URL(rest);

// Every proxied connection: what the client sent, what the server answered.
const conns = [];
const proxy = net.createServer((client) => {
  const server = net.connect(Number(upstream.port), upstream.hostname);
  const c = { client, server, request: '', response: '' };
  conns.push(c);
  client.on('data', (d) => { c.request += d.toString('latin1'); server.write(d); });
  server.on('data', (d) => { c.response += d.toString('latin1'); client.write(d); });
  const end = () => { client.destroy(); server.destroy(); };
  client.on('close', end);
  server.on('close', end);
  client.on('error', end);
  server.on('error', end);
});
await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
const proxyUrl = `http://127.0.0.1:${proxy.address().port}`;

// A task long enough to cut its stream in the middle.
const submit = await fetch(`${rest}/v1/tasks`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-api-key': key },
  body: JSON.stringify({ image: { prompt: 'a slow lighthouse', steps: 50, width: 256, height: 256 } }),
});
assert.equal(submit.status, 200, await submit.clone().text());
const task = await submit.json();
console.log(`task ${task.id}`);

const events = [];
let cut = false;
const finished = new Promise((resolve, reject) => {
  const es = new EventSource(`${proxyUrl}/v1/tasks/${task.id}/events`, {
    fetch: (input, init) =>
      fetch(input, { ...init, headers: { ...init.headers, 'x-api-key': key } }),
  });
  const timer = setTimeout(() => { es.close(); reject(new Error('timed out')); }, 90000);
  es.onmessage = (e) => {
    const t = JSON.parse(e.data);
    events.push({ id: e.lastEventId, state: t.state, progress: t.progress, version: t.version });
    console.log(`event id=${e.lastEventId} ${t.state} ${t.progress}`);
    if (!cut) {
      // Drop the connection under the client, as a flaky network would.
      cut = true;
      for (const c of conns) { c.client.destroy(); c.server.destroy(); }
    }
  };
  es.onerror = (e) => {
    console.log(`error event (${e.code ?? ''} ${e.message ?? ''}), readyState ${es.readyState}`);
    if (es.readyState === EventSource.CLOSED) { clearTimeout(timer); resolve(); }
  };
});
await finished;
proxy.close();

// Every event once, in version order, the id being the version.
assert.ok(events.length >= 2, `events: ${JSON.stringify(events)}`);
for (let i = 0; i < events.length; i++) {
  assert.equal(events[i].id, String(events[i].version));
  if (i > 0) {
    assert.ok(Number(events[i].id) > Number(events[i - 1].id), `ids rise: ${JSON.stringify(events)}`);
    assert.ok(events[i].progress >= events[i - 1].progress);
  }
}
assert.equal(events.at(-1).state, 'TASK_STATE_SUCCEEDED');

// Every request for the stream, in order (a reconnect may reuse a
// keep-alive connection).
const heads = conns.flatMap((c) =>
  c.request.split(/(?=GET \/v1\/tasks\/)/).filter((r) => r.includes('/events')));
const responses = conns.map((c) => c.response).join('');
assert.ok(heads.length >= 3, `requests: ${heads.length}`);
// The first had no Last-Event-ID; the one after the cut resumed from the
// first event.
assert.ok(!/last-event-id/i.test(heads[0]));
const resumed = heads[1].match(/last-event-id: *(\d+)/i);
assert.ok(resumed, `second request: ${heads[1]}`);
assert.equal(resumed[1], events[0].id);
// Heartbeat comments kept the resumed stream alive while the task ran.
assert.ok(responses.includes(': keepalive'), 'a heartbeat');
// After the terminal event the reconnect got 204 and the client stopped.
assert.match(heads.at(-1), new RegExp(`last-event-id: *${events.at(-1).id}`, 'i'));
assert.match(conns.at(-1).response, /HTTP\/1\.1 204/);
console.log(`ok: ${events.length} events over ${heads.length} requests`);
