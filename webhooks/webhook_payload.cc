#include "webhooks/webhook_payload.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"

namespace mediagw::webhooks {

using google::protobuf::util::TimeUtil;

absl::string_view EventFor(v1::TaskState state) {
  switch (state) {
    case v1::TASK_STATE_SUCCEEDED:
      return "completed";
    case v1::TASK_STATE_FAILED:
      return "failed";
    case v1::TASK_STATE_CANCELED:
      return "canceled";
    case v1::TASK_STATE_TIMED_OUT:
      return "timed_out";
    default:
      return "";
  }
}

std::string StandardBody(const v1::Task& task) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.always_print_primitive_fields = true;
  std::string data;
  // A Task read back from the store always prints (its strings are UTF-8).
  if (!google::protobuf::util::MessageToJsonString(task, &data, opts).ok()) {
    data = "null";
  }
  const google::protobuf::Timestamp& at =
      task.has_end_time() ? task.end_time() : task.update_time();
  // The type and the timestamp are ours (no caller text), so they need no
  // escaping.
  return absl::StrCat(R"({"type":"task.)", EventFor(task.state()),
                      R"(","timestamp":")", TimeUtil::ToString(at),
                      R"(","data":)", data, "}");
}

}  // namespace mediagw::webhooks
