// Runs every registered ContractCase against a fresh in-process simulator
// through the real CurlMultiClient. See contract.h.
#include "tests/providers/contract/contract.h"

#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "common/status_mapping.h"
#include "core/image_info.h"
#include "gtest/gtest.h"
#include "net/curl_multi_client.h"
#include "tests/core/test_png.h"
#include "tools/sim/sim_server.h"

namespace mediagw::contract {

std::vector<ContractCase>& MutableCases() {
  static auto* cases = new std::vector<ContractCase>();
  return *cases;
}

void RegisterContractCase(ContractCase c) {
  MutableCases().push_back(std::move(c));
}

const std::vector<ContractCase>& ContractCases() { return MutableCases(); }

std::string ReadTemplate(const std::string& name) {
  std::ifstream in(
      absl::StrCat(MEDIAGW_SOURCE_DIR, "/config/workflows/", name, ".json"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TaskRecord VideoRecord(const std::string& workflow) {
  TaskRecord r;
  r.set_owner("contract");
  r.set_attempts(1);
  r.mutable_task()->set_workflow(workflow);
  r.mutable_task()->set_kind(v1::TASK_KIND_VIDEO);
  auto* req = r.mutable_request();
  req->set_prompt("waves on a beach");
  req->set_negative_prompt("blurry");
  req->set_workflow(workflow);
  req->set_width(64);
  req->set_height(48);
  req->set_steps(3);
  req->set_cfg(6);
  req->set_seed(3);
  req->set_n(1);
  r.mutable_video()->set_prompt("waves on a beach");
  r.mutable_video()->set_workflow(workflow);
  r.set_input_blob("contract_input.png");
  r.set_input_mime_type("image/png");
  return r;
}

SubmitContext VideoInput() {
  SubmitContext ctx;
  ctx.input_image = testing::MakePng(64, 48);
  ctx.input_mime_type = "image/png";
  ctx.input_name = "contract_input.png";
  ctx.input_url = "http://gateway.test/uploads/contract_input.png";
  return ctx;
}

namespace {

constexpr absl::Duration kWait = absl::Seconds(20);

template <typename T>
struct Slot {
  absl::Notification done;
  std::optional<T> value;
};

// Runs `start(callback)` and waits (bounded) for the callback's value.
template <typename T, typename Start>
T Await(Start start, T on_timeout) {
  auto slot = std::make_shared<Slot<T>>();
  start([slot](T v) {
    slot->value.emplace(std::move(v));
    slot->done.Notify();
  });
  if (!slot->done.WaitForNotificationWithTimeout(kWait)) return on_timeout;
  return std::move(*slot->value);
}

// What one whole job came to.
struct Outcome {
  absl::Status submit;            // Submit's status
  absl::Status end;               // first failing poll/fetch, or OK
  UpstreamState last = UpstreamState::kQueued;
  std::vector<std::string> files;  // downloaded output bytes
};

class ContractTest : public ::testing::TestWithParam<ContractCase> {
 protected:
  void SetUp() override {
    sim::SimOptions o;
    o.step_time = absl::Milliseconds(2);
    o.start_delay = absl::Milliseconds(5);
    sim_ = std::make_unique<sim::SimServer>(o);
    ASSERT_TRUE(sim_->Start().ok());
    base_ = absl::StrCat("http://127.0.0.1:", sim_->port());
    auto p = GetParam().make(base_, &http_);
    ASSERT_TRUE(p.ok()) << p.status();
    provider_ = *std::move(p);
  }
  void TearDown() override {
    provider_.reset();
    http_.Shutdown();
    sim_.reset();
  }

  void Fault(sim::FaultMode mode, int status = 500, int slow_ms = 2000) {
    sim::FaultSpec f;
    f.mode = mode;
    f.status = status;
    f.slow_ms = slow_ms;
    f.path_prefix = GetParam().fault_prefix;
    sim_->faults().Add(f);
  }

  absl::StatusOr<std::string> Download(const OutputRef& ref) {
    if (!ref.data.empty()) return ref.data;
    auto resp = Await<absl::StatusOr<HttpResponse>>(
        [&](HttpCallback cb) { http_.Send(ref.request, std::move(cb)); },
        absl::DeadlineExceededError("download timed out"));
    if (!resp.ok()) return resp.status();
    if (resp->status != 200) {
      return UpstreamHttpToStatus(resp->status, "output", resp->body);
    }
    return resp->body;
  }

  // Submit, poll until a terminal upstream state, download the outputs.
  Outcome Run(int n) {
    Outcome out;
    TaskRecord rec = GetParam().record(n);
    rec.mutable_task()->set_id(NewUuid());
    rec.set_upstream_id(provider_->PreassignUpstreamId(rec));
    SubmitContext ctx;
    if (GetParam().context) ctx = GetParam().context();
    auto submitted = Await<absl::StatusOr<SubmitResult>>(
        [&](auto cb) { provider_->Submit(rec, ctx, std::move(cb)); },
        absl::DeadlineExceededError("submit timed out"));
    out.submit = submitted.status();
    if (!submitted.ok()) return out;
    rec.set_upstream_id(submitted->upstream_id);
    rec.set_provider_state(submitted->provider_state);
    std::vector<OutputRef> refs = submitted->outputs;
    if (refs.empty()) {
      absl::Time end = absl::Now() + kWait;
      while (absl::Now() < end) {
        auto polled = Await<absl::StatusOr<PollResult>>(
            [&](auto cb) { provider_->Poll(rec, std::move(cb)); },
            absl::DeadlineExceededError("poll timed out"));
        if (!polled.ok()) {
          out.end = polled.status();
          return out;
        }
        out.last = polled->state;
        if (polled->state == UpstreamState::kSucceeded) {
          refs = polled->outputs;
          break;
        }
        if (polled->state == UpstreamState::kFailed ||
            polled->state == UpstreamState::kNotFound) {
          out.end = polled->error.ok()
                        ? absl::NotFoundError("upstream lost the job")
                        : polled->error;
          return out;
        }
        absl::SleepFor(absl::Milliseconds(20));
      }
      if (refs.empty()) {
        out.end = absl::DeadlineExceededError("job never finished");
        return out;
      }
    }
    out.last = UpstreamState::kSucceeded;
    for (const OutputRef& ref : refs) {
      auto bytes = Download(ref);
      if (!bytes.ok()) {
        out.end = bytes.status();
        return out;
      }
      out.files.push_back(*std::move(bytes));
    }
    return out;
  }

  std::unique_ptr<sim::SimServer> sim_;
  std::string base_;
  net::CurlMultiClient http_;
  std::shared_ptr<Provider> provider_;
};

TEST_P(ContractTest, HappyPathGivesARealImageOrVideo) {
  Outcome o = Run(1);
  ASSERT_TRUE(o.submit.ok()) << o.submit;
  ASSERT_TRUE(o.end.ok()) << o.end;
  ASSERT_EQ(o.files.size(), 1u);
  MediaInfo info = SniffMedia(o.files[0]);
  EXPECT_FALSE(info.mime_type.empty()) << "not an image or video";
  const TaskRecord rec = GetParam().record(1);
  if (rec.task().kind() == v1::TASK_KIND_VIDEO) {
    EXPECT_EQ(info.mime_type, "video/mp4");
  } else {
    EXPECT_EQ(info.mime_type.rfind("image/", 0), 0u) << info.mime_type;
  }
  EXPECT_GT(info.width, 0);
  EXPECT_GT(info.height, 0);
}

TEST_P(ContractTest, ClientErrorIsNotRetried) {
  Fault(sim::FaultMode::kHttpStatus, 400);
  Outcome o = Run(1);
  ASSERT_FALSE(o.submit.ok());
  EXPECT_FALSE(IsRetryable(o.submit)) << o.submit;
}

TEST_P(ContractTest, ServerErrorIsRetryable) {
  Fault(sim::FaultMode::kHttp500);
  Outcome o = Run(1);
  ASSERT_FALSE(o.submit.ok());
  EXPECT_TRUE(IsRetryable(o.submit)) << o.submit;
}

TEST_P(ContractTest, MalformedJsonIsAnErrorNotASuccess) {
  Fault(sim::FaultMode::kMalformedJson);
  Outcome o = Run(1);
  // The truncated document is the first JSON answer under the vendor's
  // prefix; whichever step got it must report an error.
  EXPECT_TRUE(!o.submit.ok() || !o.end.ok())
      << "a truncated reply was taken as success";
}

TEST_P(ContractTest, SlowBodyWithinTheTimeoutStillSucceeds) {
  Fault(sim::FaultMode::kSlowBody, 500, 300);
  Outcome o = Run(1);
  ASSERT_TRUE(o.submit.ok()) << o.submit;
  ASSERT_TRUE(o.end.ok()) << o.end;
  EXPECT_EQ(o.files.size(), 1u);
}

TEST_P(ContractTest, VanishedJobIsNeverASuccess) {
  sim::FaultSpec f;
  f.mode = sim::FaultMode::kVanish;
  sim_->faults().Add(f);
  Outcome o = Run(1);
  ASSERT_TRUE(o.submit.ok()) << o.submit;
  EXPECT_FALSE(o.end.ok()) << "a vanished job was reported as done";
}

TEST_P(ContractTest, AskingForSeveralOutputsGivesThatMany) {
  const int n = GetParam().max_n;
  if (n < 2) GTEST_SKIP() << GetParam().name << " makes one output per task";
  Outcome o = Run(n);
  ASSERT_TRUE(o.submit.ok()) << o.submit;
  ASSERT_TRUE(o.end.ok()) << o.end;
  ASSERT_EQ(static_cast<int>(o.files.size()), n);
  for (const auto& f : o.files) EXPECT_FALSE(SniffMedia(f).mime_type.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Providers, ContractTest, ::testing::ValuesIn(ContractCases()),
    [](const ::testing::TestParamInfo<ContractCase>& info) {
      return info.param.name;
    });

}  // namespace
}  // namespace mediagw::contract
