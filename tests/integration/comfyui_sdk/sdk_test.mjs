// Drives the ComfyUI simulator with the public @saintno/comfyui-sdk client
// exactly as its README shows: ComfyApi + PromptBuilder + CallWrapper on the
// default text-to-image workflow, then downloads the image and checks it is
// a PNG of the requested size. Exits non-zero with a message on failure.
//
// Usage: SIM_URL=http://127.0.0.1:PORT node sdk_test.mjs
import { CallWrapper, ComfyApi, PromptBuilder } from "@saintno/comfyui-sdk";

const SIM_URL = process.env.SIM_URL;
const WIDTH = 320;
const HEIGHT = 192;
const BATCH = 2;
const STEPS = 6;

function fail(message) {
  console.error(`comfyui_sdk test FAILED: ${message}`);
  process.exit(1);
}

if (!SIM_URL) fail("SIM_URL is not set");
const overall = setTimeout(() => fail("timed out after 60 s"), 60_000);

const workflow = {
  3: {
    class_type: "KSampler",
    inputs: {
      seed: 0, steps: 20, cfg: 8, sampler_name: "euler", scheduler: "normal",
      denoise: 1, model: ["4", 0], positive: ["6", 0], negative: ["7", 0],
      latent_image: ["5", 0],
    },
  },
  4: { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: "x.safetensors" } },
  5: { class_type: "EmptyLatentImage", inputs: { width: 512, height: 512, batch_size: 1 } },
  6: { class_type: "CLIPTextEncode", inputs: { text: "", clip: ["4", 1] } },
  7: { class_type: "CLIPTextEncode", inputs: { text: "", clip: ["4", 1] } },
  8: { class_type: "VAEDecode", inputs: { samples: ["3", 0], vae: ["4", 2] } },
  9: { class_type: "SaveImage", inputs: { filename_prefix: "ComfyUI", images: ["8", 0] } },
};

function pngSize(bytes) {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 24 || !signature.every((b, i) => bytes[i] === b)) {
    return null;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.slice(12, 16)) !== "IHDR") return null;
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

async function main() {
  const api = new ComfyApi(SIM_URL).init(5, 500);
  await api.waitForReady();
  console.log(`connected to ${SIM_URL}, os=${api.osType}`);

  const prompt = new PromptBuilder(
    workflow,
    ["positive", "negative", "checkpoint", "seed", "batch", "step", "cfg",
     "sampler", "scheduler", "width", "height"],
    ["images"],
  )
    .setInputNode("checkpoint", "4.inputs.ckpt_name")
    .setInputNode("seed", "3.inputs.seed")
    .setInputNode("batch", "5.inputs.batch_size")
    .setInputNode("negative", "7.inputs.text")
    .setInputNode("positive", "6.inputs.text")
    .setInputNode("cfg", "3.inputs.cfg")
    .setInputNode("sampler", "3.inputs.sampler_name")
    .setInputNode("scheduler", "3.inputs.scheduler")
    .setInputNode("step", "3.inputs.steps")
    .setInputNode("width", "5.inputs.width")
    .setInputNode("height", "5.inputs.height")
    .setOutputNode("images", "9")
    .input("checkpoint", "SDXL/realvisxlV40.safetensors", api.osType)
    .input("seed", 1234)
    .input("step", STEPS)
    .input("cfg", 1)
    .input("sampler", "dpmpp_2m_sde_gpu")
    .input("scheduler", "sgm_uniform")
    .input("width", WIDTH)
    .input("height", HEIGHT)
    .input("batch", BATCH)
    .input("positive", "A picture of a cute dog on the street")
    .input("negative", "blurry");

  const progress = [];
  let failure = null;
  let promptId = null;
  const result = await new CallWrapper(api, prompt)
    .onPending((id) => { promptId = id; })
    .onProgress((info) => progress.push(info.value))
    .onFailed((err) => { failure = err; })
    .run();

  if (!result) fail(`job did not finish: ${failure?.message ?? "no result"}`);
  if (!promptId) fail("onPending never reported a prompt id");
  const images = result.images?.images ?? [];
  if (images.length !== BATCH) {
    fail(`expected ${BATCH} images, got ${JSON.stringify(result.images)}`);
  }
  if (progress.length === 0 || progress[progress.length - 1] !== STEPS) {
    fail(`expected progress up to ${STEPS}, got [${progress}]`);
  }
  if (!progress.every((v, i) => i === 0 || v > progress[i - 1])) {
    fail(`progress did not rise: [${progress}]`);
  }

  for (const image of images) {
    const blob = await api.getImage(image);
    const bytes = new Uint8Array(await blob.arrayBuffer());
    const size = pngSize(bytes);
    if (!size) fail(`${image.filename} is not a PNG (${bytes.length} bytes)`);
    if (size.width !== WIDTH || size.height !== HEIGHT) {
      fail(`${image.filename} is ${size.width}x${size.height}, ` +
           `expected ${WIDTH}x${HEIGHT}`);
    }
    console.log(`${api.getPathImage(image)}: PNG ${size.width}x${size.height}`);
  }

  const history = await api.getHistory(promptId);
  if (history?.status?.status_str !== "success") {
    fail(`history status is ${JSON.stringify(history?.status)}`);
  }
  console.log(`prompt ${promptId} ok, progress ${progress.join(",")}`);
  api.destroy();
  clearTimeout(overall);
}

main().then(
  () => process.exit(0),
  (err) => fail(err?.stack ?? String(err)),
);
