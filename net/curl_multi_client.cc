#include "net/curl_multi_client.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <limits>
#include <string>
#include <utility>

#include "absl/base/call_once.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace mediagw::net {
namespace internal {

struct CurlTransfer {
  HttpRequest request;
  HttpCallback done;
  curl_slist* header_list = nullptr;
  HttpResponse response;
  bool body_too_large = false;
  char error[CURL_ERROR_SIZE] = {0};

  ~CurlTransfer() { curl_slist_free_all(header_list); }
};

}  // namespace internal

namespace {

using internal::CurlTransfer;

void GlobalInitOnce() {
  static absl::once_flag once;
  absl::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      MG_LOG(Error, "curl_global_init failed");
      std::abort();
    }
  });
}

// curl reads 0 as "no limit", so infinite and non-positive durations map to
// 0 and tiny positive ones round up to 1 ms. Beyond ~24 days is treated as no
// limit too, keeping curl's own deadline arithmetic far from overflow.
long ToCurlMs(absl::Duration d) {
  if (d == absl::InfiniteDuration() || d <= absl::ZeroDuration()) return 0;
  int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1)));
  if (ms > std::numeric_limits<int32_t>::max()) return 0;
  return static_cast<long>(ms);
}

// CURLOPT_LOW_SPEED_TIME has one-second resolution; round up so a caller's
// 500 ms still enables the check.
long ToCurlSeconds(absl::Duration d) {
  if (d == absl::InfiniteDuration() || d <= absl::ZeroDuration()) return 0;
  int64_t s = absl::ToInt64Seconds(absl::Ceil(d, absl::Seconds(1)));
  if (s > std::numeric_limits<long>::max()) return 0;
  return static_cast<long>(s);
}

bool HasLineBreak(absl::string_view s) {
  return s.find_first_of("\r\n") != absl::string_view::npos;
}

bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c <= ' ' || c >= 127 || c == ':') return false;
  }
  return true;
}

size_t OnBody(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<CurlTransfer*>(user);
  size_t n = size * nmemb;
  int64_t limit = t->request.max_response_bytes;
  if (limit >= 0 &&
      static_cast<int64_t>(t->response.body.size() + n) > limit) {
    t->body_too_large = true;
    return 0;  // makes curl abort with CURLE_WRITE_ERROR
  }
  t->response.body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<CurlTransfer*>(user);
  size_t n = size * nmemb;
  absl::string_view line(data, n);
  if (absl::StartsWith(line, "HTTP/")) {
    // A new status line starts a new header block (1xx interim responses,
    // or a proxy's CONNECT reply); keep only the final one.
    t->response.headers.clear();
    return n;
  }
  if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
    // obs-fold continuation of the previous header.
    if (!t->response.headers.empty()) {
      std::string& value = t->response.headers.back().second;
      absl::StrAppend(&value, " ", absl::StripAsciiWhitespace(line));
    }
    return n;
  }
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return n;  // blank line ends block
  std::string name(absl::StripAsciiWhitespace(line.substr(0, colon)));
  absl::AsciiStrToLower(&name);
  t->response.headers.emplace_back(
      std::move(name),
      std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  return n;
}

absl::Status CurlCodeToStatus(CURLcode code, const CurlTransfer& t) {
  std::string msg = curl_easy_strerror(code);
  if (t.error[0] != '\0') absl::StrAppend(&msg, ": ", t.error);
  if (t.body_too_large || code == CURLE_FILESIZE_EXCEEDED) {
    return absl::ResourceExhaustedError(
        absl::StrCat("response body exceeds ", t.request.max_response_bytes,
                     " bytes"));
  }
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError(msg);
    case CURLE_URL_MALFORMAT:
      return absl::InvalidArgumentError(msg);
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_NOT_BUILT_IN:
    case CURLE_FAILED_INIT:
    case CURLE_WRITE_ERROR:
    case CURLE_READ_ERROR:
    case CURLE_ABORTED_BY_CALLBACK:
      return absl::InternalError(msg);
    default:
      // Connect/resolve failures, resets, empty or truncated replies, bad
      // status lines (curl reports HTTP/0.9 and bad codes as
      // UNSUPPORTED_PROTOCOL), TLS and HTTP/2 errors: the upstream is not
      // usable now.
      return absl::UnavailableError(msg);
  }
}

