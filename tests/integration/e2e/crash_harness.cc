// Crash harness: the real mediagw with every provider wired to one
// simulator (scripts/sim_config.py, as the demo), many concurrent clients
// submitting every workflow of the example configuration over the legacy
// REST endpoint and gRPC, and the server killed with SIGKILL at random
// moments (during submits too) and restarted, again and again. At the end:
//
//   lost         acknowledged ids the server no longer knows
//   stuck        tasks not terminal after their deadline (plus slack)
//   run twice    upstream jobs the simulator was sent more than once
//                (GET /_sim/submits), for the asynchronous upstreams
//   sync resent  the same for synchronous upstreams (xAI and the
//                OpenAI-compatible gateways): a crash during such a call
//                cannot know whether the upstream ran it, so these are
//                counted, not failed
//   no reason    FAILED / TIMED_OUT tasks without an error code and message
//
// Every submit carries an Idempotency-Key, so a client that lost the reply
// to a kill sends it again and gets the same task (or the task it would
// have had). Exit status 0 when lost, stuck, run twice and no reason are all
// zero; the summary line is printed either way.
//
//   crash_harness [--kills=3] [--per_phase=100] [--clients=16]
//                 [--deadline_s=60] [--seed=N] [--keep]
//
// Phase k submits per_phase tasks; the kill comes once a random share
// (30..100%) of them is acknowledged, so it lands among submits and with
// the phase's tasks in flight. Before the next phase the server works off
// its backlog down to a tenth of a phase (bounded by --deadline_s), so each
// kill finds about one phase in flight. After the last kill one more phase
// runs, then the harness waits for every task to end.
#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/json.h"
#include "tests/core/test_png.h"
#include "tests/integration/e2e/harness.h"

namespace mediagw::e2e {
namespace {

struct Flags {
  int kills = 3;
  int per_phase = 100;
  int clients = 16;
  int deadline_s = 60;
  uint64_t seed = 0;
  bool keep = false;
};

bool ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name, auto* out) {
      const std::string prefix = absl::StrCat("--", name, "=");
      if (!absl::StartsWith(a, prefix)) return false;
      return absl::SimpleAtoi(a.substr(prefix.size()), out);
    };
    if (a == "--keep") {
      f->keep = true;
    } else if (!value("kills", &f->kills) &&
               !value("per_phase", &f->per_phase) &&
               !value("clients", &f->clients) &&
               !value("deadline_s", &f->deadline_s) &&
               !value("seed", &f->seed)) {
      std::fprintf(stderr, "unknown or malformed flag %s\n", a.c_str());
      return false;
    }
  }
  return f->kills >= 0 && f->per_phase > 0 && f->clients > 0 &&
         f->deadline_s > 0;
}

struct Workflow {
  const char* name;
  bool video;
  bool sync;  // the upstream answers the generation in one call
  int width;  // 0: the workflow's default
  int height;
};

// Every workflow of config/mediagw.example.json.
constexpr Workflow kWorkflows[] = {
    {"default", false, false, 64, 64},    {"anime", false, false, 64, 64},
    {"z-image", false, false, 64, 64},    {"rr3", false, false, 128, 96},
    {"flux", false, false, 256, 256},     {"grok", false, true, 0, 0},
    {"kie-grok", false, false, 0, 0},     {"grok-3-image", false, true, 0, 0},
    {"grok-imagine", false, true, 0, 0},  {"video", true, false, 0, 0},
    {"kie-video", true, false, 0, 0},
};
constexpr int kNumWorkflows = sizeof(kWorkflows) / sizeof(kWorkflows[0]);

const Workflow& WorkflowOf(int index) {
  return kWorkflows[index % kNumWorkflows];
}
bool GrpcOf(int index) { return (index / kNumWorkflows) % 2 == 1; }

// The unique text every task's prompt carries; the simulator's submit keys
// contain it.
std::string Token(int index) { return absl::StrCat("crashtask", index, "x"); }

struct Acked {
  int index = 0;
  std::string id;
  absl::Time at;
};

// Where the server is now.
class Target {
 public:
  void Set(const Server& s) {
    absl::MutexLock l(&mu_);
    rest_ = s.rest();
    stub_ = s.Stub();
    up_ = true;
  }
  // False before the first Set.
  bool Get(std::string* rest,
           std::shared_ptr<v1::MediaService::Stub>* stub) const {
    absl::MutexLock l(&mu_);
    if (!up_) return false;
    *rest = rest_;
    *stub = stub_;
    return true;
  }

