#include "gateway/webhooks_codec.h"

#include "absl/time/time.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace mediagw::gateway {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(Writer& w, absl::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void Time(Writer& w, int64_t us) {
  Str(w, absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMicros(us),
                          absl::UTCTimeZone()));
}

}  // namespace

std::string EncodeWebhookHistory(
    absl::string_view task_id, const std::optional<WebhookHistory>& history) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("taskId");
  Str(w, task_id);
  if (!history.has_value()) {
    w.Key("state");
    w.String("none");
    w.Key("attempts");
    w.StartArray();
    w.EndArray();
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
  }
  const OutboxEntry& e = history->entry;
  w.Key("webhookId");
  Str(w, e.row.id);
  w.Key("url");
  Str(w, e.row.url);
  w.Key("event");
  Str(w, e.row.event);
  w.Key("state");
  w.String(OutboxStateName(e.state));
  w.Key("attemptCount");
  w.Int(e.attempts);
  w.Key("createTime");
  Time(w, e.row.created_at_us);
  w.Key("nextAttemptTime");
  if (e.state == OutboxState::kPending) {
    Time(w, e.next_attempt_at_us);
  } else {
    w.Null();
  }
  w.Key("giveUpTime");
  Time(w, e.row.give_up_at_us);
  w.Key("attempts");
  w.StartArray();
  for (const AttemptRow& a : history->attempts) {
    w.StartObject();
    w.Key("time");
    Time(w, a.at_us);
    w.Key("durationMs");
    w.Int64(a.duration_ms);
    w.Key("statusCode");
    if (a.status_code != 0) {
      w.Int(a.status_code);
    } else {
      w.Null();
    }
    w.Key("error");
    if (!a.error.empty()) {
      Str(w, a.error);
    } else {
      w.Null();
    }
    w.Key("outcome");
    w.String(a.outcome == OutboxState::kPending ? "retry"
                                                : OutboxStateName(a.outcome));
    w.Key("nextAttemptTime");
    if (a.outcome == OutboxState::kPending) {
      Time(w, a.next_attempt_at_us);
    } else {
      w.Null();
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace mediagw::gateway
