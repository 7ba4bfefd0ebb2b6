// TaskService + Dispatcher driven end to end over deterministic fakes: one
// manual queue stands in for every asynchronous thread, timers fire only
// when the FakeClock is advanced.
#include "core/task_service.h"

#include <algorithm>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status_mapping.h"
#include "tests/core/task_service_fixture.h"

namespace mediagw {
namespace {

using ::google::protobuf::util::TimeUtil;
using namespace ::mediagw::testing;  // NOLINT: the fixture and its helpers
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST_F(TaskServiceTest, SubmitRepliesPendingAfterStoringIt) {
  Init();
  v1::SubmitImageRequest req;
  req.set_prompt("a cat");
  std::optional<absl::StatusOr<v1::Task>> reply;
  service_->SubmitImage(alice_, req,
                        [&](absl::StatusOr<v1::Task> t) { reply = t; });
  EXPECT_FALSE(reply.has_value());  // not before the store commit
  queue_.RunAll();
  ASSERT_TRUE(reply.has_value());
  ASSERT_TRUE(reply->ok()) << reply->status();
  const v1::Task& t = **reply;
  EXPECT_EQ(t.state(), v1::TASK_STATE_PENDING);
  EXPECT_EQ(t.workflow(), "default");
  EXPECT_GE(t.seed(), 0);
  auto h = store_.History(t.id());
  ASSERT_FALSE(h.empty());
  EXPECT_EQ(h[0].version, 1);
  EXPECT_EQ(h[0].state, v1::TASK_STATE_PENDING);
  TaskRecord rec = Stored(t.id());
  EXPECT_EQ(rec.owner(), "alice");
  EXPECT_EQ(rec.request().width(), 512);
  EXPECT_EQ(rec.request().seed(), t.seed());
  EXPECT_EQ(TimeUtil::TimestampToSeconds(rec.deadline()),
            absl::ToUnixSeconds(clock_.Now() + absl::Minutes(10)));
}

TEST_F(TaskServiceTest, InvalidRequestIsRejectedBeforeStoring) {
  Init();
  v1::SubmitImageRequest req;
  req.set_prompt("   ");
  auto t = SubmitRaw(req, alice_);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.status().message(), "Missing prompt");
  req.set_prompt("x");
  req.set_workflow("nope");
  t = SubmitRaw(req, alice_);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(t.status().message(), HasSubstr("nope"));
  EXPECT_EQ(store_.Size(), 0u);
}

TEST_F(TaskServiceTest, HappyPathToSucceededWithStoredOutput) {
  Init();
  v1::Task t = Submit();
  const std::string id = t.id();
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_QUEUED);
  ASSERT_EQ(p1_->Submits().size(), 1u);
  EXPECT_EQ(Stored(id).upstream_id(), "up-" + id);
  EXPECT_EQ(Stored(id).channel(), "c1");
  EXPECT_EQ(Stored(id).task().provider(), "prov1");
  EXPECT_EQ(p1_->Watched(id), true);

  p1_->ScriptPoll(id, Running(0.5));
  p1_->ScriptPoll(id, Succeeded("http://up.test/view?f=1.png"));
  AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_RUNNING);
  EXPECT_DOUBLE_EQ(Stored(id).task().progress(), 0.5);
  EXPECT_TRUE(Stored(id).task().has_start_time());
  AdvanceAndPump(absl::Seconds(1));

  TaskRecord done = Stored(id);
  EXPECT_EQ(done.task().state(), v1::TASK_STATE_SUCCEEDED);
  EXPECT_DOUBLE_EQ(done.task().progress(), 1.0);
  ASSERT_EQ(done.task().outputs_size(), 1);
  EXPECT_EQ(done.task().outputs(0).uri(),
            std::string(kBase) + "/uploads/" + id + ".png");
  EXPECT_EQ(done.task().outputs(0).mime_type(), "image/png");
  EXPECT_EQ(done.task().outputs(0).width(), 64);
  EXPECT_EQ(done.task().outputs(0).height(), 48);
  EXPECT_TRUE(done.task().has_end_time());
  EXPECT_THAT(http_.Urls(), ElementsAre("http://up.test/view?f=1.png"));
  auto blob = blobs_.Get(id + ".png");
  ASSERT_TRUE(blob.ok());
  EXPECT_EQ(*blob, png_);
  EXPECT_THAT(States(id),
              ElementsAre(v1::TASK_STATE_PENDING, v1::TASK_STATE_SUBMITTING,
                          v1::TASK_STATE_QUEUED, v1::TASK_STATE_RUNNING,
                          v1::TASK_STATE_FINALIZING, v1::TASK_STATE_SUCCEEDED));
  ExpectCleanHistory(id);
  EXPECT_EQ(dispatcher_->ActiveCount(), 0u);
  EXPECT_EQ(p1_->Watched(id), false);
  EXPECT_EQ(scheduler_.Pending(), 0u);  // poll and deadline timers cancelled
}

TEST_F(TaskServiceTest, SeveralOutputsAreNumbered) {
  Init();
  std::string id = Submit().id();
  PollResult r = Succeeded("http://up.test/a.png");
  r.outputs.push_back(r.outputs[0]);
  r.outputs[1].request.url = "http://up.test/b.png";
  p1_->ScriptPoll(id, r);
  AdvanceAndPump(absl::Seconds(1));
  TaskRecord done = Stored(id);
  ASSERT_EQ(done.task().state(), v1::TASK_STATE_SUCCEEDED);
  ASSERT_EQ(done.task().outputs_size(), 2);
  EXPECT_EQ(done.task().outputs(0).uri(),
            std::string(kBase) + "/uploads/" + id + "_1.png");
  EXPECT_EQ(done.task().outputs(1).uri(),
            std::string(kBase) + "/uploads/" + id + "_2.png");
  EXPECT_TRUE(blobs_.Get(id + ".png").ok());
  EXPECT_TRUE(blobs_.Get(id + "_1.png").ok());
  EXPECT_TRUE(blobs_.Get(id + "_2.png").ok());
}

