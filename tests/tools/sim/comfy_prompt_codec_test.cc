#include "tools/sim/comfy_prompt_codec.h"

#include <gtest/gtest.h>

#include "absl/strings/str_replace.h"
#include "tests/tools/sim/test_json_codec.h"

namespace mediagw::sim {
namespace {

using testing::DefaultWorkflow;
using testing::JsonSize;
using testing::JsonString;
using testing::PromptBody;

// Parses `body`, expects a rejection, returns its body.
std::string Rejected(absl::string_view body) {
  auto result = ParsePromptRequest(body);
  const PromptRejection* r = std::get_if<PromptRejection>(&result);
  EXPECT_NE(r, nullptr) << "accepted: " << body;
  return r == nullptr ? "" : r->body;
}

void ExpectErrorShape(const std::string& body, absl::string_view type) {
  EXPECT_EQ(JsonString(body, "/error/type"), std::string(type)) << body;
  EXPECT_TRUE(JsonString(body, "/error/message").has_value()) << body;
  EXPECT_TRUE(JsonString(body, "/error/details").has_value()) << body;
  EXPECT_EQ(JsonSize(body, "/error/extra_info"), 0u) << body;
  EXPECT_TRUE(JsonSize(body, "/node_errors").has_value()) << body;
}

TEST(ComfyPromptCodecTest, AcceptsDefaultWorkflowAndExtractsParameters) {
  auto result = ParsePromptRequest(PromptBody(
      DefaultWorkflow(640, 360, 2, 1234, 7, "a \"quoted\" cat"), "client-1",
      "11111111-2222-4333-8444-555555555555"));
  ASSERT_TRUE(std::holds_alternative<ParsedPrompt>(result))
      << std::get<PromptRejection>(result).body;
  const ParsedPrompt& p = std::get<ParsedPrompt>(result);
  EXPECT_EQ(p.prompt_id, "11111111-2222-4333-8444-555555555555");
  EXPECT_EQ(p.client_id, "client-1");
  EXPECT_EQ(p.width, 640);
  EXPECT_EQ(p.height, 360);
  EXPECT_EQ(p.batch_size, 2);
  EXPECT_EQ(p.seed, 1234);
  EXPECT_EQ(p.steps, 7);
  EXPECT_EQ(p.positive, "a \"quoted\" cat");
  EXPECT_EQ(p.filename_prefix, "ComfyUI");
  EXPECT_EQ(p.output_node_ids, std::vector<std::string>{"9"});
  // Dependencies first, output last; every reachable node once.
  ASSERT_EQ(p.execution_order.size(), 7u);
  EXPECT_EQ(p.execution_order.back().id, "9");
  EXPECT_TRUE(p.execution_order.back().is_output);
  auto pos = [&](absl::string_view id) {
    for (size_t i = 0; i < p.execution_order.size(); ++i) {
      if (p.execution_order[i].id == id) return i;
    }
    return size_t{99};
  };
  EXPECT_LT(pos("4"), pos("3"));
  EXPECT_LT(pos("5"), pos("3"));
  EXPECT_LT(pos("3"), pos("8"));
  EXPECT_EQ(p.execution_order[pos("3")].sampler_steps, 7);
  EXPECT_EQ(JsonString(p.extra_data_json, "/client_id"), "client-1");
  EXPECT_EQ(JsonString(p.prompt_json, "/9/class_type"), "SaveImage");
}

TEST(ComfyPromptCodecTest, RejectsNonJson) {
  ExpectErrorShape(Rejected("{not json"), "invalid_prompt");
  ExpectErrorShape(Rejected(""), "invalid_prompt");
}

TEST(ComfyPromptCodecTest, RejectsNonObjects) {
  ExpectErrorShape(Rejected("[1,2]"), "invalid_prompt");
  ExpectErrorShape(Rejected(R"({"prompt": [1]})"), "invalid_prompt");
  ExpectErrorShape(Rejected(R"({"prompt": "x"})"), "invalid_prompt");
  ExpectErrorShape(Rejected(R"({"client_id": "x"})"), "no_prompt");
  ExpectErrorShape(Rejected(R"({"prompt": {}, "prompt_id": 5})"),
                   "invalid_prompt");
}

TEST(ComfyPromptCodecTest, RejectsNodeWithoutClassType) {
  std::string body = Rejected(R"({"prompt": {"1": {"inputs": {}}}})");
  ExpectErrorShape(body, "invalid_prompt");
  EXPECT_EQ(JsonString(body, "/error/details"), "Node ID '#1'");
  ExpectErrorShape(Rejected(R"({"prompt": {"1": 7}})"), "invalid_prompt");
  ExpectErrorShape(
      Rejected(R"({"prompt": {"1": {"class_type": 3, "inputs": {}}}})"),
      "invalid_prompt");
}

TEST(ComfyPromptCodecTest, RejectsUnknownClass) {
  std::string body = Rejected(
      R"({"prompt": {"1": {"class_type": "MagicNode", "inputs": {}}}})");
  ExpectErrorShape(body, "invalid_prompt");
  EXPECT_EQ(JsonString(body, "/error/message"),
            "Cannot execute because node MagicNode does not exist.");
}

TEST(ComfyPromptCodecTest, RejectsMissingInputsObject) {
  ExpectErrorShape(
      Rejected(R"({"prompt": {"1": {"class_type": "SaveImage"}}})"),
      "invalid_prompt");
}

TEST(ComfyPromptCodecTest, RejectsPromptWithoutOutputs) {
  ExpectErrorShape(Rejected(R"({"prompt": {"4": {"class_type":
      "CheckpointLoaderSimple", "inputs": {"ckpt_name": "x"}}}})"),
                   "prompt_no_outputs");
  ExpectErrorShape(Rejected(R"({"prompt": {}})"), "prompt_no_outputs");
}

