// What an operator sees of a task: its request id stored and carried on
// every lifecycle log line, finished tasks counted by workflow, channel and
// state, and the per-channel / per-workflow gauges.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/json.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "tests/core/task_service_fixture.h"

namespace mediagw {
namespace {

using namespace ::mediagw::testing;  // NOLINT: the fixture and its helpers
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

// The value of one exact series in the global registry, 0 when absent.
int64_t SeriesValue(const std::string& series) {
  for (absl::string_view line :
       absl::StrSplit(GlobalMetrics().RenderPrometheus(), '\n')) {
    if (absl::ConsumePrefix(&line, series) && absl::ConsumePrefix(&line, " ")) {
      int64_t v = 0;
      if (absl::SimpleAtoi(line, &v)) return v;
    }
  }
  return 0;
}

class TaskObservabilityTest : public TaskServiceTest {
 protected:
  void SetUp() override {
    out_ = std::tmpfile();
    ASSERT_NE(out_, nullptr);
    SetLogOutput(out_);
    SetLogFormat(LogFormat::kJson);
    limited_ = std::make_shared<FakeProvider>("prov3", &queue_);
    router_.AddChannel({"c3", limited_, 1, 1});  // one task at a time
    WorkflowInfo wf;
    wf.name = "limited";
    wf.deadline = absl::Minutes(10);
    router_.AddWorkflow(wf, {"c3"});
  }
  void TearDown() override {
    SetLogOutput(nullptr);
    SetLogFormat(LogFormat::kText);
    std::fclose(out_);
  }

  // Every line written so far, parsed; fails the test on a line that is not
  // one JSON object.
  std::vector<rapidjson::Document> Lines() {
    std::fflush(out_);
    std::rewind(out_);
    std::string all;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), out_)) > 0) all.append(buf, n);
    std::vector<rapidjson::Document> out;
    for (absl::string_view line : absl::StrSplit(all, '\n', absl::SkipEmpty())) {
      auto doc = json::ParseObject(line);
      EXPECT_TRUE(doc.ok()) << line;
      if (doc.ok()) out.push_back(*std::move(doc));
    }
    return out;
  }

  // msg of every line about task `id`, with `field` of each.
  std::vector<std::pair<std::string, std::string>> TaskLines(
      const std::string& id, const std::string& field) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& doc : Lines()) {
      auto task = json::GetOptString(doc, "task_id");
      if (!task.ok() || *task != id) continue;
      auto value = json::GetOptString(doc, field);
      out.emplace_back(*json::GetString(doc, "msg"),
                       value.ok() && *value ? **value : "<none>");
    }
    return out;
  }

  std::FILE* out_ = nullptr;
  std::shared_ptr<FakeProvider> limited_;
};

TEST_F(TaskObservabilityTest, RequestIdIsStoredAndOnEveryLifecycleLine) {
  Init();
  v1::SubmitImageRequest req;
  req.set_prompt("a cat");
  auto t = SubmitRaw(req, Caller{"alice", "req-42"});
  ASSERT_TRUE(t.ok()) << t.status();
  const std::string id = t->id();
  EXPECT_EQ(Stored(id).request_id(), "req-42");
  p1_->ScriptPoll(id, Running(0.5));
  p1_->ScriptPoll(id, Succeeded("http://up.test/view?f=1.png"));
  AdvanceAndPump(absl::Seconds(1));
  AdvanceAndPump(absl::Seconds(1));
  ASSERT_EQ(StateOf(id), v1::TASK_STATE_SUCCEEDED);

  EXPECT_THAT(TaskLines(id, "request_id"),
              ElementsAre(Pair("task submitted", "req-42"),
                          Pair("task sent to channel", "req-42"),
                          Pair("upstream id assigned", "req-42"),
                          Pair("task state changed", "req-42"),
                          Pair("task state changed", "req-42"),
                          Pair("task finished", "req-42")));
  EXPECT_THAT(TaskLines(id, "state"),
              ElementsAre(Pair("task submitted", "TASK_STATE_PENDING"),
                          Pair("task sent to channel", "TASK_STATE_SUBMITTING"),
                          Pair("upstream id assigned", "TASK_STATE_QUEUED"),
                          Pair("task state changed", "TASK_STATE_RUNNING"),
                          Pair("task state changed", "TASK_STATE_FINALIZING"),
                          Pair("task finished", "TASK_STATE_SUCCEEDED")));
  auto channels = TaskLines(id, "channel");
  ASSERT_EQ(channels.size(), 6u);
  EXPECT_EQ(channels[1].second, "c1");
  auto upstream = TaskLines(id, "upstream_id");
  EXPECT_EQ(upstream[2].second, "up-" + id);
  for (const auto& [msg, wf] : TaskLines(id, "workflow")) {
    EXPECT_EQ(wf, "default") << msg;
  }
}