TEST_F(TaskServiceTest, OutputThatIsNotAnImageFailsTheTask) {
  Init();
  std::string id = Submit().id();
  HttpResponse html;
  html.status = 200;
  html.body = "<html>expired</html>";
  http_.Script("http://up.test/x.png", html);
  p1_->ScriptPoll(id, Succeeded("http://up.test/x.png"));
  AdvanceAndPump(absl::Seconds(1));
  TaskRecord rec = Stored(id);
  EXPECT_EQ(rec.task().state(), v1::TASK_STATE_FAILED);
  EXPECT_EQ(rec.task().error().code(), "DATA_LOSS");
}

TEST_F(TaskServiceTest, OutputDownloadRetriesServerErrors) {
  Init();
  std::string id = Submit().id();
  HttpResponse bad;
  bad.status = 503;
  http_.Script("http://up.test/x.png", bad);
  p1_->ScriptPoll(id, Succeeded("http://up.test/x.png"));
  AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_FINALIZING);
  AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_SUCCEEDED);
  EXPECT_EQ(http_.Urls().size(), 2u);
}

TEST_F(TaskServiceTest, ProgressNeverGoesBackwards) {
  Init();
  std::string id = Submit().id();
  dispatcher_->OnProgress(id, 0.5);
  Pump();
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_RUNNING);
  EXPECT_DOUBLE_EQ(Stored(id).task().progress(), 0.5);
  dispatcher_->OnProgress(id, 0.3);
  Pump();
  EXPECT_DOUBLE_EQ(Stored(id).task().progress(), 0.5);
  p1_->ScriptPoll(id, Running(0.2));
  AdvanceAndPump(absl::Seconds(1));
  EXPECT_DOUBLE_EQ(Stored(id).task().progress(), 0.5);
  dispatcher_->OnProgress(id, 1.0);  // 1.0 is reserved for SUCCEEDED
  Pump();
  EXPECT_DOUBLE_EQ(Stored(id).task().progress(), 0.99);
  ExpectCleanHistory(id);
}

// Each stored progress is a commit and a stream event: with an interval
// set, a burst of updates stores the first at once and the latest when the
// interval is over; the move to RUNNING is never held back.
TEST_F(TaskServiceTest, ProgressIsStoredAtMostOncePerInterval) {
  DispatcherOptions o;
  o.progress_interval = absl::Seconds(1);
  o.poll_interval = absl::Seconds(30);
  Init(o);
  std::string id = Submit().id();
  const size_t before = store_.History(id).size();
  dispatcher_->OnProgress(id, 0.1);
  Pump();
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_RUNNING);
  EXPECT_DOUBLE_EQ(Stored(id).task().progress(), 0.1);
  for (double p : {0.2, 0.3, 0.4}) dispatcher_->OnProgress(id, p);
  Pump();
  EXPECT_DOUBLE_EQ(Stored(id).task().progress(), 0.1) << "held back";
  AdvanceAndPump(absl::Milliseconds(500));
  EXPECT_DOUBLE_EQ(Stored(id).task().progress(), 0.1);
  AdvanceAndPump(absl::Milliseconds(500));
  EXPECT_DOUBLE_EQ(Stored(id).task().progress(), 0.4) << "the latest, on time";
  EXPECT_EQ(store_.History(id).size(), before + 2)
      << "two commits for four updates";
  AdvanceAndPump(absl::Seconds(5));
  EXPECT_EQ(store_.History(id).size(), before + 2) << "nothing more to flush";
  ExpectCleanHistory(id);
}

TEST_F(TaskServiceTest, RepeatedFullProgressDoesNotRewriteTheTask) {
  Init();
  std::string id = Submit().id();
  p1_->ScriptPoll(id, Running(1.0));
  p1_->ScriptPoll(id, Running(1.0));
  p1_->ScriptPoll(id, Running(1.0));
  AdvanceAndPump(absl::Seconds(1));
  int64_t version = Stored(id).version();
  EXPECT_DOUBLE_EQ(Stored(id).task().progress(), 0.99);
  AdvanceAndPump(absl::Seconds(1));
  AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(p1_->Polls().size(), 3u);
  EXPECT_EQ(Stored(id).version(), version);  // nothing changed, nothing written
}

TEST_F(TaskServiceTest, RetryableSubmitFailureMovesToNextChannel) {
  Init();
  p1_->ScriptSubmit(absl::UnavailableError("comfyui down"));
  std::string id = Submit("multi").id();
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_PENDING);  // waiting for the backoff
  EXPECT_TRUE(p2_->Submits().empty());
  AdvanceAndPump(absl::Seconds(1));
  TaskRecord rec = Stored(id);
  EXPECT_EQ(rec.task().state(), v1::TASK_STATE_QUEUED);
  EXPECT_EQ(rec.channel(), "c2");
  EXPECT_EQ(rec.task().provider(), "prov2");
  EXPECT_EQ(rec.attempts(), 2);
  EXPECT_EQ(rec.upstream_id(), "up-" + id);
  EXPECT_EQ(p1_->Submits().size(), 1u);
  EXPECT_EQ(p2_->Submits().size(), 1u);
  EXPECT_THAT(States(id),
              ElementsAre(v1::TASK_STATE_PENDING, v1::TASK_STATE_SUBMITTING,
                          v1::TASK_STATE_PENDING, v1::TASK_STATE_SUBMITTING,
                          v1::TASK_STATE_QUEUED));
  ExpectCleanHistory(id);
}