 private:
  mutable absl::Mutex mu_;
  bool up_ ABSL_GUARDED_BY(mu_) = false;
  std::string rest_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<v1::MediaService::Stub> stub_ ABSL_GUARDED_BY(mu_);
};

class Harness {
 public:
  explicit Harness(Flags f) : f_(f), rng_(f.seed) {}

  int Run();

 private:
  enum class Outcome { kAcked, kRetry, kRefused };

  void Client();
  Outcome Submit(int index, std::string* id, std::string* why);
  Outcome SubmitRest(const std::string& rest, int index, std::string* id,
                     std::string* why);
  Outcome SubmitGrpc(v1::MediaService::Stub* stub, int index, std::string* id,
                     std::string* why);
  int64_t InFlight(const std::string& rest);
  // Final states by id; ids the server does not know are absent.
  std::map<std::string, v1::Task> Collect(const std::vector<Acked>& acked);

  const Flags f_;
  std::mt19937_64 rng_;
  std::string image_b64_;
  Target target_;
  std::atomic<int> next_{0};
  std::atomic<int> attempts_done_{0};  // submits finished (acked or refused)

  absl::Mutex mu_;
  int limit_ ABSL_GUARDED_BY(mu_) = 0;  // tasks that may be submitted so far
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Acked> acked_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> refused_ ABSL_GUARDED_BY(mu_);
  int64_t retries_ ABSL_GUARDED_BY(mu_) = 0;
};

Harness::Outcome Harness::SubmitRest(const std::string& rest, int index,
                                     std::string* id, std::string* why) {
  const Workflow& wf = WorkflowOf(index);
  std::string body = absl::StrCat(R"({"prompt":"a lighthouse )", Token(index),
                                  R"(","workflow":")", wf.name, "\"");
  if (wf.video) {
    absl::StrAppend(&body, R"(,"image":")", image_b64_, "\"");
  } else {
    absl::StrAppend(&body, R"(,"steps":1)");
    if (wf.width > 0) {
      absl::StrAppend(&body, R"(,"width":)", wf.width, R"(,"height":)",
                      wf.height);
    }
  }
  body += "}";
  HttpResult r = Http(
      "POST",
      absl::StrCat(rest, "/v1/index.php?endpoint=",
                   wf.video ? "video_generation" : "image_generation"),
      body,
      {absl::StrCat("x-api-key: ", Server::kKey),
       absl::StrCat("Idempotency-Key: crash-", Token(index)),
       "Content-Type: application/json"});
  // No answer (killed mid-request), or the server starting or stopping.
  if (r.status == 0 || r.status == 503 || r.status == 429) {
    return Outcome::kRetry;
  }
  auto doc = json::Parse(r.body);
  if (r.status == 200 && doc.ok() && doc->IsObject() &&
      doc->HasMember("data") && (*doc)["data"].IsObject() &&
      (*doc)["data"].HasMember("id") && (*doc)["data"]["id"].IsString()) {
    *id = (*doc)["data"]["id"].GetString();
    return Outcome::kAcked;
  }
  *why = absl::StrCat("REST ", r.status, " ", r.body.substr(0, 300));
  return Outcome::kRefused;
}

Harness::Outcome Harness::SubmitGrpc(v1::MediaService::Stub* stub, int index,
                                     std::string* id, std::string* why) {
  const Workflow& wf = WorkflowOf(index);
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-api-key", Server::kKey);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::Task task;
  grpc::Status st;
  const std::string prompt = absl::StrCat("a lighthouse ", Token(index));
  const std::string key = absl::StrCat("crash-", Token(index));
  if (wf.video) {
    v1::SubmitVideoRequest req;
    req.set_prompt(prompt);
    req.set_image(image_b64_);
    req.set_workflow(wf.name);
    req.set_idempotency_key(key);
    st = stub->SubmitVideo(&ctx, req, &task);
  } else {
    v1::SubmitImageRequest req;
    req.set_prompt(prompt);
    req.set_workflow(wf.name);
    req.set_steps(1);
    if (wf.width > 0) {
      req.set_width(wf.width);
      req.set_height(wf.height);
    }
    req.set_idempotency_key(key);
    st = stub->SubmitImage(&ctx, req, &task);
  }
  if (st.ok() && !task.id().empty()) {
    *id = task.id();
    return Outcome::kAcked;
  }
  if (st.error_code() == grpc::StatusCode::UNAVAILABLE ||
      st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
      st.error_code() == grpc::StatusCode::CANCELLED) {
    return Outcome::kRetry;
  }
  *why = absl::StrCat("gRPC ", st.error_code(), " ", st.error_message());
  return Outcome::kRefused;
}

