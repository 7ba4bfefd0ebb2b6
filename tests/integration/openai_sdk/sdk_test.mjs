// Drives mediagw's OpenAI-compatible images surface with the official
// openai npm client, as a caller written for OpenAI would: models.list,
// images.generate with url and b64_json and n=2, the task id and request id
// on the reply, Idempotency-Key, Prefer: respond-async, and the SDK's own
// error classes for bad input, an unknown model and a wrong key. A task
// that fails upstream must not be generated twice: the SDK retries a 5xx by
// itself unless the answer says x-should-retry: false. An account without
// credits gets RateLimitError with code insufficient_quota, as OpenAI
// answers an exhausted quota, and nothing reaches the upstream.
// Exits non-zero with a message on failure.
//
// Usage: MEDIAGW_URL=... MEDIAGW_KEY=... MEDIAGW_BROKE_KEY=... SIM_URL=...
//   node sdk_test.mjs
import OpenAI from "openai";

const { MEDIAGW_URL, MEDIAGW_KEY, MEDIAGW_BROKE_KEY, SIM_URL } = process.env;

function fail(message) {
  console.error(`openai_sdk test FAILED: ${message}`);
  process.exit(1);
}
function check(cond, what) {
  if (!cond) fail(what);
  console.log(`ok   ${what}`);
}

if (!MEDIAGW_URL || !MEDIAGW_KEY || !MEDIAGW_BROKE_KEY || !SIM_URL) {
  fail("environment not set");
}
setTimeout(() => fail("timed out after 200 s"), 200_000).unref();

const client = new OpenAI({
  apiKey: MEDIAGW_KEY,
  baseURL: `${MEDIAGW_URL}/v1`,
  timeout: 60_000,
});

function isImage(bytes) {
  const png = [0x89, 0x50, 0x4e, 0x47];
  const jpeg = [0xff, 0xd8, 0xff];
  return png.every((b, i) => bytes[i] === b) ||
         jpeg.every((b, i) => bytes[i] === b);
}

async function expectError(promise, cls, what) {
  try {
    await promise;
  } catch (err) {
    check(err instanceof cls,
          `${what}: ${cls.name} (got ${err?.constructor?.name} ${err?.status} ${err?.message})`);
    return err;
  }
  fail(`${what}: no error`);
  return null;
}

