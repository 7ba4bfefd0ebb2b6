// Fuzzes the legacy /v1/index.php codec: DecodeVideoGeneration and
// DecodeImageGeneration on a request
// body, then the encoders on a task built from the decoded request (so
// arbitrary caller strings reach every encoder) and EncodeError on the
// decode error. Properties: errors are INVALID_ARGUMENT with a message;
// every encoded body is a JSON object whose strings round-trip.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/json.h"
#include "common/utf8.h"
#include "gateway/legacy_codec.h"
#include "gateway/service_codec.h"
#include "mediagw/internal/record.pb.h"
#include "tests/fuzz/fuzz_util.h"

namespace mediagw::fuzz {
namespace {

const rapidjson::Value& DataOf(const rapidjson::Document& doc) {
  const rapidjson::Value* data = json::Find(doc, "data");
  FUZZ_CHECK(data != nullptr && data->IsObject());
  return *data;
}

void CheckEncoders(const v1::SubmitImageRequest& req) {
  v1::Task task;
  task.set_id(req.prompt());
  task.set_state(static_cast<v1::TaskState>((req.width() & 15) % 10));
  // The dispatcher keeps progress within [0, 1].
  task.set_progress(static_cast<double>(req.seed() & 1023) / 1023);
  task.set_workflow(req.workflow());
  task.set_provider(req.model());
  task.set_seed(req.seed());
  task.add_outputs()->set_uri(req.negative_prompt());
  task.mutable_error()->set_message(req.workflow_json());
  task.mutable_create_time()->set_seconds(req.steps());
  task.mutable_end_time()->set_seconds(req.height());

  auto queued = json::ParseObject(gateway::EncodeImageQueued(task));
  FUZZ_CHECK(queued.ok());
  FUZZ_CHECK(*json::GetString(DataOf(*queued), "id") == task.id());

  auto status = json::ParseObject(gateway::EncodeTaskStatus(task));
  FUZZ_CHECK(status.ok());
  const rapidjson::Value& data = DataOf(*status);
  FUZZ_CHECK(*json::GetString(data, "id") == task.id());
  FUZZ_CHECK(*json::GetString(data, "workflow") == task.workflow());
  FUZZ_CHECK(*json::GetString(data, "image_url") == task.outputs(0).uri());
  FUZZ_CHECK(*json::GetInt(data, "seed") == task.seed());
}

// What the store does with an accepted request: it must parse back.
void CheckStoredRoundTrip(const v1::SubmitImageRequest& req) {
  FUZZ_CHECK(ValidateUtf8Fields(req).ok());
  internal::TaskRecord rec;
  *rec.mutable_request() = req;
  std::string bytes;
  FUZZ_CHECK(rec.SerializeToString(&bytes));
  internal::TaskRecord back;
  FUZZ_CHECK(back.ParseFromString(bytes));
  FUZZ_CHECK(back.request().prompt() == req.prompt());
}

}  // namespace
}  // namespace mediagw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  const absl::string_view body = fuzz::AsView(data, size);
  auto video = gateway::DecodeVideoGeneration(body);
  if (video.ok()) {
    FUZZ_CHECK(ValidateUtf8Fields(*video).ok());
    v1::Task t;
    t.set_id(video->prompt());
    t.set_kind(v1::TASK_KIND_VIDEO);
    t.add_outputs()->set_uri(video->image());
    auto queued = json::ParseObject(gateway::EncodeVideoQueued(t));
    FUZZ_CHECK(queued.ok());
    auto status = json::ParseObject(gateway::EncodeTaskStatus(t));
    FUZZ_CHECK(status.ok());
    FUZZ_CHECK(*json::GetString(fuzz::DataOf(*status), "video_url") ==
               video->image());
  } else {
    FUZZ_CHECK(video.status().code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(!video.status().message().empty());
  }
  auto req = gateway::DecodeImageGeneration(body);
  if (!req.ok()) {
    FUZZ_CHECK(req.status().code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(!req.status().message().empty());
    auto err = json::ParseObject(gateway::EncodeError(req.status().message()));
    FUZZ_CHECK(err.ok());
    FUZZ_CHECK(*json::GetString(*err, "error") == req.status().message());
    return 0;
  }
  FUZZ_CHECK(req->prompt().empty() != req->workflow_json().empty() ||
             req->prompt().empty());
  fuzz::CheckStoredRoundTrip(*req);
  if (!req->workflow_json().empty()) {
    FUZZ_CHECK(json::ParseObject(req->workflow_json()).ok());
  }
  fuzz::CheckEncoders(*req);
  auto health =
      json::ParseObject(gateway::EncodeServiceStatus(req->workflow()));
  FUZZ_CHECK(health.ok());
  auto error = json::ParseObject(gateway::EncodeServiceError(req->prompt()));
  FUZZ_CHECK(error.ok());
  FUZZ_CHECK(*json::GetString(*error, "error") == req->prompt());
  return 0;
}