TEST_F(TaskObservabilityTest, TheOutcomeCarriesItsReason) {
  Init();
  std::string id = Submit().id();
  p1_->ScriptPoll(id, WithState(UpstreamState::kFailed,
                                absl::InternalError("CUDA out of memory")));
  AdvanceAndPump(absl::Seconds(1));
  ASSERT_EQ(StateOf(id), v1::TASK_STATE_FAILED);
  auto reasons = TaskLines(id, "reason");
  ASSERT_FALSE(reasons.empty());
  EXPECT_THAT(reasons.back(), Pair("task finished", "CUDA out of memory"));
  EXPECT_THAT(TaskLines(id, "code").back(), Pair("task finished", "INTERNAL"));
  // No request id was given: the field is there, empty.
  EXPECT_THAT(TaskLines(id, "request_id").back(), Pair("task finished", ""));
}

TEST_F(TaskObservabilityTest, FinishedTasksAreCountedByWorkflowChannelState) {
  const std::string ok =
      "mediagw_tasks_finished_total{workflow=\"multi\",channel=\"c1\","
      "state=\"TASK_STATE_SUCCEEDED\"}";
  const std::string failed =
      "mediagw_tasks_finished_total{workflow=\"multi\",channel=\"c1\","
      "state=\"TASK_STATE_FAILED\"}";
  const int64_t ok0 = SeriesValue(ok);
  const int64_t failed0 = SeriesValue(failed);
  Init();
  std::string a = Submit("multi").id();
  std::string b = Submit("multi").id();
  p1_->ScriptPoll(a, Succeeded("http://up.test/a.png"));
  p1_->ScriptPoll(b, WithState(UpstreamState::kFailed,
                               absl::InternalError("boom")));
  AdvanceAndPump(absl::Seconds(1));
  EXPECT_EQ(SeriesValue(ok) - ok0, 1);
  EXPECT_EQ(SeriesValue(failed) - failed0, 1);
}

TEST_F(TaskObservabilityTest, ChannelAndWaitingGauges) {
  Init();
  std::string first = Submit("limited").id();
  std::string second = Submit("limited").id();
  std::string other = Submit("default").id();
  EXPECT_EQ(StateOf(first), v1::TASK_STATE_QUEUED);
  EXPECT_EQ(StateOf(second), v1::TASK_STATE_PENDING);
  EXPECT_THAT(dispatcher_->ChannelActiveCounts(),
              UnorderedElementsAre(Pair("c1", 1), Pair("c3", 1)));
  EXPECT_THAT(dispatcher_->WaitingForChannelCounts(),
              ElementsAre(Pair("limited", 1)));

  // Rendered through the registry as the server registers them.
  MetricsRegistry registry;
  dispatcher_->RegisterMetrics(registry);
  std::string text = registry.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("# TYPE mediagw_channel_active_tasks gauge\n"
                              "mediagw_channel_active_tasks{channel=\"c1\"} 1\n"
                              "mediagw_channel_active_tasks{channel=\"c3\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("mediagw_workflow_waiting_tasks{workflow="
                              "\"limited\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("mediagw_active_tasks 3\n"));

  ASSERT_TRUE(Cancel(second).ok());
  EXPECT_THAT(dispatcher_->WaitingForChannelCounts(),
              ElementsAre(Pair("limited", 0)));
  limited_->ScriptPoll(first, Succeeded("http://up.test/1.png"));
  p1_->ScriptPoll(other, Succeeded("http://up.test/2.png"));
  AdvanceAndPump(absl::Seconds(1));
  EXPECT_THAT(dispatcher_->ChannelActiveCounts(),
              UnorderedElementsAre(Pair("c1", 0), Pair("c3", 0)));
}

}  // namespace
}  // namespace mediagw
