// RetentionSweeper on a fake clock: which tasks go (terminal and old
// enough), their blobs, batching and pacing, and stopping.
#include "core/retention_sweeper.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/fakes.h"

namespace mediagw {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using testing::FakeBlobStore;
using testing::FakeTaskStore;
using testing::ManualQueue;
using testing::ManualScheduler;

constexpr absl::Duration kDay = absl::Hours(24);

class RetentionSweeperTest : public ::testing::Test {
 protected:
  RetentionSweeperTest() : store_(&queue_), scheduler_(&clock_) {}

  // A task created `age` before now, in `state`, with `outputs` stored
  // under our /uploads URLs (and as blobs).
  void Add(const std::string& id, absl::Duration age, v1::TaskState state,
           std::vector<std::string> outputs = {},
           const std::string& input = "") {
    TaskRecord r;
    r.set_version(1);
    r.mutable_task()->set_id(id);
    r.mutable_task()->set_state(state);
    const absl::Time created = clock_.Now() - age;
    r.mutable_task()->mutable_create_time()->set_seconds(
        absl::ToUnixSeconds(created));
    for (const std::string& name : outputs) {
      r.mutable_task()->add_outputs()->set_uri("http://h:1/uploads/" + name);
      ASSERT_TRUE(blobs_.Put(name, "x").ok());
    }
    if (!input.empty()) {
      r.set_input_blob(input);
      ASSERT_TRUE(blobs_.Put(input, "x").ok());
    }
    store_.Seed(r);
  }

  std::unique_ptr<RetentionSweeper> Make(RetentionOptions o) {
    return std::make_unique<RetentionSweeper>(
        RetentionSweeper::Deps{&store_, &blobs_, &scheduler_, &queue_,
                               &clock_},
        o);
  }

  // Fires due timers and runs the queue until both are idle.
  void Pump() {
    while (scheduler_.FireDue() + queue_.RunAll() > 0) {
    }
  }

  std::vector<std::string> Ids() {
    std::vector<std::string> ids;
    auto scan = store_.ListNonTerminal();
    for (const auto& r : scan->records) ids.push_back(r.task().id());
    auto expired = store_.ListExpired(absl::InfiniteFuture(), 1000);
    for (const auto& r : expired->records) ids.push_back(r.task().id());
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  FakeClock clock_;
  ManualQueue queue_;
  FakeTaskStore store_;
  FakeBlobStore blobs_;
  ManualScheduler scheduler_;
};

TEST_F(RetentionSweeperTest, DeletesOldTerminalTasksAndTheirFiles) {
  Add("old-ok", 31 * kDay, v1::TASK_STATE_SUCCEEDED,
      {"old-ok_1.png", "old-ok_2.png"});
  blobs_.Put("old-ok.png", "x").IgnoreError();  // the first output's copy
  Add("old-video", 40 * kDay, v1::TASK_STATE_FAILED, {}, "old-video_input.png");
  Add("old-running", 45 * kDay, v1::TASK_STATE_RUNNING, {"old-running.png"});
  Add("young", 29 * kDay, v1::TASK_STATE_SUCCEEDED, {"young.png"});
  Add("old-timed-out", 31 * kDay, v1::TASK_STATE_TIMED_OUT);
  Add("old-canceled", 31 * kDay, v1::TASK_STATE_CANCELED);

  RetentionOptions o;
  o.retention = 30 * kDay;
  o.first_delay = absl::Seconds(5);
  auto sweeper = Make(o);
  sweeper->Start();
  Pump();
  EXPECT_EQ(store_.ExpiredLists(), 0);  // not before first_delay
  clock_.Advance(absl::Seconds(5));
  Pump();

  EXPECT_THAT(Ids(), ElementsAre("old-running", "young"));
  EXPECT_THAT(blobs_.Names(),
              UnorderedElementsAre("old-running.png", "young.png"));
  EXPECT_EQ(sweeper->tasks_deleted(), 4);
  EXPECT_EQ(sweeper->blobs_deleted(), 4);
}

TEST_F(RetentionSweeperTest, FullBatchesArePacedThenItWaitsForTheInterval) {
  for (int i = 0; i < 25; ++i) {
    Add("t" + std::to_string(100 + i), 31 * kDay, v1::TASK_STATE_SUCCEEDED);
  }
  RetentionOptions o;
  o.retention = 30 * kDay;
  o.batch_size = 10;
  o.pause = absl::Milliseconds(200);
  o.interval = absl::Minutes(10);
  o.first_delay = absl::ZeroDuration();
  auto sweeper = Make(o);
  sweeper->Start();
  Pump();
  // One batch per write, and the next one only after the pause.
  EXPECT_EQ(store_.Deletes(), 1);
  EXPECT_EQ(Ids().size(), 15u);
  clock_.Advance(absl::Milliseconds(199));
  Pump();
  EXPECT_EQ(store_.Deletes(), 1);
  clock_.Advance(absl::Milliseconds(1));
  Pump();
  EXPECT_EQ(Ids().size(), 5u);
  clock_.Advance(absl::Milliseconds(200));
  Pump();
  EXPECT_THAT(Ids(), IsEmpty());
  EXPECT_EQ(store_.Deletes(), 3);
  // Caught up (the last batch was short): the next look is an interval
  // away, and it finds nothing to write.
  const int lists = store_.ExpiredLists();
  clock_.Advance(absl::Minutes(9));
  Pump();
  EXPECT_EQ(store_.ExpiredLists(), lists);
  // A task that has aged meanwhile goes at the next look.
  Add("late", 30 * kDay - absl::Seconds(30), v1::TASK_STATE_FAILED);
  clock_.Advance(absl::Minutes(1));
  Pump();
  EXPECT_EQ(store_.ExpiredLists(), lists + 1);
  EXPECT_THAT(Ids(), IsEmpty());
  EXPECT_EQ(sweeper->tasks_deleted(), 26);
}

// Deletes fail for the names given.
class StuckBlobStore : public FakeBlobStore {
 public:
  explicit StuckBlobStore(std::set<std::string> stuck)
      : stuck_(std::move(stuck)) {}
  absl::Status Delete(const std::string& name) override {
    if (stuck_.count(name) > 0) return absl::UnavailableError("I/O error");
    return FakeBlobStore::Delete(name);
  }