// A submit that went out and got no answer may have been accepted: an
// upstream that assigns job ids is never sent the job again, on any channel.
TEST_F(TaskServiceTest, SubmitWithUnknownOutcomeIsNeverSentAgain) {
  Init();
  p1_->ScriptSubmit(
      MarkOutcomeUnknown(absl::UnavailableError("connection reset by peer")));
  std::string id = Submit("multi").id();
  AdvanceAndPump(absl::Seconds(5));
  TaskRecord rec = Stored(id);
  EXPECT_EQ(rec.task().state(), v1::TASK_STATE_FAILED);
  EXPECT_THAT(rec.task().error().message(), HasSubstr("not sent again"));
  EXPECT_THAT(rec.task().error().message(),
              HasSubstr("connection reset by peer"));
  EXPECT_EQ(p1_->Submits().size(), 1u);
  EXPECT_TRUE(p1_->Resumes().empty());
  EXPECT_TRUE(p2_->Submits().empty());
}

// Where the upstream takes our job id, the same channel looks the job up
// (Resume) instead of another channel running it a second time.
TEST_F(TaskServiceTest, SubmitWithUnknownOutcomeResumesUnderTheSameId) {
  p1_->SetPreassignPrefix("p-");
  Init();
  p1_->ScriptSubmit(
      MarkOutcomeUnknown(absl::DeadlineExceededError("timed out")));
  std::string id = Submit("multi").id();
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_SUBMITTING);
  AdvanceAndPump(absl::Seconds(1));
  TaskRecord rec = Stored(id);
  EXPECT_EQ(rec.task().state(), v1::TASK_STATE_QUEUED);
  EXPECT_EQ(rec.channel(), "c1");
  EXPECT_EQ(rec.attempts(), 1);
  ASSERT_EQ(p1_->Resumes().size(), 1u);
  EXPECT_EQ(p1_->Resumes()[0].upstream_id(), "p-" + id);
  EXPECT_EQ(p1_->Submits().size(), 1u);
  EXPECT_TRUE(p2_->Submits().empty());
}

// A lookup that fails after an unanswered submit (here: the server does not
// answer /history either) keeps the task on its channel: another channel
// would run the job a second time under a new id.
TEST_F(TaskServiceTest, FailedLookupAfterAnUnansweredSubmitStaysOnTheChannel) {
  p1_->SetPreassignPrefix("p-");
  Init();
  p1_->ScriptSubmit(
      MarkOutcomeUnknown(absl::DeadlineExceededError("timed out")));
  p1_->ScriptResume(absl::UnavailableError("cannot tell whether it holds it"));
  std::string id = Submit("multi").id();
  AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_SUBMITTING);
  AdvanceAndPump(absl::Seconds(2));
  TaskRecord rec = Stored(id);
  EXPECT_EQ(rec.task().state(), v1::TASK_STATE_QUEUED);
  EXPECT_EQ(rec.channel(), "c1");
  ASSERT_EQ(p1_->Resumes().size(), 2u);
  EXPECT_EQ(p1_->Resumes()[1].upstream_id(), "p-" + id) << "the same id";
  EXPECT_TRUE(p2_->Submits().empty());
}

// The upstream stays away longer than max_attempts tries: the lookups go
// on, with backoff, until the task's deadline, still on the same channel.
TEST_F(TaskServiceTest, LookupsAfterAnUnansweredSubmitLastUntilTheDeadline) {
  p1_->SetPreassignPrefix("p-");
  Init();
  p1_->ScriptSubmit(MarkOutcomeUnknown(absl::UnavailableError("reset")));
  for (int i = 0; i < 6; ++i) {
    p1_->ScriptResume(absl::UnavailableError("connection refused"));
  }
  p1_->ScriptResume(absl::InvalidArgumentError("prompt rejected"));
  std::string id = Submit("multi").id();
  for (int i = 0; i < 40; ++i) AdvanceAndPump(absl::Seconds(5));
  TaskRecord rec = Stored(id);
  EXPECT_EQ(rec.task().state(), v1::TASK_STATE_FAILED);
  EXPECT_EQ(rec.task().error().message(), "prompt rejected");
  EXPECT_EQ(p1_->Resumes().size(), 7u);
  EXPECT_TRUE(p2_->Submits().empty());
}

// An upstream 401/402/403 is our credential or credit problem on that
// channel; the next channel may still serve the task.
TEST_F(TaskServiceTest, OurCredentialProblemOnOneChannelMovesToTheNext) {
  Init();
  p1_->ScriptSubmit(absl::FailedPreconditionError("prov1: HTTP 402"));
  std::string id = Submit("multi").id();
  AdvanceAndPump(absl::Seconds(1));
  TaskRecord rec = Stored(id);
  EXPECT_EQ(rec.task().state(), v1::TASK_STATE_QUEUED);
  EXPECT_EQ(rec.channel(), "c2");
  EXPECT_EQ(p2_->Submits().size(), 1u);
}

TEST_F(TaskServiceTest, OurCredentialProblemOnEveryChannelFailsOnce) {
  Init();
  p1_->ScriptSubmit(absl::FailedPreconditionError("prov1: HTTP 401"));
  p2_->ScriptSubmit(absl::FailedPreconditionError("prov2: HTTP 402"));
  std::string id = Submit("multi").id();
  AdvanceAndPump(absl::Seconds(1));
  AdvanceAndPump(absl::Seconds(2));
  TaskRecord rec = Stored(id);
  EXPECT_EQ(rec.task().state(), v1::TASK_STATE_FAILED);
  EXPECT_EQ(rec.task().error().code(), "FAILED_PRECONDITION");
  EXPECT_EQ(rec.task().error().message(), "prov2: HTTP 402");
  EXPECT_EQ(p1_->Submits().size(), 1u);
  EXPECT_EQ(p2_->Submits().size(), 1u);
}

// A submit failure retryable by its code, or FAILED_PRECONDITION (which
// moves on past a channel that refused our credentials): the final-refusal
// reason overrules both.
TEST_F(TaskServiceTest, FinalRefusalIsNeverRetriedEvenIfTheCodeIsRetryable) {
  Init();
  p1_->ScriptSubmit(WithReason(absl::UnavailableError("prov1: refused"),
                               Reason::kUpstreamRefusedFinal));
  std::string id = Submit("multi").id();
  AdvanceAndPump(absl::Seconds(1));
  AdvanceAndPump(absl::Seconds(2));
  TaskRecord rec = Stored(id);
  EXPECT_EQ(rec.task().state(), v1::TASK_STATE_FAILED);
  EXPECT_EQ(rec.task().error().message(), "prov1: refused");
  EXPECT_EQ(p1_->Submits().size(), 1u);
  EXPECT_TRUE(p2_->Submits().empty());
}

