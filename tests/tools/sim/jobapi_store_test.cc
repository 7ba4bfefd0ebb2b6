// The simulated job APIs' job table: phases over (injected) time, job
// faults, moderation, rendering, cancellation and eviction.
#include "tools/sim/jobapi_store.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw::sim {
namespace {

using ::testing::ElementsAre;

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);
constexpr JobApiTiming kTiming = {absl::Milliseconds(100),
                                  absl::Milliseconds(10)};

JobApiParams Params(int steps = 10, int count = 1) {
  JobApiParams p;
  p.prompt = "a cat";
  p.steps = steps;
  p.count = count;
  return p;
}

absl::Time At(int ms) { return kT0 + absl::Milliseconds(ms); }

TEST(JobApiStoreTest, PhasesFollowTime) {
  JobApiStore store(kTiming, 10);
  ASSERT_TRUE(store.Create("1", Params(10, 2), std::nullopt, kT0));
  EXPECT_EQ(store.View("1", At(50))->phase, JobApiPhase::kPending);
  auto running = store.View("1", At(150));
  EXPECT_EQ(running->phase, JobApiPhase::kRunning);
  EXPECT_DOUBLE_EQ(running->progress, 0.5);
  // Time is up but nothing is rendered yet: still running, almost done.
  auto waiting = store.View("1", At(500));
  EXPECT_EQ(waiting->phase, JobApiPhase::kRunning);
  EXPECT_DOUBLE_EQ(waiting->progress, 0.99);
  store.AttachFiles("1", {{"image/png", "a"}, {"image/png", "b"}});
  auto done = store.View("1", At(500));
  EXPECT_EQ(done->phase, JobApiPhase::kSucceeded);
  EXPECT_EQ(done->progress, 1);
  EXPECT_THAT(done->file_names, ElementsAre("1_0.png", "1_1.png"));
  EXPECT_EQ(store.File("1_1.png")->bytes, "b");
  EXPECT_EQ(store.File("1_2.png"), std::nullopt);
  // Rendering early does not end the job before its time.
  ASSERT_TRUE(store.Create("2", Params(), std::nullopt, kT0));
  store.AttachFiles("2", {{"image/png", "x"}});
  EXPECT_EQ(store.View("2", At(150))->phase, JobApiPhase::kRunning);
  EXPECT_EQ(store.View("2", At(200))->phase, JobApiPhase::kSucceeded);
}

TEST(JobApiStoreTest, JobFaults) {
  JobApiStore store(kTiming, 10);
  EXPECT_FALSE(store.Create("v", Params(), FaultMode::kVanish, kT0));
  EXPECT_EQ(store.View("v", At(0)), std::nullopt);
  EXPECT_EQ(store.size(), 0u);
  ASSERT_TRUE(store.Create("e", Params(), FaultMode::kErrorStatus, kT0));
  EXPECT_EQ(store.View("e", At(150))->phase, JobApiPhase::kRunning);
  auto failed = store.View("e", At(200));
  EXPECT_EQ(failed->phase, JobApiPhase::kFailed);
  EXPECT_EQ(failed->error, "simulated generation failure");
  EXPECT_FALSE(failed->moderated);
}

TEST(JobApiStoreTest, ModerationAndRenderFailures) {
  JobApiStore store(kTiming, 10);
  JobApiParams p = Params();
  p.moderated = true;
  ASSERT_TRUE(store.Create("m", p, std::nullopt, kT0));
  auto moderated = store.View("m", At(300));
  EXPECT_EQ(moderated->phase, JobApiPhase::kFailed);
  EXPECT_TRUE(moderated->moderated);
  ASSERT_TRUE(store.Create("r", Params(), std::nullopt, kT0));
  store.AttachFiles("r", {}, "size too large");
  auto broken = store.View("r", At(300));
  EXPECT_EQ(broken->phase, JobApiPhase::kFailed);
  EXPECT_EQ(broken->error, "size too large");
  // A second attachment and unknown ids are ignored.
  store.AttachFiles("r", {{"image/png", "late"}});
  EXPECT_EQ(store.View("r", At(300))->phase, JobApiPhase::kFailed);
  store.AttachFiles("nope", {{"image/png", "x"}});
  EXPECT_EQ(store.File("nope_0.png"), std::nullopt);
}

TEST(JobApiStoreTest, Cancel) {
  JobApiStore store(kTiming, 10);
  ASSERT_TRUE(store.Create("c", Params(), std::nullopt, kT0));
  EXPECT_EQ(store.Cancel("c", At(150)), JobApiStore::CancelOutcome::kCancelled);
  EXPECT_EQ(store.View("c", At(900))->phase, JobApiPhase::kCancelled);
  EXPECT_EQ(store.Cancel("c", At(900)), JobApiStore::CancelOutcome::kCancelled);
  ASSERT_TRUE(store.Create("d", Params(), std::nullopt, kT0));
  store.AttachFiles("d", {{"image/png", "x"}});
  EXPECT_EQ(store.Cancel("d", At(900)),
            JobApiStore::CancelOutcome::kAlreadyFinished);
  EXPECT_EQ(store.Cancel("zz", At(0)), JobApiStore::CancelOutcome::kUnknown);
}

TEST(JobApiStoreTest, OldestJobsAndTheirFilesAreEvicted) {
  JobApiStore store(kTiming, 2);
  for (const char* id : {"a", "b", "c"}) {
    ASSERT_TRUE(store.Create(id, Params(), std::nullopt, kT0));
    store.AttachFiles(id, {{"image/png", id}});
  }
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(store.View("a", At(900)), std::nullopt);
  EXPECT_EQ(store.File("a_0.png"), std::nullopt);
  EXPECT_EQ(store.File("c_0.png")->bytes, "c");
  // Re-creating an id replaces the job.
  ASSERT_TRUE(store.Create("c", Params(), std::nullopt, At(900)));
  EXPECT_EQ(store.View("c", At(900))->phase, JobApiPhase::kPending);
  EXPECT_EQ(store.File("c_0.png"), std::nullopt);
  EXPECT_EQ(store.size(), 2u);
}

}  // namespace
}  // namespace mediagw::sim
