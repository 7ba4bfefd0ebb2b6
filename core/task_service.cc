#include "core/task_service_impl.h"

#include <algorithm>
#include <deque>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status_mapping.h"
#include "common/utf8.h"
#include "core/request_normalizer.h"
#include "core/state_machine.h"
#include "google/protobuf/util/time_util.h"

namespace mediagw {

using google::protobuf::util::TimeUtil;

namespace {


// The task as callers see it: the record's version goes with it.
v1::Task VisibleTask(const TaskRecord& rec) {
  v1::Task task = rec.task();
  task.set_version(rec.version());
  return task;
}

// The id is echoed from the caller: it must not carry bad text back out.
absl::Status NotFound(const std::string& id) {
  return absl::NotFoundError(
      absl::StrCat("task not found: ", SanitizeUpstreamText(id, 128)));
}


// Serializes deliveries of one watch: whoever finds the queue idle drains
// it, outside the lock, so callbacks never run under a lock and never
// overlap.
class TaskWatchImpl : public TaskWatch,
                      public std::enable_shared_from_this<TaskWatchImpl> {
 public:
  TaskWatchImpl(EventBus* bus, std::function<void(const v1::Task&)> on_event,
                std::function<void(absl::Status)> on_error)
      : bus_(bus), on_event_(std::move(on_event)), on_error_(std::move(on_error)) {}
  ~TaskWatchImpl() override { Stop(); }

  void Subscribe(const std::string& id) {
    std::weak_ptr<TaskWatchImpl> weak = weak_from_this();
    auto sub = bus_->Subscribe(id, [weak](const v1::Task& t, int64_t version) {
      if (auto self = weak.lock()) self->Offer(t, version, /*snapshot=*/false);
    });
    absl::MutexLock l(&mu_);
    sub_ = sub;
  }

  void Offer(const v1::Task& task, int64_t version, bool snapshot) {
    {
      absl::MutexLock l(&mu_);
      if (stopped_) return;
      if (snapshot) {
        have_snapshot_ = true;
      }
      queue_.push_back({task, version, snapshot});
      if (delivering_ || !have_snapshot_) return;
      delivering_ = true;
    }
    DrainQueue();
  }

  void Error(absl::Status st) {
    {
      absl::MutexLock l(&mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    Unsubscribe();
    on_error_(std::move(st));
  }

  void Stop() override {
    {
      absl::MutexLock l(&mu_);
      stopped_ = true;
    }
    Unsubscribe();
  }

 private:
  struct Item {
    v1::Task task;
    int64_t version;
    bool snapshot;
  };

  void Unsubscribe() {
    EventBus::SubscriptionId sub;
    {
      absl::MutexLock l(&mu_);
      sub = sub_;
      sub_ = 0;
    }
    if (sub) bus_->Unsubscribe(sub);
  }

  void DrainQueue() {
    for (;;) {
      Item item;
      {
        absl::MutexLock l(&mu_);
        // The snapshot goes first even if events raced ahead of it.
        auto it = std::find_if(queue_.begin(), queue_.end(),
                               [](const Item& i) { return i.snapshot; });
        if (it != queue_.end()) {
          item = std::move(*it);
          queue_.erase(it);
        } else if (!queue_.empty() && !stopped_) {
          item = std::move(queue_.front());
          queue_.pop_front();
        } else {
          delivering_ = false;
          return;
        }
        if (item.version <= last_version_ || stopped_) continue;
        last_version_ = item.version;
        if (IsTerminal(item.task.state())) stopped_ = true;
      }
      item.task.set_version(item.version);
      on_event_(item.task);
      bool done;
      {
        absl::MutexLock l(&mu_);
        done = stopped_;
      }
      if (done) {
        Unsubscribe();
      }
    }
  }

  EventBus* const bus_;
  std::function<void(const v1::Task&)> on_event_;
  std::function<void(absl::Status)> on_error_;
  absl::Mutex mu_;
  EventBus::SubscriptionId sub_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
  int64_t last_version_ ABSL_GUARDED_BY(mu_) = 0;
  bool have_snapshot_ ABSL_GUARDED_BY(mu_) = false;
  bool delivering_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

TaskServiceImpl::TaskServiceImpl(Deps deps) : deps_(deps) {}

bool TaskServiceImpl::PlausibleId(absl::string_view id) {
  return !id.empty() && id.size() <= 128 && IsValidUtf8(id);
}

void TaskServiceImpl::ReplyExisting(const Caller& caller, const std::string& key,
                                const std::string& fingerprint,
                                Callback<v1::Task> done) {
  deps_.executor->Schedule([this, caller, key, fingerprint, done] {
    auto id = deps_.store->FindByIdempotencyKey(caller.owner(), key);
    if (!id.ok()) {
      done(id.status());
      return;
    }
    if (!id->has_value()) {
      done(absl::AbortedError("idempotency key conflict; retry"));
      return;
    }
    auto rec = deps_.store->Get(**id);
    if (!rec.ok()) {
      done(rec.status());
      return;
    }
    // Tasks stored before fingerprints existed have none: any repeat of
    // their key is taken for the same request, as it was then.
    if (!rec->idempotency_fingerprint().empty() &&
        rec->idempotency_fingerprint() != fingerprint) {
      done(absl::AlreadyExistsError(
          "Idempotency key was already used for a different request"));
      return;
    }
    done(FirstReply(*rec));
  });
}

v1::Task TaskServiceImpl::FirstReply(const TaskRecord& rec) const {
  // What NewRecord made and Store replied, before the dispatcher touched
  // it: later changes (the dispatch-time provider, the state) would change
  // the reply's shape on the legacy surface.
  const v1::Task& now = rec.task();
  v1::Task first;
  first.set_id(now.id());
  first.set_state(v1::TASK_STATE_PENDING);
  first.set_kind(now.kind());
  first.set_workflow(now.workflow());
  first.set_seed(now.seed());
  auto workflow = deps_.router->Workflow(now.workflow());
  if (workflow.ok()) first.set_provider(workflow->provider_label);
  *first.mutable_create_time() = now.create_time();
  *first.mutable_update_time() = now.create_time();
  first.set_version(1);
  return first;
}

void TaskServiceImpl::GetTask(const Caller& caller, const std::string& id,
                          Callback<v1::Task> done) {
  if (!PlausibleId(id)) {
    done(NotFound(id));
    return;
  }
  deps_.executor->Schedule([this, caller, id, done] {
    auto rec = deps_.store->Get(id);
    if (!rec.ok()) {
      done(rec.status().code() == absl::StatusCode::kNotFound ? NotFound(id)
                                                              : rec.status());
      return;
    }
    if (rec->owner() != caller.owner()) {
      done(NotFound(id));  // do not reveal other callers' tasks
      return;
    }
    done(VisibleTask(*rec));
  });
}

void TaskServiceImpl::CancelTask(const Caller& caller, const std::string& id,
                             Callback<v1::Task> done) {
  if (!PlausibleId(id)) {
    done(NotFound(id));
    return;
  }
  deps_.executor->Schedule([this, caller, id, done] {
    auto rec = deps_.store->Get(id);
    if (!rec.ok() || rec->owner() != caller.owner()) {
      done(!rec.ok() && rec.status().code() != absl::StatusCode::kNotFound
               ? rec.status()
               : NotFound(id));
      return;
    }
    if (IsTerminal(rec->task().state())) {
      done(absl::FailedPreconditionError(absl::StrCat(
          "task already finished (", LegacyStatusName(rec->task().state()),
          ")")));
      return;
    }
    deps_.dispatcher->Cancel(id, [done](absl::StatusOr<TaskRecord> r) {
      if (!r.ok()) {
        done(r.status());
      } else {
        done(VisibleTask(*r));
      }
    });
  });
}

void TaskServiceImpl::ListTasks(const Caller& caller, v1::ListTasksRequest request,
                            Callback<v1::ListTasksResponse> done) {
  if (request.page_size() < 0 || request.page_size() > 500) {
    done(absl::InvalidArgumentError("page_size must be between 0 and 500"));
    return;
  }
  // Each state at most once: a longer list can only be repeats.
  if (request.states_size() > v1::TaskState_ARRAYSIZE) {
    done(absl::InvalidArgumentError(absl::StrCat(
        "states: at most ", v1::TaskState_ARRAYSIZE, " values")));
    return;
  }
  std::vector<v1::TaskState> states;
  for (int s : request.states()) {
    if (!v1::TaskState_IsValid(s)) {
      done(absl::InvalidArgumentError(
          absl::StrCat("states: unknown state ", s)));
      return;
    }
    const auto state = static_cast<v1::TaskState>(s);
    if (std::find(states.begin(), states.end(), state) == states.end()) {
      states.push_back(state);
    }
  }
  deps_.executor->Schedule([this, caller, request, states, done] {
    ListFilter filter;
    filter.owner = caller.owner();
    filter.page_size = request.page_size() == 0 ? 50 : request.page_size();
    filter.page_token = request.page_token();
    filter.states = states;
    auto page = deps_.store->List(filter);
    if (!page.ok()) {
      done(page.status());
      return;
    }
    v1::ListTasksResponse resp;
    for (auto& r : page->records) *resp.add_tasks() = VisibleTask(r);
    resp.set_next_page_token(page->next_page_token);
    done(std::move(resp));
  });
}

std::shared_ptr<TaskWatch> TaskServiceImpl::Watch(
    const Caller& caller, const std::string& id,
    std::function<void(const v1::Task&)> on_event,
    std::function<void(absl::Status)> on_error) {
  auto watch = std::make_shared<TaskWatchImpl>(deps_.bus, std::move(on_event),
                                               std::move(on_error));
  // Subscribe before reading, so no change between the read and the
  // subscription is missed; versions drop duplicates.
  watch->Subscribe(id);
  std::weak_ptr<TaskWatchImpl> weak = watch;
  deps_.executor->Schedule([this, caller, id, weak] {
    auto self = weak.lock();
    if (!self) return;
    auto rec = deps_.store->Get(id);
    if (!rec.ok() || rec->owner() != caller.owner()) {
      self->Error(!rec.ok() && rec.status().code() != absl::StatusCode::kNotFound
                      ? rec.status()
                      : NotFound(id));
      return;
    }
    self->Offer(VisibleTask(*rec), rec->version(), /*snapshot=*/true);
  });
  return watch;
}

}  // namespace mediagw