TEST_F(TaskServiceTest, FinalRefusalOfOurAccountIsNotSentToTheNextChannel) {
  Init();
  p1_->ScriptSubmit(WithReason(absl::FailedPreconditionError("prov1: refused"),
                               Reason::kUpstreamRefusedFinal));
  std::string id = Submit("multi").id();
  AdvanceAndPump(absl::Seconds(1));
  AdvanceAndPump(absl::Seconds(2));
  TaskRecord rec = Stored(id);
  EXPECT_EQ(rec.task().state(), v1::TASK_STATE_FAILED);
  EXPECT_EQ(p1_->Submits().size(), 1u);
  EXPECT_TRUE(p2_->Submits().empty());
}

TEST_F(TaskServiceTest, NonRetryableSubmitFailureFails) {
  Init();
  p1_->ScriptSubmit(absl::InvalidArgumentError("bad workflow node 7"));
  std::string id = Submit("multi").id();
  TaskRecord rec = Stored(id);
  EXPECT_EQ(rec.task().state(), v1::TASK_STATE_FAILED);
  EXPECT_EQ(rec.task().error().code(), "INVALID_ARGUMENT");
  EXPECT_EQ(rec.task().error().message(), "bad workflow node 7");
  EXPECT_TRUE(p2_->Submits().empty());
  EXPECT_EQ(dispatcher_->ActiveCount(), 0u);
}

TEST_F(TaskServiceTest, AttemptsExhaustedFails) {
  DispatcherOptions o;
  o.max_attempts = 2;
  Init(o);
  p1_->ScriptSubmit(absl::UnavailableError("down 1"));
  p2_->ScriptSubmit(absl::UnavailableError("down 2"));
  std::string id = Submit("multi").id();
  AdvanceAndPump(absl::Seconds(1));
  TaskRecord rec = Stored(id);
  EXPECT_EQ(rec.task().state(), v1::TASK_STATE_FAILED);
  EXPECT_EQ(rec.task().error().code(), "UNAVAILABLE");
  EXPECT_EQ(rec.task().error().message(), "down 2");
  EXPECT_EQ(rec.attempts(), 2);
  AdvanceAndPump(absl::Minutes(1));
  EXPECT_EQ(p1_->Submits().size() + p2_->Submits().size(), 2u);
}

TEST_F(TaskServiceTest, UpstreamFailureFailsWithItsMessage) {
  Init();
  std::string id = Submit().id();
  p1_->ScriptPoll(id, WithState(UpstreamState::kFailed,
                                absl::InternalError("CUDA out of memory")));
  AdvanceAndPump(absl::Seconds(1));
  TaskRecord rec = Stored(id);
  EXPECT_EQ(rec.task().state(), v1::TASK_STATE_FAILED);
  EXPECT_EQ(rec.task().error().code(), "INTERNAL");
  EXPECT_EQ(rec.task().error().message(), "CUDA out of memory");
  EXPECT_TRUE(rec.task().has_end_time());
}

TEST_F(TaskServiceTest, VanishedJobFailsAfterNotFoundLimit) {
  DispatcherOptions o;
  o.not_found_limit = 3;
  Init(o);
  std::string id = Submit().id();
  for (int i = 0; i < 3; ++i) {
    p1_->ScriptPoll(id, WithState(UpstreamState::kNotFound));
  }
  AdvanceAndPump(absl::Seconds(1));
  AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_QUEUED);  // two misses are tolerated
  AdvanceAndPump(absl::Seconds(1));
  TaskRecord rec = Stored(id);
  EXPECT_EQ(rec.task().state(), v1::TASK_STATE_FAILED);
  EXPECT_THAT(rec.task().error().message(), HasSubstr("lost the job"));
}

// A poll refusal that will not go away fails the task with its reason
// instead of ending it TIMED_OUT at the deadline.
TEST_F(TaskServiceTest, PersistentPollRefusalFailsWithItsReason) {
  Init();
  std::string id = Submit().id();
  for (int i = 0; i < 3; ++i) {
    p1_->ScriptPoll(id, absl::FailedPreconditionError("prov1: HTTP 401"));
  }
  AdvanceAndPump(absl::Seconds(1));
  AdvanceAndPump(absl::Seconds(2));
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_QUEUED);  // two are forgiven
  AdvanceAndPump(absl::Seconds(4));
  TaskRecord rec = Stored(id);
  EXPECT_EQ(rec.task().state(), v1::TASK_STATE_FAILED);
  EXPECT_EQ(rec.task().error().code(), "FAILED_PRECONDITION");
  EXPECT_EQ(rec.task().error().message(),
            "polling the upstream failed: prov1: HTTP 401");
}

TEST_F(TaskServiceTest, OnlyRefusalsInARowFailTheTask) {
  Init();
  std::string id = Submit().id();
  p1_->ScriptPoll(id, absl::UnavailableError("HTTP 503"));
  p1_->ScriptPoll(id, absl::UnavailableError("HTTP 503"));
  p1_->ScriptPoll(id, absl::InvalidArgumentError("unreadable reply"));
  p1_->ScriptPoll(id, absl::UnavailableError("HTTP 503"));
  p1_->ScriptPoll(id, absl::InvalidArgumentError("unreadable reply"));
  p1_->ScriptPoll(id, absl::InvalidArgumentError("unreadable reply"));
  p1_->ScriptPoll(id, Succeeded("http://up/a.png"));
  for (int i = 0; i < 10; ++i) AdvanceAndPump(absl::Seconds(16));
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_SUCCEEDED);
}

