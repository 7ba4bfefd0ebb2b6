// ComfyUI provider against scripted upstreams (FakeUpstream) through the
// real CurlMultiClient: exact wire requests, transport faults, and the
// decisions taken on each reply.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/clock.h"
#include "common/status_mapping.h"
#include "core/breaker_board.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/curl_multi_client.h"
#include "providers/comfyui/comfyui_provider.h"
#include "tests/fakes/fake_upstream.h"
#include "tests/providers/comfyui/provider_test_util.h"

namespace mediagw::comfyui {
namespace {

using fakes::FakeUpstream;
using fakes::RecordedRequest;
using fakes::ScriptedReply;
using ::testing::HasSubstr;
using namespace ::mediagw::comfyui::testing;  // NOLINT: test helpers

std::string QueueJson(const std::vector<std::string>& running,
                      const std::vector<std::string>& pending) {
  auto items = [](const std::vector<std::string>& ids) {
    std::vector<std::string> out;
    int n = 0;
    for (const auto& id : ids) {
      out.push_back(absl::StrCat("[", n++, ",\"", id, "\",{},{},[\"9\"]]"));
    }
    return absl::StrJoin(out, ",");
  };
  return absl::StrCat("{\"queue_running\":[", items(running),
                      "],\"queue_pending\":[", items(pending), "]}");
}

ScriptedReply Json(std::string body, int status = 200) {
  return ScriptedReply::Respond(status, std::move(body),
                                {{"Content-Type", "application/json"}});
}

ScriptedReply Accept(const RecordedRequest& req) {
  return Json(absl::StrCat("{\"prompt_id\":\"", PromptIdIn(req.body),
                           "\",\"number\":1,\"node_errors\":{}}"));
}

std::vector<std::string> Targets(const FakeUpstream& up) {
  std::vector<std::string> out;
  for (const auto& r : up.Requests()) out.push_back(r.method + " " + r.target);
  return out;
}

class ComfyFakeTest : public ::testing::Test {
 protected:
  std::shared_ptr<Provider> Make(std::vector<std::string> urls,
                                 absl::Duration timeout = absl::Seconds(5)) {
    ComfyUiOptions o;
    o.channel_name = "test";
    o.base_urls = std::move(urls);
    o.templates = {{"default", ReadWorkflow("default")}};
    o.use_websocket = false;
    o.client_id = "cid-1";
    o.request_timeout = timeout;
    auto p = NewComfyUiProvider(std::move(o), &http_);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : nullptr;
  }
  std::string Base(const FakeUpstream& up) const { return up.Url(""); }

  net::CurlMultiClient http_;
  FakeUpstream up_;
};

TEST_F(ComfyFakeTest, SubmitSendsRenderedPromptWithPreassignedId) {
  auto p = Make({Base(up_)});
  up_.SetHandler(Accept);
  std::string id = p->PreassignUpstreamId(MakeRecord("t1", ""));
  EXPECT_EQ(id.size(), 36u);
  auto r = SubmitSync(*p, MakeRecord("t1", id));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->upstream_id, id);
  EXPECT_THAT(r->provider_state, HasSubstr(Base(up_)));
  auto reqs = up_.Requests();
  ASSERT_EQ(reqs.size(), 1u);  // one server: no queue probe
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/prompt");
  EXPECT_THAT(reqs[0].body, HasSubstr(absl::StrCat("\"prompt_id\":\"", id)));
  EXPECT_THAT(reqs[0].body, HasSubstr("\"client_id\":\"cid-1\""));
  EXPECT_THAT(reqs[0].body, HasSubstr("\"text\":\"a lighthouse at dusk\""));
  EXPECT_THAT(reqs[0].body, HasSubstr("\"steps\":4"));
  EXPECT_THAT(reqs[0].Header("content-type"), HasSubstr("application/json"));
}

TEST_F(ComfyFakeTest, RawWorkflowPassesThroughVerbatim) {
  auto p = Make({Base(up_)});
  up_.SetHandler(Accept);
  TaskRecord rec = MakeRecord("t1", "pid-raw");
  const std::string raw =
      R"({"9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0]}}})";
  rec.mutable_request()->set_workflow_json(raw);
  ASSERT_TRUE(SubmitSync(*p, rec).ok());
  ASSERT_EQ(up_.RequestCount(), 1);
  EXPECT_THAT(up_.Requests()[0].body, HasSubstr(absl::StrCat("{\"prompt\":", raw)));
}

