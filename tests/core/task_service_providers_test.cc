// TaskService + Dispatcher with the features issue 3 adds: video tasks and
// their input images, synchronous upstreams, external (SSRF-checked)
// downloads, workflow id styles and labels, channel readiness, failover and
// concurrency limits, and upstream callbacks.
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "tests/core/task_service_fixture.h"

namespace mediagw {
namespace {

using namespace ::mediagw::testing;  // NOLINT: the fixture and its helpers
using ::testing::HasSubstr;

class ProvidersTest : public TaskServiceTest {
 protected:
  ProvidersTest() {
    WorkflowInfo video;
    video.name = "video";
    video.kind = WorkflowInfo::Kind::kVideo;
    video.deadline = absl::Minutes(10);
    router_.AddWorkflow(video, {"c1"});
    WorkflowInfo grok;
    grok.name = "grok";
    grok.default_width = 1024;
    grok.default_height = 1024;
    grok.id_style = WorkflowInfo::IdStyle::kPrefixedHex;
    grok.id_prefix = "grok_";
    grok.provider_label = "grok";
    grok.accepts_model = true;
    grok.default_model = "grok-imagine-image";
    grok.models = {"grok-imagine-image", "grok-imagine-image-pro"};
    router_.AddWorkflow(grok, {"c1"});
    WorkflowInfo rr3;
    rr3.name = "rr3";
    rr3.default_cfg = 6;
    rr3.id_style = WorkflowInfo::IdStyle::kNumeric;
    rr3.provider_label = "rr3";
    router_.AddWorkflow(rr3, {"c1"});
  }

  absl::StatusOr<v1::Task> SubmitVideo(v1::SubmitVideoRequest req) {
    std::optional<absl::StatusOr<v1::Task>> out;
    service_->SubmitVideo(alice_, std::move(req),
                          [&](absl::StatusOr<v1::Task> t) { out = t; });
    Pump();
    if (!out.has_value()) return absl::InternalError("no reply");
    return *out;
  }

  // Workflow "one" on channel c1 (p1_), which takes one task at a time.
  void InitOneSlotWorkflow() {
    router_ = StaticRouter();
    router_.AddChannel({"c1", p1_, 1, 1});
    WorkflowInfo one;
    one.name = "one";
    one.deadline = absl::Minutes(10);
    router_.AddWorkflow(one, {"c1"});
    Init();
  }

