// ComfyUI provider contract tests against the in-process provider simulator
// (tools/sim) through the real CurlMultiClient: whole job lifecycles,
// injected faults, pool balancing, resume and websocket progress.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "common/status_mapping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/curl_multi_client.h"
#include "providers/comfyui/comfyui_codec.h"
#include "providers/comfyui/comfyui_provider.h"
#include "tests/providers/comfyui/comfyui_sim_fixture.h"
#include "tests/providers/comfyui/provider_test_util.h"
#include "tools/sim/sim_server.h"

namespace mediagw::comfyui {
namespace {

using ::testing::HasSubstr;
using namespace ::mediagw::comfyui::testing;  // NOLINT: test helpers

TEST_F(ComfySimTest, HappyPathEveryTemplateYieldsPng) {
  Sim sim(absl::Milliseconds(5));
  auto p = Make({sim.base});
  for (const char* wf : {"default", "anime", "z-image"}) {
    std::string id = p->PreassignUpstreamId(MakeRecord("t", ""));
    TaskRecord rec = SubmitOk(*p, MakeRecord(absl::StrCat("t-", wf), id, wf));
    EXPECT_EQ(rec.upstream_id(), id) << wf;
    auto r = PollUntil(*p, rec, {UpstreamState::kSucceeded, UpstreamState::kFailed});
    ASSERT_TRUE(r.ok()) << wf << ": " << r.status();
    ASSERT_EQ(r->state, UpstreamState::kSucceeded) << wf << ": " << r->error;
    ASSERT_FALSE(r->outputs.empty());
    EXPECT_EQ(r->outputs[0].mime_type, "image/png");
    auto [slot, cb] = MakeSlot<absl::StatusOr<HttpResponse>>();
    http_.Send(r->outputs[0].request, cb);
    auto bytes = Await<absl::StatusOr<HttpResponse>>(
        slot, absl::DeadlineExceededError("timeout"));
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    EXPECT_EQ(bytes->status, 200);
    EXPECT_TRUE(absl::StartsWith(bytes->body, "\x89PNG\r\n\x1a\n")) << wf;
  }
  EXPECT_EQ(sim.Submitted(), 3);
}

TEST_F(ComfySimTest, InjectedHttpFaults) {
  Sim sim(absl::Milliseconds(5));
  auto p = Make({sim.base}, absl::Milliseconds(500));

  sim.Fault(sim::FaultMode::kHttp500, "/prompt");
  auto st = SubmitSync(*p, MakeRecord("t", NewUuid())).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_TRUE(IsRetryable(st));

  sim.Fault(sim::FaultMode::kMalformedJson, "/prompt");
  st = SubmitSync(*p, MakeRecord("t", NewUuid())).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("malformed upstream response"));

  sim.Fault(sim::FaultMode::kSlowBody, "/prompt", 1500);
  st = SubmitSync(*p, MakeRecord("t", NewUuid())).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kDeadlineExceeded) << st;

  sim.Fault(sim::FaultMode::kRejectPrompt, "/prompt");
  st = SubmitSync(*p, MakeRecord("t", NewUuid())).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;

  // curl silently retries a request once when a reused connection dies
  // before answering, so the drop has to happen twice to be seen.
  sim.Fault(sim::FaultMode::kDropConnection, "/prompt", 0, 2);
  st = SubmitSync(*p, MakeRecord("t", NewUuid())).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  sim.server.faults().Clear();

  // Faults are used up: the next submit goes through, and a malformed
  // /history reply is a retryable poll error.
  TaskRecord rec = SubmitOk(*p, MakeRecord("t", NewUuid()));
  sim.Fault(sim::FaultMode::kMalformedJson, "/history");
  EXPECT_EQ(PollSync(*p, rec).status().code(), absl::StatusCode::kUnavailable);
  auto r = PollUntil(*p, rec, {UpstreamState::kSucceeded});
  ASSERT_TRUE(r.ok()) << r.status();
}

TEST_F(ComfySimTest, VanishedAndFailedJobs) {
  Sim sim(absl::Milliseconds(5));
  auto p = Make({sim.base});
  sim.Fault(sim::FaultMode::kVanish);
  TaskRecord gone = SubmitOk(*p, MakeRecord("t1", NewUuid()));
  auto r = PollUntil(*p, gone, {UpstreamState::kNotFound, UpstreamState::kSucceeded});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, UpstreamState::kNotFound);

  sim.Fault(sim::FaultMode::kErrorStatus);
  TaskRecord bad = SubmitOk(*p, MakeRecord("t2", NewUuid()));
  r = PollUntil(*p, bad, {UpstreamState::kFailed, UpstreamState::kSucceeded});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, UpstreamState::kFailed);
  EXPECT_THAT(std::string(r->error.message()),
              HasSubstr("Simulated failure injected by the test harness"));
}