TEST_F(ComfyFakeTest, InvalidRequestsFailWithoutTraffic) {
  auto p = Make({Base(up_)});
  TaskRecord rec = MakeRecord("t1", "pid");
  rec.mutable_request()->set_workflow_json("[1,2]");
  EXPECT_EQ(SubmitSync(*p, rec).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SubmitSync(*p, MakeRecord("t2", "pid", "nope")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(up_.RequestCount(), 0);
}

TEST_F(ComfyFakeTest, SubmitErrorsAreClassified) {
  auto p = Make({Base(up_)}, absl::Milliseconds(400));
  up_.Enqueue(Json("{\"error\":\"boom\"}", 500));
  auto st = SubmitSync(*p, MakeRecord("t", "a")).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_TRUE(IsRetryable(st));

  up_.Enqueue(Json("{\"prompt_id\": \"a\", \"num"));
  st = SubmitSync(*p, MakeRecord("t", "a")).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("malformed upstream response"));

  up_.Enqueue(Json(R"({"error": {"type": "prompt_outputs_failed_validation",
      "message": "Prompt outputs failed validation", "details": "",
      "extra_info": {}}, "node_errors": {"3": {"errors": [{"type":
      "value_smaller_than_min", "message": "Value 0 smaller than min of 1",
      "details": "steps", "extra_info": {}}], "dependent_outputs": ["9"],
      "class_type": "KSampler"}}})",
                   400));
  st = SubmitSync(*p, MakeRecord("t", "a")).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("node 3 (KSampler)"));

  ScriptedReply slow =
      Json(absl::StrCat("{\"prompt_id\":\"a\"}", std::string(200, ' ')));
  slow.trickle_bytes = 4;
  slow.trickle_pause = absl::Milliseconds(50);
  up_.Enqueue(slow);
  st = SubmitSync(*p, MakeRecord("t", "a")).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kDeadlineExceeded) << st;

  up_.Enqueue(ScriptedReply::Reset());
  st = SubmitSync(*p, MakeRecord("t", "a")).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
}

TEST_F(ComfyFakeTest, PollSuccessBuildsViewRequests) {
  auto p = Make({Base(up_)});
  up_.Enqueue(Json(R"({"pid": {"outputs": {"9": {"images": [
      {"filename": "out 1.png", "subfolder": "a/b", "type": "output"}]}},
      "status": {"status_str": "success", "completed": true, "messages": []}}})"));
  auto r = PollSync(*p, MakeRecord("t", "pid"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, UpstreamState::kSucceeded);
  ASSERT_EQ(r->outputs.size(), 1u);
  EXPECT_EQ(r->outputs[0].request.url,
            Base(up_) + "/view?filename=out%201.png&subfolder=a%2Fb&type=output");
  EXPECT_EQ(r->outputs[0].mime_type, "image/png");
  EXPECT_EQ(Targets(up_), std::vector<std::string>{"GET /history/pid"});
}

TEST_F(ComfyFakeTest, PollFallsBackToQueue) {
  auto p = Make({Base(up_)});
  up_.Enqueue(Json("{}"));
  up_.Enqueue(Json(QueueJson({"other"}, {"pid"})));
  auto r = PollSync(*p, MakeRecord("t", "pid"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, UpstreamState::kQueued);

  up_.Enqueue(Json("{}"));
  up_.Enqueue(Json(QueueJson({"pid"}, {})));
  r = PollSync(*p, MakeRecord("t", "pid"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, UpstreamState::kRunning);
}

TEST_F(ComfyFakeTest, PollVanishedAfterSecondLook) {
  auto p = Make({Base(up_)});
  up_.SetDefault(Json("{}"));
  up_.Enqueue(Json("{}"));
  up_.Enqueue(Json(QueueJson({}, {})));
  auto r = PollSync(*p, MakeRecord("t", "pid"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, UpstreamState::kNotFound);
  EXPECT_EQ(Targets(up_), (std::vector<std::string>{
                              "GET /history/pid", "GET /queue", "GET /history/pid"}));
}

TEST_F(ComfyFakeTest, PollFinishedBetweenReadsIsNotVanished) {
  auto p = Make({Base(up_)});
  up_.Enqueue(Json("{}"));
  up_.Enqueue(Json(QueueJson({}, {})));
  up_.Enqueue(Json(R"({"pid": {"outputs": {"9": {"images": [{"filename":
      "a.png", "subfolder": "", "type": "output"}]}}, "status":
      {"status_str": "success", "completed": true, "messages": []}}})"));
  auto r = PollSync(*p, MakeRecord("t", "pid"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, UpstreamState::kSucceeded);
}