  v1::SubmitVideoRequest Video(std::string image) {
    v1::SubmitVideoRequest req;
    req.set_prompt("1girl, dancing");
    req.set_image(std::move(image));
    return req;
  }
};

TEST_F(ProvidersTest, InlineVideoInputIsStoredAndHandedToTheProvider) {
  Init();
  std::string png = MakePng(32, 24);
  auto task = SubmitVideo(Video(absl::Base64Escape(png)));
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_EQ(task->kind(), v1::TASK_KIND_VIDEO);
  EXPECT_EQ(task->workflow(), "video");
  TaskRecord rec = Stored(task->id());
  EXPECT_EQ(rec.input_blob(), task->id() + "_input.png");
  EXPECT_EQ(rec.input_mime_type(), "image/png");
  EXPECT_TRUE(rec.video().image().empty())
      << "the bytes must not stay in the row";
  EXPECT_EQ(*blobs_.Get(rec.input_blob()), png);
  ASSERT_EQ(p1_->Contexts().size(), 1u);
  SubmitContext ctx = p1_->Contexts()[0];
  EXPECT_EQ(ctx.input_image, png);
  EXPECT_EQ(ctx.input_url,
            absl::StrCat(kBase, "/uploads/", task->id(), "_input.png"));
  EXPECT_EQ(ctx.callback_url,
            absl::StrCat(kBase, "/v1/callbacks/", task->id()));
}

TEST_F(ProvidersTest, DataUrlInputIsAccepted) {
  Init();
  auto task = SubmitVideo(
      Video("data:image/png;base64," + absl::Base64Escape(MakePng(8, 8))));
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_FALSE(Stored(task->id()).input_blob().empty());
}

TEST_F(ProvidersTest, UrlInputIsFetchedThroughTheCheckedFetcher) {
  Init();
  auto task = SubmitVideo(Video("https://images.example.com/in.png"));
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_THAT(fetcher_.Urls(),
              ::testing::ElementsAre("https://images.example.com/in.png"));
  EXPECT_TRUE(http_.Urls().empty());
  TaskRecord rec = Stored(task->id());
  EXPECT_EQ(rec.input_blob(), task->id() + "_input.png");
  EXPECT_EQ(rec.video().image(), "https://images.example.com/in.png");
  ASSERT_EQ(p1_->Contexts().size(), 1u);
  EXPECT_EQ(p1_->Contexts()[0].input_image, png_);
}

TEST_F(ProvidersTest, UnfetchableUrlInputFailsTheTask) {
  Init();
  fetcher_.Script("https://images.example.com/x.png",
                  absl::PermissionDeniedError("private address"));
  auto task = SubmitVideo(Video("https://images.example.com/x.png"));
  ASSERT_TRUE(task.ok());
  TaskRecord rec = Stored(task->id());
  EXPECT_EQ(rec.task().state(), v1::TASK_STATE_FAILED);
  EXPECT_EQ(rec.task().error().code(), "INVALID_ARGUMENT");
  EXPECT_THAT(rec.task().error().message(), HasSubstr("private address"));
  EXPECT_TRUE(p1_->Submits().empty());
}

TEST_F(ProvidersTest, BadVideoInputIsRefusedAndNothingIsStored) {
  Init();
  struct Case {
    std::string image, message;
  } cases[] = {
      {"", "Missing image"},
      {"   ", "Missing image"},
      {"not base64 at all!!", "image must be an http(s) URL or base64"},
      {absl::Base64Escape("plain text, not a picture"), "not a PNG"},
      {"ftp://example.com/a.png", "http or https"},
      {"data:image/png,rawbytes", "data:<type>;base64"},
      {"https://example.com/a b.png", "spaces"},
      {"https://example.com/" + std::string(3000, 'a'), "at most"},
  };
  for (const Case& c : cases) {
    auto task = SubmitVideo(Video(c.image));
    ASSERT_FALSE(task.ok()) << c.image;
    EXPECT_EQ(task.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(task.status().message(), HasSubstr(c.message)) << c.image;
  }
  v1::SubmitVideoRequest no_prompt = Video(absl::Base64Escape(MakePng(4, 4)));
  no_prompt.clear_prompt();
  EXPECT_EQ(SubmitVideo(no_prompt).status().message(), "Missing prompt");
  EXPECT_EQ(store_.Size(), 0u);
}

TEST_F(ProvidersTest, WorkflowKindsAreNotMixed) {
  Init();
  v1::SubmitImageRequest img;
  img.set_prompt("x");
  img.set_workflow("video");
  auto t = SubmitRaw(img, alice_);
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("makes videos"));
  v1::SubmitVideoRequest vid = Video(absl::Base64Escape(MakePng(4, 4)));
  vid.set_workflow("default");
  auto v = SubmitVideo(vid);
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("makes images"));
  EXPECT_EQ(store_.Size(), 0u);
}

TEST_F(ProvidersTest, SyncResultsAreStoredWithoutPolling) {
  Init();
  SubmitResult sync;
  sync.upstream_id = "sync-1";
  OutputRef url;
  url.request.url = "https://cdn.example.com/a.jpg";
  url.external = true;
  OutputRef inline_png;
  inline_png.data = MakePng(16, 16);
  sync.outputs = {url, inline_png};
  p1_->ScriptSubmit(sync);
  std::string id = Submit().id();
  TaskRecord rec = Stored(id);
  ASSERT_EQ(rec.task().state(), v1::TASK_STATE_SUCCEEDED);
  ASSERT_EQ(rec.task().outputs_size(), 2);
  EXPECT_EQ(rec.task().outputs(1).width(), 16);
  EXPECT_THAT(fetcher_.Urls(),
              ::testing::ElementsAre("https://cdn.example.com/a.jpg"));
  EXPECT_TRUE(http_.Urls().empty())
      << "external URLs never use the plain client";
  EXPECT_TRUE(p1_->Polls().empty());
  ExpectCleanHistory(id);
}

TEST_F(ProvidersTest, IdStylesAndProviderLabels) {
  Init();
  v1::Task grok = Submit("grok");
  EXPECT_TRUE(absl::StartsWith(grok.id(), "grok_")) << grok.id();
  EXPECT_EQ(grok.id().size(), 5u + 32u);
  EXPECT_EQ(grok.provider(), "grok");
  EXPECT_EQ(Stored(grok.id()).request().width(), 1024);
  EXPECT_EQ(Stored(grok.id()).request().model(), "grok-imagine-image");
  EXPECT_EQ(Stored(grok.id()).task().provider(), "grok")
      << "kept when dispatched";
  v1::Task rr3 = Submit("rr3");
  EXPECT_EQ(rr3.id().size(), 19u);
  EXPECT_TRUE(std::all_of(rr3.id().begin(), rr3.id().end(), ::isdigit));
  EXPECT_EQ(rr3.provider(), "rr3");
  EXPECT_EQ(Stored(rr3.id()).request().cfg(), 6);
  EXPECT_EQ(Submit().provider(), "");
}

TEST_F(ProvidersTest, ModelsOutsideTheWorkflowListAreRefused) {
  Init();
  v1::SubmitImageRequest req;
  req.set_prompt("x");
  req.set_workflow("grok");
  req.set_model("dall-e-3");
  auto t = SubmitRaw(req, alice_);
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("model must be one of"));
}