TEST_F(TaskServiceTest, RetryablePollErrorsGoOnUntilTheJobAnswers) {
  Init();
  std::string id = Submit().id();
  for (int i = 0; i < 5; ++i) {
    p1_->ScriptPoll(id, absl::UnavailableError("HTTP 503"));
  }
  p1_->ScriptPoll(id, Succeeded("http://up/a.png"));
  for (int i = 0; i < 8; ++i) AdvanceAndPump(absl::Seconds(16));
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_SUCCEEDED);
}

TEST_F(TaskServiceTest, NotFoundCountResetsWhenTheJobReappears) {
  DispatcherOptions o;
  o.not_found_limit = 2;
  Init(o);
  std::string id = Submit().id();
  p1_->ScriptPoll(id, WithState(UpstreamState::kNotFound));
  p1_->ScriptPoll(id, WithState(UpstreamState::kQueued));
  p1_->ScriptPoll(id, WithState(UpstreamState::kNotFound));
  for (int i = 0; i < 4; ++i) AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_QUEUED);
}

TEST_F(TaskServiceTest, DeadlineTimesOutAndCancelsUpstream) {
  Init();
  std::string id = Submit().id();
  AdvanceAndPump(absl::Minutes(9));
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_QUEUED);
  AdvanceAndPump(absl::Minutes(1));
  TaskRecord rec = Stored(id);
  EXPECT_EQ(rec.task().state(), v1::TASK_STATE_TIMED_OUT);
  EXPECT_EQ(rec.task().error().code(), "DEADLINE_EXCEEDED");
  ASSERT_EQ(p1_->Cancels().size(), 1u);
  EXPECT_EQ(p1_->Cancels()[0].upstream_id(), "up-" + id);
  size_t polls = p1_->Polls().size();
  AdvanceAndPump(absl::Minutes(5));
  EXPECT_EQ(p1_->Polls().size(), polls);  // no polling after the end
}

TEST_F(TaskServiceTest, CancelQueuedTaskCancelsUpstream) {
  Init();
  std::string id = Submit().id();
  auto t = Cancel(id);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->state(), v1::TASK_STATE_CANCELED);
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_CANCELED);
  ASSERT_EQ(p1_->Cancels().size(), 1u);
  EXPECT_EQ(p1_->Cancels()[0].task().id(), id);
  EXPECT_EQ(dispatcher_->ActiveCount(), 0u);
  ExpectCleanHistory(id);

  auto again = Cancel(id);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(TaskServiceTest, CancelOfSucceededTaskIsFailedPrecondition) {
  Init();
  std::string id = Submit().id();
  p1_->ScriptPoll(id, Succeeded("http://up.test/1.png"));
  AdvanceAndPump(absl::Seconds(1));
  ASSERT_EQ(StateOf(id), v1::TASK_STATE_SUCCEEDED);
  auto t = Cancel(id);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_SUCCEEDED);
  EXPECT_TRUE(p1_->Cancels().empty());
}

TEST_F(TaskServiceTest, CancelUnknownOrForeignTaskIsNotFound) {
  Init();
  std::string id = Submit().id();
  EXPECT_EQ(Cancel("no-such-task").status().code(),
            absl::StatusCode::kNotFound);
  std::optional<absl::StatusOr<v1::Task>> out;
  service_->CancelTask(bob_, id, [&](absl::StatusOr<v1::Task> t) { out = t; });
  Pump();
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_QUEUED);
}

TEST_F(TaskServiceTest, IdempotencyKeyReturnsTheSameTask) {
  Init();
  v1::Task first = Submit("default", "key-1");
  v1::Task second = Submit("default", "key-1");
  EXPECT_EQ(first.id(), second.id());
  EXPECT_EQ(p1_->Submits().size(), 1u);
  v1::Task other = Submit("default", "key-2");
  EXPECT_NE(other.id(), first.id());
  // The same key from another caller is another task.
  v1::SubmitImageRequest req;
  req.set_prompt("a cat");
  req.set_idempotency_key("key-1");
  auto bobs = SubmitRaw(req, bob_);
  ASSERT_TRUE(bobs.ok());
  EXPECT_NE(bobs->id(), first.id());
}

TEST_F(TaskServiceTest, IdempotencyKeyWithOtherParametersIsRefused) {
  Init();
  v1::SubmitImageRequest req;
  req.set_prompt("a cat");
  req.set_idempotency_key("k");
  auto first = SubmitRaw(req, alice_);
  ASSERT_TRUE(first.ok()) << first.status();
  // The seed was drawn at random, yet the same request is the same request.
  auto again = SubmitRaw(req, alice_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->id(), first->id());
  // Spelling out a default is the same request too.
  v1::SubmitImageRequest spelled = req;
  spelled.set_width(512);
  spelled.set_steps(20);
  ASSERT_TRUE(SubmitRaw(spelled, alice_).ok());
  for (auto change : std::vector<std::function<void(v1::SubmitImageRequest&)>>{
           [](auto& r) { r.set_prompt("a dog"); },
           [](auto& r) { r.set_width(640); },
           [](auto& r) { r.set_seed(7); },
           [](auto& r) { r.set_n(2); }}) {
    v1::SubmitImageRequest other = req;
    change(other);
    auto refused = SubmitRaw(other, alice_);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kAlreadyExists);
    EXPECT_EQ(refused.status().message(),
              "Idempotency key was already used for a different request");
  }
  EXPECT_EQ(store_.Size(), 1u);
  EXPECT_EQ(p1_->Submits().size(), 1u);
}

TEST_F(TaskServiceTest, AReplayAnswersWhatTheFirstSubmitAnswered) {
  Init();
  v1::Task first = Submit("default", "k");
  EXPECT_EQ(first.provider(), "");
  // Meanwhile the dispatcher sent it on and the task records its provider.
  ASSERT_EQ(Stored(first.id()).task().provider(), "prov1");
  p1_->ScriptPoll(first.id(), Succeeded("http://up.test/1.png"));
  AdvanceAndPump(absl::Seconds(1));
  ASSERT_EQ(StateOf(first.id()), v1::TASK_STATE_SUCCEEDED);
  v1::Task replay = Submit("default", "k");
  EXPECT_EQ(replay.SerializeAsString(), first.SerializeAsString())
      << replay.DebugString() << " vs " << first.DebugString();
}

