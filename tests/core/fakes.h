// Deterministic in-memory doubles for the core interfaces. Everything that
// the real implementations do asynchronously is posted to a ManualQueue that
// the test drains, and timers fire only when the test advances a FakeClock.
#ifndef MEDIAGW_TESTS_CORE_FAKES_H_
#define MEDIAGW_TESTS_CORE_FAKES_H_

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/thread_pool.h"
#include "core/blob_store.h"
#include "core/http_client.h"
#include "core/provider.h"
#include "core/state_machine.h"
#include "core/task_store.h"

namespace mediagw::testing {

// FIFO of closures run by the test thread. Also an Executor.
class ManualQueue : public Executor {
 public:
  void Schedule(std::function<void()> fn) override { Post(std::move(fn)); }
  void Post(std::function<void()> fn) {
    absl::MutexLock l(&mu_);
    q_.push_back(std::move(fn));
  }
  // Runs closures (including ones posted meanwhile) until empty.
  int RunAll() {
    int n = 0;
    for (;;) {
      std::function<void()> fn;
      {
        absl::MutexLock l(&mu_);
        if (q_.empty()) return n;
        fn = std::move(q_.front());
        q_.pop_front();
      }
      fn();
      ++n;
    }
  }

 private:
  absl::Mutex mu_;
  std::deque<std::function<void()>> q_ ABSL_GUARDED_BY(mu_);
};

// Timers on a FakeClock; FireDue runs those whose time has come.
class ManualScheduler : public Scheduler {
 public:
  explicit ManualScheduler(FakeClock* clock) : clock_(clock) {}
  TimerId RunAt(absl::Time when, std::function<void()> fn) override {
    absl::MutexLock l(&mu_);
    TimerId id = next_++;
    timers_[id] = {when, std::move(fn)};
    return id;
  }
  void Cancel(TimerId id) override {
    absl::MutexLock l(&mu_);
    timers_.erase(id);
  }
  absl::Time Now() const override { return clock_->Now(); }
  // Fires due timers, earliest first (ties in creation order).
  int FireDue() {
    int n = 0;
    for (;;) {
      std::function<void()> fn;
      {
        absl::MutexLock l(&mu_);
        auto best = timers_.end();
        for (auto it = timers_.begin(); it != timers_.end(); ++it) {
          if (it->second.first <= clock_->Now() &&
              (best == timers_.end() ||
               it->second.first < best->second.first)) {
            best = it;
          }
        }
        if (best == timers_.end()) return n;
        fn = std::move(best->second.second);
        timers_.erase(best);
      }
      fn();
      ++n;
    }
  }
  size_t Pending() const {
    absl::MutexLock l(&mu_);
    return timers_.size();
  }

 private:
  FakeClock* const clock_;
  mutable absl::Mutex mu_;
  TimerId next_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<TimerId, std::pair<absl::Time, std::function<void()>>> timers_
      ABSL_GUARDED_BY(mu_);
};

// TaskStore with the contract's CAS and uniqueness rules. Writes apply at
// once; their callbacks are posted to the queue (like a writer thread).
class FakeTaskStore : public TaskStore {
 public:
  struct Change {
    std::string id;
    int64_t version;
    v1::TaskState state;
    double progress;
  };
  explicit FakeTaskStore(ManualQueue* q) : q_(q) {}

  using TaskStore::Insert;
  using TaskStore::Update;
  void Insert(TaskRecord record, SideRows rows, DoneCallback done) override {
    absl::Status st;
    {
      absl::MutexLock l(&mu_);
      side_rows_.push_back(std::move(rows));
      const std::string& id = record.task().id();
      const std::string& key = record.request().idempotency_key();
      if (record.version() != 1) {
        st = absl::InvalidArgumentError("insert needs version 1");
      } else if (records_.contains(id)) {
        st = absl::AlreadyExistsError(id);
      } else if (!key.empty() && keys_.count({record.owner(), key}) > 0 &&
                 !KeyExpired(keys_[{record.owner(), key}], record)) {
        st = absl::AlreadyExistsError(key);
      } else {
        if (!key.empty()) keys_[{record.owner(), key}] = id;
        Commit(record);
      }
    }
    q_->Post([done, st] { done(st); });
  }