Harness::Outcome Harness::Submit(int index, std::string* id,
                                 std::string* why) {
  std::string rest;
  std::shared_ptr<v1::MediaService::Stub> stub;
  if (!target_.Get(&rest, &stub)) return Outcome::kRetry;
  return GrpcOf(index) ? SubmitGrpc(stub.get(), index, id, why)
                       : SubmitRest(rest, index, id, why);
}

void Harness::Client() {
  while (true) {
    int index;
    {
      absl::MutexLock l(&mu_);
      mu_.Await(absl::Condition(
          +[](Harness* h) ABSL_EXCLUSIVE_LOCKS_REQUIRED(h->mu_) {
            return h->done_ || h->next_.load() < h->limit_;
          },
          this));
      if (next_.load() >= limit_) return;  // done_
      index = next_.fetch_add(1);
    }
    // A submit is retried (same idempotency key) until it is answered;
    // every wait is bounded.
    const absl::Time give_up = absl::Now() + absl::Seconds(120);
    std::string id, why;
    Outcome out = Outcome::kRetry;
    while (out == Outcome::kRetry && absl::Now() < give_up) {
      out = Submit(index, &id, &why);
      if (out == Outcome::kRetry) {
        {
          absl::MutexLock l(&mu_);
          ++retries_;
        }
        absl::SleepFor(absl::Milliseconds(50));
      }
    }
    absl::MutexLock l(&mu_);
    if (out == Outcome::kAcked) {
      acked_.push_back({index, id, absl::Now()});
    } else {
      refused_.push_back(absl::StrCat(
          "task ", index, " (", WorkflowOf(index).name, "): ",
          out == Outcome::kRetry ? "no answer within 120 s" : why));
    }
    attempts_done_.fetch_add(1);
  }
}

int64_t Harness::InFlight(const std::string& rest) {
  HttpResult m = Http("GET", rest + "/metrics");
  int64_t total = 0;
  for (const char* gauge : {"mediagw_active_tasks ", "mediagw_waiting_tasks "}) {
    const size_t at = m.body.find(absl::StrCat("\n", gauge));
    if (at == std::string::npos) continue;
    const size_t from = at + 1 + std::string(gauge).size();
    const size_t end = m.body.find('\n', from);
    double v = 0;
    if (absl::SimpleAtod(m.body.substr(from, end - from), &v)) {
      total += static_cast<int64_t>(v);
    }
  }
  return total;
}

std::map<std::string, v1::Task> Harness::Collect(
    const std::vector<Acked>& acked) {
  std::map<std::string, v1::Task> tasks;
  std::string rest;
  std::shared_ptr<v1::MediaService::Stub> stub;
  if (!target_.Get(&rest, &stub)) return tasks;
  std::string token;
  do {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(30));
    v1::ListTasksRequest req;
    req.set_page_size(500);
    req.set_page_token(token);
    v1::ListTasksResponse resp;
    grpc::Status st = stub->ListTasks(&ctx, req, &resp);
    if (!st.ok()) {
      std::fprintf(stderr, "ListTasks: %s\n", st.error_message().c_str());
      break;
    }
    for (const v1::Task& t : resp.tasks()) tasks[t.id()] = t;
    token = resp.next_page_token();
  } while (!token.empty());
  // Anything the listing missed is looked up one by one.
  for (const Acked& a : acked) {
    if (tasks.count(a.id) > 0) continue;
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    v1::GetTaskRequest req;
    req.set_id(a.id);
    v1::Task t;
    if (stub->GetTask(&ctx, req, &t).ok()) tasks[a.id] = t;
  }
  return tasks;
}

bool Terminal(v1::TaskState s) {
  return s == v1::TASK_STATE_SUCCEEDED || s == v1::TASK_STATE_FAILED ||
         s == v1::TASK_STATE_CANCELED || s == v1::TASK_STATE_TIMED_OUT;
}