 private:
  const std::set<std::string> stuck_;
};

TEST_F(RetentionSweeperTest, ATaskWhoseFilesStayIsKeptAndRetriedLater) {
  StuckBlobStore blobs({"b.png"});
  ASSERT_TRUE(blobs.Put("a.png", "x").ok());
  ASSERT_TRUE(blobs.Put("b.png", "x").ok());
  for (const char* id : {"a", "b"}) {
    TaskRecord r;
    r.set_version(1);
    r.mutable_task()->set_id(id);
    r.mutable_task()->set_state(v1::TASK_STATE_SUCCEEDED);
    r.mutable_task()->mutable_create_time()->set_seconds(
        absl::ToUnixSeconds(clock_.Now() - 31 * kDay));
    r.mutable_task()->add_outputs()->set_uri(absl::StrCat("http://h/uploads/",
                                                          id, ".png"));
    store_.Seed(r);
  }
  RetentionOptions o;
  o.retention = 30 * kDay;
  o.batch_size = 2;
  o.first_delay = absl::ZeroDuration();
  RetentionSweeper sweeper(
      RetentionSweeper::Deps{&store_, &blobs, &scheduler_, &queue_, &clock_},
      o);
  sweeper.Start();
  Pump();
  EXPECT_THAT(Ids(), ElementsAre("b"));  // its file is still there
  EXPECT_THAT(blobs.Names(), ElementsAre("b.png"));
  // A full batch of which a row stayed: not again after the short pause
  // (the same row would come back at once), only after the interval.
  const int lists = store_.ExpiredLists();
  clock_.Advance(o.pause);
  Pump();
  EXPECT_EQ(store_.ExpiredLists(), lists);
  clock_.Advance(o.interval);
  Pump();
  EXPECT_EQ(store_.ExpiredLists(), lists + 1);
  EXPECT_THAT(Ids(), ElementsAre("b"));
}

TEST_F(RetentionSweeperTest, ZeroRetentionKeepsEverything) {
  Add("ancient", 3650 * kDay, v1::TASK_STATE_SUCCEEDED, {"ancient.png"});
  RetentionOptions o;
  o.retention = absl::ZeroDuration();
  o.first_delay = absl::ZeroDuration();
  auto sweeper = Make(o);
  sweeper->Start();
  clock_.Advance(absl::Hours(1));
  Pump();
  EXPECT_EQ(scheduler_.Pending(), 0u);
  EXPECT_EQ(store_.ExpiredLists(), 0);
  EXPECT_THAT(Ids(), ElementsAre("ancient"));
}

TEST_F(RetentionSweeperTest, StopCancelsTheNextBatch) {
  Add("old", 31 * kDay, v1::TASK_STATE_SUCCEEDED);
  RetentionOptions o;
  o.retention = 30 * kDay;
  o.first_delay = absl::Seconds(1);
  auto sweeper = Make(o);
  sweeper->Start();
  sweeper->Stop();
  clock_.Advance(absl::Seconds(2));
  Pump();
  EXPECT_EQ(store_.ExpiredLists(), 0);
  EXPECT_THAT(Ids(), ElementsAre("old"));
}

TEST_F(RetentionSweeperTest, BlobNamesStayWithinTheTask) {
  TaskRecord r;
  r.mutable_task()->set_id("abc");
  r.mutable_task()->add_outputs()->set_uri("http://h/uploads/abc_1.jpg");
  r.mutable_task()->add_outputs()->set_uri("http://h/uploads/abc_2.jpg");
  r.mutable_task()->add_outputs()->set_uri("http://h/uploads/other.png");
  r.set_input_blob("abc_input.webp");
  EXPECT_THAT(RetentionSweeper::BlobNames(r),
              ElementsAre("abc_1.jpg", "abc.jpg", "abc_2.jpg",
                          "abc_input.webp"));
}

}  // namespace
}  // namespace mediagw
