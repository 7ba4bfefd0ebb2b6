#include "webhooks/webhook_sender.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "webhooks/webhook_signature.h"

namespace mediagw::webhooks {

namespace {

constexpr size_t kMaxErrorChars = 256;

CounterFamily AttemptsFamily() {
  return GlobalMetrics().Counters(
      "mediagw_webhook_attempts_total",
      "Webhook delivery attempts by outcome: delivered (2xx), retry, failed "
      "(retries ran out, or the address was refused), disabled (410, or an "
      "endpoint disabled earlier)",
      {"outcome"});
}

std::atomic<int64_t>* DisabledCounter() {
  static std::atomic<int64_t>* const c = GlobalMetrics().Counter(
      "mediagw_webhook_endpoints_disabled_total",
      "Webhook endpoints (account and URL) disabled by a 410 reply");
  return c;
}

const char* OutcomeLabel(OutboxState s) {
  switch (s) {
    case OutboxState::kDelivered:
      return "delivered";
    case OutboxState::kFailed:
      return "failed";
    case OutboxState::kDisabled:
      return "disabled";
    case OutboxState::kPending:
      return "retry";
  }
  return "retry";
}

// Status messages are ours and ASCII; the cut keeps stored rows bounded.
std::string BoundedError(const absl::Status& st) {
  std::string text = absl::StrCat(absl::StatusCodeToString(st.code()), ": ",
                                  st.message());
  if (text.size() > kMaxErrorChars) text.resize(kMaxErrorChars);
  return text;
}

}  // namespace

absl::Duration Backoff(int failures, absl::Duration base,
                       absl::Duration max_delay, double u) {
  failures = std::max(failures, 1);
  absl::Duration cap = max_delay;
  // 2^(failures-1) overflows nothing below 62 doublings; past the cap it no
  // longer matters.
  if (failures - 1 < 62) {
    const absl::Duration grown = base * static_cast<double>(int64_t{1}
                                                            << (failures - 1));
    cap = std::min(cap, grown);
  }
  u = std::clamp(u, 0.0, 1.0);
  return cap * u;
}

struct WebhookSender::Attempt {
  OutboxEntry entry;
  absl::Time started;
};

WebhookSender::WebhookSender(Deps deps, SenderOptions options)
    : deps_(std::move(deps)), options_(options) {}

WebhookSender::~WebhookSender() { Stop(); }

void WebhookSender::RegisterMetrics() {
  CounterFamily f = AttemptsFamily();
  for (const char* o : {"delivered", "retry", "failed", "disabled"}) {
    f.With({o});
  }
  DisabledCounter();
}

void WebhookSender::Start() {
  absl::MutexLock lock(&mu_);
  if (started_ || stopping_) return;
  started_ = true;
  thread_ = std::thread([this] { Loop(); });
}

void WebhookSender::Kick() {
  absl::MutexLock lock(&mu_);
  kicked_ = true;
}

bool WebhookSender::Woken() const { return kicked_ || stopping_; }
bool WebhookSender::Idle() const { return in_flight_.empty(); }

void WebhookSender::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(this, &WebhookSender::Idle));
}

SenderCounts WebhookSender::counts() const {
  absl::MutexLock lock(&mu_);
  return counts_;
}

int WebhookSender::in_flight() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(in_flight_.size());
}

void WebhookSender::Loop() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(this, &WebhookSender::Woken),
                           options_.poll_interval);
      if (stopping_) return;
      kicked_ = false;
    }
    Pass();
  }
}

void WebhookSender::Pass() {
  int busy = 0;
  {
    absl::MutexLock lock(&mu_);
    busy = static_cast<int>(in_flight_.size());
  }
  const int room = options_.max_in_flight - busy;
  if (room <= 0) return;
  // Rows in flight are due too (their attempt is not recorded yet): read
  // enough to see past them.
  absl::StatusOr<std::vector<OutboxEntry>> due = deps_.store->ListDue(
      absl::ToUnixMicros(deps_.clock->Now()), room + busy);
  if (!due.ok()) {
    MG_LOG(Warning, "webhooks: cannot read the outbox: ",
           due.status().ToString());
    return;
  }
  for (OutboxEntry& e : *due) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      if (static_cast<int>(in_flight_.size()) >= options_.max_in_flight) {
        return;
      }
      if (in_flight_.contains(e.row.id)) continue;
      int& n = per_endpoint_[e.row.url];
      if (n >= options_.max_per_endpoint) continue;
      ++n;
      in_flight_.insert(e.row.id);
    }
    if (e.endpoint_disabled) {
      // Disabled by a 410 for an earlier task: nothing is sent.
      AttemptRow row;
      row.outbox_id = e.row.id;
      row.task_id = e.row.task_id;
      row.at_us = absl::ToUnixMicros(deps_.clock->Now());
      row.error = "endpoint disabled by an earlier 410";
      row.outcome = OutboxState::kDisabled;
      Record(std::move(row), e.row.url);
      continue;
    }
    Send(std::move(e));
  }
}

