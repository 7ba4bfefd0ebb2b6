#include "providers/comfyui/comfyui_codec.h"

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw::comfyui {
namespace {

using ::testing::HasSubstr;

std::string ReadWorkflowFile(const std::string& name) {
  std::ifstream in(absl::StrCat(MEDIAGW_SOURCE_DIR, "/config/workflows/", name,
                                ".json"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Reads workflow[node].inputs[input] of a rendered graph as compact JSON.
std::string InputOf(const std::string& rendered, const std::string& node,
                    const std::string& input) {
  auto doc = json::ParseObject(rendered);
  EXPECT_TRUE(doc.ok()) << doc.status();
  if (!doc.ok()) return "";
  const rapidjson::Value* n = json::Find(*doc, node);
  if (n == nullptr) return "<no node>";
  const rapidjson::Value* inputs = json::Find(*n, "inputs");
  if (inputs == nullptr) return "<no inputs>";
  const rapidjson::Value* v = json::Find(*inputs, input);
  if (v == nullptr) return "<no input>";
  return json::Serialize(*v);
}

constexpr char kMiniTemplate[] = R"({
  "workflow": {
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "base.safetensors"}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "ugly", "clip": ["4", 1]}}
  },
  "slots": {"prompt": [["6", "text"]], "negative": [["7", "text"]],
            "model": [["4", "ckpt_name"]]}
})";

TEST(WorkflowTemplateTest, ShippedTemplatesParse) {
  for (const char* name : {"default", "anime", "z-image", "video"}) {
    std::string text = ReadWorkflowFile(name);
    ASSERT_FALSE(text.empty()) << name;
    auto t = WorkflowTemplate::Parse(name, text);
    ASSERT_TRUE(t.ok()) << name << ": " << t.status();
    for (const char* slot :
         {"prompt", "negative", "seed", "width", "height", "steps", "cfg"}) {
      EXPECT_TRUE(t->HasSlot(slot)) << name << " " << slot;
    }
    EXPECT_EQ(t->HasSlot("ckpt"), std::string(name) != "z-image") << name;
    const bool video = std::string(name) == "video";
    EXPECT_EQ(t->HasSlot("image"), video) << name;
    EXPECT_EQ(t->HasSlot("batch"), !video) << name;
  }
}

TEST(WorkflowTemplateTest, BatchSlotTakesN) {
  auto t = WorkflowTemplate::Parse("default", ReadWorkflowFile("default"));
  ASSERT_TRUE(t.ok()) << t.status();
  v1::SubmitImageRequest req;
  req.set_prompt("p");
  auto out = RenderWorkflow(*t, req);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(InputOf(*out, "5", "batch_size"), "1");  // the template's value
  req.set_n(4);
  out = RenderWorkflow(*t, req);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(InputOf(*out, "5", "batch_size"), "4");
}

TEST(WorkflowTemplateTest, NAboveOneNeedsABatchSlot) {
  auto t = WorkflowTemplate::Parse("mini", kMiniTemplate);
  ASSERT_TRUE(t.ok()) << t.status();
  v1::SubmitImageRequest req;
  req.set_prompt("p");
  req.set_n(1);
  EXPECT_TRUE(RenderWorkflow(*t, req).ok());
  req.set_n(2);
  auto out = RenderWorkflow(*t, req);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("n must be 1"));
}