// Rejects what is the caller's mistake rather than the upstream's, so that
// curl's UNSUPPORTED_PROTOCOL later always means a bad server reply.
absl::Status ValidateUrl(const std::string& url) {
  if (HasLineBreak(url)) {
    return absl::InvalidArgumentError("URL contains a line break");
  }
  CURLU* parsed = curl_url();
  if (parsed == nullptr) return absl::InternalError("curl_url");
  CURLUcode uc = curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0);
  char* scheme = nullptr;
  if (uc == CURLUE_OK) uc = curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0);
  absl::Status status;
  if (uc != CURLUE_OK) {
    status = absl::InvalidArgumentError(
        absl::StrCat("malformed URL: ", curl_url_strerror(uc)));
  } else if (!absl::EqualsIgnoreCase(scheme, "http") &&
             !absl::EqualsIgnoreCase(scheme, "https")) {
    status = absl::InvalidArgumentError(
        absl::StrCat("unsupported URL scheme \"", scheme, "\""));
  }
  curl_free(scheme);
  curl_url_cleanup(parsed);
  return status;
}

// Applies `request` to a freshly reset easy handle.
absl::Status Configure(CURL* easy, CurlTransfer* t) {
  const HttpRequest& r = t->request;
  if (!IsToken(r.method)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid HTTP method \"", absl::CEscape(r.method), "\""));
  }
  MG_RETURN_IF_ERROR(ValidateUrl(r.url));
  // Suppress "Expect: 100-continue": one round trip less, and some upstreams
  // mishandle it.
  t->header_list = curl_slist_append(t->header_list, "Expect:");
  for (const auto& [name, value] : r.headers) {
    if (!IsToken(name) || HasLineBreak(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid request header \"", absl::CEscape(name), "\""));
    }
    // "Name;" is curl's spelling of a header with an empty value.
    std::string line = value.empty() ? absl::StrCat(name, ";")
                                     : absl::StrCat(name, ": ", value);
    curl_slist* next = curl_slist_append(t->header_list, line.c_str());
    if (next == nullptr) return absl::InternalError("curl_slist_append");
    t->header_list = next;
  }
  if (t->header_list == nullptr) return absl::InternalError("curl_slist_append");

  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption opt, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, opt, value);
  };
  set(CURLOPT_URL, r.url.c_str());
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  set(CURLOPT_FOLLOWLOCATION, 0L);
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_TCP_KEEPALIVE, 1L);
  set(CURLOPT_ERRORBUFFER, t->error);
  set(CURLOPT_CONNECTTIMEOUT_MS, ToCurlMs(r.connect_timeout));
  set(CURLOPT_TIMEOUT_MS, ToCurlMs(r.timeout));
  if (r.low_speed_bytes > 0) {
    set(CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(r.low_speed_bytes));
    set(CURLOPT_LOW_SPEED_TIME, ToCurlSeconds(r.low_speed_time));
  }
  if (r.max_response_bytes >= 0) {
    // Rejects early when Content-Length already says too much; OnBody
    // enforces it for chunked or lying responses.
    set(CURLOPT_MAXFILESIZE_LARGE,
        static_cast<curl_off_t>(r.max_response_bytes));
  }
  set(CURLOPT_HTTPHEADER, t->header_list);
  set(CURLOPT_WRITEFUNCTION, &OnBody);
  set(CURLOPT_WRITEDATA, static_cast<void*>(t));
  set(CURLOPT_HEADERFUNCTION, &OnHeader);
  set(CURLOPT_HEADERDATA, static_cast<void*>(t));

  const bool has_body = !r.body.empty();
  if (r.method == "GET" && !has_body) {
    set(CURLOPT_HTTPGET, 1L);
  } else if (r.method == "HEAD") {
    set(CURLOPT_NOBODY, 1L);
  } else {
    if (r.method == "POST" || r.method == "PUT" || r.method == "PATCH" ||
        has_body) {
      // The body outlives the transfer (owned by `t`), so no copy.
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
      set(CURLOPT_POSTFIELDS, r.body.data());
    }
    if (r.method != "POST") set(CURLOPT_CUSTOMREQUEST, r.method.c_str());
  }
  if (rc != CURLE_OK) {
    return absl::InternalError(
        absl::StrCat("curl_easy_setopt: ", curl_easy_strerror(rc)));
  }
  return absl::OkStatus();
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
  absl::Status configured = Configure(easy, t.get());
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

    absl::StatusOr<HttpResponse> result;
    if (code == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      t->response.status = static_cast<int>(status);
      result = std::move(t->response);
    } else {
      result = CurlCodeToStatus(code, *t);
    }
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
