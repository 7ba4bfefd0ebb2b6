#include "tests/tools/sim/test_json_codec.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/substitute.h"
#include "common/json.h"
#include "rapidjson/pointer.h"

namespace mediagw::sim::testing {
namespace {

template <typename F>
auto WithValue(absl::string_view text, absl::string_view pointer, F f)
    -> decltype(f(std::declval<const rapidjson::Value&>())) {
  auto doc = json::Parse(text);
  if (!doc.ok()) return {};
  rapidjson::Pointer p(pointer.data(), pointer.size());
  if (!p.IsValid()) return {};
  const rapidjson::Value* v = p.Get(*doc);
  if (v == nullptr) return {};
  return f(*v);
}

}  // namespace

bool IsValidJson(absl::string_view text) { return json::Parse(text).ok(); }

std::optional<std::string> JsonString(absl::string_view text,
                                      absl::string_view pointer) {
  return WithValue(text, pointer,
                   [](const rapidjson::Value& v) -> std::optional<std::string> {
                     if (!v.IsString()) return std::nullopt;
                     return std::string(v.GetString(), v.GetStringLength());
                   });
}

std::optional<int64_t> JsonInt(absl::string_view text,
                               absl::string_view pointer) {
  return WithValue(text, pointer,
                   [](const rapidjson::Value& v) -> std::optional<int64_t> {
                     if (!v.IsInt64()) return std::nullopt;
                     return v.GetInt64();
                   });
}

std::optional<bool> JsonBool(absl::string_view text,
                             absl::string_view pointer) {
  return WithValue(text, pointer,
                   [](const rapidjson::Value& v) -> std::optional<bool> {
                     if (!v.IsBool()) return std::nullopt;
                     return v.GetBool();
                   });
}

bool JsonIsNull(absl::string_view text, absl::string_view pointer) {
  return WithValue(text, pointer, [](const rapidjson::Value& v) {
           return std::optional<bool>(v.IsNull());
         }).value_or(false);
}

bool JsonHas(absl::string_view text, absl::string_view pointer) {
  return WithValue(text, pointer, [](const rapidjson::Value&) {
           return std::optional<bool>(true);
         }).value_or(false);
}

std::optional<size_t> JsonSize(absl::string_view text,
                               absl::string_view pointer) {
  return WithValue(text, pointer,
                   [](const rapidjson::Value& v) -> std::optional<size_t> {
                     if (v.IsArray()) return v.Size();
                     if (v.IsObject()) return v.MemberCount();
                     return std::nullopt;
                   });
}

std::vector<std::string> JsonKeys(absl::string_view text,
                                  absl::string_view pointer) {
  return WithValue(text, pointer,
                   [](const rapidjson::Value& v) -> std::vector<std::string> {
                     std::vector<std::string> out;
                     if (!v.IsObject()) return out;
                     for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
                       out.emplace_back(it->name.GetString(),
                                        it->name.GetStringLength());
                     }
                     return out;
                   });
}

std::string DefaultWorkflow(int width, int height, int batch, int64_t seed,
                            int steps, absl::string_view text) {
  return absl::Substitute(
      R"({"3":{"class_type":"KSampler","inputs":{"seed":$3,"steps":$4,)"
      R"("cfg":8,"sampler_name":"euler","scheduler":"normal","denoise":1,)"
      R"("model":["4",0],"positive":["6",0],"negative":["7",0],)"
      R"("latent_image":["5",0]}},)"
      R"("4":{"class_type":"CheckpointLoaderSimple",)"
      R"("inputs":{"ckpt_name":"v1-5-pruned-emaonly.safetensors"}},)"
      R"("5":{"class_type":"EmptyLatentImage",)"
      R"("inputs":{"width":$0,"height":$1,"batch_size":$2}},)"
      R"("6":{"class_type":"CLIPTextEncode","inputs":{"text":$5,)"
      R"("clip":["4",1]}},)"
      R"("7":{"class_type":"CLIPTextEncode","inputs":{"text":"bad hands",)"
      R"("clip":["4",1]}},)"
      R"("8":{"class_type":"VAEDecode","inputs":{"samples":["3",0],)"
      R"("vae":["4",2]}},)"
      R"("9":{"class_type":"SaveImage","inputs":{"filename_prefix":"ComfyUI",)"
      R"("images":["8",0]}}})",
      width, height, batch, seed, steps, json::Quote(text));
}

std::string WanVideoWorkflow(absl::string_view image, int width, int height,
                             int length, int64_t seed, absl::string_view text) {
  return absl::Substitute(
      R"({"37":{"class_type":"UNETLoader","inputs":{)"
      R"("unet_name":"wan2.1_i2v_480p_14B_fp16.safetensors",)"
      R"("weight_dtype":"default"}},)"
      R"("38":{"class_type":"CLIPLoader","inputs":{)"
      R"("clip_name":"umt5_xxl_fp8_e4m3fn_scaled.safetensors",)"
      R"("type":"wan","device":"default"}},)"
      R"("39":{"class_type":"VAELoader","inputs":{)"
      R"("vae_name":"wan_2.1_vae.safetensors"}},)"
      R"("49":{"class_type":"CLIPVisionLoader","inputs":{)"
      R"("clip_name":"clip_vision_h.safetensors"}},)"
      R"("52":{"class_type":"LoadImage","inputs":{"image":$0}},)"
      R"("51":{"class_type":"CLIPVisionEncode","inputs":{)"
      R"("clip_vision":["49",0],"image":["52",0],"crop":"none"}},)"
      R"("6":{"class_type":"CLIPTextEncode","inputs":{"text":$5,)"
      R"("clip":["38",0]}},)"
      R"("7":{"class_type":"CLIPTextEncode","inputs":{"text":"static",)"
      R"("clip":["38",0]}},)"
      R"("50":{"class_type":"WanImageToVideo","inputs":{)"
      R"("positive":["6",0],"negative":["7",0],"vae":["39",0],)"
      R"("clip_vision_output":["51",0],"start_image":["52",0],)"
      R"("width":$1,"height":$2,"length":$3,"batch_size":1}},)"
      R"("54":{"class_type":"ModelSamplingSD3","inputs":{)"
      R"("model":["37",0],"shift":8}},)"
      R"("3":{"class_type":"KSampler","inputs":{"seed":$4,"steps":2,)"
      R"("cfg":6,"sampler_name":"uni_pc","scheduler":"simple","denoise":1,)"
      R"("model":["54",0],"positive":["50",0],"negative":["50",1],)"
      R"("latent_image":["50",2]}},)"
      R"("8":{"class_type":"VAEDecode","inputs":{"samples":["3",0],)"
      R"("vae":["39",0]}},)"
      R"("57":{"class_type":"CreateVideo","inputs":{"images":["8",0],)"
      R"("fps":16}},)"
      R"("58":{"class_type":"SaveVideo","inputs":{"video":["57",0],)"
      R"("filename_prefix":"video/wan","format":"auto","codec":"auto"}}})",
      json::Quote(image), width, height, length, seed, json::Quote(text));
}

std::string PromptBody(absl::string_view workflow, absl::string_view client_id,
                       absl::string_view prompt_id) {
  std::string body = absl::StrCat(R"({"prompt":)", workflow);
  if (!client_id.empty()) {
    absl::StrAppend(&body, R"(,"client_id":)", json::Quote(client_id));
  }
  if (!prompt_id.empty()) {
    absl::StrAppend(&body, R"(,"prompt_id":)", json::Quote(prompt_id));
  }
  absl::StrAppend(&body, "}");
  return body;
}

}  // namespace mediagw::sim::testing