TEST(WorkflowTemplateTest, VideoTemplateTakesTheUploadedImage) {
  auto t = WorkflowTemplate::Parse("video", ReadWorkflowFile("video"));
  ASSERT_TRUE(t.ok()) << t.status();
  v1::SubmitImageRequest req;
  req.set_prompt("the waves roll in");
  req.set_width(640);
  req.set_height(384);
  req.set_seed(9);
  req.set_n(1);
  auto out = RenderWorkflow(*t, req, "mediagw/mediagw_t1.png");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(InputOf(*out, "52", "image"), R"("mediagw/mediagw_t1.png")");
  EXPECT_EQ(InputOf(*out, "50", "width"), "640");
  EXPECT_EQ(InputOf(*out, "50", "height"), "384");
  EXPECT_EQ(InputOf(*out, "6", "text"), R"("the waves roll in")");
  EXPECT_EQ(InputOf(*out, "3", "seed"), "9");
  // Without the image it cannot run; an image template needs no image.
  EXPECT_EQ(RenderWorkflow(*t, req).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto image = WorkflowTemplate::Parse("default", ReadWorkflowFile("default"));
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(RenderWorkflow(*image, req, "x.png").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(WorkflowTemplateTest, RenderPlacesEveryValue) {
  auto t = WorkflowTemplate::Parse("default", ReadWorkflowFile("default"));
  ASSERT_TRUE(t.ok()) << t.status();
  v1::SubmitImageRequest req;
  req.set_prompt("a \"red\" fox\nin snow");
  req.set_negative_prompt("blur");
  req.set_width(768);
  req.set_height(640);
  req.set_steps(12);
  req.set_seed(4294967295LL);
  req.set_cfg(4.5);
  req.set_model("other.safetensors");
  auto out = RenderWorkflow(*t, req);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(InputOf(*out, "6", "text"), R"("a \"red\" fox\nin snow")");
  EXPECT_EQ(InputOf(*out, "7", "text"), R"("blur")");
  EXPECT_EQ(InputOf(*out, "5", "width"), "768");
  EXPECT_EQ(InputOf(*out, "5", "height"), "640");
  EXPECT_EQ(InputOf(*out, "3", "steps"), "12");
  EXPECT_EQ(InputOf(*out, "3", "seed"), "4294967295");
  EXPECT_EQ(InputOf(*out, "3", "cfg"), "4.5");
  EXPECT_EQ(InputOf(*out, "4", "ckpt_name"), R"("other.safetensors")");
  // Untouched inputs and links survive.
  EXPECT_EQ(InputOf(*out, "3", "sampler_name"), R"("euler")");
  EXPECT_EQ(InputOf(*out, "3", "model"), R"(["4",0])");
}

TEST(WorkflowTemplateTest, EmptyModelAndNegativeKeepTemplateValues) {
  auto t = WorkflowTemplate::Parse("anime", ReadWorkflowFile("anime"));
  ASSERT_TRUE(t.ok()) << t.status();
  v1::SubmitImageRequest req;
  req.set_prompt("cat girl");
  auto out = RenderWorkflow(*t, req);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(InputOf(*out, "4", "ckpt_name"), R"("anything-v5-PrtRE.safetensors")");
  EXPECT_THAT(InputOf(*out, "7", "text"), HasSubstr("lowres"));
  EXPECT_EQ(InputOf(*out, "3", "steps"), "28");
  EXPECT_EQ(InputOf(*out, "6", "text"), R"("cat girl")");
}

TEST(WorkflowTemplateTest, ModelIgnoredWithoutCkptSlot) {
  auto t = WorkflowTemplate::Parse("z-image", ReadWorkflowFile("z-image"));
  ASSERT_TRUE(t.ok()) << t.status();
  v1::SubmitImageRequest req;
  req.set_prompt("x");
  req.set_model("sneaky.safetensors");
  auto out = RenderWorkflow(*t, req);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(InputOf(*out, "4", "ckpt_name"), R"("z_image_turbo_bf16.safetensors")");
  EXPECT_EQ(InputOf(*out, "3", "cfg"), "1.0");
}

TEST(WorkflowTemplateTest, ModelAliasSlot) {
  auto t = WorkflowTemplate::Parse("mini", kMiniTemplate);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->HasSlot("ckpt"));
  v1::SubmitImageRequest req;
  req.set_prompt("p");
  req.set_model("m.safetensors");
  auto out = RenderWorkflow(*t, req);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(InputOf(*out, "4", "ckpt_name"), R"("m.safetensors")");
}

TEST(WorkflowTemplateTest, NegativeSeedRejected) {
  auto t = WorkflowTemplate::Parse("default", ReadWorkflowFile("default"));
  ASSERT_TRUE(t.ok());
  v1::SubmitImageRequest req;
  req.set_prompt("p");
  req.set_seed(-1);
  EXPECT_EQ(RenderWorkflow(*t, req).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(WorkflowTemplateTest, BadTemplatesAreInvalidArgument) {
  const std::pair<const char*, const char*> cases[] = {
      {"not json", "{\"workflow\": "},
      {"array root", "[1,2]"},
      {"no workflow", R"({"slots": {"prompt": [["6","text"]]}})"},
      {"workflow not object", R"({"workflow": [], "slots": {}})"},
      {"node not object",
       R"({"workflow": {"6": 3}, "slots": {"prompt": [["6","text"]]}})"},
      {"missing node",
       R"({"workflow": {"6": {"class_type":"CLIPTextEncode","inputs":{"text":""}}},
           "slots": {"prompt": [["9","text"]]}})"},
      {"missing input",
       R"({"workflow": {"6": {"class_type":"CLIPTextEncode","inputs":{"text":""}}},
           "slots": {"prompt": [["6","txt"]]}})"},
      {"no prompt slot",
       R"({"workflow": {"6": {"class_type":"CLIPTextEncode","inputs":{"text":""}}},
           "slots": {"negative": [["6","text"]]}})"},
      {"unknown slot",
       R"({"workflow": {"6": {"class_type":"CLIPTextEncode","inputs":{"text":""}}},
           "slots": {"prompt": [["6","text"]], "promt": [["6","text"]]}})"},
      {"target not pair",
       R"({"workflow": {"6": {"class_type":"CLIPTextEncode","inputs":{"text":""}}},
           "slots": {"prompt": [["6"]]}})"},
      {"target wrong types",
       R"({"workflow": {"6": {"class_type":"CLIPTextEncode","inputs":{"text":""}}},
           "slots": {"prompt": [[6, "text"]]}})"},
      {"slots not object",
       R"({"workflow": {"6": {"class_type":"CLIPTextEncode","inputs":{"text":""}}},
           "slots": []})"},
  };
  for (const auto& [label, text] : cases) {
    auto t = WorkflowTemplate::Parse("bad", text);
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << label;
    EXPECT_THAT(std::string(t.status().message()), HasSubstr("'bad'")) << label;
  }
}