int Harness::Run() {
  const absl::Time start = absl::Now();
  image_b64_ = absl::Base64Escape(testing::MakePng(48, 32));
  const std::string dir = MakeTempDir();
  std::printf("crash harness: dir %s seed %llu\n", dir.c_str(),
              static_cast<unsigned long long>(f_.seed));
  std::fflush(stdout);
  Simulator sim(dir, 5);
  ServerOptions o;
  o.all_providers = true;
  o.poll_interval_ms = 50;
  o.deadline_seconds = f_.deadline_s;
  o.max_active = 256;
  Server server(dir, sim.url(), o);
  server.Start();
  target_.Set(server);

  std::vector<std::thread> clients;
  for (int i = 0; i < f_.clients; ++i) clients.emplace_back([this] { Client(); });

  std::vector<int64_t> in_flight_at_kill;
  const int total = f_.per_phase * (f_.kills + 1);
  for (int k = 0; k <= f_.kills; ++k) {
    if (k > 0) {
      // Each kill should find about one phase in flight, not the sum of
      // every earlier one: let the server work off most of the backlog
      // (bounded) before the next phase starts.
      std::string rest;
      std::shared_ptr<v1::MediaService::Stub> unused;
      target_.Get(&rest, &unused);
      WaitFor([&] { return InFlight(rest) <= f_.per_phase / 10; },
              absl::Seconds(f_.deadline_s), absl::Milliseconds(100));
    }
    {
      absl::MutexLock l(&mu_);
      limit_ = (k + 1) * f_.per_phase;
    }
    if (k == f_.kills) break;
    std::uniform_real_distribution<double> share(0.3, 1.0);
    const int want = k * f_.per_phase +
                     static_cast<int>(share(rng_) * f_.per_phase);
    WaitFor(
        [&] {
          absl::MutexLock l(&mu_);
          return static_cast<int>(acked_.size() + refused_.size()) >= want;
        },
        absl::Seconds(300), absl::Milliseconds(5));
    std::uniform_int_distribution<int> jitter_ms(0, 20);
    absl::SleepFor(absl::Milliseconds(jitter_ms(rng_)));
    std::string rest;
    std::shared_ptr<v1::MediaService::Stub> unused;
    target_.Get(&rest, &unused);
    in_flight_at_kill.push_back(InFlight(rest));
    // Clients keep sending to the old address while it dies: their
    // submits are cut mid-request or refused, and retried.
    server.Kill9();
    server.Start();
    target_.Set(server);
  }
  WaitFor([&] { return attempts_done_.load() >= total; }, absl::Seconds(600),
          absl::Milliseconds(20));
  {
    absl::MutexLock l(&mu_);
    done_ = true;
  }
  for (auto& t : clients) t.join();

  std::vector<Acked> acked;
  std::vector<std::string> refused;
  int64_t retries;
  {
    absl::MutexLock l(&mu_);
    acked = acked_;
    refused = refused_;
    retries = retries_;
  }
  const absl::Time submitted = absl::Now();
  // Every task must end by its deadline; recovery after the last restart
  // and the poll interval get some slack on top.
  const absl::Time end_by =
      submitted + absl::Seconds(f_.deadline_s) + absl::Seconds(30);
  std::map<std::string, v1::Task> tasks;
  while (true) {
    tasks = Collect(acked);
    int open = 0;
    for (const Acked& a : acked) {
      auto it = tasks.find(a.id);
      if (it != tasks.end() && !Terminal(it->second.state())) ++open;
    }
    if (open == 0 || absl::Now() > end_by) break;
    absl::SleepFor(absl::Milliseconds(500));
  }

  // Upstream submits per task, from the simulator's counts.
  std::map<int, int64_t> submits;
  {
    HttpResult r = Http("GET", sim.url() + "/_sim/submits");
    auto doc = json::Parse(r.body);
    static const std::regex kToken("crashtask(\\d+)x");
    if (doc.ok() && doc->IsObject()) {
      for (auto m = doc->MemberBegin(); m != doc->MemberEnd(); ++m) {
        std::smatch match;
        const std::string key = m->name.GetString();
        if (m->value.IsInt64() && std::regex_search(key, match, kToken)) {
          submits[std::stoi(match[1])] += m->value.GetInt64();
        }
      }
    } else {
      std::fprintf(stderr, "cannot read /_sim/submits: %s\n", r.body.c_str());
    }
  }

  int lost = 0, stuck = 0, run_twice = 0, sync_resent = 0, no_reason = 0;
  int failed_unsent = 0;
  std::map<std::string, int> by_state;
  std::map<std::string, int> failures;  // code: message -> count
  for (const Acked& a : acked) {
    const Workflow& wf = WorkflowOf(a.index);
    auto it = tasks.find(a.id);
    if (it == tasks.end()) {
      ++lost;
      std::printf("LOST task %s (#%d, %s, %s)\n", a.id.c_str(), a.index,
                  wf.name, GrpcOf(a.index) ? "gRPC" : "REST");
      continue;
    }
    const v1::Task& t = it->second;
    ++by_state[v1::TaskState_Name(t.state())];
    if (!Terminal(t.state())) {
      ++stuck;
      std::printf("STUCK task %s (#%d, %s) in %s\n", a.id.c_str(), a.index,
                  wf.name, v1::TaskState_Name(t.state()).c_str());
    }
    const int64_t n = submits.count(a.index) ? submits[a.index] : 0;
    if (t.state() == v1::TASK_STATE_FAILED ||
        t.state() == v1::TASK_STATE_TIMED_OUT) {
      // Failures of jobs the upstream never saw are told apart: they could
      // have been sent after the restart without any risk of a double run.
      if (n == 0) ++failed_unsent;
      ++failures[absl::StrCat(wf.name, " ", t.error().code(), ": ",
                              t.error().message().substr(0, 120),
                              n == 0 ? " [never sent upstream]" : "")];
      if (t.error().code().empty() || t.error().message().empty()) {
        ++no_reason;
        std::printf("NO REASON task %s (#%d, %s) %s\n", a.id.c_str(), a.index,
                    wf.name, v1::TaskState_Name(t.state()).c_str());
      }
    }
    if (n > 1) {
      if (wf.sync) {
        ++sync_resent;
      } else {
        ++run_twice;
      }
      std::printf("%s task %s (#%d, %s, %s) sent upstream %lld times\n",
                  wf.sync ? "SYNC RESENT" : "RUN TWICE", a.id.c_str(), a.index,
                  wf.name, v1::TaskState_Name(t.state()).c_str(),
                  static_cast<long long>(n));
    }
  }
  for (const auto& [what, n] : failures) {
    std::printf("failed x%d: %s\n", n, what.c_str());
  }
  for (const std::string& r : refused) std::printf("REFUSED %s\n", r.c_str());
  std::string states;
  for (const auto& [s, n] : by_state) absl::StrAppend(&states, " ", s, "=", n);
  std::string kill_flight;
  for (int64_t n : in_flight_at_kill) {
    absl::StrAppend(&kill_flight, kill_flight.empty() ? "" : ",", n);
  }
  const bool ok = lost == 0 && stuck == 0 && run_twice == 0 &&
                  no_reason == 0 && refused.empty() &&
                  static_cast<int>(acked.size()) == total;
  std::printf(
      "crash summary: kills=%d acknowledged=%zu lost=%d run_twice=%d "
      "sync_resent=%d stuck=%d failed_without_reason=%d "
      "failed_never_sent=%d refused=%zu submit_retries=%lld "
      "in_flight_at_kill=[%s] states:%s elapsed=%.1fs %s\n",
      f_.kills, acked.size(), lost, run_twice, sync_resent, stuck, no_reason,
      failed_unsent, refused.size(), static_cast<long long>(retries), kill_flight.c_str(),
      states.c_str(), absl::ToDoubleSeconds(absl::Now() - start),
      ok ? "OK" : "FAILED");
  std::fflush(stdout);
  server.Stop();
  if (ok && !f_.keep) std::system(("rm -rf " + dir).c_str());
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace mediagw::e2e

int main(int argc, char** argv) {
  mediagw::e2e::Flags flags;
  flags.seed = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
  if (!mediagw::e2e::ParseFlags(argc, argv, &flags)) return 2;
  curl_global_init(CURL_GLOBAL_DEFAULT);  // before any client thread
  return mediagw::e2e::Harness(flags).Run();
}
