// Admission: which tasks the dispatcher drives. At most max_active at once;
// the rest wait as PENDING rows in the store (the backlog), loaded oldest
// first as slots free. Restart recovery, and failing stored rows that cannot
// be read, start here too.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "common/status_mapping.h"
#include "common/utf8.h"
#include "core/dispatcher.h"
#include "core/dispatcher_internal.h"
#include "core/state_machine.h"
#include "google/protobuf/util/time_util.h"

namespace mediagw {

using google::protobuf::util::TimeUtil;
using v1::TaskState;

namespace {
// Accounts one refill considers (by id); with more waiting, those after
// them wait until earlier ones drain.
constexpr int kMaxWaitingOwners = 10000;
}  // namespace

void Dispatcher::Enqueue(const TaskRecord& record) {
  if (stopping_) return;
  bool direct = false;
  {
    absl::MutexLock l(&mu_);
    if (backlog_ ||
        active_.size() >= static_cast<size_t>(options_.max_active)) {
      // It waits in the store; FIFO order comes from there.
      backlog_ = true;
      ++backlog_gen_;
      waiting_.fetch_add(1, std::memory_order_relaxed);
    } else {
      direct = true;
    }
  }
  if (direct) {
    Admit(record);
  } else {
    StartOverdueSweep();
    AdmitNext();
  }
}

void Dispatcher::AdmitNext() {
  int want;
  uint64_t gen;
  {
    absl::MutexLock l(&mu_);
    if (stopping_ || !backlog_ || refilling_ ||
        active_.size() >= static_cast<size_t>(options_.max_active)) {
      return;
    }
    refilling_ = true;
    want = options_.max_active - static_cast<int>(active_.size());
    gen = backlog_gen_;
  }
  deps_.executor->Schedule([this, want, gen] { Refill(want, gen); });
}

void Dispatcher::Refill(int want, uint64_t gen) {
  // Free slots go to the accounts whose turn it is (core/fair_queue.h),
  // each taking its own oldest tasks: a deep queue of one account cannot
  // hold back another's.
  auto owners = deps_.store->PendingOwners(kMaxWaitingOwners);
  absl::Status error = owners.status();
  int admitted = 0;
  RecordScan unreadable;
  if (error.ok()) {
    // Rows of tasks admitted but not yet past PENDING (e.g. waiting for a
    // busy channel) come back from the store too: they are not waiting for
    // a slot, so they neither earn their account a share nor fill one.
    const absl::flat_hash_map<std::string, int> in_flight = AdmittedPending();
    std::vector<std::pair<std::string, int64_t>> waiting;
    waiting.reserve(owners->size());
    for (const auto& [owner, n] : *owners) {
      auto it = in_flight.find(owner);
      const int64_t left = n - (it == in_flight.end() ? 0 : it->second);
      if (left > 0) waiting.emplace_back(owner, left);
    }
    // Only this refill touches fair_ (refilling_ is set).
    const auto shares = fair_.Allocate(waiting, want, options_.weight_of);
    for (const auto& [owner, share] : shares) {
      auto it = in_flight.find(owner);
      const int admitted_already = it == in_flight.end() ? 0 : it->second;
      auto scan = deps_.store->ListPendingOf(owner, share + admitted_already);
      if (!scan.ok()) {
        error = scan.status();
        break;
      }
      int taken = 0;
      for (auto& rec : scan->records) {
        if (taken >= share) break;
        if (Admit(std::move(rec))) {
          ++taken;
          waiting_.fetch_sub(1, std::memory_order_relaxed);
        }
      }
      admitted += taken;
      for (UnreadableRow& row : scan->unreadable) {
        unreadable.unreadable.push_back(std::move(row));
      }
    }
  } else {
    MG_LOG(Warning, "cannot load the backlog: ", error.ToString());
  }
  {
    absl::MutexLock l(&mu_);
    refilling_ = false;
    // Nothing waits in the store unless more arrived meanwhile.
    if (error.ok() && owners->empty() && gen == backlog_gen_) {
      backlog_ = false;
      waiting_.store(0, std::memory_order_relaxed);
    }
  }
  if (!error.ok()) {
    deps_.scheduler->RunAt(deps_.scheduler->Now() + options_.poll_interval,
                           [this] { AdmitNext(); });
    return;
  }
  if (!unreadable.unreadable.empty()) {
    // Rows that cannot be read must not hold the head of the backlog:
    // once they are failed, the next read goes past them.
    auto left =
        std::make_shared<std::atomic<size_t>>(unreadable.unreadable.size());
    for (const UnreadableRow& row : unreadable.unreadable) {
      waiting_.fetch_sub(1, std::memory_order_relaxed);
      FailUnreadable(row, [this, left] {
        if (left->fetch_sub(1) == 1) {
          deps_.executor->Schedule([this] { AdmitNext(); });
        }
      });
    }
  } else if (admitted > 0) {
    AdmitNext();  // more slots may have freed meanwhile
  }
}

absl::flat_hash_map<std::string, int> Dispatcher::AdmittedPending() const {
  absl::flat_hash_map<std::string, int> out;
  absl::MutexLock l(&mu_);
  for (const auto& [id, a] : active_) {
    absl::MutexLock task_lock(&a->mu);
    if (a->record.task().state() == v1::TASK_STATE_PENDING) ++out[a->owner];
  }
  return out;
}

bool Dispatcher::Admit(TaskRecord record) {
  const std::string id = record.task().id();
  auto a = std::make_shared<Active>(id, record.owner());
  TaskState state = record.task().state();
  absl::Time deadline =
      absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(record.deadline()));
  bool has_deadline = record.has_deadline();
  {
    absl::MutexLock l(&a->mu);
    if (!record.channel().empty()) {
      a->channel = deps_.router->FindChannel(record.channel());
    }
    a->record = std::move(record);
  }
  {
    absl::MutexLock l(&mu_);
    if (active_.contains(id)) return false;
    active_[id] = a;
  }
  if (has_deadline && deadline <= deps_.clock->Now()) {
    // It waited in the store past its deadline: it ends now, and nothing is
    // sent upstream for it (a job started now would be paid for and lost).
    RequestStop(a, v1::TASK_STATE_TIMED_OUT, nullptr);
    return true;
  }
  if (has_deadline) {
    auto timer = deps_.scheduler->RunAt(deadline, [this, a] {
      RequestStop(a, v1::TASK_STATE_TIMED_OUT, nullptr);
    });
    absl::MutexLock l(&a->mu);
    a->deadline_timer = timer;
  }
  if (state == v1::TASK_STATE_PENDING) {
    Start(a);
  } else {
    Resume(a);
  }
  return true;
}