  void Update(TaskRecord record, SideRows rows, DoneCallback done) override {
    absl::Status st;
    {
      absl::MutexLock l(&mu_);
      side_rows_.push_back(std::move(rows));
      auto it = records_.find(record.task().id());
      if (fail_next_updates_ > 0) {
        --fail_next_updates_;
        st = absl::UnavailableError("injected store failure");
      } else if (it == records_.end()) {
        st = absl::NotFoundError(record.task().id());
      } else if (it->second.version() != record.version() - 1) {
        st = absl::AbortedError("version conflict");
      } else {
        Commit(record);
      }
    }
    q_->Post([done, st] { done(st); });
  }

  // Get calls so far.
  size_t Gets() const {
    absl::MutexLock l(&mu_);
    return gets_;
  }
  absl::StatusOr<TaskRecord> Get(const std::string& id) override {
    absl::MutexLock l(&mu_);
    ++gets_;
    auto it = records_.find(id);
    if (it == records_.end()) return absl::NotFoundError(id);
    return it->second;
  }
  absl::StatusOr<std::optional<std::string>> FindByIdempotencyKey(
      const std::string& owner, const std::string& key) override {
    absl::MutexLock l(&mu_);
    auto it = keys_.find({owner, key});
    if (it == keys_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  absl::StatusOr<RecordScan> ListNonTerminal() override {
    absl::MutexLock l(&mu_);
    RecordScan out;
    for (const auto& [id, r] : records_) {
      if (!IsTerminal(r.task().state())) out.records.push_back(r);
    }
    return out;
  }

  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> PendingOwners(
      int limit) override {
    absl::MutexLock l(&mu_);
    std::map<std::string, int64_t> counts;
    for (const auto& [id, r] : records_) {
      if (r.task().state() == v1::TASK_STATE_PENDING) ++counts[r.owner()];
    }
    std::vector<std::pair<std::string, int64_t>> out(counts.begin(),
                                                     counts.end());
    if (static_cast<int>(out.size()) > limit) out.resize(limit);
    return out;
  }
  absl::StatusOr<RecordScan> ListPendingOf(const std::string& owner,
                                           int limit) override {
    absl::MutexLock l(&mu_);
    RecordScan out;
    for (const auto& id : order_) {
      const TaskRecord& r = records_.at(id);
      if (r.task().state() != v1::TASK_STATE_PENDING || r.owner() != owner) {
        continue;
      }
      if (static_cast<int>(out.rows()) >= limit) break;
      out.records.push_back(r);
    }
    return out;
  }
  absl::StatusOr<RecordScan> ListOverduePending(absl::Time now,
                                                int limit) override {
    absl::MutexLock l(&mu_);
    ++overdue_lists_;
    std::vector<std::pair<absl::Time, const TaskRecord*>> due;
    for (const auto& id : order_) {
      const TaskRecord& r = records_.at(id);
      if (r.task().state() != v1::TASK_STATE_PENDING || !r.has_deadline()) {
        continue;
      }
      const absl::Time d = absl::FromUnixSeconds(r.deadline().seconds()) +
                           absl::Nanoseconds(r.deadline().nanos());
      if (d <= now) due.emplace_back(d, &r);
    }
    std::stable_sort(due.begin(), due.end(), [](const auto& x, const auto& y) {
      return x.first < y.first;
    });
    RecordScan out;
    for (const auto& [d, r] : due) {
      if (static_cast<int>(out.rows()) >= limit) break;
      out.records.push_back(*r);
    }
    return out;
  }
  int OverdueLists() const {
    absl::MutexLock l(&mu_);
    return overdue_lists_;
  }
  absl::StatusOr<ListPage> List(const ListFilter& filter) override {
    absl::MutexLock l(&mu_);
    last_list_states_ = filter.states;
    ListPage page;
    for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
      const TaskRecord& r = records_.at(*it);
      if (!filter.owner.empty() && r.owner() != filter.owner) continue;
      page.records.push_back(r);
    }
    return page;
  }
  absl::StatusOr<RecordScan> ListExpired(absl::Time created_before,
                                         int limit) override {
    absl::MutexLock l(&mu_);
    ++expired_lists_;
    RecordScan out;
    for (const auto& id : order_) {
      const TaskRecord& r = records_.at(id);
      if (!IsTerminal(r.task().state())) continue;
      if (absl::FromUnixSeconds(r.task().create_time().seconds()) +
              absl::Nanoseconds(r.task().create_time().nanos()) >=
          created_before) {
        continue;
      }
      if (static_cast<int>(out.rows()) >= limit) break;
      out.records.push_back(r);
    }
    return out;
  }
  void DeleteTerminal(std::vector<std::string> ids,
                      DoneCallback done) override {
    {
      absl::MutexLock l(&mu_);
      ++deletes_;
      for (const std::string& id : ids) {
        auto it = records_.find(id);
        if (it == records_.end() || !IsTerminal(it->second.task().state())) {
          continue;
        }
        records_.erase(it);
        order_.erase(std::find(order_.begin(), order_.end(), id));
      }
    }
    q_->Post([done] { done(absl::OkStatus()); });
  }
  // ListExpired and DeleteTerminal calls so far.
  int ExpiredLists() const {
    absl::MutexLock l(&mu_);
    return expired_lists_;
  }
  int Deletes() const {
    absl::MutexLock l(&mu_);
    return deletes_;
  }

  // The states filter of the last List call.
  std::vector<v1::TaskState> LastListStates() {
    absl::MutexLock l(&mu_);
    return last_list_states_;
  }

  // Test access.
  void Seed(const TaskRecord& record) {
    absl::MutexLock l(&mu_);
    Commit(record);
  }
  std::vector<Change> History(const std::string& id) const {
    absl::MutexLock l(&mu_);
    std::vector<Change> out;
    for (const auto& c : history_) {
      if (c.id == id) out.push_back(c);
    }
    return out;
  }
  std::vector<SideRows> SideRowsSeen() const {
    absl::MutexLock l(&mu_);
    return side_rows_;
  }
  void FailNextUpdates(int n) {
    absl::MutexLock l(&mu_);
    fail_next_updates_ = n;
  }
  size_t Size() const {
    absl::MutexLock l(&mu_);
    return records_.size();
  }

 private:
  void Commit(const TaskRecord& r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!records_.contains(r.task().id())) order_.push_back(r.task().id());
    records_[r.task().id()] = r;
    history_.push_back(
        {r.task().id(), r.version(), r.task().state(), r.task().progress()});
  }

