// Fuzzes the OpenAI-compatible images codec of the gateway: the body of
// POST /v1/images/generations, then the encoders on what it decoded.
// Properties: a refusal is INVALID_ARGUMENT naming one of the request's
// members (or none); an accepted request has a non-empty prompt, n within
// 1..10, and width and height both set within 16..2048 or neither; every
// encoded body is a JSON object whose strings round-trip.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/escaping.h"
#include "common/json.h"
#include "gateway/openai_codec.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  const absl::string_view body = fuzz::AsView(data, size);
  std::string param = "unset";
  auto req = gateway::DecodeOpenAiImageRequest(body, &param);
  if (!req.ok()) {
    FUZZ_CHECK(req.status().code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(!req.status().message().empty());
    static const char* const kParams[] = {
        "",        "prompt",     "model",        "n",    "response_format",
        "user",    "quality",    "resolution",   "size", "aspect_ratio"};
    bool known = false;
    for (const char* p : kParams) known = known || param == p;
    FUZZ_CHECK(known);
    gateway::OpenAiError e = gateway::OpenAiErrorFor(req.status());
    FUZZ_CHECK(e.http_status == 400);
    e.param = param;
    auto err = json::ParseObject(gateway::EncodeOpenAiError(e));
    FUZZ_CHECK(err.ok());
    const rapidjson::Value* inner = json::Find(*err, "error");
    FUZZ_CHECK(inner != nullptr && inner->IsObject());
    FUZZ_CHECK(*json::GetString(*inner, "message") == req.status().message());
    return 0;
  }
  FUZZ_CHECK(param.empty());
  FUZZ_CHECK(!req->submit.prompt().empty());
  if (req->submit.has_n()) {
    FUZZ_CHECK(req->submit.n() >= 1 && req->submit.n() <= 10);
  }
  FUZZ_CHECK(req->submit.has_width() == req->submit.has_height());
  if (req->submit.has_width()) {
    FUZZ_CHECK(req->submit.width() >= 16 && req->submit.width() <= 2048);
    FUZZ_CHECK(req->submit.height() >= 16 && req->submit.height() <= 2048);
  }
  FUZZ_CHECK(req->user.size() <= gateway::kOpenAiMaxUserChars);

  // Caller text in every encoder.
  gateway::OpenAiImage url;
  url.url = req->submit.prompt();
  gateway::OpenAiImage bytes;
  bytes.b64 = true;
  bytes.bytes = req->model;
  auto images = json::ParseObject(gateway::EncodeOpenAiImages(1, {url, bytes}));
  FUZZ_CHECK(images.ok());
  const rapidjson::Value& list = (*images)["data"];
  FUZZ_CHECK(list.IsArray() && list.Size() == 2);
  FUZZ_CHECK(*json::GetString(list[0], "url") == req->submit.prompt());
  std::string decoded;
  FUZZ_CHECK(absl::Base64Unescape(*json::GetString(list[1], "b64_json"),
                                  &decoded));
  FUZZ_CHECK(decoded == req->model);

  gateway::ModelTable table({{req->model, "wf", "", false}});
  auto models = json::ParseObject(gateway::EncodeOpenAiModels(table));
  FUZZ_CHECK(models.ok());
  FUZZ_CHECK(*json::GetString((*models)["data"][0], "id") == req->model);

  v1::Task task;
  task.set_id(req->user);
  auto accepted =
      json::ParseObject(gateway::EncodeOpenAiAccepted(task, req->model));
  FUZZ_CHECK(accepted.ok());
  FUZZ_CHECK(*json::GetString(*accepted, "id") == req->user);
  return 0;
}