TEST_F(TaskServiceTest, AnExpiredIdempotencyKeyStartsANewTask) {
  Init();
  v1::Task first = Submit("default", "k");
  AdvanceAndPump(absl::Hours(23));
  EXPECT_EQ(Submit("default", "k").id(), first.id());
  AdvanceAndPump(absl::Hours(1));
  v1::Task second = Submit("default", "k");
  EXPECT_NE(second.id(), first.id());
  EXPECT_EQ(store_.Size(), 2u);
  // The key is now the second task's.
  EXPECT_EQ(Submit("default", "k").id(), second.id());
}

TEST_F(TaskServiceTest, GetTaskIsScopedToItsOwner) {
  Init();
  std::string id = Submit().id();
  auto mine = Get(id, alice_);
  ASSERT_TRUE(mine.ok()) << mine.status();
  EXPECT_EQ(mine->id(), id);
  EXPECT_EQ(mine->state(), v1::TASK_STATE_QUEUED);
  auto theirs = Get(id, bob_);
  EXPECT_EQ(theirs.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Get("missing", alice_).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(TaskServiceTest, ListTasksShowsOnlyTheCallersTasks) {
  Init();
  std::string a = Submit().id();
  v1::SubmitImageRequest req;
  req.set_prompt("x");
  ASSERT_TRUE(SubmitRaw(req, bob_).ok());
  std::optional<absl::StatusOr<v1::ListTasksResponse>> out;
  service_->ListTasks(alice_, {}, [&](auto r) { out = r; });
  Pump();
  ASSERT_TRUE(out.has_value() && out->ok());
  ASSERT_EQ((*out)->tasks_size(), 1);
  EXPECT_EQ((*out)->tasks(0).id(), a);
  v1::ListTasksRequest bad;
  bad.set_page_size(501);
  out.reset();
  service_->ListTasks(alice_, bad, [&](auto r) { out = r; });
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(TaskServiceTest, ListTasksStatesAreDeduplicatedAndBounded) {
  Init();
  auto list = [&](const v1::ListTasksRequest& req) {
    std::optional<absl::StatusOr<v1::ListTasksResponse>> out;
    service_->ListTasks(alice_, req, [&](auto r) { out = r; });
    Pump();
    EXPECT_TRUE(out.has_value());
    return out.value_or(absl::InternalError("no reply"));
  };
  v1::ListTasksRequest repeats;
  for (int i = 0; i < 3; ++i) {
    repeats.add_states(v1::TASK_STATE_RUNNING);
    repeats.add_states(v1::TASK_STATE_FAILED);
  }
  ASSERT_TRUE(list(repeats).ok());
  EXPECT_EQ(store_.LastListStates(),
            (std::vector<v1::TaskState>{v1::TASK_STATE_RUNNING,
                                        v1::TASK_STATE_FAILED}));

  v1::ListTasksRequest every;
  for (int s = 0; s < v1::TaskState_ARRAYSIZE; ++s) {
    every.add_states(static_cast<v1::TaskState>(s));
  }
  ASSERT_TRUE(list(every).ok());
  EXPECT_EQ(store_.LastListStates().size(), size_t{v1::TaskState_ARRAYSIZE});

  v1::ListTasksRequest too_many = every;
  too_many.add_states(v1::TASK_STATE_RUNNING);
  auto st = list(too_many).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "states: at most 10 values");

  v1::ListTasksRequest unknown;
  unknown.add_states(static_cast<v1::TaskState>(99));
  st = list(unknown).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "states: unknown state 99");
}

TEST_F(TaskServiceTest, MaxActiveKeepsTheRestPendingUntilASlotFrees) {
  DispatcherOptions o;
  o.max_active = 1;
  Init(o);
  std::string first = Submit().id();
  std::string second = Submit().id();
  EXPECT_EQ(StateOf(first), v1::TASK_STATE_QUEUED);
  EXPECT_EQ(StateOf(second), v1::TASK_STATE_PENDING);
  EXPECT_EQ(dispatcher_->ActiveCount(), 1u);
  EXPECT_EQ(dispatcher_->WaitingCount(), 1u);
  AdvanceAndPump(absl::Seconds(3));
  EXPECT_EQ(StateOf(second), v1::TASK_STATE_PENDING);
  EXPECT_EQ(p1_->Submits().size(), 1u);

  p1_->ScriptPoll(first, Succeeded("http://up.test/1.png"));
  AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(StateOf(first), v1::TASK_STATE_SUCCEEDED);
  EXPECT_EQ(StateOf(second), v1::TASK_STATE_QUEUED);
  EXPECT_EQ(p1_->Submits().size(), 2u);
  EXPECT_EQ(dispatcher_->WaitingCount(), 0u);
  p1_->ScriptPoll(second, Succeeded("http://up.test/2.png"));
  AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(StateOf(second), v1::TASK_STATE_SUCCEEDED);
}

// Regression: a refill that read more pending rows than it had room for
// must not declare the backlog empty; every task eventually runs, in order.
TEST_F(TaskServiceTest, BacklogDrainsCompletelyInSubmitOrder) {
  DispatcherOptions o;
  o.max_active = 3;
  Init(o);
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) ids.push_back(Submit().id());
  EXPECT_EQ(dispatcher_->ActiveCount(), 3u);
  for (size_t done = 0; done < ids.size(); ++done) {
    // The oldest unfinished task is the one running next.
    ASSERT_EQ(StateOf(ids[done]), v1::TASK_STATE_QUEUED) << done;
    p1_->ScriptPoll(ids[done], Succeeded("http://up.test/x.png"));
    AdvanceAndPump(absl::Seconds(1));
    ASSERT_EQ(StateOf(ids[done]), v1::TASK_STATE_SUCCEEDED) << done;
  }
  EXPECT_EQ(dispatcher_->ActiveCount(), 0u);
  EXPECT_EQ(dispatcher_->WaitingCount(), 0u);
  EXPECT_EQ(p1_->Submits().size(), ids.size());
}