  // As the contract says: the holder's expiry is at or before the new
  // task's creation.
  bool KeyExpired(const std::string& holder, const TaskRecord& next) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const TaskRecord& h = records_.at(holder);
    if (!h.has_idempotency_expire_time()) return false;
    const auto& e = h.idempotency_expire_time();
    const auto& c = next.task().create_time();
    return std::make_pair(e.seconds(), e.nanos()) <=
           std::make_pair(c.seconds(), c.nanos());
  }

  ManualQueue* const q_;
  mutable absl::Mutex mu_;
  size_t gets_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, TaskRecord> records_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> order_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, std::string> keys_
      ABSL_GUARDED_BY(mu_);
  std::vector<Change> history_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::TaskState> last_list_states_ ABSL_GUARDED_BY(mu_);
  int fail_next_updates_ ABSL_GUARDED_BY(mu_) = 0;
  // Rows handed with each write, in call order (committed or not).
  std::vector<SideRows> side_rows_ ABSL_GUARDED_BY(mu_);
  int expired_lists_ ABSL_GUARDED_BY(mu_) = 0;
  int overdue_lists_ ABSL_GUARDED_BY(mu_) = 0;
  int deletes_ ABSL_GUARDED_BY(mu_) = 0;
};

class FakeBlobStore : public BlobStore {
 public:
  absl::Status Put(const std::string& name, absl::string_view data) override {
    if (name.empty() || name.find('/') != std::string::npos ||
        name.find("..") != std::string::npos) {
      return absl::InvalidArgumentError(name);
    }
    absl::MutexLock l(&mu_);
    ++puts_;
    blobs_[name] = std::string(data);
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> Get(const std::string& name) override {
    absl::MutexLock l(&mu_);
    auto it = blobs_.find(name);
    if (it == blobs_.end()) return absl::NotFoundError(name);
    return it->second;
  }
  absl::StatusOr<std::unique_ptr<BlobReader>> OpenRead(
      const std::string& name) override {
    auto data = Get(name);
    if (!data.ok()) return data.status();
    return std::unique_ptr<BlobReader>(
        std::make_unique<MemoryReader>(*std::move(data)));
  }

  absl::Status Delete(const std::string& name) override {
    absl::MutexLock l(&mu_);
    blobs_.erase(name);
    return absl::OkStatus();
  }
  // Test access.
  std::vector<std::string> Names() const {
    absl::MutexLock l(&mu_);
    std::vector<std::string> out;
    for (const auto& [name, data] : blobs_) out.push_back(name);
    return out;
  }
  size_t Puts() const {
    absl::MutexLock l(&mu_);
    return puts_;
  }

 private:
  class MemoryReader : public BlobReader {
   public:
    explicit MemoryReader(std::string data) : data_(std::move(data)) {}
    uint64_t size() const override { return data_.size(); }
    absl::Time modified() const override { return absl::UnixEpoch(); }
    absl::StatusOr<std::string> Read(uint64_t offset, size_t max) override {
      if (offset >= data_.size()) return std::string();
      return data_.substr(offset, max);
    }

   private:
    const std::string data_;
  };

  mutable absl::Mutex mu_;
  std::map<std::string, std::string> blobs_ ABSL_GUARDED_BY(mu_);
  size_t puts_ ABSL_GUARDED_BY(mu_) = 0;
};

// Answers every request with `body` (status 200) unless a URL is scripted.
class FakeHttpClient : public HttpClient {
 public:
  FakeHttpClient(ManualQueue* q, std::string body)
      : q_(q), body_(std::move(body)) {}
  void Send(HttpRequest request, HttpCallback done) override {
    absl::StatusOr<HttpResponse> resp;
    {
      absl::MutexLock l(&mu_);
      urls_.push_back(request.url);
      auto it = scripted_.find(request.url);
      if (it != scripted_.end() && !it->second.empty()) {
        resp = it->second.front();
        it->second.pop_front();
      } else {
        HttpResponse ok;
        ok.status = 200;
        ok.body = body_;
        resp = ok;
      }
      if (hold_) {
        held_.push_back([done, resp] { done(resp); });
        return;
      }
    }
    q_->Post([done, resp] { done(resp); });
  }
  // While held, answers wait until AnswerOne lets the oldest one go.
  void Hold(bool hold) {
    absl::MutexLock l(&mu_);
    hold_ = hold;
  }
  size_t Held() const {
    absl::MutexLock l(&mu_);
    return held_.size();
  }
  void AnswerOne() {
    std::function<void()> fn;
    {
      absl::MutexLock l(&mu_);
      if (held_.empty()) return;
      fn = std::move(held_.front());
      held_.pop_front();
    }
    q_->Post(std::move(fn));
  }
  void Script(const std::string& url, absl::StatusOr<HttpResponse> resp) {
    absl::MutexLock l(&mu_);
    scripted_[url].push_back(std::move(resp));
  }
  std::vector<std::string> Urls() const {
    absl::MutexLock l(&mu_);
    return urls_;
  }