TEST_F(ProvidersTest, UnreadyChannelsRefuseAtSubmitWithTheirMessage) {
  Init();
  p1_->SetReady(absl::FailedPreconditionError(
      "Server configuration error: Grok API key missing"));
  v1::SubmitImageRequest req;
  req.set_prompt("x");
  req.set_workflow("grok");
  auto t = SubmitRaw(req, alice_);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(t.status().message(),
            "Server configuration error: Grok API key missing");
  EXPECT_EQ(store_.Size(), 0u);
  // A workflow with another, ready channel still works and uses that one.
  std::string id = Submit("multi").id();
  EXPECT_EQ(Stored(id).channel(), "c2");
}

TEST_F(ProvidersTest, ConcurrencyLimitSpillsToTheNextChannel) {
  router_ = StaticRouter();
  router_.AddChannel({"c1", p1_, 1, 1});
  router_.AddChannel({"c2", p2_, 1, 0});
  WorkflowInfo multi;
  multi.name = "multi";
  router_.AddWorkflow(multi, {"c1", "c2"});
  Init();
  std::string a = Submit("multi").id();
  std::string b = Submit("multi").id();
  EXPECT_EQ(Stored(a).channel(), "c1");
  EXPECT_EQ(Stored(b).channel(), "c2") << "c1 is full";
  p1_->ScriptPoll(a, Succeeded("http://up/a.png"));
  AdvanceAndPump(absl::Seconds(1));
  ASSERT_EQ(StateOf(a), v1::TASK_STATE_SUCCEEDED);
  std::string c = Submit("multi").id();
  EXPECT_EQ(Stored(c).channel(), "c1") << "the slot was freed";
}

