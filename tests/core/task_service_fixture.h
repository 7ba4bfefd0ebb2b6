// The TaskService + Dispatcher fixture over deterministic fakes: one manual
// queue stands in for every asynchronous thread, timers fire only when the
// FakeClock is advanced. Shared by the task_service_*_test.cc files.
#ifndef MEDIAGW_TESTS_CORE_TASK_SERVICE_FIXTURE_H_
#define MEDIAGW_TESTS_CORE_TASK_SERVICE_FIXTURE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/dispatcher.h"
#include "core/state_machine.h"
#include "core/static_router.h"
#include "core/task_service_impl.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "tests/core/fakes.h"
#include "tests/core/test_png.h"

namespace mediagw::testing {

inline constexpr char kBase[] = "http://gw.test:8080";

inline PollResult Running(double progress) {
  PollResult r;
  r.state = UpstreamState::kRunning;
  r.progress = progress;
  return r;
}

inline PollResult Succeeded(const std::string& url) {
  PollResult r;
  r.state = UpstreamState::kSucceeded;
  OutputRef o;
  o.request.url = url;
  o.mime_type = "image/png";
  r.outputs.push_back(o);
  return r;
}

inline PollResult WithState(UpstreamState s, absl::Status error = absl::OkStatus()) {
  PollResult r;
  r.state = s;
  r.error = error;
  return r;
}

class TaskServiceTest : public ::testing::Test {
 protected:
  TaskServiceTest()
      : store_(&queue_),
        scheduler_(&clock_),
        png_(testing::MakePng(64, 48)),
        http_(&queue_, png_),
        fetcher_(&queue_, png_),
        p1_(std::make_shared<FakeProvider>("prov1", &queue_)),
        p2_(std::make_shared<FakeProvider>("prov2", &queue_)) {
    router_.AddChannel({"c1", p1_, 1, 0});
    router_.AddChannel({"c2", p2_, 1, 0});
    WorkflowInfo def;
    def.name = "default";
    def.default_cfg = 7;
    def.deadline = absl::Minutes(10);
    router_.AddWorkflow(def, {"c1"});
    WorkflowInfo multi = def;
    multi.name = "multi";
    router_.AddWorkflow(multi, {"c1", "c2"});
  }

  ~TaskServiceTest() override {
    if (dispatcher_) dispatcher_->Shutdown();
    queue_.RunAll();
  }

  void Init(DispatcherOptions options = {}) {
    options.urls = &urls_;
    DispatcherDeps deps{&store_,  &blobs_,     &router_, &http_,
                        &fetcher_, &scheduler_, &queue_,  &writer_,
                        &clock_};
    deps.breakers = breakers_.get();
    deps.retry_budget = retry_budget_.get();
    dispatcher_ = std::make_unique<Dispatcher>(deps, options);
    service_ = std::make_unique<TaskServiceImpl>(TaskServiceImpl::Deps{
        &store_, &blobs_, &router_, dispatcher_.get(), &queue_, &bus_,
        &clock_, &writer_});
  }

  // Runs queued work and due timers until nothing is left to do.
  void Pump() {
    for (int i = 0; i < 10000; ++i) {
      if (queue_.RunAll() + scheduler_.FireDue() == 0) return;
    }
    FAIL() << "the system never went idle";
  }

  void AdvanceAndPump(absl::Duration d) {
    clock_.Advance(d);
    Pump();
  }

  absl::StatusOr<v1::Task> SubmitRaw(v1::SubmitImageRequest req,
                                     const Caller& caller) {
    std::optional<absl::StatusOr<v1::Task>> out;
    service_->SubmitImage(caller, std::move(req),
                          [&](absl::StatusOr<v1::Task> t) { out = t; });
    Pump();
    if (!out.has_value()) return absl::InternalError("no reply");
    return *out;
  }

  v1::Task Submit(const std::string& workflow = "default",
                  const std::string& key = "") {
    v1::SubmitImageRequest req;
    req.set_prompt("a cat");
    req.set_workflow(workflow);
    req.set_idempotency_key(key);
    auto t = SubmitRaw(req, alice_);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : v1::Task();
  }

  absl::StatusOr<v1::Task> Get(const std::string& id, const Caller& caller) {
    std::optional<absl::StatusOr<v1::Task>> out;
    service_->GetTask(caller, id, [&](absl::StatusOr<v1::Task> t) { out = t; });
    Pump();
    if (!out.has_value()) return absl::InternalError("no reply");
    return *out;
  }

  absl::StatusOr<v1::Task> Cancel(const std::string& id) {
    std::optional<absl::StatusOr<v1::Task>> out;
    service_->CancelTask(alice_, id,
                         [&](absl::StatusOr<v1::Task> t) { out = t; });
    Pump();
    if (!out.has_value()) return absl::InternalError("no reply");
    return *out;
  }

  TaskRecord Stored(const std::string& id) {
    auto r = store_.Get(id);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : TaskRecord();
  }
  v1::TaskState StateOf(const std::string& id) {
    return Stored(id).task().state();
  }

  std::vector<v1::TaskState> States(const std::string& id) {
    std::vector<v1::TaskState> out;
    for (const auto& c : store_.History(id)) {
      if (out.empty() || out.back() != c.state) out.push_back(c.state);
    }
    return out;
  }

  // Every committed change is version+1 of the previous one, and every state
  // change is a legal transition.
  void ExpectCleanHistory(const std::string& id) {
    auto h = store_.History(id);
    ASSERT_FALSE(h.empty());
    for (size_t i = 1; i < h.size(); ++i) {
      EXPECT_EQ(h[i].version, h[i - 1].version + 1) << "change " << i;
      if (h[i].state != h[i - 1].state) {
        EXPECT_TRUE(CanTransition(h[i - 1].state, h[i].state))
            << v1::TaskState_Name(h[i - 1].state) << " -> "
            << v1::TaskState_Name(h[i].state);
      }
      EXPECT_GE(h[i].progress, h[i - 1].progress) << "change " << i;
    }
  }

  // The gateway's routes under kBase, as main wires them.
  class Urls : public PublicUrls {
   public:
    std::string Upload(absl::string_view name) const override {
      return absl::StrCat(kBase, "/uploads/", name);
    }
    std::string Callback(absl::string_view id) const override {
      return absl::StrCat(kBase, "/v1/callbacks/", id);
    }
  };
  const Urls urls_;
  FakeClock clock_;
  ManualQueue queue_;
  FakeTaskStore store_;
  FakeBlobStore blobs_;
  ManualScheduler scheduler_;
  std::string png_;
  FakeHttpClient http_;
  FakeHttpClient fetcher_;  // the SSRF-checked one: external URLs
  InProcessEventBus bus_;
  TaskWriter writer_{&store_, &bus_, &clock_};
  std::shared_ptr<FakeProvider> p1_;
  std::shared_ptr<FakeProvider> p2_;
  StaticRouter router_;
  // Set before Init to give the dispatcher breakers or a retry budget.
  std::unique_ptr<BreakerBoard> breakers_;
  std::unique_ptr<RetryBudget> retry_budget_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<TaskServiceImpl> service_;
  const Caller alice_{"alice"};
  const Caller bob_{"bob"};
};

}  // namespace mediagw::testing

#endif  // MEDIAGW_TESTS_CORE_TASK_SERVICE_FIXTURE_H_