TEST(ComfyPromptCodecTest, RejectsDanglingLink) {
  std::string wf = absl::StrReplaceAll(DefaultWorkflow(64, 64, 1, 1, 2, "x"),
                                       {{R"("samples":["3",0])",
                                         R"("samples":["42",0])"}});
  std::string body = Rejected(PromptBody(wf));
  ExpectErrorShape(body, "prompt_outputs_failed_validation");
  EXPECT_EQ(JsonString(body, "/node_errors/8/class_type"), "VAEDecode");
  EXPECT_EQ(JsonString(body, "/node_errors/8/errors/0/type"),
            "bad_linked_input");
  EXPECT_EQ(JsonString(body, "/node_errors/8/dependent_outputs/0"), "9");
}

TEST(ComfyPromptCodecTest, RejectsMalformedLinksAndValues) {
  const std::string base = DefaultWorkflow(64, 64, 1, 1, 2, "x");
  for (auto [from, to] : std::vector<std::pair<std::string, std::string>>{
           {R"("samples":["3",0])", R"("samples":[3,0])"},
           {R"("samples":["3",0])", R"("samples":["3",5])"},
           {R"("samples":["3",0])", R"("samples":"3")"},
           {R"("width":64)", R"("width":"wide")"},
           {R"("width":64)", R"("width":8)"},
           {R"("steps":2)", R"("steps":2.5)"},
           {R"("steps":2)", R"("steps":100000)"},
       }) {
    std::string body =
        Rejected(PromptBody(absl::StrReplaceAll(base, {{from, to}})));
    ExpectErrorShape(body, "prompt_outputs_failed_validation");
  }
}

TEST(ComfyPromptCodecTest, RejectsMissingRequiredInput) {
  std::string wf = absl::StrReplaceAll(DefaultWorkflow(64, 64, 1, 1, 2, "x"),
                                       {{R"("seed":1,)", ""}});
  std::string body = Rejected(PromptBody(wf));
  ExpectErrorShape(body, "prompt_outputs_failed_validation");
  EXPECT_EQ(JsonString(body, "/node_errors/3/errors/0/type"),
            "required_input_missing");
  EXPECT_EQ(JsonString(body, "/node_errors/3/errors/0/extra_info/input_name"),
            "seed");
}

TEST(ComfyPromptCodecTest, LoadImageMustReferenceAnUpload) {
  const std::string wf =
      R"({"1":{"class_type":"LoadImage","inputs":{"image":"cat.png"}},)"
      R"("2":{"class_type":"SaveImage","inputs":{"images":["1",0]}}})";
  auto exists = [](absl::string_view name) { return name == "cat.png"; };
  auto ok = ParsePromptRequest(PromptBody(wf), exists);
  ASSERT_TRUE(std::holds_alternative<ParsedPrompt>(ok));
  EXPECT_EQ(std::get<ParsedPrompt>(ok).load_images,
            std::vector<std::string>{"cat.png"});
  auto missing = [](absl::string_view) { return false; };
  auto bad = ParsePromptRequest(PromptBody(wf), missing);
  ASSERT_TRUE(std::holds_alternative<PromptRejection>(bad));
  EXPECT_EQ(JsonString(std::get<PromptRejection>(bad).body,
                       "/node_errors/1/errors/0/type"),
            "custom_validation_failed");
}

