// The dispatcher's use of circuit breakers and the retry budget: ejected
// channels are skipped, submit outcomes open and close breakers, failovers
// and repeated output downloads stay within the budget and wait at least the
// upstream's Retry-After.
#include <memory>
#include <string>

#include "common/status_mapping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/task_service_fixture.h"

namespace mediagw {
namespace {

using namespace ::mediagw::testing;  // NOLINT: the fixture and its helpers
using ::testing::HasSubstr;

class DispatcherHealthTest : public TaskServiceTest {
 protected:
  void UseBreakers(int threshold = 2) {
    BreakerOptions o;
    o.failure_threshold = threshold;
    o.base_cooldown = absl::Seconds(30);
    o.max_cooldown = absl::Minutes(5);
    breakers_ = std::make_unique<BreakerBoard>(o, &clock_);
    breakers_->AddChannel("c1", "http://c1.test");
    breakers_->AddChannel("c2", "http://c2.test");
  }
  void UseBudget(double ratio, double min_per_second) {
    RetryBudgetOptions o;
    o.ratio = ratio;
    o.min_retries_per_second = min_per_second;
    retry_budget_ = std::make_unique<RetryBudget>(o, &clock_);
  }
  // Runs the failover backoffs (full jitter under poll_interval x 2^k),
  // well inside the breakers' 30 s cool-down.
  void Settle() {
    for (int i = 0; i < 5; ++i) AdvanceAndPump(absl::Seconds(1));
  }
};

const absl::Status k503 = absl::UnavailableError("comfyui upstream returned HTTP 503");

TEST_F(DispatcherHealthTest, OpenBreakerSendsNewTasksStraightToTheNextChannel) {
  UseBreakers(/*threshold=*/2);
  Init();
  p1_->ScriptSubmit(k503);
  p1_->ScriptSubmit(k503);
  const std::string a = Submit("multi").id();
  const std::string b = Submit("multi").id();
  Settle();
  EXPECT_EQ(Stored(a).channel(), "c2");
  EXPECT_EQ(Stored(b).channel(), "c2");
  EXPECT_EQ(Stored(a).attempts(), 2);
  EXPECT_EQ(breakers_->State("c1", "http://c1.test"), BreakerState::kOpen);
  EXPECT_EQ(breakers_->Ejections("c1", "http://c1.test"), 1);
  // Ejected: the next tasks do not touch c1 at all.
  const size_t c1_calls = p1_->Submits().size();
  const std::string c = Submit("multi").id();
  Settle();
  EXPECT_EQ(p1_->Submits().size(), c1_calls);
  EXPECT_EQ(Stored(c).channel(), "c2");
  EXPECT_EQ(Stored(c).attempts(), 1);
  EXPECT_EQ(StateOf(c), v1::TASK_STATE_QUEUED);
}

TEST_F(DispatcherHealthTest, AfterTheCooldownOneProbeClosesTheBreaker) {
  UseBreakers(/*threshold=*/1);
  Init();
  p1_->ScriptSubmit(k503);
  Submit("multi");
  Settle();
  ASSERT_EQ(breakers_->State("c1", "http://c1.test"), BreakerState::kOpen);
  AdvanceAndPump(absl::Seconds(30));
  const std::string probe = Submit("multi").id();
  Settle();
  EXPECT_EQ(Stored(probe).channel(), "c1");
  EXPECT_EQ(breakers_->State("c1", "http://c1.test"), BreakerState::kClosed);
}

TEST_F(DispatcherHealthTest, BadRequestsAndTaskFailuresDoNotEject) {
  UseBreakers(/*threshold=*/1);
  Init();
  p1_->ScriptSubmit(absl::InvalidArgumentError("bad prompt"));
  const std::string a = Submit("multi").id();
  Settle();
  EXPECT_EQ(StateOf(a), v1::TASK_STATE_FAILED);
  EXPECT_EQ(breakers_->State("c1", "http://c1.test"), BreakerState::kClosed);
}

TEST_F(DispatcherHealthTest, EveryChannelEjectedWaitsWithoutCalling) {
  UseBreakers(/*threshold=*/1);
  Init();
  p1_->ScriptSubmit(k503);
  const std::string a = Submit("default").id();  // c1 only
  Settle();
  EXPECT_EQ(breakers_->State("c1", "http://c1.test"), BreakerState::kOpen);
  const size_t calls = p1_->Submits().size();
  const std::string b = Submit("default").id();
  AdvanceAndPump(absl::Seconds(10));
  EXPECT_EQ(p1_->Submits().size(), calls);
  EXPECT_EQ(StateOf(b), v1::TASK_STATE_PENDING);
  // Once the cool-down is over the waiting task is the probe.
  for (int i = 0; i < 30; ++i) AdvanceAndPump(absl::Seconds(1));
  EXPECT_GT(p1_->Submits().size(), calls);
  EXPECT_NE(StateOf(b), v1::TASK_STATE_PENDING);
  (void)a;
}

TEST_F(DispatcherHealthTest, FailoversStopWhenTheRetryBudgetIsSpent) {
  UseBudget(/*ratio=*/0, /*min_per_second=*/1.0 / 60);  // one retry a minute
  Init();
  p1_->ScriptSubmit(k503);
  p1_->ScriptSubmit(k503);
  const std::string a = Submit("multi").id();
  Settle();
  const std::string b = Submit("multi").id();
  Settle();
  EXPECT_EQ(Stored(a).channel(), "c2");
  EXPECT_EQ(StateOf(a), v1::TASK_STATE_QUEUED);
  const TaskRecord rb = Stored(b);
  EXPECT_EQ(rb.task().state(), v1::TASK_STATE_FAILED);
  EXPECT_THAT(rb.task().error().message(), HasSubstr("retry budget"));
  EXPECT_EQ(p2_->Submits().size(), 1u);
}

TEST_F(DispatcherHealthTest, FailoverWaitsForRetryAfter) {
  Init();
  p1_->ScriptSubmit(WithRetryAfter(absl::UnavailableError("busy"), 503, "20",
                                   clock_.Now()));
  const std::string a = Submit("multi").id();
  AdvanceAndPump(absl::Seconds(19));
  EXPECT_EQ(p2_->Submits().size(), 0u);
  EXPECT_EQ(StateOf(a), v1::TASK_STATE_PENDING);
  AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(p2_->Submits().size(), 1u);
  EXPECT_EQ(Stored(a).channel(), "c2");
}

TEST_F(DispatcherHealthTest, FailedPollsOpenTheChannelsBreaker) {
  UseBreakers(/*threshold=*/2);
  Init();
  const std::string a = Submit("default").id();  // c1
  p1_->ScriptPoll(a, k503);
  p1_->ScriptPoll(a, absl::DeadlineExceededError("poll timed out"));
  for (int i = 0; i < 10; ++i) AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(breakers_->State("c1", "http://c1.test"), BreakerState::kOpen);
  // New tasks go elsewhere while it is ejected.
  const size_t c1_calls = p1_->Submits().size();
  const std::string b = Submit("multi").id();
  Settle();
  EXPECT_EQ(p1_->Submits().size(), c1_calls);
  EXPECT_EQ(Stored(b).channel(), "c2");
}

TEST_F(DispatcherHealthTest, ARunningJobIsStillPolledBehindAnOpenBreaker) {
  UseBreakers(/*threshold=*/1);
  Init();
  const std::string a = Submit("default").id();
  p1_->ScriptPoll(a, k503);
  AdvanceAndPump(absl::Seconds(1));
  ASSERT_EQ(breakers_->State("c1", "http://c1.test"), BreakerState::kOpen);
  // The job is paid for and running there: polls go on, with backoff, and
  // the task ends as the upstream says, well inside the cool-down.
  p1_->ScriptPoll(a, Succeeded("http://up.test/a.png"));
  for (int i = 0; i < 10; ++i) AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(StateOf(a), v1::TASK_STATE_SUCCEEDED);
}

TEST_F(DispatcherHealthTest, AnsweredPollsBreakARunOfFailures) {
  UseBreakers(/*threshold=*/2);
  Init();
  const std::string a = Submit("default").id();
  p1_->ScriptPoll(a, k503);
  p1_->ScriptPoll(a, Running(0.5));
  p1_->ScriptPoll(a, k503);
  // A reply we cannot read says nothing either way.
  p1_->ScriptPoll(a, absl::InvalidArgumentError("reply not understood"));
  p1_->ScriptPoll(a, Running(0.6));
  for (int i = 0; i < 20; ++i) AdvanceAndPump(absl::Seconds(1));
  EXPECT_GE(p1_->Polls().size(), 5u);
  EXPECT_EQ(breakers_->State("c1", "http://c1.test"), BreakerState::kClosed);
}

HttpResponse Http503(const std::string& retry_after = "") {
  HttpResponse r;
  r.status = 503;
  r.body = "busy";
  if (!retry_after.empty()) r.headers.emplace_back("retry-after", retry_after);
  return r;
}

constexpr char kOut[] = "http://up.test/out.png";

TEST_F(DispatcherHealthTest, OutputDownloadRetriesComeFromTheRetryBudget) {
  UseBudget(/*ratio=*/0, /*min_per_second=*/1.0 / 60);  // one retry a minute
  Init();
  http_.Script(kOut, Http503());
  http_.Script(kOut, Http503());
  const std::string a = Submit().id();
  p1_->ScriptPoll(a, Succeeded(kOut));
  for (int i = 0; i < 30; ++i) AdvanceAndPump(absl::Seconds(1));
  // The first retry had the budget; the second waits for room, however
  // many attempts are left, and the paid result is not given up.
  EXPECT_EQ(http_.Urls().size(), 2u);
  EXPECT_EQ(StateOf(a), v1::TASK_STATE_FINALIZING);
  for (int i = 0; i < 60; ++i) AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(http_.Urls().size(), 3u);
  EXPECT_EQ(StateOf(a), v1::TASK_STATE_SUCCEEDED);
}

TEST_F(DispatcherHealthTest, OutputDownloadRetryWaitsForRetryAfter) {
  Init();
  http_.Script(kOut, Http503("20"));
  const std::string a = Submit().id();
  p1_->ScriptPoll(a, Succeeded(kOut));
  AdvanceAndPump(absl::Seconds(1));  // polled: the download fails
  ASSERT_EQ(http_.Urls().size(), 1u);
  for (int i = 0; i < 19; ++i) AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(http_.Urls().size(), 1u);
  EXPECT_EQ(StateOf(a), v1::TASK_STATE_FINALIZING);
  AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(http_.Urls().size(), 2u);
  EXPECT_EQ(StateOf(a), v1::TASK_STATE_SUCCEEDED);
}

TEST_F(DispatcherHealthTest, AWaitingDownloadRetryHoldsNoDownloadSlot) {
  DispatcherOptions opts;
  opts.fetch_parallel = 1;
  Init(opts);
  http_.Script(kOut, Http503("60"));
  const std::string a = Submit().id();
  p1_->ScriptPoll(a, Succeeded(kOut));
  AdvanceAndPump(absl::Seconds(1));
  const std::string b = Submit().id();
  p1_->ScriptPoll(b, Succeeded("http://up.test/b.png"));
  for (int i = 0; i < 3; ++i) AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(StateOf(b), v1::TASK_STATE_SUCCEEDED);
  EXPECT_EQ(StateOf(a), v1::TASK_STATE_FINALIZING);
}

}  // namespace
}  // namespace mediagw
