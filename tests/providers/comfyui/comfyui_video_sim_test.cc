// Image-to-video and batches through the ComfyUI provider against the
// in-process simulator: the input image is uploaded to the server that runs
// the prompt, the clip comes back as a real MP4, n images come from one run.
#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status_mapping.h"
#include "core/image_info.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "providers/comfyui/comfyui_provider.h"
#include "tests/providers/comfyui/comfyui_sim_fixture.h"
#include "tests/providers/comfyui/provider_test_util.h"
#include "tools/sim/png_render.h"
#include "tools/sim/video_render.h"

namespace mediagw::comfyui {
namespace {

using ::testing::HasSubstr;
using namespace ::mediagw::comfyui::testing;  // NOLINT: test helpers

// Wan image-to-video saved by VHS_VideoCombine (clips listed under "gifs").
constexpr char kVhsTemplate[] = R"({
  "workflow": {
    "1": {"class_type": "LoadImage", "inputs": {"image": "x.png"}},
    "2": {"class_type": "UNETLoader",
          "inputs": {"unet_name": "wan.safetensors", "weight_dtype": "default"}},
    "3": {"class_type": "CLIPLoader",
          "inputs": {"clip_name": "umt5.safetensors", "type": "wan"}},
    "4": {"class_type": "VAELoader", "inputs": {"vae_name": "wan_vae.safetensors"}},
    "5": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["3", 0]}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["3", 0]}},
    "7": {"class_type": "WanImageToVideo",
          "inputs": {"positive": ["5", 0], "negative": ["6", 0], "vae": ["4", 0],
                     "start_image": ["1", 0], "width": 832, "height": 480,
                     "length": 6, "batch_size": 1}},
    "8": {"class_type": "KSampler",
          "inputs": {"seed": 0, "steps": 20, "cfg": 6, "sampler_name": "uni_pc",
                     "scheduler": "simple", "denoise": 1, "model": ["2", 0],
                     "positive": ["7", 0], "negative": ["7", 1],
                     "latent_image": ["7", 2]}},
    "9": {"class_type": "VAEDecode", "inputs": {"samples": ["8", 0], "vae": ["4", 0]}},
    "10": {"class_type": "VHS_VideoCombine",
           "inputs": {"images": ["9", 0], "frame_rate": 6, "loop_count": 0,
                      "filename_prefix": "wan", "format": "video/h264-mp4"}}
  },
  "slots": {"prompt": [["5", "text"]], "negative": [["6", "text"]],
            "seed": [["8", "seed"]], "width": [["7", "width"]],
            "height": [["7", "height"]], "steps": [["8", "steps"]],
            "image": [["1", "image"]]}
})";

TaskRecord VideoRecord(const std::string& task_id, const std::string& workflow,
                       int width, int height) {
  TaskRecord r = MakeRecord(task_id, NewUuid(), workflow, 2);
  r.mutable_task()->set_kind(v1::TASK_KIND_VIDEO);
  r.mutable_request()->set_width(width);
  r.mutable_request()->set_height(height);
  r.mutable_request()->set_n(1);
  r.mutable_video()->set_prompt(r.request().prompt());
  r.mutable_video()->set_image("https://example.com/start.png");
  return r;
}

SubmitContext InputPng(const std::string& task_id) {
  SubmitContext ctx;
  auto png = sim::RenderPng(48, 32, 3, "start frame");
  EXPECT_TRUE(png.ok());
  ctx.input_image = png.ok() ? *png : "";
  ctx.input_mime_type = "image/png";
  ctx.input_name = absl::StrCat(task_id, "_input.png");
  return ctx;
}