TEST(RawWorkflowTest, ObjectPassesThroughUnchanged) {
  const std::string raw = R"({"1": {"class_type": "X", "inputs": {}}  })";
  auto out = ValidateRawWorkflow(raw);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, raw);
  std::string body = BuildPromptBody(*out, "cid", "pid-1");
  EXPECT_EQ(body, absl::StrCat("{\"prompt\":", raw,
                               ",\"client_id\":\"cid\",\"prompt_id\":\"pid-1\"}"));
  EXPECT_TRUE(json::ParseObject(body).ok());
}

TEST(RawWorkflowTest, NonObjectsRejected) {
  for (const char* bad : {"[]", "\"x\"", "12", "{", "", "{\"a\":1} trailing"}) {
    EXPECT_EQ(ValidateRawWorkflow(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(PromptResponseTest, Accepted) {
  auto id = ParsePromptResponse(
      200, R"({"prompt_id": "abc", "number": 3, "node_errors": {}})");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "abc");
}

TEST(PromptResponseTest, ValidationErrorShape) {
  const char* body = R"({
    "error": {"type": "prompt_outputs_failed_validation",
              "message": "Prompt outputs failed validation", "details": "",
              "extra_info": {}},
    "node_errors": {"4": {"errors": [{"type": "value_not_in_list",
        "message": "Value not in list",
        "details": "ckpt_name: 'nope.safetensors' not in []",
        "extra_info": {}}], "dependent_outputs": ["9"],
        "class_type": "CheckpointLoaderSimple"}}})";
  auto st = ParsePromptResponse(400, body).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()),
              HasSubstr("Prompt outputs failed validation"));
  EXPECT_THAT(std::string(st.message()),
              HasSubstr("node 4 (CheckpointLoaderSimple): Value not in list: "
                        "ckpt_name: 'nope.safetensors' not in []"));
}

