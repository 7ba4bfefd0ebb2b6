// Output collection under its bounds: how many outputs a task may have, how
// many bytes they may total, and how many downloads run at once.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/core/task_service_fixture.h"

namespace mediagw {
namespace {

using namespace ::mediagw::testing;  // NOLINT: the fixture and its helpers
using ::testing::HasSubstr;
using ::testing::IsEmpty;

PollResult ManyOutputs(int n) {
  PollResult r;
  r.state = UpstreamState::kSucceeded;
  for (int i = 0; i < n; ++i) {
    OutputRef o;
    o.request.url = absl::StrCat("http://up.test/", i, ".png");
    r.outputs.push_back(o);
  }
  return r;
}

using DispatcherOutputsTest = TaskServiceTest;

TEST_F(DispatcherOutputsTest, TooManyOutputsFailBeforeAnyDownload) {
  Init();
  std::string id = Submit().id();
  p1_->ScriptPoll(id, ManyOutputs(4096));
  AdvanceAndPump(absl::Seconds(1));
  TaskRecord rec = Stored(id);
  EXPECT_EQ(rec.task().state(), v1::TASK_STATE_FAILED);
  EXPECT_EQ(rec.task().error().code(), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(rec.task().error().message(),
            "upstream returned 4096 outputs; at most 16 are kept "
            "(fetch.max_outputs)");
  EXPECT_THAT(http_.Urls(), IsEmpty());
  EXPECT_THAT(fetcher_.Urls(), IsEmpty());
  EXPECT_EQ(blobs_.Puts(), 0u);
  EXPECT_EQ(dispatcher_->ActiveCount(), 0u);
}

TEST_F(DispatcherOutputsTest, TheLimitItselfIsAllowed) {
  DispatcherOptions opts;
  opts.max_outputs = 3;
  Init(opts);
  std::string id = Submit().id();
  p1_->ScriptPoll(id, ManyOutputs(3));
  AdvanceAndPump(absl::Seconds(1));
  TaskRecord rec = Stored(id);
  ASSERT_EQ(rec.task().state(), v1::TASK_STATE_SUCCEEDED);
  EXPECT_EQ(rec.task().outputs_size(), 3);
}

TEST_F(DispatcherOutputsTest, TaskBytesOverTheLimitFailAndRemoveWhatWasStored) {
  DispatcherOptions opts;
  opts.fetch_parallel_per_task = 1;  // one after the other: deterministic
  // Room for two outputs and a half.
  opts.max_task_bytes = static_cast<int64_t>(png_.size() * 5 / 2);
  Init(opts);
  std::string id = Submit().id();
  p1_->ScriptPoll(id, ManyOutputs(6));
  AdvanceAndPump(absl::Seconds(1));
  TaskRecord rec = Stored(id);
  EXPECT_EQ(rec.task().state(), v1::TASK_STATE_FAILED);
  EXPECT_EQ(rec.task().error().code(), "RESOURCE_EXHAUSTED");
  EXPECT_THAT(rec.task().error().message(),
              HasSubstr("(fetch.max_task_bytes)"));
  EXPECT_EQ(rec.task().outputs_size(), 0);
  // The third download broke the budget; nothing after it started.
  EXPECT_EQ(http_.Urls().size(), 3u);
  EXPECT_GE(blobs_.Puts(), 2u);  // the first two had been stored ...
  EXPECT_THAT(blobs_.Names(), IsEmpty());  // ... and are gone again
}

TEST_F(DispatcherOutputsTest, DownloadsPerTaskAreBounded) {
  DispatcherOptions opts;
  opts.fetch_parallel_per_task = 3;
  Init(opts);
  http_.Hold(true);
  std::string id = Submit().id();
  p1_->ScriptPoll(id, ManyOutputs(10));
  AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(http_.Held(), 3u);
  for (int answered = 0; answered < 10; ++answered) {
    EXPECT_LE(http_.Held(), 3u);
    http_.AnswerOne();
    Pump();
  }
  TaskRecord rec = Stored(id);
  ASSERT_EQ(rec.task().state(), v1::TASK_STATE_SUCCEEDED);
  ASSERT_EQ(rec.task().outputs_size(), 10);
  EXPECT_EQ(rec.task().outputs(9).uri(),
            absl::StrCat(kBase, "/uploads/", id, "_10.png"));
  EXPECT_EQ(http_.Urls().size(), 10u);
}

TEST_F(DispatcherOutputsTest, DownloadsOfAllTasksShareTheGlobalBound) {
  DispatcherOptions opts;
  opts.fetch_parallel_per_task = 4;
  opts.fetch_parallel = 5;
  Init(opts);
  http_.Hold(true);
  std::string a = Submit().id();
  std::string b = Submit().id();
  p1_->ScriptPoll(a, ManyOutputs(4));
  p1_->ScriptPoll(b, ManyOutputs(4));
  AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(http_.Held(), 5u);
  for (int answered = 0; answered < 8; ++answered) {
    EXPECT_LE(http_.Held(), 5u);
    http_.AnswerOne();
    Pump();
  }
  EXPECT_EQ(StateOf(a), v1::TASK_STATE_SUCCEEDED);
  EXPECT_EQ(StateOf(b), v1::TASK_STATE_SUCCEEDED);
}

TEST_F(DispatcherOutputsTest, AFailedOutputRemovesTheOthersOnceTheyLand) {
  Init();
  http_.Hold(true);
  HttpResponse html;
  html.status = 200;
  html.body = "<html>expired</html>";
  http_.Script("http://up.test/0.png", html);
  std::string id = Submit().id();
  p1_->ScriptPoll(id, ManyOutputs(3));
  AdvanceAndPump(absl::Seconds(1));
  ASSERT_EQ(http_.Held(), 3u);
  http_.AnswerOne();  // not an image: the task fails
  Pump();
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_FAILED);
  http_.AnswerOne();
  http_.AnswerOne();
  Pump();
  EXPECT_THAT(blobs_.Names(), IsEmpty());
}

TEST_F(DispatcherOutputsTest, ACancelDuringADownloadRetryRemovesWhatWasStored) {
  DispatcherOptions opts;
  opts.fetch_parallel = 1;
  Init(opts);
  HttpResponse busy;
  busy.status = 503;
  busy.headers.emplace_back("retry-after", "60");
  http_.Script("http://up.test/1.png", busy);
  std::string id = Submit().id();
  p1_->ScriptPoll(id, ManyOutputs(2));
  AdvanceAndPump(absl::Seconds(1));
  ASSERT_EQ(http_.Urls().size(), 2u);  // the first stored, the second waits
  ASSERT_THAT(blobs_.Names(), ::testing::Not(IsEmpty()));
  ASSERT_TRUE(Cancel(id).ok());
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_CANCELED);
  // The dropped retry ends its output: the task's files go, and its
  // download slot serves the next task.
  EXPECT_THAT(blobs_.Names(), IsEmpty());
  std::string next = Submit().id();
  p1_->ScriptPoll(next, Succeeded("http://up.test/next.png"));
  AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(StateOf(next), v1::TASK_STATE_SUCCEEDED);
}

}  // namespace
}  // namespace mediagw