 private:
  ManualQueue* const q_;
  const std::string body_;
  mutable absl::Mutex mu_;
  std::vector<std::string> urls_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::deque<absl::StatusOr<HttpResponse>>> scripted_
      ABSL_GUARDED_BY(mu_);
  bool hold_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<std::function<void()>> held_ ABSL_GUARDED_BY(mu_);
};

// A provider whose answers are scripted per task; unscripted submits
// succeed with upstream id "up-<task id>" and unscripted polls say queued.
class FakeProvider : public Provider {
 public:
  FakeProvider(std::string name, ManualQueue* q)
      : name_(std::move(name)), q_(q) {}

  absl::string_view Name() const override { return name_; }
  // Empty unless SetPreassignPrefix: then "<prefix><task id>", as an
  // upstream that takes our job ids.
  std::string PreassignUpstreamId(const TaskRecord& record) override {
    absl::MutexLock l(&mu_);
    if (preassign_prefix_.empty()) return "";
    return absl::StrCat(preassign_prefix_, record.task().id());
  }
  ProviderLimits LimitsFor(absl::string_view) const override {
    absl::MutexLock l(&mu_);
    return limits_;
  }
  void SetLimits(ProviderLimits limits) {
    absl::MutexLock l(&mu_);
    limits_ = limits;
  }
  void SetPreassignPrefix(std::string prefix) {
    absl::MutexLock l(&mu_);
    preassign_prefix_ = std::move(prefix);
  }