TEST(ComfyPromptCodecTest, VideoWorkflow) {
  const std::string wf =
      R"({"1":{"class_type":"LoadImage","inputs":{"image":"in.png"}},)"
      R"("2":{"class_type":"ImageOnlyCheckpointLoader",)"
      R"("inputs":{"ckpt_name":"svd.safetensors"}},)"
      R"("3":{"class_type":"SVD_img2vid_Conditioning","inputs":{)"
      R"("clip_vision":["2",1],"init_image":["1",0],"vae":["2",2],)"
      R"("width":320,"height":192,"video_frames":14,"motion_bucket_id":127,)"
      R"("fps":6,"augmentation_level":0}},)"
      R"("4":{"class_type":"KSampler","inputs":{"seed":5,"steps":3,"cfg":2,)"
      R"("sampler_name":"euler","scheduler":"karras","denoise":1,)"
      R"("model":["2",0],"positive":["3",0],"negative":["3",1],)"
      R"("latent_image":["3",2]}},)"
      R"("5":{"class_type":"VAEDecode","inputs":{"samples":["4",0],)"
      R"("vae":["2",2]}},)"
      R"("6":{"class_type":"VHS_VideoCombine","inputs":{"images":["5",0],)"
      R"("frame_rate":6,"filename_prefix":"video/clip"}}})";
  auto result = ParsePromptRequest(PromptBody(wf));
  ASSERT_TRUE(std::holds_alternative<ParsedPrompt>(result))
      << std::get<PromptRejection>(result).body;
  const ParsedPrompt& p = std::get<ParsedPrompt>(result);
  EXPECT_EQ(p.width, 320);
  EXPECT_EQ(p.video_frames, 14);
  EXPECT_EQ(p.frame_rate, 6);
  EXPECT_EQ(p.filename_prefix, "video/clip");
  EXPECT_EQ(p.execution_order.back().output_kind, OutputKind::kVideo);
}

TEST(ComfyPromptCodecTest, WanImageToVideoWithCoreSaveVideo) {
  const std::string wf = testing::WanVideoWorkflow("mediagw/in.png", 320, 192,
                                                   33, 77, "waves at night");
  auto exists = [](absl::string_view name) { return name == "mediagw/in.png"; };
  auto result = ParsePromptRequest(PromptBody(wf), exists);
  ASSERT_TRUE(std::holds_alternative<ParsedPrompt>(result))
      << std::get<PromptRejection>(result).body;
  const ParsedPrompt& p = std::get<ParsedPrompt>(result);
  EXPECT_EQ(p.width, 320);
  EXPECT_EQ(p.height, 192);
  EXPECT_EQ(p.video_frames, 33);
  EXPECT_EQ(p.frame_rate, 16);
  EXPECT_EQ(p.seed, 77);
  EXPECT_EQ(p.positive, "waves at night");
  EXPECT_EQ(p.filename_prefix, "video/wan");
  EXPECT_EQ(p.load_images, std::vector<std::string>{"mediagw/in.png"});
  EXPECT_EQ(p.output_node_ids, std::vector<std::string>{"58"});
  EXPECT_EQ(p.execution_order.back().output_kind, OutputKind::kSavedVideo);

  // The same graph before the image was uploaded: ComfyUI's node error.
  auto missing = ParsePromptRequest(PromptBody(wf),
                                    [](absl::string_view) { return false; });
  ASSERT_TRUE(std::holds_alternative<PromptRejection>(missing));
  const std::string& body = std::get<PromptRejection>(missing).body;
  ExpectErrorShape(body, "prompt_outputs_failed_validation");
  EXPECT_EQ(JsonString(body, "/node_errors/52/class_type"), "LoadImage");
  EXPECT_EQ(JsonString(body, "/node_errors/52/errors/0/details"),
            "image - Invalid image file: mediagw/in.png");
}

TEST(ComfyPromptCodecTest, VideoWithoutVideoModelTakesFramesFromTheBatch) {
  std::string wf = absl::StrReplaceAll(
      DefaultWorkflow(64, 48, 3, 1, 2, "x"),
      {{R"("9":{"class_type":"SaveImage","inputs":{"filename_prefix":"ComfyUI",)"
        R"("images":["8",0]}})",
        R"("9":{"class_type":"VHS_VideoCombine","inputs":{"images":["8",0],)"
        R"("frame_rate":12}})"}});
  auto result = ParsePromptRequest(PromptBody(wf));
  ASSERT_TRUE(std::holds_alternative<ParsedPrompt>(result))
      << std::get<PromptRejection>(result).body;
  const ParsedPrompt& p = std::get<ParsedPrompt>(result);
  EXPECT_EQ(p.video_frames, 3);
  EXPECT_EQ(p.frame_rate, 12);
  EXPECT_EQ(p.execution_order.back().output_kind, OutputKind::kVideo);
}

TEST(ComfyPromptCodecTest, SaveVideoNeedsAVideoLink) {
  const std::string wf =
      R"({"1":{"class_type":"SaveVideo","inputs":{"video":"clip.mp4",)"
      R"("filename_prefix":"x","format":"auto","codec":"auto"}}})";
  std::string body = Rejected(PromptBody(wf));
  ExpectErrorShape(body, "prompt_outputs_failed_validation");
  EXPECT_EQ(JsonString(body, "/node_errors/1/errors/0/type"),
            "bad_linked_input");
}

TEST(ComfyPromptCodecTest, InvalidPromptBodyShape) {
  ExpectErrorShape(InvalidPromptBody("nope"), "invalid_prompt");
}

}  // namespace
}  // namespace mediagw::sim
