// Durable webhook deliveries: the outbox rows a task's terminal transition
// committed (core/task_store.h SideRows::outbox), their attempts, and the
// endpoints a 410 disabled. Implementations: store/sqlite (the task
// store's file and writer thread).
//
// Writes are asynchronous like TaskStore's: `done` runs on the store's
// writer thread once the write is durable or has failed; keep it short.
// Reads are synchronous and may block on disk: never call them from the
// curl loop or a gRPC reaction.
#ifndef MEDIAGW_CORE_WEBHOOK_STORE_H_
#define MEDIAGW_CORE_WEBHOOK_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/task_store.h"

namespace mediagw {

enum class OutboxState {
  kPending = 0,    // an attempt is due at next_attempt_at_us
  kDelivered = 1,  // an attempt got a 2xx
  kFailed = 2,     // retries ran out (give_up_at_us passed)
  kDisabled = 3,   // the endpoint answered 410 (now, or for an earlier task)
};

// "pending", "delivered", "failed", "disabled".
inline const char* OutboxStateName(OutboxState state) {
  switch (state) {
    case OutboxState::kPending:
      return "pending";
    case OutboxState::kDelivered:
      return "delivered";
    case OutboxState::kFailed:
      return "failed";
    case OutboxState::kDisabled:
      return "disabled";
  }
  return "pending";
}

// An outbox row as stored.
struct OutboxEntry {
  OutboxRow row;
  OutboxState state = OutboxState::kPending;
  int attempts = 0;
  int64_t next_attempt_at_us = 0;  // meaningful while pending
  // Whether (account, url) was disabled by a 410 (ListDue only).
  bool endpoint_disabled = false;
};

// One delivery attempt and what it decided.
struct AttemptRow {
  std::string outbox_id;
  std::string task_id;
  int64_t at_us = 0;        // when it started
  int64_t duration_ms = 0;
  int status_code = 0;      // the reply's HTTP status; 0 when none came
  std::string error;        // why there was no reply (or "" with one)
  // The row's state after it (kPending: retry at next_attempt_at_us).
  OutboxState outcome = OutboxState::kPending;
  int64_t next_attempt_at_us = 0;
  // A 410: (account_id, url) is disabled for every later delivery.
  bool disable_endpoint = false;
  std::string account_id;
  std::string url;
};

// GET /v1/tasks/{id}/webhooks: the task's delivery and its attempts.
struct WebhookHistory {
  OutboxEntry entry;
  std::vector<AttemptRow> attempts;  // oldest first
};

class WebhookStore {
 public:
  using DoneCallback = std::function<void(absl::Status)>;
  virtual ~WebhookStore() = default;

  // Up to `limit` pending rows whose attempt is due at `now_us`, soonest
  // first.
  virtual absl::StatusOr<std::vector<OutboxEntry>> ListDue(int64_t now_us,
                                                           int limit) = 0;
  // Appends the attempt and moves its row to attempt.outcome, a pending
  // row only: NOT_FOUND (and nothing written) when it is no longer pending
  // or was deleted by retention. A disable_endpoint attempt also records
  // (account_id, url) as disabled.
  virtual void RecordAttempt(AttemptRow attempt, DoneCallback done) = 0;
  // The task's delivery with its last `max_attempts` attempts;
  // std::nullopt when the task has no outbox row.
  virtual absl::StatusOr<std::optional<WebhookHistory>> History(
      const std::string& task_id, int max_attempts) = 0;
  // Makes the task's delivery pending again, due at `now_us`, retried
  // until `give_up_at_us`, and enables its endpoint again for the account
  // (the owner asked for it). NOT_FOUND when the task has no outbox row.
  virtual void Replay(const std::string& task_id, int64_t now_us,
                      int64_t give_up_at_us, DoneCallback done) = 0;
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_WEBHOOK_STORE_H_
