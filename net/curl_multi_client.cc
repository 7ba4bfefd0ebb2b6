#include "net/curl_multi_client.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <utility>

#include "absl/base/call_once.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "net/curl_transfer.h"

namespace mediagw::net {
namespace {

void GlobalInitOnce() {
  static absl::once_flag once;
  absl::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      MG_LOG(Error, "curl_global_init failed");
      std::abort();
    }
  });
}

}  // namespace

CurlMultiClient::CurlMultiClient(Options options) : options_(options) {
  GlobalInitOnce();
  if (options_.clock == nullptr) owned_clock_ = std::make_unique<RealClock>();
  clock_ = options_.clock != nullptr ? options_.clock : owned_clock_.get();
  multi_ = curl_multi_init();
  if (multi_ == nullptr) {
    MG_LOG(Error, "curl_multi_init failed");
    std::abort();
  }
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS,
                    static_cast<long>(options_.connection_cache_size));
  curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS,
                    static_cast<long>(options_.max_host_connections));
  curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                    static_cast<long>(options_.max_total_connections));
  thread_ = std::thread([this] { Loop(); });
  loop_thread_id_ = thread_.get_id();
}

CurlMultiClient::~CurlMultiClient() { Shutdown(); }

void CurlMultiClient::Shutdown() {
  {
    absl::MutexLock l(&mu_);
    if (!stop_) {
      stop_ = true;
      curl_multi_wakeup(multi_);
    }
  }
  if (std::this_thread::get_id() == loop_thread_id_) return;
  absl::MutexLock l(&join_mu_);
  if (thread_.joinable()) thread_.join();
}

void CurlMultiClient::Send(HttpRequest request, HttpCallback done) {
  requests_started_.fetch_add(1, std::memory_order_relaxed);
  auto t = std::make_unique<Transfer>();
  t->request = std::move(request);
  t->done = std::move(done);
  {
    absl::MutexLock l(&mu_);
    if (!stop_) {
      queued_.push_back(std::move(t));
      // multi_ stays valid while stop_ is false: the loop frees it only
      // after it has seen stop_ under this mutex.
      curl_multi_wakeup(multi_);
      return;
    }
  }
  requests_failed_.fetch_add(1, std::memory_order_relaxed);
  t->done(absl::CancelledError("HTTP client is shut down"));
}

Scheduler::TimerId CurlMultiClient::RunAt(absl::Time when,
                                          std::function<void()> fn) {
  absl::MutexLock l(&mu_);
  TimerId id = next_timer_id_++;
  if (stop_) return id;  // `fn` is destroyed on return, after unlock
  timer_fns_.emplace(id, std::move(fn));
  timer_heap_.push(TimerEntry{when, id});
  // Only a new earliest deadline can shorten the loop's current sleep.
  if (timer_heap_.top().id == id) curl_multi_wakeup(multi_);
  return id;
}

void CurlMultiClient::Cancel(TimerId id) {
  std::function<void()> doomed;  // destroyed after the lock is released
  absl::MutexLock l(&mu_);
  auto it = timer_fns_.find(id);
  if (it == timer_fns_.end()) return;
  doomed = std::move(it->second);
  timer_fns_.erase(it);
  // Cancelled entries stay in the heap until they surface; rebuild when they
  // dominate so long-dated cancelled timers cannot pile up.
  if (timer_heap_.size() > 64 && timer_heap_.size() > 4 * timer_fns_.size()) {
    std::vector<TimerEntry> live;
    live.reserve(timer_fns_.size());
    while (!timer_heap_.empty()) {
      if (timer_fns_.contains(timer_heap_.top().id)) {
        live.push_back(timer_heap_.top());
      }
      timer_heap_.pop();
    }
    timer_heap_ = std::priority_queue<TimerEntry>(std::less<TimerEntry>(),
                                                  std::move(live));
  }
}

absl::Time CurlMultiClient::Now() const { return clock_->Now(); }

void CurlMultiClient::Wakeup() {
  absl::MutexLock l(&mu_);
  if (!stop_) curl_multi_wakeup(multi_);
}

CurlMultiClient::Stats CurlMultiClient::GetStats() const {
  Stats s;
  s.requests_started = requests_started_.load(std::memory_order_relaxed);
  s.requests_completed = requests_completed_.load(std::memory_order_relaxed);
  s.requests_failed = requests_failed_.load(std::memory_order_relaxed);
  s.active_transfers = active_transfers_.load(std::memory_order_relaxed);
  s.timers_fired = timers_fired_.load(std::memory_order_relaxed);
  return s;
}

void CurlMultiClient::Loop() {
  while (StartQueuedRequests()) {
    int running = 0;
    CURLMcode mc = curl_multi_perform(multi_, &running);
    if (mc != CURLM_OK) {
      MG_LOG(Error, "curl_multi_perform: ", curl_multi_strerror(mc));
    }
    DrainCompletions();
    RunDueTimers();

    long timeout_ms = PollTimeoutMs();
    long curl_timeout_ms = -1;
    curl_multi_timeout(multi_, &curl_timeout_ms);
    if (curl_timeout_ms >= 0 && curl_timeout_ms < timeout_ms) {
      timeout_ms = curl_timeout_ms;
    }
    mc = curl_multi_poll(multi_, nullptr, 0, static_cast<int>(timeout_ms),
                         nullptr);
    if (mc != CURLM_OK) {
      MG_LOG(Error, "curl_multi_poll: ", curl_multi_strerror(mc));
    }
  }
  FailEverything();
}