TEST_F(TaskServiceTest, CancelWhileWaitingForASlot) {
  DispatcherOptions o;
  o.max_active = 1;
  Init(o);
  std::string first = Submit().id();
  std::string second = Submit().id();
  std::string third = Submit().id();
  auto t = Cancel(second);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->state(), v1::TASK_STATE_CANCELED);
  ExpectCleanHistory(second);
  ASSERT_TRUE(Cancel(first).ok());
  // The freed slot skips the cancelled task and goes to the next one.
  EXPECT_EQ(StateOf(second), v1::TASK_STATE_CANCELED);
  EXPECT_EQ(StateOf(third), v1::TASK_STATE_QUEUED);
  EXPECT_EQ(p1_->Submits().size(), 2u);
}

TEST_F(TaskServiceTest, RecoverResumesSubmittingAndPollsQueued) {
  Init();
  auto make = [&](const std::string& id, v1::TaskState state,
                  const std::string& upstream, int64_t version) {
    TaskRecord r;
    r.mutable_task()->set_id(id);
    r.mutable_task()->set_state(state);
    r.mutable_task()->set_workflow("default");
    *r.mutable_task()->mutable_create_time() =
        TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(clock_.Now()));
    r.set_owner("alice");
    r.set_channel(upstream.empty() ? "" : "c1");
    r.set_upstream_id(upstream);
    r.set_attempts(upstream.empty() ? 0 : 1);
    r.set_submit_sent(state == v1::TASK_STATE_SUBMITTING);
    r.set_version(version);
    *r.mutable_deadline() = TimeUtil::SecondsToTimestamp(
        absl::ToUnixSeconds(clock_.Now() + absl::Minutes(10)));
    store_.Seed(r);
  };
  make("t-submitting", v1::TASK_STATE_SUBMITTING, "pre-1", 3);
  make("t-queued", v1::TASK_STATE_QUEUED, "up-2", 4);
  make("t-pending", v1::TASK_STATE_PENDING, "", 1);
  p1_->ScriptResume(SubmitResult{"pre-1", "{\"server\":0}", {}});
  p1_->ScriptPoll("t-queued", Succeeded("http://up.test/q.png"));

  ASSERT_TRUE(dispatcher_->Recover().ok());
  Pump();

  ASSERT_EQ(p1_->Resumes().size(), 1u);
  EXPECT_EQ(p1_->Resumes()[0].task().id(), "t-submitting");
  EXPECT_EQ(p1_->Resumes()[0].upstream_id(), "pre-1");
  EXPECT_EQ(StateOf("t-submitting"), v1::TASK_STATE_QUEUED);
  EXPECT_EQ(Stored("t-submitting").provider_state(), "{\"server\":0}");
  EXPECT_EQ(Stored("t-submitting").version(), 4);

  ASSERT_FALSE(p1_->Polls().empty());
  EXPECT_EQ(p1_->Polls()[0].task().id(), "t-queued");
  EXPECT_EQ(p1_->Polls()[0].upstream_id(), "up-2");
  EXPECT_EQ(StateOf("t-queued"), v1::TASK_STATE_SUCCEEDED);
  EXPECT_EQ(p1_->Watched("t-queued"), false);  // watched, then released

  EXPECT_EQ(StateOf("t-pending"), v1::TASK_STATE_QUEUED);
  ASSERT_EQ(p1_->Submits().size(), 1u);
  EXPECT_EQ(p1_->Submits()[0].task().id(), "t-pending");
  for (const char* id : {"t-submitting", "t-queued", "t-pending"}) {
    ExpectCleanHistory(id);
  }
}

TEST_F(TaskServiceTest, RecoverOfUnrecoverableSubmitFails) {
  Init();
  TaskRecord r;
  r.mutable_task()->set_id("t1");
  r.mutable_task()->set_state(v1::TASK_STATE_SUBMITTING);
  r.mutable_task()->set_workflow("default");
  r.set_owner("alice");
  r.set_channel("c1");
  r.set_submit_sent(true);
  r.set_version(2);
  store_.Seed(r);
  p1_->ScriptResume(absl::NotFoundError("job unknown upstream"));
  ASSERT_TRUE(dispatcher_->Recover().ok());
  Pump();
  EXPECT_EQ(StateOf("t1"), v1::TASK_STATE_FAILED);
  EXPECT_EQ(Stored("t1").task().error().code(), "UNKNOWN");
  EXPECT_EQ(Stored("t1").task().error().message(),
            "outcome unknown after restart: job unknown upstream");
}

// A crash between storing SUBMITTING and sending the request: nothing went
// out, so the task is simply sent, not looked up (which a provider that
// cannot look jobs up would have to fail).
TEST_F(TaskServiceTest, RecoverSendsASubmitThatNeverWentOut) {
  Init();
  TaskRecord r;
  r.mutable_task()->set_id("t1");
  r.mutable_task()->set_state(v1::TASK_STATE_SUBMITTING);
  r.mutable_task()->set_workflow("default");
  r.set_owner("alice");
  r.set_channel("c1");
  r.set_attempts(1);
  r.set_version(2);
  *r.mutable_deadline() = TimeUtil::SecondsToTimestamp(
      absl::ToUnixSeconds(clock_.Now() + absl::Minutes(10)));
  store_.Seed(r);
  p1_->ScriptResume(absl::NotFoundError("must not be asked"));
  ASSERT_TRUE(dispatcher_->Recover().ok());
  Pump();
  EXPECT_TRUE(p1_->Resumes().empty());
  ASSERT_EQ(p1_->Submits().size(), 1u);
  EXPECT_TRUE(Stored("t1").submit_sent());
  EXPECT_EQ(StateOf("t1"), v1::TASK_STATE_QUEUED);
}

