// Fuzzes the native REST codec: DecodeSubmitTask on a request body, the
// list query and Last-Event-ID decoders on the same bytes, then the
// encoders on a task built from what was decoded. Properties: errors are
// INVALID_ARGUMENT with a bounded UTF-8 message; an accepted body is UTF-8
// and names exactly one kind; the task and event encodings parse back to
// the same strings; the error envelope is JSON that quotes the message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/json.h"
#include "common/utf8.h"
#include "gateway/rest_codec.h"
#include "google/protobuf/util/json_util.h"
#include "tests/fuzz/fuzz_util.h"

namespace mediagw::fuzz {
namespace {

void CheckTaskEncodings(const v1::Task& task) {
  v1::Task back;
  const std::string json = gateway::EncodeTask(task);
  FUZZ_CHECK(google::protobuf::util::JsonStringToMessage(json, &back).ok());
  FUZZ_CHECK(back.id() == task.id());
  FUZZ_CHECK(back.workflow() == task.workflow());
  FUZZ_CHECK(back.version() == task.version());
  const std::string event = gateway::EncodeTaskEvent(task);
  // One event: a single blank line, at its end.
  FUZZ_CHECK(absl::EndsWith(event, "\n\n"));
  FUZZ_CHECK(event.find("\n\n") == event.size() - 2);
  FUZZ_CHECK(absl::StartsWith(event, "id: "));
}

void CheckError(const absl::Status& st) {
  FUZZ_CHECK(st.code() == absl::StatusCode::kInvalidArgument);
  FUZZ_CHECK(!st.message().empty());
  FUZZ_CHECK(IsValidUtf8(st.message()));
  FUZZ_CHECK(st.message().size() < 1024);
  auto err = json::ParseObject(gateway::EncodeRestError(st));
  FUZZ_CHECK(err.ok());
  auto inner = json::GetObject(*err, "error");
  FUZZ_CHECK(inner.ok());
  FUZZ_CHECK(*json::GetString(**inner, "message") == st.message());
  FUZZ_CHECK(*json::GetInt(**inner, "code") == 400);
}

}  // namespace
}  // namespace mediagw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  const absl::string_view body = fuzz::AsView(data, size);

  // The same bytes as a query (name=value&...) and as a Last-Event-ID.
  std::vector<std::pair<std::string, std::string>> params;
  for (absl::string_view part : absl::StrSplit(body, '&')) {
    std::pair<std::string, std::string> kv = absl::StrSplit(part, '=');
    params.push_back(std::move(kv));
  }
  auto query = gateway::DecodeListTasksQuery(params);
  if (query.ok()) {
    FUZZ_CHECK(query->page_size() >= 0 && query->page_size() <= 500);
    FUZZ_CHECK(query->states_size() <= v1::TaskState_ARRAYSIZE);
  } else if (IsValidUtf8(body)) {
    fuzz::CheckError(query.status());
  }
  auto last = gateway::DecodeLastEventId(body);
  if (last.ok()) {
    FUZZ_CHECK(*last >= 0);
  } else {
    fuzz::CheckError(last.status());
  }

  auto req = gateway::DecodeSubmitTask(body);
  if (!req.ok()) {
    fuzz::CheckError(req.status());
    return 0;
  }
  FUZZ_CHECK(IsValidUtf8(body));
  FUZZ_CHECK(req->has_image() != req->has_video());
  v1::Task task;
  if (req->has_image()) {
    task.set_id(req->image().prompt());
    task.set_workflow(req->image().workflow());
    task.set_version(req->image().seed());
  } else {
    task.set_id(req->video().image());
    task.set_workflow(req->video().workflow());
    task.set_version(req->video().seed());
  }
  fuzz::CheckTaskEncodings(task);
  return 0;
}