TEST_F(ProvidersTest, WeightedRouteSpreadsTasksByWeight) {
  router_ = StaticRouter();
  router_.AddChannel({"c1", p1_, 3, 0});
  router_.AddChannel({"c2", p2_, 1, 0});
  WorkflowInfo spread;
  spread.name = "spread";
  spread.weighted = true;
  router_.AddWorkflow(spread, {"c1", "c2"});
  WorkflowInfo ordered;
  ordered.name = "ordered";
  router_.AddWorkflow(ordered, {"c2", "c1"});
  Init();
  std::vector<std::string> order;
  for (int i = 0; i < 8; ++i)
    order.push_back(Stored(Submit("spread").id()).channel());
  EXPECT_THAT(order, ::testing::ElementsAre("c1", "c1", "c2", "c1", "c1", "c1",
                                            "c2", "c1"));
  // Without balance, list order decides whatever the weights.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Stored(Submit("ordered").id()).channel(), "c2");
  }
}

TEST_F(ProvidersTest, FailoverFromAWeightedPickGoesOnInListOrder) {
  router_ = StaticRouter();
  router_.AddChannel({"c1", p1_, 1, 0});
  router_.AddChannel({"c2", p2_, 1, 0});
  WorkflowInfo spread;
  spread.name = "spread";
  spread.weighted = true;
  router_.AddWorkflow(spread, {"c1", "c2"});
  Init();
  EXPECT_EQ(Stored(Submit("spread").id()).channel(), "c1");
  p2_->ScriptSubmit(absl::UnavailableError("c2 down"));
  std::string id = Submit("spread").id();  // the weights pick c2
  AdvanceAndPump(absl::Seconds(1));
  TaskRecord rec = Stored(id);
  EXPECT_EQ(rec.task().state(), v1::TASK_STATE_QUEUED);
  EXPECT_EQ(rec.channel(), "c1") << "after c2 comes c1, wrapping around";
  EXPECT_EQ(rec.attempts(), 2);
}

// A request is checked against the channels it would go to, its model's
// route included, and refused up front when one of them cannot run it; a
// model route does not narrow the rest of the workflow.
TEST_F(ProvidersTest, RequestsAreCheckedAgainstTheirOwnRoute) {
  p2_->SetLimits({1, false});
  router_ = StaticRouter();
  router_.AddChannel({"c1", p1_, 1, 0});
  router_.AddChannel({"c2", p2_, 1, 0});
  WorkflowInfo wf;
  wf.name = "wf";
  wf.accepts_model = true;
  router_.AddWorkflow(wf, {"c1"});
  router_.AddModelRoute("wf", "m2", {"c2"});
  WorkflowInfo both;
  both.name = "both";
  router_.AddWorkflow(both, {"c1", "c2"});
  Init();
  auto request = [](std::string workflow, int n, std::string model,
                    std::string workflow_json) {
    v1::SubmitImageRequest r;
    r.set_prompt("x");
    r.set_workflow(std::move(workflow));
    r.set_n(n);
    r.set_model(std::move(model));
    r.set_workflow_json(std::move(workflow_json));
    return r;
  };
  const std::string graph = R"({"3":{"class_type":"KSampler","inputs":{}}})";
  EXPECT_TRUE(SubmitRaw(request("wf", 3, "", graph), alice_).ok());
  for (const auto& [req, error] :
       std::vector<std::pair<v1::SubmitImageRequest, std::string>>{
           {request("wf", 2, "m2", ""), "n must be at most 1 for workflow wf"},
           {request("wf", 1, "m2", graph), "takes the prompt as text"},
           {request("both", 2, "", ""), "n must be at most 1"},
       }) {
    auto t = SubmitRaw(req, alice_);
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << error;
    EXPECT_THAT(t.status().message(), HasSubstr(error));
  }
  EXPECT_EQ(p1_->Submits().size(), 1u);
  EXPECT_TRUE(p2_->Submits().empty());
}