TEST_F(TaskServiceTest, SubmitSentIsStoredBeforeTheRequestLeaves) {
  Init();
  std::string id = Submit().id();
  Pump();
  ASSERT_EQ(p1_->Submits().size(), 1u);
  // What the provider was handed had already been stored with the mark.
  EXPECT_TRUE(p1_->Submits()[0].submit_sent());
}

TEST_F(TaskServiceTest, WatchDeliversSnapshotThenEveryStateInOrder) {
  DispatcherOptions o;
  o.max_active = 1;
  Init(o);
  std::string blocker = Submit().id();
  std::string id = Submit().id();
  ASSERT_EQ(StateOf(id), v1::TASK_STATE_PENDING);

  std::vector<v1::Task> events;
  int errors = 0;
  auto watch = service_->Watch(
      alice_, id, [&](const v1::Task& t) { events.push_back(t); },
      [&](absl::Status) { ++errors; });
  Pump();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].state(), v1::TASK_STATE_PENDING);  // the snapshot

  ASSERT_TRUE(Cancel(blocker).ok());
  p1_->ScriptPoll(id, Running(0.25));
  p1_->ScriptPoll(id, Running(0.75));
  p1_->ScriptPoll(id, Succeeded("http://up.test/w.png"));
  for (int i = 0; i < 3; ++i) AdvanceAndPump(absl::Seconds(1));
  ASSERT_EQ(StateOf(id), v1::TASK_STATE_SUCCEEDED);

  std::vector<v1::TaskState> states;
  std::vector<double> progress;
  for (const auto& e : events) {
    EXPECT_EQ(e.id(), id);
    states.push_back(e.state());
    progress.push_back(e.progress());
  }
  EXPECT_THAT(states,
              ElementsAre(v1::TASK_STATE_PENDING, v1::TASK_STATE_SUBMITTING,
                          v1::TASK_STATE_QUEUED, v1::TASK_STATE_RUNNING,
                          v1::TASK_STATE_RUNNING, v1::TASK_STATE_FINALIZING,
                          v1::TASK_STATE_SUCCEEDED));
  EXPECT_THAT(progress, ElementsAre(0, 0, 0, 0.25, 0.75, 0.75, 1.0));
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(bus_.SubscriberCount(), 0u);  // ended after the terminal event
}

TEST_F(TaskServiceTest, TasksCarryTheRecordsVersion) {
  Init();
  const v1::Task submitted = Submit();
  EXPECT_EQ(submitted.version(), 1);
  std::vector<int64_t> versions;
  auto watch = service_->Watch(
      alice_, submitted.id(),
      [&](const v1::Task& t) { versions.push_back(t.version()); },
      [](absl::Status) {});
  Pump();
  ASSERT_TRUE(Cancel(submitted.id()).ok());
  Pump();
  const int64_t stored = Stored(submitted.id()).version();
  EXPECT_GT(stored, 1);
  // The snapshot and each change: rising, ending at the stored version.
  ASSERT_FALSE(versions.empty());
  EXPECT_TRUE(std::is_sorted(versions.begin(), versions.end()));
  EXPECT_EQ(versions.back(), stored);
  std::optional<absl::StatusOr<v1::Task>> got;
  service_->GetTask(alice_, submitted.id(),
                    [&](absl::StatusOr<v1::Task> t) { got = t; });
  Pump();
  ASSERT_TRUE(got.has_value() && got->ok());
  EXPECT_EQ((*got)->version(), stored);
}

TEST_F(TaskServiceTest, WatchOfFinishedTaskGetsOneEvent) {
  Init();
  std::string id = Submit().id();
  ASSERT_TRUE(Cancel(id).ok());
  std::vector<v1::TaskState> states;
  auto watch = service_->Watch(
      alice_, id, [&](const v1::Task& t) { states.push_back(t.state()); },
      [&](absl::Status st) { ADD_FAILURE() << st; });
  Pump();
  EXPECT_THAT(states, ElementsAre(v1::TASK_STATE_CANCELED));
  EXPECT_EQ(bus_.SubscriberCount(), 0u);
}

TEST_F(TaskServiceTest, StoppedWatchGetsNoMoreEvents) {
  Init();
  std::string id = Submit().id();
  int events = 0;
  auto watch = service_->Watch(
      alice_, id, [&](const v1::Task&) { ++events; }, [](absl::Status) {});
  Pump();
  EXPECT_EQ(events, 1);
  watch->Stop();
  dispatcher_->OnProgress(id, 0.5);
  Pump();
  EXPECT_EQ(events, 1);
  EXPECT_EQ(bus_.SubscriberCount(), 0u);
}

TEST_F(TaskServiceTest, WatchOfUnknownOrForeignTaskIsNotFound) {
  Init();
  std::string id = Submit().id();
  for (const auto& [caller, task] :
       {std::pair<Caller, std::string>{alice_, "nope"}, {bob_, id}}) {
    std::vector<absl::Status> errors;
    int events = 0;
    auto watch = service_->Watch(
        caller, task, [&](const v1::Task&) { ++events; },
        [&](absl::Status st) { errors.push_back(st); });
    Pump();
    dispatcher_->OnProgress(id, 0.1);
    Pump();
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(events, 0);
  }
  EXPECT_EQ(bus_.SubscriberCount(), 0u);
}

TEST_F(TaskServiceTest, StoreConflictIsNotOverwritten) {
  Init();
  std::string id = Submit().id();
  // Another writer (a second replica) moves the task on behind our back.
  TaskRecord theirs = Stored(id);
  theirs.set_version(theirs.version() + 1);
  theirs.mutable_task()->set_state(v1::TASK_STATE_CANCELED);
  store_.Seed(theirs);
  dispatcher_->OnProgress(id, 0.5);
  Pump();
  TaskRecord now = Stored(id);
  EXPECT_EQ(now.task().state(), v1::TASK_STATE_CANCELED);
  EXPECT_EQ(now.version(), theirs.version());
}

}  // namespace
}  // namespace mediagw