TEST_F(ComfyFakeTest, PollErrorsAndFailures) {
  auto p = Make({Base(up_)});
  up_.Enqueue(Json(R"({"pid": {"outputs": {}, "status": {"status_str": "error",
      "completed": false, "messages": [["execution_error", {"node_id": "3",
      "node_type": "KSampler", "exception_message": "out of memory"}]]}}})"));
  auto r = PollSync(*p, MakeRecord("t", "pid"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, UpstreamState::kFailed);
  EXPECT_THAT(std::string(r->error.message()), HasSubstr("out of memory"));

  up_.Enqueue(Json(R"({"pid": {"outputs": [], "status": {"status_str": "success"}}})"));
  EXPECT_EQ(PollSync(*p, MakeRecord("t", "pid")).status().code(),
            absl::StatusCode::kUnavailable);

  up_.Enqueue(Json("oops", 502));
  EXPECT_EQ(PollSync(*p, MakeRecord("t", "pid")).status().code(),
            absl::StatusCode::kUnavailable);

  up_.Enqueue(Json(R"({"pid": {"outputs": {}, "status": {"status_str": "success"}}})"));
  r = PollSync(*p, MakeRecord("t", "pid"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, UpstreamState::kFailed);  // nothing to deliver
}

TEST_F(ComfyFakeTest, CancelPendingDeletesThenChecks) {
  auto p = Make({Base(up_)});
  up_.Enqueue(Json(QueueJson({"x"}, {"pid"})));
  up_.Enqueue(Json("{}"));
  up_.Enqueue(Json(QueueJson({"x"}, {})));
  EXPECT_TRUE(CancelSync(*p, MakeRecord("t", "pid")).ok());
  auto reqs = up_.Requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[1].method + " " + reqs[1].target, "POST /queue");
  EXPECT_EQ(reqs[1].body, R"({"delete":["pid"]})");
}

TEST_F(ComfyFakeTest, CancelRunningInterrupts) {
  auto p = Make({Base(up_)});
  up_.Enqueue(Json(QueueJson({"pid"}, {})));
  up_.Enqueue(Json("{}"));
  EXPECT_TRUE(CancelSync(*p, MakeRecord("t", "pid")).ok());
  auto reqs = up_.Requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].method + " " + reqs[1].target, "POST /interrupt");
  EXPECT_EQ(reqs[1].body, R"({"prompt_id":"pid"})");
}

TEST_F(ComfyFakeTest, CancelFinishedIsOk) {
  auto p = Make({Base(up_)});
  up_.Enqueue(Json(QueueJson({"other"}, {})));
  EXPECT_TRUE(CancelSync(*p, MakeRecord("t", "pid")).ok());
  EXPECT_EQ(up_.RequestCount(), 1);
}