class ComfyVideoSimTest : public ComfySimTest {
 protected:
  int64_t Requests(Sim& sim, const std::string& path) {
    return sim.server.faults().Stats().requests_by_path[path];
  }
  // Submits, polls to the end and downloads the single output.
  absl::StatusOr<std::string> RunToOutput(Provider& p, const TaskRecord& rec,
                                          const SubmitContext& ctx,
                                          std::string* mime_type) {
    auto submitted = SubmitSync(p, rec, ctx);
    if (!submitted.ok()) return submitted.status();
    TaskRecord stored = rec;
    stored.set_upstream_id(submitted->upstream_id);
    stored.set_provider_state(submitted->provider_state);
    auto r = PollUntil(p, stored,
                       {UpstreamState::kSucceeded, UpstreamState::kFailed});
    if (!r.ok()) return r.status();
    if (r->state != UpstreamState::kSucceeded) return r->error;
    if (r->outputs.size() != 1) {
      return absl::InternalError(
          absl::StrCat(r->outputs.size(), " outputs instead of 1"));
    }
    *mime_type = r->outputs[0].mime_type;
    return Fetch(r->outputs[0]);
  }
};

TEST_F(ComfyVideoSimTest, VideoTaskUploadsTheImageAndGetsARealMp4) {
  Sim sim(absl::Milliseconds(2));
  auto p = Make({sim.base});
  const TaskRecord rec = VideoRecord("vt-1", "video", 128, 96);
  const SubmitContext ctx = InputPng("vt-1");
  std::string mime;
  auto mp4 = RunToOutput(*p, rec, ctx, &mime);
  ASSERT_TRUE(mp4.ok()) << mp4.status();
  EXPECT_EQ(mime, "video/mp4");
  EXPECT_EQ(SniffMedia(*mp4).mime_type, "video/mp4");
  auto info = sim::ProbeMp4(*mp4);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->width, 128);
  EXPECT_EQ(info->height, 96);
  EXPECT_EQ(info->frames, 16);  // the template's 33, capped by the sim
  EXPECT_DOUBLE_EQ(info->fps, 16);

  // The sim got our image, byte for byte, under the task's stable name.
  EXPECT_EQ(Requests(sim, "/upload/image"), 1);
  EXPECT_EQ(GetComfyUiStats(*p).uploads, 1);
  OutputRef input;
  input.request.url = absl::StrCat(
      sim.base, "/view?filename=mediagw_vt-1.png&subfolder=mediagw&type=input");
  auto stored = Fetch(input);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(*stored, ctx.input_image);
}

TEST_F(ComfyVideoSimTest, VhsWorkflowListsTheClipUnderGifs) {
  Sim sim(absl::Milliseconds(2));
  auto p = Make({sim.base}, absl::Seconds(5), {{"vhs", kVhsTemplate}});
  std::string mime;
  auto mp4 = RunToOutput(*p, VideoRecord("vt-2", "vhs", 64, 48),
                         InputPng("vt-2"), &mime);
  ASSERT_TRUE(mp4.ok()) << mp4.status();
  EXPECT_EQ(mime, "video/mp4");
  auto info = sim::ProbeMp4(*mp4);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->width, 64);
  EXPECT_EQ(info->height, 48);
  EXPECT_EQ(info->frames, 6);
  EXPECT_DOUBLE_EQ(info->fps, 6);
}