TEST(PromptResponseTest, ErrorWithListNodeErrors) {
  auto st = ParsePromptResponse(
                400, R"({"error": {"type": "no_prompt", "message": "No prompt provided",
                         "details": "", "extra_info": {}}, "node_errors": []})")
                .status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()), HasSubstr("No prompt provided"));
}

TEST(PromptResponseTest, OtherStatusesAreMapped) {
  EXPECT_EQ(ParsePromptResponse(500, "boom").status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(ParsePromptResponse(503, "").status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(ParsePromptResponse(401, "").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ParsePromptResponse(400, "not json").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PromptResponseTest, MalformedSuccessIsUnavailable) {
  for (const char* bad : {"", "{", "[]", R"({"number": 1})",
                          R"({"prompt_id": 5})", R"({"prompt_id": ""})",
                          R"({"prompt_id": null})"}) {
    auto st = ParsePromptResponse(200, bad).status();
    EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << bad;
    EXPECT_THAT(std::string(st.message()),
                HasSubstr("malformed upstream response"));
  }
}

constexpr char kHistorySuccess[] = R"({"p1": {
  "prompt": [3, "p1", {}, {}, ["9"]],
  "outputs": {
    "9": {"images": [{"filename": "mediagw_00001_.png", "subfolder": "",
                      "type": "output"}]},
    "12": {"images": [{"filename": "preview_1.png", "subfolder": "",
                       "type": "temp"}]}
  },
  "status": {"status_str": "success", "completed": true, "messages": [
    ["execution_start", {"prompt_id": "p1", "timestamp": 1}],
    ["execution_success", {"prompt_id": "p1", "timestamp": 2}]]},
  "meta": {}}})";

TEST(HistoryTest, EmptyAndOtherIdsAreAbsent) {
  auto h = ParseHistory("{}", "p1");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->status, HistoryEntry::Status::kAbsent);
  h = ParseHistory(kHistorySuccess, "p2");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->status, HistoryEntry::Status::kAbsent);
}

TEST(HistoryTest, SuccessWithImagesPrefersSavedOutputs) {
  auto h = ParseHistory(kHistorySuccess, "p1");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->status, HistoryEntry::Status::kSucceeded);
  ASSERT_EQ(h->outputs.size(), 1u);
  EXPECT_EQ(h->outputs[0].node, "9");
  EXPECT_EQ(h->outputs[0].filename, "mediagw_00001_.png");
  EXPECT_EQ(h->outputs[0].type, "output");
}

TEST(HistoryTest, PreviewOnlyGraphKeepsTempFiles) {
  auto h = ParseHistory(R"({"p": {"outputs": {"2": {"images": [
      {"filename": "a.png", "type": "temp"}]}},
      "status": {"status_str": "success", "completed": true, "messages": []}}})",
                        "p");
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_EQ(h->outputs.size(), 1u);
  EXPECT_EQ(h->outputs[0].type, "temp");
  EXPECT_EQ(h->outputs[0].subfolder, "");
}