bool CurlMultiClient::StartQueuedRequests() {
  std::vector<std::unique_ptr<Transfer>> batch;
  {
    absl::MutexLock l(&mu_);
    if (stop_) return false;
    batch.swap(queued_);
  }
  for (auto& t : batch) StartTransfer(std::move(t));
  return true;
}

void CurlMultiClient::StartTransfer(std::unique_ptr<Transfer> t) {
  CURL* easy = AcquireEasy();
  if (easy == nullptr) {
    Finish(std::move(t), absl::InternalError("curl_easy_init failed"));
    return;
  }
  absl::Status configured = internal::Configure(easy, t.get());
  if (!configured.ok()) {
    ReleaseEasy(easy);
    Finish(std::move(t), std::move(configured));
    return;
  }
  CURLMcode mc = curl_multi_add_handle(multi_, easy);
  if (mc != CURLM_OK) {
    ReleaseEasy(easy);
    Finish(std::move(t), absl::InternalError(absl::StrCat(
                             "curl_multi_add_handle: ",
                             curl_multi_strerror(mc))));
    return;
  }
  active_transfers_.fetch_add(1, std::memory_order_relaxed);
  active_.emplace(easy, std::move(t));
}

void CurlMultiClient::DrainCompletions() {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    // `msg` dies with curl_multi_remove_handle; copy what we need first.
    CURL* easy = msg->easy_handle;
    CURLcode code = msg->data.result;
    auto it = active_.find(easy);
    if (it == active_.end()) continue;  // cannot happen; be defensive
    std::unique_ptr<Transfer> t = std::move(it->second);
    active_.erase(it);
    active_transfers_.fetch_sub(1, std::memory_order_relaxed);

    absl::StatusOr<HttpResponse> result =
        internal::TakeResult(easy, code, t.get());
    curl_multi_remove_handle(multi_, easy);
    ReleaseEasy(easy);
    Finish(std::move(t), std::move(result));
  }
}

void CurlMultiClient::Finish(std::unique_ptr<Transfer> t,
                             absl::StatusOr<HttpResponse> result) {
  if (result.ok()) {
    requests_completed_.fetch_add(1, std::memory_order_relaxed);
  } else {
    requests_failed_.fetch_add(1, std::memory_order_relaxed);
  }
  if (t->done) t->done(std::move(result));
}

void CurlMultiClient::RunDueTimers() {
  const absl::Time now = clock_->Now();
  TimerId limit;
  {
    absl::MutexLock l(&mu_);
    // Timers created while this pass runs wait for the next pass, so a timer
    // that re-arms itself for "now" cannot starve the loop.
    limit = next_timer_id_;
  }
  for (;;) {
    std::function<void()> fn;
    {
      absl::MutexLock l(&mu_);
      bool found = false;
      while (!stop_ && !timer_heap_.empty()) {
        const TimerEntry top = timer_heap_.top();
        auto it = timer_fns_.find(top.id);
        if (it == timer_fns_.end()) {
          timer_heap_.pop();
          continue;
        }
        if (top.when > now || top.id >= limit) break;
        fn = std::move(it->second);
        timer_fns_.erase(it);
        timer_heap_.pop();
        found = true;
        break;
      }
      if (!found) return;
    }
    timers_fired_.fetch_add(1, std::memory_order_relaxed);
    if (fn) fn();
  }
}

int CurlMultiClient::PollTimeoutMs() {
  const absl::Time now = clock_->Now();
  absl::Duration wait = options_.max_poll_wait;
  {
    absl::MutexLock l(&mu_);
    while (!timer_heap_.empty() &&
           !timer_fns_.contains(timer_heap_.top().id)) {
      timer_heap_.pop();
    }
    if (!timer_heap_.empty()) {
      wait = std::min(wait, timer_heap_.top().when - now);
    }
  }
  if (wait <= absl::ZeroDuration()) return 0;
  int64_t ms =
      absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1)));
  return static_cast<int>(std::min<int64_t>(ms, 24 * 3600 * 1000));
}

void CurlMultiClient::FailEverything() {
  std::vector<std::unique_ptr<Transfer>> queued;
  absl::flat_hash_map<TimerId, std::function<void()>> timers;
  {
    absl::MutexLock l(&mu_);
    queued.swap(queued_);
    timers.swap(timer_fns_);
    timer_heap_ = {};
  }
  timers.clear();  // timer closures die here, outside the lock

  auto active = std::move(active_);
  active_.clear();
  for (auto& [easy, t] : active) {
    curl_multi_remove_handle(multi_, easy);
    curl_easy_cleanup(easy);
    active_transfers_.fetch_sub(1, std::memory_order_relaxed);
    Finish(std::move(t), absl::CancelledError("HTTP client is shut down"));
  }
  for (auto& t : queued) {
    Finish(std::move(t), absl::CancelledError("HTTP client is shut down"));
  }
  for (CURL* easy : idle_easy_) curl_easy_cleanup(easy);
  idle_easy_.clear();
  // Safe: every thread that might wake the loop checks stop_ (now true)
  // under mu_ before touching multi_.
  curl_multi_cleanup(multi_);
  multi_ = nullptr;
}

CURL* CurlMultiClient::AcquireEasy() {
  if (!idle_easy_.empty()) {
    CURL* easy = idle_easy_.back();
    idle_easy_.pop_back();
    return easy;
  }
  return curl_easy_init();
}

void CurlMultiClient::ReleaseEasy(CURL* easy) {
  if (idle_easy_.size() >= options_.max_pooled_handles) {
    curl_easy_cleanup(easy);
    return;
  }
  // Reset drops options (and our pointers into the finished transfer) but
  // keeps the handle's DNS and session caches.
  curl_easy_reset(easy);
  idle_easy_.push_back(easy);
}

}  // namespace mediagw::net