async function main() {
  const models = [];
  for await (const m of client.models.list()) models.push(m.id);
  for (const id of ["grok-imagine-image", "grok-imagine-image-pro", "grok-3-image"]) {
    check(models.includes(id), `models.list names ${id} (${models})`);
  }

  // url, n=2; the reply carries the task id and the request id.
  const { data: urls, response } = await client.images
    .generate({ model: "grok-imagine-image", prompt: "sdk: a cat in a tree",
                n: 2, response_format: "url" })
    .withResponse();
  check(urls.data.length === 2, `n=2 gives two images (${JSON.stringify(urls)})`);
  check(typeof urls.created === "number", "created is a number");
  check(response.headers.get("x-mediagw-task-id"), "x-mediagw-task-id is set");
  check(response.headers.get("x-request-id"), "x-request-id is set");
  check(response.headers.get("x-should-retry") === "false",
        "x-should-retry: false once stored");
  for (const d of urls.data) {
    const r = await fetch(d.url);
    const bytes = new Uint8Array(await r.arrayBuffer());
    check(r.ok && isImage(bytes), `${d.url} serves an image`);
  }

  // b64_json.
  const b64 = await client.images.generate({
    model: "grok-imagine-image-pro", prompt: "sdk: a cat, base64",
    response_format: "b64_json" });
  check(b64.data.length === 1 && b64.data[0].b64_json,
        "b64_json gives the image inline");
  check(isImage(Buffer.from(b64.data[0].b64_json, "base64")),
        "b64_json decodes to an image");

  // seed 003's model, its dialect's size.
  const g3 = await client.images.generate({
    model: "grok-3-image", prompt: "sdk: a dog", size: "960x960" });
  check(g3.data.length === 1 && g3.data[0].url, "grok-3-image answers a url");

  // Idempotency-Key: the same task twice.
  const opts = { headers: { "Idempotency-Key": `sdk-${Date.now()}` } };
  const first = await client.images
    .generate({ model: "sdxl", prompt: "sdk: idempotent" }, opts).withResponse();
  const again = await client.images
    .generate({ model: "sdxl", prompt: "sdk: idempotent" }, opts).withResponse();
  check(first.response.headers.get("x-mediagw-task-id") ===
        again.response.headers.get("x-mediagw-task-id"),
        "a repeated Idempotency-Key answers the same task");
  check(JSON.stringify(first.data.data) === JSON.stringify(again.data.data),
        "... with the same images");

  // Errors, as the SDK's own classes.
  const bad = await expectError(
    client.images.generate({ model: "sdxl", prompt: "x", n: 11 }),
    OpenAI.BadRequestError, "n=11");
  check(bad.param === "n", `the error names n (${bad.param})`);
  const unknown = await expectError(
    client.images.generate({ model: "dall-e-9", prompt: "x" }),
    OpenAI.NotFoundError, "unknown model");
  check(unknown.param === "model", "the error names model");
  await expectError(
    client.images.generate({ model: "sdxl", prompt: "x", size: "99999x1" }),
    OpenAI.BadRequestError, "size out of range");
  const wrong = new OpenAI({ apiKey: "sk-wrong", baseURL: `${MEDIAGW_URL}/v1` });
  await expectError(
    wrong.images.generate({ model: "sdxl", prompt: "x" }),
    OpenAI.AuthenticationError, "wrong key");

  // A job that fails upstream: a 5xx the SDK would retry on its own, but
  // x-should-retry: false stops it, so the upstream saw one job.
  const faults = await fetch(`${SIM_URL}/_sim/faults`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ mode: "error_status", count: 1 }) });
  check(faults.ok, "fault armed");
  const prompt = `sdk: fails upstream ${Date.now()}`;
  const failed = await expectError(
    client.images.generate({ model: "sdxl", prompt }),
    OpenAI.InternalServerError, "a failed task");
  const submits = await (await fetch(`${SIM_URL}/_sim/submits`)).json();
  check(submits[`comfyui:${prompt}`] === 1,
        `the upstream saw the failed job once (${JSON.stringify(submits[`comfyui:${prompt}`])}, ${failed.message})`);
  // An account without credits: 429 insufficient_quota, which the SDK
  // raises as RateLimitError and, told x-should-retry: false, sends once.
  const broke = new OpenAI({
    apiKey: MEDIAGW_BROKE_KEY, baseURL: `${MEDIAGW_URL}/v1`, timeout: 60_000 });
  const brokePrompt = `sdk: no credits ${Date.now()}`;
  const quota = await expectError(
    broke.images.generate({ model: "sdxl", prompt: brokePrompt }),
    OpenAI.RateLimitError, "an account without credits");
  check(quota.status === 429 && quota.code === "insufficient_quota",
        `its code is insufficient_quota (${quota.status} ${quota.code})`);
  check(quota.type === "insufficient_quota" &&
        /Insufficient balance/.test(quota.message),
        `its type and message say so (${quota.type}: ${quota.message})`);
  const brokeSubmits = await (await fetch(`${SIM_URL}/_sim/submits`)).json();
  check(brokeSubmits[`comfyui:${brokePrompt}`] === undefined,
        "nothing reached the upstream for it");

  // Prefer: respond-async: 202 with the task id and its status URL. Last,
  // so that the task it leaves running cannot take the fault above.
  const accepted = await client.images
    .generate({ model: "sdxl", prompt: "sdk: async" },
              { headers: { Prefer: "respond-async" } })
    .withResponse();
  check(accepted.response.status === 202, "respond-async answers 202");
  check(accepted.data.id && accepted.data.status_url === `/v1/tasks/${accepted.data.id}`,
        `202 carries the task id and its status URL (${JSON.stringify(accepted.data)})`);

  console.log("openai_sdk test passed");
}

main().catch((err) => fail(err?.stack || String(err)));