TEST(HistoryTest, SuccessWithGifsAndVideos) {
  auto h = ParseHistory(R"({"v": {"outputs": {
      "20": {"gifs": [{"filename": "clip_00001.mp4", "subfolder": "video",
                       "type": "output", "format": "video/h264-mp4",
                       "frame_rate": 16}]},
      "21": {"videos": [{"filename": "b.webm", "subfolder": "", "type": "output"}],
             "animated": [true]}},
      "status": {"status_str": "success", "completed": true, "messages": []}}})",
                        "v");
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_EQ(h->outputs.size(), 2u);
  EXPECT_EQ(h->outputs[0].filename, "clip_00001.mp4");
  EXPECT_EQ(h->outputs[0].subfolder, "video");
  EXPECT_EQ(h->outputs[1].filename, "b.webm");
  EXPECT_EQ(MimeTypeForFilename(h->outputs[0].filename), "video/mp4");
  EXPECT_EQ(MimeTypeForFilename(h->outputs[1].filename), "video/webm");
  EXPECT_EQ(h->outputs[0].format, "video/h264-mp4");
  EXPECT_EQ(h->outputs[1].format, "");
  EXPECT_EQ(MimeTypeForOutput(h->outputs[0]), "video/mp4");
}

TEST(HistoryTest, CoreSaveVideoListsTheClipUnderImages) {
  auto h = ParseHistory(R"({"s": {"outputs": {
      "58": {"images": [{"filename": "video_00001_.mp4",
                         "subfolder": "mediagw", "type": "output"}],
             "animated": [true]}},
      "status": {"status_str": "success", "completed": true, "messages": []}}})",
                        "s");
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_EQ(h->outputs.size(), 1u);
  EXPECT_EQ(h->outputs[0].node, "58");
  EXPECT_EQ(MimeTypeForOutput(h->outputs[0]), "video/mp4");
  EXPECT_EQ(ViewUrl("http://h", h->outputs[0]),
            "http://h/view?filename=video_00001_.mp4&subfolder=mediagw"
            "&type=output");
}

TEST(HistoryTest, MimeTypeFromFormatWhenTheNameSaysNothing) {
  OutputFile f;
  f.filename = "clip_00001";
  EXPECT_EQ(MimeTypeForOutput(f), "application/octet-stream");
  const std::pair<const char*, const char*> cases[] = {
      {"video/h264-mp4", "video/mp4"},
      {"video/h265-mp4", "video/mp4"},
      {"video/webm", "video/webm"},
      {"video/av1-webm", "video/webm"},
      {"video/ffv1-mkv", "video/x-matroska"},
      {"video/ProRes", "video/quicktime"},
      {"image/gif", "image/gif"},
      {"image/webp", "image/webp"},
      {"video/unknown", "application/octet-stream"},
      {"text/plain", "application/octet-stream"},
  };
  for (const auto& [format, mime] : cases) {
    f.format = format;
    EXPECT_EQ(MimeTypeForOutput(f), mime) << format;
  }
  // A known extension wins over the format.
  f.filename = "a.webm";
  f.format = "video/h264-mp4";
  EXPECT_EQ(MimeTypeForOutput(f), "video/webm");
}

TEST(HistoryTest, ErrorCarriesExceptionMessage) {
  auto h = ParseHistory(R"({"e": {"outputs": {}, "status": {"status_str": "error",
      "completed": false, "messages": [
        ["execution_start", {"prompt_id": "e"}],
        ["execution_error", {"prompt_id": "e", "node_id": "3",
          "node_type": "KSampler", "exception_message": "CUDA out of memory\n",
          "exception_type": "torch.OutOfMemoryError", "traceback": []}]]}}})",
                        "e");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->status, HistoryEntry::Status::kFailed);
  EXPECT_EQ(h->error_message, "node 3 (KSampler): CUDA out of memory");
  EXPECT_FALSE(h->interrupted);
}

TEST(HistoryTest, InterruptedRun) {
  auto h = ParseHistory(R"({"i": {"outputs": {}, "status": {"status_str": "error",
      "completed": false, "messages": [["execution_interrupted",
        {"prompt_id": "i", "node_id": "3"}]]}}})",
                        "i");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->status, HistoryEntry::Status::kFailed);
  EXPECT_EQ(h->error_message, "interrupted");
  EXPECT_TRUE(h->interrupted);
}