  void Submit(const TaskRecord& record, const SubmitContext& context,
              std::function<void(absl::StatusOr<SubmitResult>)> done) override {
    absl::StatusOr<SubmitResult> r;
    {
      absl::MutexLock l(&mu_);
      submits_.push_back(record);
      contexts_.push_back(context);
      if (hold_submits_) {
        held_submits_.push_back(std::move(done));
        return;
      }
      r = Next(submit_script_, record);
    }
    q_->Post([done, r] { done(r); });
  }
  // While held, submits are recorded but not answered until ReleaseSubmit:
  // an upstream that has the request and has not replied yet.
  void HoldSubmits(bool hold) {
    absl::MutexLock l(&mu_);
    hold_submits_ = hold;
  }
  // Answers the oldest held submit with `r` (through the queue).
  void ReleaseSubmit(absl::StatusOr<SubmitResult> r) {
    std::function<void(absl::StatusOr<SubmitResult>)> done;
    {
      absl::MutexLock l(&mu_);
      if (held_submits_.empty()) return;
      done = std::move(held_submits_.front());
      held_submits_.pop_front();
    }
    q_->Post([done, r] { done(r); });
  }
  void Resume(const TaskRecord& record, const SubmitContext& context,
              std::function<void(absl::StatusOr<SubmitResult>)> done) override {
    absl::StatusOr<SubmitResult> r;
    {
      absl::MutexLock l(&mu_);
      resumes_.push_back(record);
      contexts_.push_back(context);
      r = Next(resume_script_, record);
    }
    q_->Post([done, r] { done(r); });
  }
  void Poll(const TaskRecord& record,
            std::function<void(absl::StatusOr<PollResult>)> done) override {
    absl::StatusOr<PollResult> r = PollResult{};
    {
      absl::MutexLock l(&mu_);
      polls_.push_back(record);
      auto& script = poll_script_[record.task().id()];
      if (!script.empty()) {
        r = script.front();
        script.pop_front();
      }
    }
    q_->Post([done, r] { done(r); });
  }
  void Cancel(const TaskRecord& record,
              std::function<void(absl::Status)> done) override {
    {
      absl::MutexLock l(&mu_);
      cancels_.push_back(record);
    }
    q_->Post([done] { done(absl::OkStatus()); });
  }
  void Watch(const TaskRecord& record, ProviderListener*) override {
    absl::MutexLock l(&mu_);
    watched_[record.task().id()] = true;
  }
  void Unwatch(const std::string& task_id) override {
    absl::MutexLock l(&mu_);
    watched_[task_id] = false;
  }