TEST_F(ComfyFakeTest, PoolPicksShortestQueueAndSkipsDeadMembers) {
  FakeUpstream busy;
  std::string dead;
  {
    FakeUpstream gone;
    dead = gone.Url("");
  }
  auto p = Make({Base(busy), dead, Base(up_)});
  busy.SetHandler([](const RecordedRequest& r) {
    if (r.target == "/queue") return Json(QueueJson({"a"}, {"b", "c"}));
    return Accept(r);
  });
  up_.SetHandler([](const RecordedRequest& r) {
    if (r.target == "/queue") return Json(QueueJson({"z"}, {}));
    return Accept(r);
  });
  auto r = SubmitSync(*p, MakeRecord("t", "pid"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->provider_state, HasSubstr(Base(up_)));
  EXPECT_EQ(Targets(busy), std::vector<std::string>{"GET /queue"});
  EXPECT_EQ(Targets(up_), (std::vector<std::string>{"GET /queue", "POST /prompt"}));
}

TEST_F(ComfyFakeTest, PoolTiesRoundRobin) {
  FakeUpstream other;
  auto handler = [](const RecordedRequest& r) {
    if (r.target == "/queue") return Json(QueueJson({}, {}));
    return Accept(r);
  };
  up_.SetHandler(handler);
  other.SetHandler(handler);
  auto p = Make({Base(up_), Base(other)});
  std::vector<std::string> servers;
  for (int i = 0; i < 4; ++i) {
    auto r = SubmitSync(*p, MakeRecord("t", absl::StrCat("p", i)));
    ASSERT_TRUE(r.ok()) << r.status();
    servers.push_back(r->provider_state);
  }
  EXPECT_NE(servers[0], servers[1]);
  EXPECT_EQ(servers[0], servers[2]);
  EXPECT_EQ(servers[1], servers[3]);
}

TEST_F(ComfyFakeTest, PoolAllDeadIsUnavailable) {
  std::string dead1, dead2;
  {
    FakeUpstream a, b;
    dead1 = a.Url("");
    dead2 = b.Url("");
  }
  auto p = Make({dead1, dead2});
  auto st = SubmitSync(*p, MakeRecord("t", "pid")).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
}

// Each pool member has its own breaker: a member answering 503 is ejected
// after the threshold and then gets neither queue probes nor submits, while
// the rest of the pool goes on; after its cool-down one probe brings it back.
TEST_F(ComfyFakeTest, PoolMemberBehindAnOpenBreakerIsLeftAlone) {
  FakeClock clock;
  BreakerOptions bo;
  bo.failure_threshold = 2;
  bo.base_cooldown = absl::Seconds(30);
  BreakerBoard board(bo, &clock);
  FakeUpstream sick;
  std::atomic<bool> sick_down{true};
  sick.SetHandler([&sick_down](const RecordedRequest& r) {
    if (sick_down) return Json("{}", 503);
    if (r.target == "/queue") return Json(QueueJson({}, {}));
    return Accept(r);
  });
  up_.SetHandler([](const RecordedRequest& r) {
    if (r.target == "/queue") return Json(QueueJson({"x"}, {"y"}));
    return Accept(r);
  });
  ComfyUiOptions o;
  o.channel_name = "pool";
  o.base_urls = {Base(sick), Base(up_)};
  o.templates = {{"default", ReadWorkflow("default")}};
  o.use_websocket = false;
  o.breakers = &board;
  auto p = NewComfyUiProvider(std::move(o), &http_);
  ASSERT_TRUE(p.ok()) << p.status();
  for (int i = 0; i < 4; ++i) {
    auto r = SubmitSync(**p, MakeRecord("t", absl::StrCat("p", i)));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_THAT(r->provider_state, HasSubstr(Base(up_)));
  }
  EXPECT_EQ(board.State("pool", Base(sick)), BreakerState::kOpen);
  EXPECT_EQ(board.State("pool", Base(up_)), BreakerState::kClosed);
  EXPECT_EQ(sick.RequestCount(), 2) << "only until its breaker opened";
  EXPECT_TRUE(board.WouldAdmitChannel("pool"));
  // Back after the cool-down: its probe (a queue read) closes the breaker
  // and, with the shorter queue, it takes the task.
  sick_down = false;
  clock.Advance(absl::Seconds(30));
  auto r = SubmitSync(**p, MakeRecord("t", "p9"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->provider_state, HasSubstr(Base(sick)));
  EXPECT_EQ(board.State("pool", Base(sick)), BreakerState::kClosed);
}

// Polls feed the breaker of the pool member that runs the job: failures
// there count towards its ejection, and only its own.
TEST_F(ComfyFakeTest, FailedPollsCountAgainstTheirPoolMember) {
  FakeClock clock;
  BreakerOptions bo;
  bo.failure_threshold = 2;
  BreakerBoard board(bo, &clock);
  FakeUpstream busy;
  busy.SetHandler([](const RecordedRequest& r) {
    if (r.target == "/queue") return Json(QueueJson({"x"}, {"y", "z"}));
    return Accept(r);
  });
  std::atomic<bool> down{false};
  up_.SetHandler([&down](const RecordedRequest& r) {
    if (down) return Json("{}", 503);
    if (r.target == "/queue") return Json(QueueJson({}, {}));
    return Accept(r);
  });
  ComfyUiOptions o;
  o.channel_name = "pool";
  o.base_urls = {Base(busy), Base(up_)};
  o.templates = {{"default", ReadWorkflow("default")}};
  o.use_websocket = false;
  o.breakers = &board;
  auto p = NewComfyUiProvider(std::move(o), &http_);
  ASSERT_TRUE(p.ok()) << p.status();
  TaskRecord rec = MakeRecord("t", "pid");
  auto sub = SubmitSync(**p, rec);
  ASSERT_TRUE(sub.ok()) << sub.status();
  ASSERT_THAT(sub->provider_state, HasSubstr(Base(up_)));
  rec.set_provider_state(sub->provider_state);
  down = true;
  EXPECT_EQ(PollSync(**p, rec).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(board.State("pool", Base(up_)), BreakerState::kClosed);
  EXPECT_EQ(PollSync(**p, rec).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(board.State("pool", Base(up_)), BreakerState::kOpen);
  EXPECT_EQ(board.State("pool", Base(busy)), BreakerState::kClosed);
}

// A success whose answer cannot be read (cut inside its head, or a body
// that is not the prompt reply) may still have queued the job: the submit's
// outcome is unknown, so it is looked up again, never sent elsewhere.
TEST_F(ComfyFakeTest, UnreadableSuccessToASubmitIsOutcomeUnknown) {
  auto p = Make({Base(up_)});
  up_.Enqueue(ScriptedReply::Raw("HTTP/1.1 200 OK\r\nCon"));
  auto st = SubmitSync(*p, MakeRecord("t", "pid")).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_TRUE(IsOutcomeUnknown(st)) << st;
  up_.Enqueue(Json("<html>proxy page</html>"));
  st = SubmitSync(*p, MakeRecord("t", "pid2")).status();
  EXPECT_TRUE(IsOutcomeUnknown(st)) << st;
  // A refusal is a real answer.
  up_.Enqueue(Json("{}", 503));
  st = SubmitSync(*p, MakeRecord("t", "pid3")).status();
  EXPECT_FALSE(IsOutcomeUnknown(st)) << st;
}

TEST_F(ComfyFakeTest, ResumeFindsExistingJobWithoutResubmitting) {
  auto p = Make({Base(up_)});
  up_.Enqueue(Json("{}"));
  up_.Enqueue(Json(QueueJson({}, {"pid"})));
  auto r = ResumeSync(*p, MakeRecord("t", "pid"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->upstream_id, "pid");
  EXPECT_THAT(r->provider_state, HasSubstr(Base(up_)));
  EXPECT_EQ(Targets(up_), (std::vector<std::string>{"GET /history/pid", "GET /queue"}));
}

TEST_F(ComfyFakeTest, ResumeResubmitsLostJobWithSameId) {
  auto p = Make({Base(up_)});
  up_.SetHandler([](const RecordedRequest& r) {
    if (r.target == "/queue") return Json(QueueJson({}, {}));
    if (r.target == "/prompt") return Accept(r);
    return Json("{}");
  });
  auto r = ResumeSync(*p, MakeRecord("t", "pid-lost"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->upstream_id, "pid-lost");
  auto reqs = up_.Requests();
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_EQ(reqs[3].target, "/prompt");
  EXPECT_EQ(PromptIdIn(reqs[3].body), "pid-lost");
}

TEST_F(ComfyFakeTest, ResumeWithUnreachableServerDoesNotResubmit) {
  std::string dead;
  {
    FakeUpstream gone;
    dead = gone.Url("");
  }
  up_.SetHandler([](const RecordedRequest& r) {
    if (r.target == "/queue") return Json(QueueJson({}, {}));
    if (r.target == "/prompt") return Accept(r);
    return Json("{}");
  });
  auto p = Make({dead, Base(up_)});
  auto st = ResumeSync(*p, MakeRecord("t", "pid")).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  for (const auto& r : up_.Requests()) EXPECT_NE(r.target, "/prompt");
  EXPECT_EQ(ResumeSync(*p, MakeRecord("t", "")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ComfyFakeTest, RetryAdoptsJobAnEarlierAttemptStarted) {
  auto p = Make({Base(up_)});
  up_.Enqueue(Json("{}"));
  up_.Enqueue(Json(QueueJson({"pid"}, {})));
  TaskRecord rec = MakeRecord("t", "pid");
  rec.set_attempts(2);
  auto r = SubmitSync(*p, rec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->upstream_id, "pid");
  EXPECT_EQ(Targets(up_), (std::vector<std::string>{"GET /history/pid", "GET /queue"}));
}

TEST_F(ComfyFakeTest, RetrySkipsDeadMembersAndSubmits) {
  std::string dead;
  {
    FakeUpstream gone;
    dead = gone.Url("");
  }
  up_.SetHandler([](const RecordedRequest& r) {
    if (r.target == "/queue") return Json(QueueJson({}, {}));
    if (r.target == "/prompt") return Accept(r);
    return Json("{}");
  });
  auto p = Make({dead, Base(up_)});
  TaskRecord rec = MakeRecord("t", "pid-retry");
  rec.set_attempts(2);
  auto r = SubmitSync(*p, rec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->provider_state, HasSubstr(Base(up_)));
  auto reqs = up_.Requests();
  ASSERT_FALSE(reqs.empty());
  EXPECT_EQ(reqs.back().target, "/prompt");
  EXPECT_EQ(PromptIdIn(reqs.back().body), "pid-retry");
}

TEST_F(ComfyFakeTest, VideoUploadsFirstAndUsesTheNameTheServerReports) {
  ComfyUiOptions o;
  o.channel_name = "test";
  o.base_urls = {Base(up_)};
  o.templates = {{"video", ReadWorkflow("video")}};
  o.use_websocket = false;
  auto p = NewComfyUiProvider(std::move(o), &http_);
  ASSERT_TRUE(p.ok()) << p.status();
  up_.SetHandler([](const RecordedRequest& req) {
    if (req.target == "/upload/image") {
      // As ComfyUI answers when the name is taken and overwrite is off.
      return Json(R"({"name": "mediagw_v1 (1).png", "subfolder": "mediagw",)"
                  R"( "type": "input"})");
    }
    return Accept(req);
  });
  TaskRecord rec = MakeRecord("v1", "pid-video", "video");
  rec.mutable_task()->set_kind(v1::TASK_KIND_VIDEO);
  SubmitContext ctx;
  ctx.input_image = std::string("\x89PNG\r\n\x1a\nIMAGE\0BYTES", 18);
  ctx.input_mime_type = "image/png";
  ctx.input_name = "v1_input.png";
  auto r = SubmitSync(**p, rec, ctx);
  ASSERT_TRUE(r.ok()) << r.status();
  auto reqs = up_.Requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/upload/image");
  EXPECT_THAT(reqs[0].Header("content-type"),
              HasSubstr("multipart/form-data; boundary=mediagw-"));
  EXPECT_THAT(reqs[0].body, HasSubstr("filename=\"mediagw_v1.png\""));
  EXPECT_THAT(reqs[0].body, HasSubstr(ctx.input_image));
  EXPECT_THAT(reqs[0].body, HasSubstr("name=\"overwrite\"\r\n\r\ntrue"));
  EXPECT_EQ(reqs[1].target, "/prompt");
  EXPECT_THAT(reqs[1].body,
              HasSubstr(R"("image":"mediagw/mediagw_v1 (1).png")"));
  EXPECT_EQ(PromptIdIn(reqs[1].body), "pid-video");
}

TEST_F(ComfyFakeTest, RefusedUploadIsNotRetriedAndQueuesNothing) {
  ComfyUiOptions o;
  o.base_urls = {Base(up_)};
  o.templates = {{"video", ReadWorkflow("video")}};
  o.use_websocket = false;
  auto p = NewComfyUiProvider(std::move(o), &http_);
  ASSERT_TRUE(p.ok()) << p.status();
  up_.SetHandler([](const RecordedRequest&) {
    return ScriptedReply::Respond(400, "400: Bad Request", {});
  });
  TaskRecord rec = MakeRecord("v2", "pid-v2", "video");
  rec.mutable_task()->set_kind(v1::TASK_KIND_VIDEO);
  SubmitContext ctx;
  ctx.input_image = "not really an image";
  auto r = SubmitSync(**p, rec, ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(IsRetryable(r.status())) << r.status();
  ASSERT_EQ(up_.RequestCount(), 1);
  EXPECT_EQ(up_.Requests()[0].target, "/upload/image");
}

TEST(ComfyOptionsTest, BadConfigurationIsInvalidArgument) {
  net::CurlMultiClient http;
  ComfyUiOptions o;
  o.base_urls = {"http://127.0.0.1:1"};
  o.templates = {{"bad", R"({"workflow": {}, "slots": {}})"}};
  EXPECT_EQ(NewComfyUiProvider(o, &http).status().code(),
            absl::StatusCode::kInvalidArgument);
  o.templates = {{"default", ReadWorkflow("default")}};
  EXPECT_TRUE(NewComfyUiProvider(o, &http).ok());
  o.base_urls.clear();
  EXPECT_EQ(NewComfyUiProvider(o, &http).status().code(),
            absl::StatusCode::kInvalidArgument);
  o.base_urls = {"http://127.0.0.1:1"};
  EXPECT_EQ(NewComfyUiProvider(o, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mediagw::comfyui