TEST(HistoryTest, ErrorWithoutMessages) {
  auto h = ParseHistory(R"({"e": {"status": {"status_str": "error"}}})", "e");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->status, HistoryEntry::Status::kFailed);
  EXPECT_FALSE(h->error_message.empty());
}

TEST(HistoryTest, UnfinishedStatusIsRunning) {
  auto h = ParseHistory(R"({"r": {"status": {"status_str": null,
      "completed": false, "messages": []}}})",
                        "r");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->status, HistoryEntry::Status::kRunning);
}

TEST(HistoryTest, MalformedBodiesAreErrorsNotCrashes) {
  const char* cases[] = {
      "",
      "not json",
      "[]",
      R"({"p": []})",
      R"({"p": {"status": 5}})",
      R"({"p": {"status": {"status_str": 7}}})",
      R"({"p": {"status": {"status_str": "success"}, "outputs": []}})",
      R"({"p": {"status": {"status_str": "success"}, "outputs": {"9": 1}}})",
      R"({"p": {"status": {"status_str": "success"}, "outputs": {"9": {"images": {}}}}})",
      R"({"p": {"status": {"status_str": "success"}, "outputs": {"9": {"images": [3]}}}})",
      R"({"p": {"status": {"status_str": "success"}, "outputs": {"9": {"images": [{"filename": 3}]}}}})",
      R"({"p": {"status": {"status_str": "success"}, "outputs": {"9": {"gifs": [{"subfolder": ""}]}}}})",
      R"({"p": {"status": {"status_str": "success"}, "outputs": {"9": {"videos": [{"filename": "a", "type": []}]}}}})",
      R"({"p": {"status": {"status_str": "success"}, "outputs": {"9": {"gifs": [{"filename": "a.mp4", "format": 5}]}}}})",
      R"({"p": {"status": {"status_str": "success"}, "outputs": {"9": {"videos": {"filename": "a.mp4"}}}}})",
      R"({"p": {"status": {"status_str": "success"}, "outputs": {"9": {"gifs": [{"filename": ""}]}}}})",
      R"({"p": {"status": {"status_str": "error", "messages": {}}}})",
      R"({"p": {"status": {"status_str": "error", "messages": [5]}}})",
      R"({"p": {"status": {"status_str": "error", "messages": [["execution_error", 3]]}}})",
      R"({"p": {"status": {"status_str": "error", "messages": [["execution_error", {"exception_message": 1}]]}}})",
  };
  for (const char* body : cases) {
    auto h = ParseHistory(body, "p");
    EXPECT_EQ(h.status().code(), absl::StatusCode::kUnavailable) << body;
  }
}

TEST(QueueTest, RunningPendingAbsent) {
  auto q = ParseQueue(R"({"queue_running": [[7, "r1", {}, {}, ["9"]]],
      "queue_pending": [[8, "p1", {}, {}, ["9"]], [9, "p2", {}, {}, ["9"]]]})");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->Depth(), 3u);
  EXPECT_TRUE(q->IsRunning("r1"));
  EXPECT_FALSE(q->IsPending("r1"));
  EXPECT_TRUE(q->IsPending("p2"));
  EXPECT_FALSE(q->IsRunning("zz"));
  EXPECT_FALSE(q->IsPending("zz"));
  q = ParseQueue(R"({"queue_running": [], "queue_pending": []})");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->Depth(), 0u);
}

TEST(QueueTest, Malformed) {
  for (const char* bad :
       {"", "{}", R"({"queue_running": []})",
        R"({"queue_running": {}, "queue_pending": []})",
        R"({"queue_running": [5], "queue_pending": []})",
        R"({"queue_running": [[1]], "queue_pending": []})",
        R"({"queue_running": [[1, 2]], "queue_pending": []})"}) {
    EXPECT_EQ(ParseQueue(bad).status().code(), absl::StatusCode::kUnavailable)
        << bad;
  }
}

