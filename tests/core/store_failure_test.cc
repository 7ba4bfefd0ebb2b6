// Store writes that fail for a while (a locked database, an I/O error, a
// full disk) are retried with backoff instead of dropped: a dropped write
// would leave the task where it was until its deadline, holding its channel
// slot, and could forget the id of a paid upstream job.
#include <string>

#include "gtest/gtest.h"
#include "tests/core/task_service_fixture.h"

namespace mediagw::testing {
namespace {

class StoreFailureTest : public TaskServiceTest {};

TEST_F(StoreFailureTest, FailedWritesAreRetriedUntilTheyLand) {
  Init();
  std::string id = Submit().id();
  // Every write of the next stretch fails: the upstream id, progress, the
  // outputs and the end.
  store_.FailNextUpdates(6);
  p1_->ScriptPoll(id, Succeeded("http://up.test/a.png"));
  for (int i = 0; i < 40 && StateOf(id) != v1::TASK_STATE_SUCCEEDED; ++i) {
    AdvanceAndPump(absl::Milliseconds(500));
  }
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_SUCCEEDED);
  EXPECT_FALSE(Stored(id).upstream_id().empty());
  EXPECT_EQ(p1_->Submits().size(), 1u) << "the job must not run twice";
  ExpectCleanHistory(id);
}

TEST_F(StoreFailureTest, ASlotIsFreedOnceTheEndIsFinallyWritten) {
  router_.AddChannel({"one", p1_, 1, /*max_concurrency=*/1});
  WorkflowInfo single;
  single.name = "single";
  single.deadline = absl::Minutes(10);
  router_.AddWorkflow(single, {"one"});
  Init();
  std::string first = Submit("single").id();
  p1_->ScriptPoll(first, Succeeded("http://up.test/a.png"));
  store_.FailNextUpdates(3);
  std::string second = Submit("single").id();
  p1_->ScriptPoll(second, Succeeded("http://up.test/b.png"));
  for (int i = 0; i < 60 && StateOf(second) != v1::TASK_STATE_SUCCEEDED; ++i) {
    AdvanceAndPump(absl::Milliseconds(500));
  }
  EXPECT_EQ(StateOf(first), v1::TASK_STATE_SUCCEEDED);
  EXPECT_EQ(StateOf(second), v1::TASK_STATE_SUCCEEDED);
}

}  // namespace
}  // namespace mediagw::testing