absl::Status Dispatcher::Recover() {
  auto scan = deps_.store->ListNonTerminal();
  if (!scan.ok()) return scan.status();
  size_t resumed = 0, waiting = 0;
  for (auto& rec : scan->records) {
    if (rec.task().state() == v1::TASK_STATE_PENDING) {
      ++waiting;  // stays in the store; AdmitNext loads it
    } else {
      // Already known upstream: resume regardless of the active limit.
      Admit(std::move(rec));
      ++resumed;
    }
  }
  for (const UnreadableRow& row : scan->unreadable) {
    // PENDING ones are failed by the backlog loader when it reaches them.
    if (row.state != v1::TASK_STATE_PENDING) FailUnreadable(row, [] {});
  }
  const size_t unreadable_waiting = static_cast<size_t>(std::count_if(
      scan->unreadable.begin(), scan->unreadable.end(),
      [](const UnreadableRow& r) {
        return r.state == v1::TASK_STATE_PENDING;
      }));
  waiting += unreadable_waiting;
  if (waiting > 0) {
    absl::MutexLock l(&mu_);
    backlog_ = true;
    ++backlog_gen_;
    waiting_.fetch_add(static_cast<int64_t>(waiting),
                       std::memory_order_relaxed);
  }
  if (waiting > 0) StartOverdueSweep();
  AdmitNext();
  MG_LOG(Info, "recovered ", resumed, " upstream tasks and ", waiting,
         " pending tasks; ", scan->unreadable.size(), " unreadable");
  return absl::OkStatus();
}

void Dispatcher::FailUnreadable(const UnreadableRow& row,
                                std::function<void()> then) {
  MG_LOG(Error, "task ", row.id, ": stored record unreadable; failing it");
  // Only what the columns say survives; the rest of the record is lost,
  // which the error says.
  // The record as far as its columns tell: the state machine and the
  // compare-and-swap judge the change against it.
  TaskRecord current;
  current.set_owner(row.owner);
  current.set_version(row.version);
  current.mutable_task()->set_id(row.id);
  current.mutable_task()->set_state(row.state);
  *current.mutable_task()->mutable_create_time() =
      ToProtoTime(absl::FromUnixMicros(row.created_at_us));
  TaskRecord next = current;
  v1::Task* task = next.mutable_task();
  task->set_state(v1::TASK_STATE_FAILED);
  task->mutable_error()->set_code(CodeName(absl::StatusCode::kInternal));
  task->mutable_error()->set_message("stored record unreadable");
  *task->mutable_end_time() = ToProtoTime(deps_.clock->Now());
  const std::string id = row.id;
  deps_.writer->Commit(
      current, std::move(next),
      [id, then = std::move(then)](absl::StatusOr<TaskRecord> committed) {
        if (committed.ok()) {
          static std::atomic<int64_t>* const failed = GlobalMetrics().Counter(
              "mediagw_unreadable_records_total",
              "Stored task records that could not be parsed and were failed");
          failed->fetch_add(1, std::memory_order_relaxed);
        } else {
          // ABORTED: another pass failed it first.
          MG_LOG(Warning, "task ", id, ": cannot fail unreadable record: ",
                 committed.status().ToString());
        }
        then();
      });
}

}  // namespace mediagw
