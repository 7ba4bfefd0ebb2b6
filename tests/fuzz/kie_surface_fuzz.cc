// Fuzzes the kie-compatible jobs codec of the gateway: the body of
// POST /api/v1/jobs/createTask, then the envelopes and the recordInfo
// detail on what it decoded. Properties: a refusal is INVALID_ARGUMENT
// (body code 422); an accepted task has a non-empty prompt of at most 5000
// characters, a callBackUrl that is empty or a checked http(s) URL, image
// URLs that pass the same check, and width and height both set or neither;
// every encoded body is a JSON object whose strings round-trip, and
// resultJson is JSON inside a JSON string.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/json.h"
#include "core/request_normalizer.h"
#include "gateway/kie_jobs_codec.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  const absl::string_view body = fuzz::AsView(data, size);
  auto req = gateway::DecodeKieCreateTask(body);
  if (!req.ok()) {
    FUZZ_CHECK(req.status().code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(gateway::KieCodeFor(req.status()) == 422);
    auto err = json::ParseObject(gateway::EncodeKieError(
        gateway::KieCodeFor(req.status()), req.status().message()));
    FUZZ_CHECK(err.ok());
    FUZZ_CHECK(*json::GetString(*err, "msg") == req.status().message());
    return 0;
  }
  FUZZ_CHECK(!req->prompt.empty());
  FUZZ_CHECK(!req->model.empty());
  if (!req->callback_url.empty()) {
    FUZZ_CHECK(CheckWebhookUrl(req->callback_url, "callBackUrl").ok());
  }
  FUZZ_CHECK(req->image_urls.size() <= gateway::kKieMaxImageUrls + 1);
  for (const std::string& u : req->image_urls) {
    FUZZ_CHECK(CheckWebhookUrl(u, "image").ok());
  }
  FUZZ_CHECK((req->width == 0) == (req->height == 0));
  if (req->width != 0) {
    FUZZ_CHECK(req->width >= 16 && req->width <= 1024);
    FUZZ_CHECK(req->height >= 16 && req->height <= 1024);
  }

  auto created = json::ParseObject(gateway::EncodeKieCreated(req->prompt));
  FUZZ_CHECK(created.ok());
  FUZZ_CHECK(*json::GetString((*created)["data"], "taskId") == req->prompt);

  // Caller text in every field of the detail, in each state.
  for (int s = 0; s <= 9; ++s) {
    v1::Task task;
    task.set_id(req->prompt);
    task.set_state(static_cast<v1::TaskState>(s));
    task.add_outputs()->set_uri(req->callback_url);
    task.mutable_error()->set_code(req->model);
    task.mutable_error()->set_message(req->prompt);
    task.mutable_create_time()->set_seconds(req->width);
    task.mutable_end_time()->set_seconds(req->height);
    auto info = json::ParseObject(gateway::EncodeKieRecordInfo(task, req->model));
    FUZZ_CHECK(info.ok());
    const rapidjson::Value& d = (*info)["data"];
    FUZZ_CHECK(*json::GetString(d, "taskId") == req->prompt);
    FUZZ_CHECK(*json::GetString(d, "model") == req->model);
    const std::string result = *json::GetString(d, "resultJson");
    if (s == v1::TASK_STATE_SUCCEEDED) {
      auto inner = json::ParseObject(result);
      FUZZ_CHECK(inner.ok());
      auto urls = json::GetArray(*inner, "resultUrls");
      FUZZ_CHECK(urls.ok() && (*urls)->Size() == 1);
      FUZZ_CHECK(*json::AsString((**urls)[0], "url") == req->callback_url);
    } else {
      FUZZ_CHECK(result.empty());
    }
  }
  return 0;
}