void WebhookSender::Send(OutboxEntry entry) {
  auto attempt = std::make_shared<Attempt>();
  attempt->started = deps_.clock->Now();
  const int64_t ts = absl::ToUnixSeconds(attempt->started);
  HttpRequest req;
  req.method = "POST";
  req.url = entry.row.url;
  req.body = entry.row.body;
  req.timeout = options_.attempt_timeout;
  req.connect_timeout = std::min(options_.attempt_timeout, absl::Seconds(5));
  req.max_response_bytes = options_.max_response_bytes;
  req.max_redirects = 0;
  req.headers = {{"Content-Type", "application/json"},
                 {"User-Agent", "mediagw-webhooks/1"},
                 {"webhook-id", entry.row.id},
                 {"webhook-timestamp", absl::StrCat(ts)}};
  const std::vector<std::string> secrets =
      deps_.secrets ? deps_.secrets(entry.row.account_id)
                    : std::vector<std::string>{};
  absl::StatusOr<std::string> sig =
      SignatureHeader(secrets, entry.row.id, ts, entry.row.body);
  if (sig.ok()) req.headers.emplace_back("webhook-signature", *sig);
  if (entry.row.kie_format && !secrets.empty()) {
    req.headers.emplace_back("X-Webhook-Timestamp", absl::StrCat(ts));
    req.headers.emplace_back(
        "X-Webhook-Signature",
        KieSignature(secrets.front(), entry.row.task_id, ts));
  }
  attempt->entry = std::move(entry);
  deps_.http->Send(std::move(req),
                   [this, attempt](absl::StatusOr<HttpResponse> reply) {
                     Finished(attempt, std::move(reply));
                   });
}

void WebhookSender::Finished(const std::shared_ptr<Attempt>& attempt,
                             absl::StatusOr<HttpResponse> reply) {
  const OutboxEntry& e = attempt->entry;
  if (!reply.ok() && reply.status().code() == absl::StatusCode::kCancelled) {
    // The client is shutting down: the row stays due for the next start.
    Release(e.row.id, e.row.url);
    return;
  }
  const absl::Time now = deps_.clock->Now();
  AttemptRow row;
  row.outbox_id = e.row.id;
  row.task_id = e.row.task_id;
  row.at_us = absl::ToUnixMicros(attempt->started);
  row.duration_ms = absl::ToInt64Milliseconds(now - attempt->started);
  row.account_id = e.row.account_id;
  row.url = e.row.url;
  if (reply.ok()) {
    row.status_code = reply->status;
    if (reply->status >= 200 && reply->status < 300) {
      row.outcome = OutboxState::kDelivered;
    } else if (reply->status == 410) {
      row.outcome = OutboxState::kDisabled;
      row.disable_endpoint = true;
    }
  } else {
    row.error = BoundedError(reply.status());
    const absl::StatusCode code = reply.status().code();
    // An address or URL the policy refuses will be refused again.
    if (code == absl::StatusCode::kPermissionDenied ||
        code == absl::StatusCode::kInvalidArgument) {
      row.outcome = OutboxState::kFailed;
    }
  }
  if (row.outcome == OutboxState::kPending && row.status_code == 0 &&
      row.error.empty()) {
    row.error = "no reply";
  }
  if (row.outcome == OutboxState::kPending) {
    double u = 0;
    {
      absl::MutexLock lock(&mu_);
      u = absl::Uniform(rng_, 0.0, 1.0);
    }
    const absl::Time next =
        now + Backoff(e.attempts + 1, options_.retry_base,
                      options_.retry_max_delay, u);
    if (absl::ToUnixMicros(next) > e.row.give_up_at_us) {
      row.outcome = OutboxState::kFailed;
    } else {
      row.next_attempt_at_us = absl::ToUnixMicros(next);
    }
  }
  Record(std::move(row), e.row.url);
}

void WebhookSender::Record(AttemptRow row, const std::string& url) {
  const OutboxState outcome = row.outcome;
  const bool disable = row.disable_endpoint;
  const std::string id = row.outbox_id;
  const std::string task_id = row.task_id;
  deps_.store->RecordAttempt(
      std::move(row), [this, id, url, outcome, disable, task_id](
                          absl::Status st) {
        if (!st.ok()) {
          // Not recorded: the row is still pending as it was, and is read
          // again at the next pass.
          MG_LOG(Warning, "webhooks: attempt of ", task_id,
                 " not recorded: ", st.ToString());
        } else {
          AttemptsFamily().With({OutcomeLabel(outcome)})->fetch_add(1);
          if (disable) DisabledCounter()->fetch_add(1);
          absl::MutexLock lock(&mu_);
          ++counts_.attempts;
          switch (outcome) {
            case OutboxState::kDelivered:
              ++counts_.delivered;
              break;
            case OutboxState::kPending:
              ++counts_.retried;
              break;
            case OutboxState::kFailed:
              ++counts_.failed;
              break;
            case OutboxState::kDisabled:
              ++counts_.disabled;
              break;
          }
        }
        Release(id, url);
      });
}

void WebhookSender::Release(const std::string& id, const std::string& url) {
  absl::MutexLock lock(&mu_);
  in_flight_.erase(id);
  auto it = per_endpoint_.find(url);
  if (it != per_endpoint_.end() && --it->second <= 0) per_endpoint_.erase(it);
  // A freed slot may let a waiting row go.
  kicked_ = true;
}

}  // namespace mediagw::webhooks
