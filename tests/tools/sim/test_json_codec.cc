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
