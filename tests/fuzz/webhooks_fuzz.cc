// Fuzzes what the webhook routes and requests take from outside: a
// request's webhook_events (one per input line, through the core's
// normalizer) and the visibility route's encoder fed caller-chosen text (the
// task id from the path, the URL, an error). Properties: events are
// refused with INVALID_ARGUMENT naming webhook_events, or come back as a
// subset of the four names in canonical order without repeats; the
// encoding of UTF-8 text is JSON that gives the same strings back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/json.h"
#include "common/utf8.h"
#include "core/request_normalizer.h"
#include "gateway/webhooks_codec.h"
#include "tests/fuzz/fuzz_util.h"

namespace mediagw::fuzz {
namespace {

void CheckEvents(const std::vector<std::string>& lines) {
  google::protobuf::RepeatedPtrField<std::string> in;
  for (const std::string& l : lines) *in.Add() = l;
  absl::StatusOr<std::vector<std::string>> out = NormalizeWebhookEvents(in);
  if (!out.ok()) {
    FUZZ_CHECK(out.status().code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(absl::StrContains(out.status().message(), "webhook_events"));
    return;
  }
  FUZZ_CHECK(out->size() <= std::size(kWebhookEvents));
  size_t next = 0;
  for (const std::string& e : *out) {
    while (next < std::size(kWebhookEvents) && e != kWebhookEvents[next]) {
      ++next;
    }
    FUZZ_CHECK(next < std::size(kWebhookEvents));  // known, in order
    ++next;
  }
}

void CheckHistory(const std::vector<std::string>& f) {
  const std::string task_id = f.size() > 0 ? f[0] : "";
  WebhookHistory h;
  h.entry.row.id = "msg_" + task_id;
  h.entry.row.task_id = task_id;
  h.entry.row.url = f.size() > 1 ? f[1] : "";
  h.entry.row.event = "completed";
  h.entry.state = static_cast<OutboxState>(task_id.size() % 4);
  h.entry.next_attempt_at_us = static_cast<int64_t>(task_id.size()) << 40;
  AttemptRow a;
  a.error = f.size() > 2 ? f[2] : "";
  a.status_code = static_cast<int>(a.error.size() % 600);
  a.outcome = static_cast<OutboxState>(a.error.size() % 4);
  h.attempts.push_back(a);
  for (const auto& history :
       {std::optional<WebhookHistory>(h), std::optional<WebhookHistory>()}) {
    const std::string json = gateway::EncodeWebhookHistory(task_id, history);
    bool utf8 = IsValidUtf8(task_id);
    if (history) utf8 = utf8 && IsValidUtf8(h.entry.row.url) &&
                        IsValidUtf8(a.error);
    if (!utf8) continue;
    auto doc = json::Parse(json);
    FUZZ_CHECK(doc.ok());
    FUZZ_CHECK(doc->IsObject());
    FUZZ_CHECK(std::string((*doc)["taskId"].GetString(),
                           (*doc)["taskId"].GetStringLength()) == task_id);
    if (history) {
      FUZZ_CHECK(std::string((*doc)["url"].GetString(),
                             (*doc)["url"].GetStringLength()) ==
                 h.entry.row.url);
      FUZZ_CHECK((*doc)["attempts"].Size() == 1);
    } else {
      FUZZ_CHECK(std::string((*doc)["state"].GetString()) == "none");
    }
  }
}

}  // namespace
}  // namespace mediagw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input = mediagw::fuzz::AsView(data, size);
  std::vector<std::string> lines = absl::StrSplit(input, '\n');
  if (lines.size() > 200) lines.resize(200);
  mediagw::fuzz::CheckEvents(lines);
  mediagw::fuzz::CheckHistory(lines);
  return 0;
}