TEST(BodiesTest, DeleteInterruptAndView) {
  EXPECT_EQ(BuildDeleteBody("a\"b"), R"({"delete":["a\"b"]})");
  EXPECT_EQ(BuildInterruptBody("x"), R"({"prompt_id":"x"})");
  OutputFile f{"9", "my file&1.png", "sub/dir", "output", ""};
  EXPECT_EQ(ViewUrl("http://h:1", f),
            "http://h:1/view?filename=my%20file%261.png&subfolder=sub%2Fdir&"
            "type=output");
  EXPECT_EQ(MimeTypeForFilename("A.PNG"), "image/png");
  EXPECT_EQ(MimeTypeForFilename("a.jpeg"), "image/jpeg");
  EXPECT_EQ(MimeTypeForFilename("noext"), "application/octet-stream");
}

TEST(ProviderStateTest, RoundTrip) {
  auto s = ParseProviderState(BuildProviderState("http://127.0.0.1:8188"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "http://127.0.0.1:8188");
  EXPECT_EQ(*ParseProviderState(""), "");
  EXPECT_FALSE(ParseProviderState("[]").ok());
  EXPECT_FALSE(ParseProviderState(R"({"server": 1})").ok());
}

TEST(WsMessageTest, Progress) {
  auto ev = ParseWsMessage(R"({"type": "progress", "data": {"value": 3,
      "max": 20, "prompt_id": "p", "node": "3"}})");
  ASSERT_TRUE(ev.ok()) << ev.status();
  EXPECT_EQ(ev->kind, WsEvent::Kind::kProgress);
  EXPECT_EQ(ev->prompt_id, "p");
  EXPECT_DOUBLE_EQ(ev->value, 3);
  EXPECT_DOUBLE_EQ(ev->max, 20);
  // Without a prompt id it cannot be attributed.
  ev = ParseWsMessage(R"({"type": "progress", "data": {"value": 3, "max": 20}})");
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(ev->kind, WsEvent::Kind::kIgnored);
}

TEST(WsMessageTest, HintsAndIgnored) {
  auto ev = ParseWsMessage(
      R"({"type": "executing", "data": {"node": null, "prompt_id": "p"}})");
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(ev->kind, WsEvent::Kind::kHint);
  EXPECT_EQ(ev->prompt_id, "p");
  ev = ParseWsMessage(
      R"({"type": "executing", "data": {"node": "3", "prompt_id": "p"}})");
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(ev->kind, WsEvent::Kind::kIgnored);
  for (const char* type : {"execution_success", "execution_error",
                           "execution_interrupted", "execution_start"}) {
    ev = ParseWsMessage(absl::StrCat(R"({"type": ")", type,
                                     R"(", "data": {"prompt_id": "q"}})"));
    ASSERT_TRUE(ev.ok()) << type;
    EXPECT_EQ(ev->kind, WsEvent::Kind::kHint) << type;
    EXPECT_EQ(ev->prompt_id, "q");
  }
  ev = ParseWsMessage(R"({"type": "status", "data": {"status":
      {"exec_info": {"queue_remaining": 2}}, "sid": "abc"}})");
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(ev->kind, WsEvent::Kind::kIgnored);
  ev = ParseWsMessage(R"({"type": "crystools.monitor", "data": 5})");
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(ev->kind, WsEvent::Kind::kIgnored);
}

TEST(WsMessageTest, GarbageIsAnError) {
  for (const char* bad :
       {"", "\x89PNG", "[]", "{}", R"({"type": 5})",
        R"({"type": "progress"})", R"({"type": "progress", "data": []})",
        R"({"type": "progress", "data": {"value": "3", "max": 20}})",
        R"({"type": "progress", "data": {"value": 3, "max": 20, "prompt_id": 9}})",
        R"({"type": "executing", "data": {"node": 3, "prompt_id": "p"}})"}) {
    EXPECT_FALSE(ParseWsMessage(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace mediagw::comfyui
