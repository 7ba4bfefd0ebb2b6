// End-to-end: the native REST surface (/v1/tasks and its event stream) of
// the real mediagw binary, with the simulator behind it.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/integration/e2e/harness.h"

namespace mediagw::e2e {
namespace {

const std::string kKeyHeader = std::string("x-api-key: ") + Server::kKey;

v1::Task ParseTask(const std::string& json) {
  v1::Task t;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &t).ok())
      << json;
  return t;
}

struct Event {
  int64_t id = 0;
  v1::Task task;
};

// The events of a whole text/event-stream body (comments skipped).
std::vector<Event> ParseEvents(const std::string& body) {
  std::vector<Event> out;
  for (absl::string_view block : absl::StrSplit(body, "\n\n")) {
    Event e;
    bool any = false;
    for (absl::string_view line : absl::StrSplit(block, '\n')) {
      if (absl::ConsumePrefix(&line, "id: ")) {
        EXPECT_TRUE(absl::SimpleAtoi(line, &e.id)) << line;
      } else if (absl::ConsumePrefix(&line, "data: ")) {
        e.task = ParseTask(std::string(line));
        any = true;
      }
    }
    if (any) out.push_back(std::move(e));
  }
  return out;
}

class RestE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override {
    if (!HasFailure()) std::system(("rm -rf " + dir_).c_str());
  }
  std::string dir_;
};

TEST_F(RestE2eTest, SubmitGetListCancelAndIdempotency) {
  Simulator sim(dir_);
  Server server(dir_, sim.url());
  server.Start();
  const std::string body =
      R"({"image":{"prompt":"a red fox","width":256,"height":256}})";
  auto first = Http("POST", server.rest() + "/v1/tasks", body,
                    {kKeyHeader, "Idempotency-Key: fox-1"});
  ASSERT_EQ(first.status, 200) << first.body;
  const v1::Task submitted = ParseTask(first.body);
  EXPECT_EQ(submitted.state(), v1::TASK_STATE_PENDING);
  EXPECT_EQ(submitted.version(), 1);
  // The same key and body: the same task, nothing new started.
  auto again = Http("POST", server.rest() + "/v1/tasks", body,
                    {kKeyHeader, "Idempotency-Key: fox-1"});
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(ParseTask(again.body).id(), submitted.id());
  auto other = Http("POST", server.rest() + "/v1/tasks",
                    R"({"image":{"prompt":"a blue fox"}})",
                    {kKeyHeader, "Idempotency-Key: fox-1"});
  EXPECT_EQ(other.status, 409) << other.body;
  EXPECT_TRUE(absl::StrContains(other.body, R"("status":"ALREADY_EXISTS")"));

  v1::Task done;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto r = Http("GET", server.rest() + "/v1/tasks/" + submitted.id(), "",
                      {kKeyHeader});
        if (r.status != 200) return false;
        done = ParseTask(r.body);
        return done.state() == v1::TASK_STATE_SUCCEEDED;
      },
      absl::Seconds(60)));
  EXPECT_GT(done.version(), 1);
  ASSERT_EQ(done.outputs_size(), 1);
  EXPECT_EQ(Http("GET", done.outputs(0).uri()).status, 200);

  auto list = Http("GET", server.rest() + "/v1/tasks?state=succeeded&page_size=5",
                   "", {kKeyHeader});
  ASSERT_EQ(list.status, 200) << list.body;
  v1::ListTasksResponse page;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(list.body, &page).ok());
  ASSERT_EQ(page.tasks_size(), 1);
  EXPECT_EQ(page.tasks(0).id(), submitted.id());
  auto none = Http("GET", server.rest() + "/v1/tasks?state=FAILED", "",
                   {kKeyHeader});
  ASSERT_EQ(none.status, 200);
  EXPECT_FALSE(absl::StrContains(none.body, submitted.id()));

  auto cancel = Http("POST", server.rest() + "/v1/tasks/" + submitted.id() +
                                 "/cancel", "", {kKeyHeader});
  EXPECT_EQ(cancel.status, 412) << cancel.body;  // already finished
  EXPECT_EQ(Http("GET", server.rest() + "/v1/tasks/nope", "", {kKeyHeader}).status,
            404);
  auto unauth = Http("GET", server.rest() + "/v1/tasks");
  EXPECT_EQ(unauth.status, 401);
  EXPECT_TRUE(absl::StrContains(unauth.body, R"("status":"UNAUTHENTICATED")"));
}

TEST_F(RestE2eTest, EventStreamFromSnapshotToTerminalThenResumes) {
  Simulator sim(dir_);
  Server server(dir_, sim.url());
  server.Start();
  auto submit = Http("POST", server.rest() + "/v1/tasks",
                     R"({"image":{"prompt":"waves","steps":20}})", {kKeyHeader});
  ASSERT_EQ(submit.status, 200) << submit.body;
  const std::string id = ParseTask(submit.body).id();

  // The stream ends by itself after the terminal state.
  auto stream = Http("GET", server.rest() + "/v1/tasks/" + id + "/events", "",
                     {kKeyHeader});
  ASSERT_EQ(stream.status, 200) << stream.body;
  EXPECT_TRUE(absl::StartsWith(stream.content_type, "text/event-stream"));
  auto events = ParseEvents(stream.body);
  ASSERT_GE(events.size(), 2u) << stream.body;
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].id, events[i].task.version());
    EXPECT_EQ(events[i].task.id(), id);
    if (i > 0) {
      EXPECT_GT(events[i].id, events[i - 1].id);
      EXPECT_GE(events[i].task.progress(), events[i - 1].task.progress());
    }
  }
  EXPECT_EQ(events.back().task.state(), v1::TASK_STATE_SUCCEEDED);

  // Resuming from an earlier event: only what came after it.
  const int64_t mid = events[events.size() / 2 - 1].id;
  auto resumed = Http("GET", server.rest() + "/v1/tasks/" + id + "/events", "",
                      {kKeyHeader, "Last-Event-ID: " + std::to_string(mid)});
  ASSERT_EQ(resumed.status, 200);
  auto rest = ParseEvents(resumed.body);
  ASSERT_FALSE(rest.empty());
  EXPECT_GT(rest.front().id, mid);
  EXPECT_EQ(rest.back().task.state(), v1::TASK_STATE_SUCCEEDED);
  // Resuming after the terminal event: 204, nothing to reconnect for.
  auto after = Http("GET", server.rest() + "/v1/tasks/" + id + "/events", "",
                    {kKeyHeader, "Last-Event-ID: " +
                                     std::to_string(events.back().id)});
  EXPECT_EQ(after.status, 204) << after.body;

  // Another caller's task does not exist for them.
  auto foreign = Http("GET", server.rest() + "/v1/tasks/" + id + "/events", "",
                      {std::string("x-api-key: ") + Server::kOtherKey});
  EXPECT_EQ(foreign.status, 404) << foreign.body;
}

}  // namespace
}  // namespace mediagw::e2e