// A channel that refused our credentials is not tried again for the task,
// even when the only other channel is busy: the task waits for it.
TEST_F(ProvidersTest, RefusingChannelIsNotRetriedWhileTheOtherIsBusy) {
  router_ = StaticRouter();
  router_.AddChannel({"c1", p1_, 1, 0});
  router_.AddChannel({"c2", p2_, 1, 1});
  WorkflowInfo only2;
  only2.name = "only2";
  router_.AddWorkflow(only2, {"c2"});
  WorkflowInfo both;
  both.name = "both";
  router_.AddWorkflow(both, {"c1", "c2"});
  Init();
  std::string busy = Submit("only2").id();  // holds c2's one slot
  p1_->ScriptSubmit(absl::FailedPreconditionError("prov1: HTTP 401"));
  std::string id = Submit("both").id();
  AdvanceAndPump(absl::Seconds(1));
  AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(StateOf(id), v1::TASK_STATE_PENDING) << "waits for c2";
  EXPECT_EQ(p1_->Submits().size(), 1u);
  p2_->ScriptPoll(busy, Succeeded("http://up/a.png"));
  for (int i = 0; i < 3; ++i) AdvanceAndPump(absl::Seconds(1));
  TaskRecord rec = Stored(id);
  EXPECT_EQ(rec.task().state(), v1::TASK_STATE_QUEUED);
  EXPECT_EQ(rec.channel(), "c2");
  EXPECT_EQ(p1_->Submits().size(), 1u) << "c1 refused; never again";
}

TEST_F(ProvidersTest, FullChannelsMakeTheTaskWait) {
  InitOneSlotWorkflow();
  std::string a = Submit("one").id();
  std::string b = Submit("one").id();
  EXPECT_EQ(StateOf(a), v1::TASK_STATE_QUEUED);
  EXPECT_EQ(StateOf(b), v1::TASK_STATE_PENDING);
  p1_->ScriptPoll(a, Succeeded("http://up/a.png"));
  AdvanceAndPump(absl::Seconds(1));
  AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(StateOf(b), v1::TASK_STATE_QUEUED);
  EXPECT_EQ(p1_->Submits().size(), 2u);
}

// A task cancelled while it waits for a slot must not take one later: its
// retry timer still fires, and a slot taken then was never given back, so
// the channel stayed full for good.
TEST_F(ProvidersTest, TaskCancelledWhileWaitingForASlotNeverTakesOne) {
  InitOneSlotWorkflow();
  std::string a = Submit("one").id();
  std::string b = Submit("one").id();
  ASSERT_EQ(StateOf(b), v1::TASK_STATE_PENDING);
  ASSERT_TRUE(Cancel(b).ok());
  EXPECT_EQ(StateOf(b), v1::TASK_STATE_CANCELED);
  p1_->ScriptPoll(a, Succeeded("http://up/a.png"));
  AdvanceAndPump(absl::Seconds(1));
  AdvanceAndPump(absl::Seconds(1));
  ASSERT_EQ(StateOf(a), v1::TASK_STATE_SUCCEEDED);
  std::string c = Submit("one").id();
  AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(StateOf(c), v1::TASK_STATE_QUEUED) << "c1's slot leaked";
  EXPECT_EQ(p1_->Submits().size(), 2u) << "b must never be submitted";
}

TEST_F(ProvidersTest, GenuineCallbackPollsAtOnce) {
  Init();
  std::string id = Submit().id();
  size_t polls = p1_->Polls().size();
  std::optional<absl::Status> verdict;
  service_->HandleCallback(id, CallbackRequest{{}, "{\"taskId\":\"x\"}"},
                           [&](absl::Status st) { verdict = st; });
  Pump();
  ASSERT_TRUE(verdict.has_value());
  EXPECT_TRUE(verdict->ok()) << *verdict;
  EXPECT_EQ(p1_->Polls().size(), polls + 1) << "no clock advance was needed";
  EXPECT_EQ(p1_->Callbacks().size(), 1u);
}