  // Scripting.
  void ScriptSubmit(absl::StatusOr<SubmitResult> r) {
    absl::MutexLock l(&mu_);
    submit_script_.push_back(std::move(r));
  }
  void ScriptResume(absl::StatusOr<SubmitResult> r) {
    absl::MutexLock l(&mu_);
    resume_script_.push_back(std::move(r));
  }
  void ScriptPoll(const std::string& id, absl::StatusOr<PollResult> r) {
    absl::MutexLock l(&mu_);
    poll_script_[id].push_back(std::move(r));
  }

  // Inspection.
  std::vector<TaskRecord> Submits() const {
    absl::MutexLock l(&mu_);
    return submits_;
  }
  std::vector<TaskRecord> Resumes() const {
    absl::MutexLock l(&mu_);
    return resumes_;
  }
  void SetReady(absl::Status st) {
    absl::MutexLock l(&mu_);
    ready_ = std::move(st);
  }
  absl::Status CheckReady() const override {
    absl::MutexLock l(&mu_);
    return ready_;
  }
  void SetCallbackVerdict(absl::Status st) {
    absl::MutexLock l(&mu_);
    verdict_ = std::move(st);
  }
  absl::Status VerifyCallback(const TaskRecord& record,
                              const CallbackRequest& request) const override {
    absl::MutexLock l(&mu_);
    callbacks_.push_back(request.body);
    (void)record;
    return verdict_;
  }
  std::vector<std::string> Callbacks() const {
    absl::MutexLock l(&mu_);
    return callbacks_;
  }
  std::vector<SubmitContext> Contexts() const {
    absl::MutexLock l(&mu_);
    return contexts_;
  }
  std::vector<TaskRecord> Polls() const {
    absl::MutexLock l(&mu_);
    return polls_;
  }
  std::vector<TaskRecord> Cancels() const {
    absl::MutexLock l(&mu_);
    return cancels_;
  }
  std::optional<bool> Watched(const std::string& id) const {
    absl::MutexLock l(&mu_);
    auto it = watched_.find(id);
    if (it == watched_.end()) return std::nullopt;
    return it->second;
  }

 private:
  static absl::StatusOr<SubmitResult> Next(
      std::deque<absl::StatusOr<SubmitResult>>& script,
      const TaskRecord& record) {
    if (script.empty()) {
      return SubmitResult{absl::StrCat("up-", record.task().id()), "{}", {}};
    }
    auto r = script.front();
    script.pop_front();
    return r;
  }

  const std::string name_;
  ManualQueue* const q_;
  mutable absl::Mutex mu_;
  std::deque<absl::StatusOr<SubmitResult>> submit_script_ ABSL_GUARDED_BY(mu_);
  std::deque<absl::StatusOr<SubmitResult>> resume_script_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::deque<absl::StatusOr<PollResult>>> poll_script_
      ABSL_GUARDED_BY(mu_);
  std::vector<TaskRecord> submits_ ABSL_GUARDED_BY(mu_);
  std::vector<TaskRecord> resumes_ ABSL_GUARDED_BY(mu_);
  std::vector<SubmitContext> contexts_ ABSL_GUARDED_BY(mu_);
  absl::Status ready_ ABSL_GUARDED_BY(mu_);
  absl::Status verdict_ ABSL_GUARDED_BY(mu_);
  mutable std::vector<std::string> callbacks_ ABSL_GUARDED_BY(mu_);
  std::vector<TaskRecord> polls_ ABSL_GUARDED_BY(mu_);
  std::vector<TaskRecord> cancels_ ABSL_GUARDED_BY(mu_);
  bool hold_submits_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<std::function<void(absl::StatusOr<SubmitResult>)>> held_submits_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, bool> watched_ ABSL_GUARDED_BY(mu_);
  std::string preassign_prefix_ ABSL_GUARDED_BY(mu_);
  ProviderLimits limits_ ABSL_GUARDED_BY(mu_) = {10, true};
};

}  // namespace mediagw::testing

#endif  // MEDIAGW_TESTS_CORE_FAKES_H_