TEST_F(ComfyVideoSimTest, UploadFailureIsRetryableAndQueuesNothing) {
  Sim sim(absl::Milliseconds(2));
  auto p = Make({sim.base});
  sim.Fault(sim::FaultMode::kHttp500, "/upload/image");
  auto r =
      SubmitSync(*p, VideoRecord("vt-3", "video", 64, 64), InputPng("vt-3"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_TRUE(IsRetryable(r.status()));
  EXPECT_EQ(Requests(sim, "/prompt"), 0);
  EXPECT_EQ(sim.Submitted(), 0);

  // A broken reply to the upload is just as retryable.
  sim.Fault(sim::FaultMode::kMalformedJson, "/upload/image");
  r = SubmitSync(*p, VideoRecord("vt-3", "video", 64, 64), InputPng("vt-3"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_EQ(sim.Submitted(), 0);

  // The fault is used up: the retry goes through.
  std::string mime;
  auto mp4 = RunToOutput(*p, VideoRecord("vt-3", "video", 64, 64),
                         InputPng("vt-3"), &mime);
  ASSERT_TRUE(mp4.ok()) << mp4.status();
  EXPECT_EQ(SniffMedia(*mp4).mime_type, "video/mp4");
}

TEST_F(ComfyVideoSimTest, MissingInputImageIsInvalidArgumentWithoutTraffic) {
  Sim sim(absl::Milliseconds(2));
  auto p = Make({sim.base});
  auto r = SubmitSync(*p, VideoRecord("vt-4", "video", 64, 64), {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("input image"));
  // A video task routed to a text-to-image template cannot use its image.
  r = SubmitSync(*p, VideoRecord("vt-4", "default", 64, 64), InputPng("vt-4"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Requests(sim, "/upload/image"), 0);
  EXPECT_EQ(Requests(sim, "/prompt"), 0);
}

TEST_F(ComfyVideoSimTest, ResumeUploadsAgainUnderTheSameName) {
  Sim sim(absl::Milliseconds(2));
  auto p = Make({sim.base});
  const SubmitContext ctx = InputPng("vt-5");
  TaskRecord first = VideoRecord("vt-5", "video", 64, 64);
  ASSERT_TRUE(SubmitSync(*p, first, ctx).ok());

  // A crash before the prompt id was stored: Resume finds nothing under
  // the new id, uploads again (overwriting) and queues the prompt.
  TaskRecord lost = VideoRecord("vt-5", "video", 64, 64);
  auto r = ResumeSync(*p, lost, ctx);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->upstream_id, lost.upstream_id());
  EXPECT_EQ(Requests(sim, "/upload/image"), 2);
  EXPECT_EQ(sim.Submitted(), 2);
  OutputRef copy;
  copy.request.url = absl::StrCat(
      sim.base,
      "/view?filename=mediagw_vt-5%20(1).png&subfolder=mediagw&type=input");
  EXPECT_FALSE(Fetch(copy).ok()) << "a second copy was stored";

  // Resuming a job the server already holds needs no upload.
  lost.set_upstream_id(r->upstream_id);
  lost.set_provider_state(r->provider_state);
  ASSERT_TRUE(ResumeSync(*p, lost, ctx).ok());
  EXPECT_EQ(Requests(sim, "/upload/image"), 2);
  auto done =
      PollUntil(*p, lost, {UpstreamState::kSucceeded, UpstreamState::kFailed});
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->state, UpstreamState::kSucceeded) << done->error;
}

TEST_F(ComfySimTest, ImageTaskWithNGivesNImagesFromOneRun) {
  Sim sim(absl::Milliseconds(2));
  auto p = Make({sim.base});
  TaskRecord rec = MakeRecord("t-n", NewUuid(), "default", 2);
  rec.mutable_request()->set_n(3);
  rec = SubmitOk(*p, rec);
  auto r =
      PollUntil(*p, rec, {UpstreamState::kSucceeded, UpstreamState::kFailed});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->state, UpstreamState::kSucceeded) << r->error;
  ASSERT_EQ(r->outputs.size(), 3u);
  std::set<std::string> distinct;
  for (const OutputRef& ref : r->outputs) {
    EXPECT_EQ(ref.mime_type, "image/png");
    auto bytes = Fetch(ref);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    MediaInfo info = SniffMedia(*bytes);
    EXPECT_EQ(info.mime_type, "image/png");
    EXPECT_EQ(info.width, 64);
    distinct.insert(*bytes);
  }
  EXPECT_EQ(distinct.size(), 3u) << "the batch's images should differ";
  EXPECT_EQ(sim.Submitted(), 1);
}

}  // namespace
}  // namespace mediagw::comfyui