TEST_F(ProvidersTest, ForgedCallbackIsRefusedAndChangesNothing) {
  Init();
  std::string id = Submit().id();
  p1_->SetCallbackVerdict(absl::UnauthenticatedError("bad signature"));
  size_t polls = p1_->Polls().size();
  int64_t version = Stored(id).version();
  std::optional<absl::Status> verdict;
  service_->HandleCallback(id, CallbackRequest{{}, "{}"},
                           [&](absl::Status st) { verdict = st; });
  Pump();
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(p1_->Polls().size(), polls);
  EXPECT_EQ(Stored(id).version(), version);
  std::optional<absl::Status> unknown;
  service_->HandleCallback("no-such-task", CallbackRequest{{}, "{}"},
                           [&](absl::Status st) { unknown = st; });
  Pump();
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(unknown->code(), absl::StatusCode::kNotFound);
}

// A flood of notices for ids that are not being driven must cost neither a
// store read nor a turn on the pool that drives tasks.
TEST_F(ProvidersTest, CallbacksAreAnsweredWithoutTheStoreOrTheTaskPool) {
  Init();
  std::string id = Submit().id();
  Pump();
  const size_t gets = store_.Gets();
  for (const std::string& unknown :
       {std::string("no-such-task"), std::string(300, 'x'), id + "-x"}) {
    std::optional<absl::Status> verdict;
    service_->HandleCallback(unknown, CallbackRequest{{}, "{}"},
                             [&](absl::Status st) { verdict = st; });
    ASSERT_TRUE(verdict.has_value()) << "waited for the task pool";
    EXPECT_EQ(verdict->code(), absl::StatusCode::kNotFound);
  }
  std::optional<absl::Status> genuine;
  service_->HandleCallback(id, CallbackRequest{{}, "{\"taskId\":\"x\"}"},
                           [&](absl::Status st) { genuine = st; });
  ASSERT_TRUE(genuine.has_value()) << "waited for the task pool";
  EXPECT_TRUE(genuine->ok()) << *genuine;
  EXPECT_EQ(store_.Gets(), gets);
}

TEST_F(ProvidersTest, AModelCanRouteToItsOwnChannels) {
  router_.AddModelRoute("grok", "grok-imagine-image-pro", {"c2"});
  Init();
  v1::SubmitImageRequest req;
  req.set_prompt("x");
  req.set_workflow("grok");
  req.set_model("grok-imagine-image-pro");
  auto pro = SubmitRaw(req, alice_);
  ASSERT_TRUE(pro.ok()) << pro.status();
  EXPECT_EQ(Stored(pro->id()).channel(), "c2");
  EXPECT_EQ(Stored(Submit("grok").id()).channel(), "c1") << "default model";
  // Readiness is judged on the model's channels.
  p2_->SetReady(absl::FailedPreconditionError("c2 has no key"));
  auto refused = SubmitRaw(req, alice_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(), "c2 has no key");
}

TEST_F(ProvidersTest, PollsBackOffWhileNothingChanges) {
  DispatcherOptions o;
  o.poll_interval = absl::Seconds(1);
  o.max_poll_backoff = absl::Seconds(5);
  Init(o);
  std::string id = Submit().id();
  for (int i = 0; i < 120; ++i) AdvanceAndPump(absl::Seconds(1));
  size_t idle = p1_->Polls().size();
  // Fixed 1 s polling would be ~120; the backoff tops out at one per 5 s.
  EXPECT_LT(idle, 45u);
  EXPECT_GT(idle, 24u);
  // Progress resets the backoff.
  p1_->ScriptPoll(id, Running(0.5));
  AdvanceAndPump(absl::Seconds(5));
  size_t before = p1_->Polls().size();
  AdvanceAndPump(absl::Seconds(1));
  AdvanceAndPump(absl::Seconds(1));
  EXPECT_GE(p1_->Polls().size(), before + 1) << "back to the base interval";
}

}  // namespace
}  // namespace mediagw