TEST_F(ComfySimTest, CancelPendingAndRunning) {
  Sim sim(absl::Milliseconds(40));
  auto p = Make({sim.base});
  TaskRecord running = SubmitOk(*p, MakeRecord("t1", NewUuid(), "default", 50));
  TaskRecord pending = SubmitOk(*p, MakeRecord("t2", NewUuid(), "default", 50));
  auto r = PollUntil(*p, running, {UpstreamState::kRunning});
  ASSERT_TRUE(r.ok()) << r.status();
  r = PollSync(*p, pending);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, UpstreamState::kQueued);

  EXPECT_TRUE(CancelSync(*p, pending).ok());
  r = PollSync(*p, pending);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, UpstreamState::kNotFound);  // deleted from the queue

  EXPECT_TRUE(CancelSync(*p, running).ok());
  r = PollUntil(*p, running, {UpstreamState::kFailed, UpstreamState::kSucceeded});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state, UpstreamState::kFailed);
  EXPECT_EQ(r->error.code(), absl::StatusCode::kAborted) << r->error;
  EXPECT_TRUE(CancelSync(*p, running).ok());  // finished: nothing to do
}

TEST_F(ComfySimTest, PoolAvoidsTheLongerQueue) {
  Sim busy(absl::Milliseconds(50));
  Sim idle(absl::Milliseconds(5));
  auto only_busy = Make({busy.base});
  for (int i = 0; i < 3; ++i) {
    SubmitOk(*only_busy, MakeRecord("b", NewUuid(), "default", 50));
  }
  auto pool = Make({busy.base, idle.base});
  TaskRecord rec = SubmitOk(*pool, MakeRecord("t", NewUuid()));
  EXPECT_THAT(rec.provider_state(), HasSubstr(idle.base));
  EXPECT_EQ(idle.Submitted(), 1);
  EXPECT_EQ(busy.Submitted(), 3);
}

TEST_F(ComfySimTest, ResumeFindsOrResubmitsWithSameId) {
  Sim sim(absl::Milliseconds(5));
  auto p = Make({sim.base});
  TaskRecord rec = SubmitOk(*p, MakeRecord("t1", NewUuid()));
  TaskRecord crashed = rec;
  crashed.clear_provider_state();  // as if we died before storing it
  auto r = ResumeSync(*p, crashed);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->upstream_id, rec.upstream_id());
  EXPECT_THAT(r->provider_state, HasSubstr(sim.base));
  EXPECT_EQ(sim.server.faults().Stats().requests_by_path["/prompt"], 1);
  EXPECT_EQ(sim.Submitted(), 1);

  const std::string lost_id = NewUuid();
  r = ResumeSync(*p, MakeRecord("t2", lost_id));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->upstream_id, lost_id);
  EXPECT_EQ(sim.Submitted(), 2);
  EXPECT_EQ(sim.server.faults().Stats().prompt_ids.back(), lost_id);
}

TEST_F(ComfySimTest, WebsocketProgressRises) {
  Sim sim(absl::Milliseconds(20));
  auto p = Make({sim.base});
  RecordingListener listener;
  TaskRecord rec = MakeRecord("t1", NewUuid(), "default", 10);
  rec.set_provider_state(BuildProviderState(sim.base));
  p->Watch(rec, &listener);  // connects before the job can start
  ASSERT_TRUE(listener.WaitFor([&] { return GetComfyUiStats(*p).ws_connects > 0; }));
  SubmitOk(*p, rec);
  ASSERT_TRUE(listener.WaitFor([&] { return !listener.Hints().empty() &&
                                            !listener.Progress().empty() &&
                                            listener.Progress().back().second == 1.0; }));
  auto progress = listener.Progress();
  ASSERT_GE(progress.size(), 3u);
  for (size_t i = 1; i < progress.size(); ++i) {
    EXPECT_EQ(progress[i].first, "t1");
    EXPECT_GT(progress[i].second, progress[i - 1].second);
  }
  EXPECT_EQ(GetComfyUiStats(*p).ws_malformed, 0);
  p->Unwatch("t1");
}

}  // namespace
}  // namespace mediagw::comfyui
