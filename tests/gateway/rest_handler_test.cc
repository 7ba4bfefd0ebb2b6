// The native REST surface through the gateway's route table, against a mock
// of the core: what each route makes of a request, each answer in the REST
// envelope, and the event stream's order, resume, heartbeat and collapse.
#include "gateway/rest_handler.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "common/crypto.h"
#include "common/thread_pool.h"
#include "gateway/gateway.h"
#include "gateway/rest_codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/fakes.h"
#include "tests/fakes/mock_task_service.h"
#include "tests/gateway/recording_writer.h"

namespace mediagw::gateway {
namespace {

using ::testing::_;
using ::testing::HasSubstr;
using ::testing::Invoke;
using ::testing::StrictMock;
using ::mediagw::testing_util::MockTaskService;
using testing_util::RecordingWriter;

constexpr char kKey[] = "sk-good";

net::ServerRequest Request(const std::string& method, const std::string& path,
                           std::string body = "", HttpHeaders headers = {},
                           const std::string& query = "") {
  net::ServerRequest req;
  req.method = method;
  req.path = path;
  req.query = query;
  req.target = query.empty() ? path : path + "?" + query;
  req.body = std::move(body);
  req.headers = std::move(headers);
  req.headers.emplace_back("x-api-key", kKey);
  return req;
}

v1::Task TaskAt(v1::TaskState state, int64_t version, double progress = 0) {
  v1::Task t;
  t.set_id("t-1");
  t.set_state(state);
  t.set_version(version);
  t.set_progress(progress);
  return t;
}

class FakeWatch : public TaskWatch {
 public:
  void Stop() override { stopped = true; }
  std::atomic<bool> stopped{false};
};

class RestHandlerTest : public ::testing::Test {
 protected:
  std::shared_ptr<RecordingWriter> Start(net::ServerRequest req) {
    auto writer = std::make_shared<RecordingWriter>();
    if (auto refused = gateway_.CheckHead(req)) {
      writer->Send(*refused);
      return writer;
    }
    gateway_.Handle(std::move(req), writer);
    return writer;
  }
  net::ServerResponse Call(net::ServerRequest req) {
    auto resp = Start(std::move(req))->response();
    EXPECT_TRUE(resp.has_value()) << "no answer";
    return resp.value_or(net::ServerResponse{});
  }
  // Expects one Watch of t-1 and keeps its callbacks.
  void ExpectWatch() {
    EXPECT_CALL(tasks_, Watch(_, "t-1", _, _))
        .WillOnce(Invoke([this](const Caller& caller, const std::string&,
                                std::function<void(const v1::Task&)> ev,
                                std::function<void(absl::Status)> err) {
          EXPECT_EQ(caller.key_name, "backend");
          on_event_ = std::move(ev);
          on_error_ = std::move(err);
          return watch_;
        }));
  }
  std::string Event(const v1::Task& t) { return EncodeTaskEvent(t); }

  StrictMock<MockTaskService> tasks_;
  Authenticator auth_{{{"backend", Sha256Hex(kKey)}}};
  testing::FakeBlobStore blobs_;
  testing::ManualQueue pool_;
  UploadsHandler uploads_{&blobs_, &pool_};
  FakeClock clock_;
  testing::ManualScheduler scheduler_{&clock_};
  Gateway gateway_{Gateway::Deps{&tasks_, &auth_, &uploads_, nullptr,
                                 std::nullopt, &scheduler_,
                                 absl::Seconds(15)}};
  std::shared_ptr<FakeWatch> watch_ = std::make_shared<FakeWatch>();
  std::function<void(const v1::Task&)> on_event_;
  std::function<void(absl::Status)> on_error_;
};

TEST_F(RestHandlerTest, SubmitsEitherKindWithTheIdempotencyKeyHeader) {
  EXPECT_CALL(tasks_, SubmitImage(_, _, _))
      .WillOnce(Invoke([](const Caller& caller, v1::SubmitImageRequest req,
                          TaskService::Callback<v1::Task> done) {
        EXPECT_EQ(caller.key_name, "backend");
        EXPECT_EQ(req.prompt(), "a cat");
        EXPECT_EQ(req.idempotency_key(), "k-1");  // the header wins
        done(TaskAt(v1::TASK_STATE_PENDING, 1));
      }));
  auto image = Call(Request(
      "POST", "/v1/tasks",
      R"({"image":{"prompt":"a cat","idempotencyKey":"body-key"}})",
      {{"idempotency-key", "k-1"}}));
  EXPECT_EQ(image.status, 200);
  EXPECT_EQ(image.body, EncodeTask(TaskAt(v1::TASK_STATE_PENDING, 1)));

  EXPECT_CALL(tasks_, SubmitVideo(_, _, _))
      .WillOnce(Invoke([](const Caller&, v1::SubmitVideoRequest req,
                          TaskService::Callback<v1::Task> done) {
        EXPECT_EQ(req.image(), "https://example.com/a.png");
        EXPECT_EQ(req.idempotency_key(), "body-key");
        done(absl::AlreadyExistsError(
            "Idempotency key was already used for a different request"));
      }));
  auto video = Call(Request(
      "POST", "/v1/tasks",
      R"({"video":{"prompt":"p","image":"https://example.com/a.png","idempotency_key":"body-key"}})"));
  EXPECT_EQ(video.status, 409);
  EXPECT_THAT(video.body, HasSubstr(R"("status":"ALREADY_EXISTS")"));
}

TEST_F(RestHandlerTest, RefusalsUseTheRestEnvelope) {
  auto bad = Call(Request("POST", "/v1/tasks", R"({"audio":{}})"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr(R"({"error":{"code":400,"message":)"));

  net::ServerRequest no_key;
  no_key.method = "POST";
  no_key.path = "/v1/tasks";
  auto unauth = Call(no_key);
  EXPECT_EQ(unauth.status, 401);
  EXPECT_EQ(unauth.body, EncodeRestError(absl::UnauthenticatedError(
                             "Missing API key")));

  auto method = Call(Request("DELETE", "/v1/tasks/t-1"));
  EXPECT_EQ(method.status, 405);
  EXPECT_THAT(method.body, HasSubstr(R"("code":405)"));

  auto resume = Call(Request("GET", "/v1/tasks/t-1/events", "",
                             {{"last-event-id", "x"}}));
  EXPECT_EQ(resume.status, 400);
  EXPECT_THAT(resume.body, HasSubstr("Last-Event-ID"));
}

TEST_F(RestHandlerTest, GetCancelAndListPassTheirArguments) {
  EXPECT_CALL(tasks_, GetTask(_, "t-1", _))
      .WillOnce(Invoke([](const Caller&, const std::string&,
                          TaskService::Callback<v1::Task> done) {
        done(absl::NotFoundError("task not found: t-1"));
      }));
  auto got = Call(Request("GET", "/v1/tasks/t-1"));
  EXPECT_EQ(got.status, 404);
  EXPECT_THAT(got.body, HasSubstr(R"("status":"NOT_FOUND")"));

  EXPECT_CALL(tasks_, CancelTask(_, "t-1", _))
      .WillOnce(Invoke([](const Caller&, const std::string&,
                          TaskService::Callback<v1::Task> done) {
        done(TaskAt(v1::TASK_STATE_CANCELED, 3));
      }));
  auto canceled = Call(Request("POST", "/v1/tasks/t-1/cancel"));
  EXPECT_EQ(canceled.status, 200);
  EXPECT_THAT(canceled.body, HasSubstr("TASK_STATE_CANCELED"));

  EXPECT_CALL(tasks_, ListTasks(_, _, _))
      .WillOnce(Invoke([](const Caller&, v1::ListTasksRequest req,
                          TaskService::Callback<v1::ListTasksResponse> done) {
        EXPECT_EQ(req.page_size(), 2);
        EXPECT_EQ(req.page_token(), "c1");
        ASSERT_EQ(req.states_size(), 1);
        EXPECT_EQ(req.states(0), v1::TASK_STATE_RUNNING);
        v1::ListTasksResponse page;
        *page.add_tasks() = TaskAt(v1::TASK_STATE_RUNNING, 2);
        page.set_next_page_token("c2");
        done(page);
      }));
  auto list = Call(Request("GET", "/v1/tasks", "", {},
                           "page_size=2&page_token=c1&state=running"));
  EXPECT_EQ(list.status, 200);
  EXPECT_THAT(list.body, HasSubstr(R"("nextPageToken":"c2")"));
}

TEST_F(RestHandlerTest, EventsStartWithTheSnapshotAndEndAfterTheTerminal) {
  ExpectWatch();
  auto w = Start(Request("GET", "/v1/tasks/t-1/events"));
  EXPECT_FALSE(w->response().has_value());  // nothing before the snapshot
  const v1::Task snap = TaskAt(v1::TASK_STATE_RUNNING, 3, 0.5);
  on_event_(snap);
  ASSERT_TRUE(w->response().has_value());
  EXPECT_EQ(w->response()->status, 200);
  EXPECT_THAT(w->response()->headers,
              ::testing::Contains(std::pair<std::string, std::string>(
                  "Content-Type", "text/event-stream")));
  EXPECT_EQ(w->body(), Event(snap));
  w->CompleteWrites();
  const v1::Task done = TaskAt(v1::TASK_STATE_SUCCEEDED, 4, 1);
  on_event_(done);
  EXPECT_EQ(w->body(), Event(snap) + Event(done));
  EXPECT_TRUE(w->ended());
  // Nothing after the end.
  on_event_(TaskAt(v1::TASK_STATE_SUCCEEDED, 5, 1));
  EXPECT_EQ(w->body(), Event(snap) + Event(done));
  w->Close();
  EXPECT_TRUE(watch_->stopped);
}

TEST_F(RestHandlerTest, ASlowReadersBacklogCollapsesToTheLatest) {
  ExpectWatch();
  auto w = Start(Request("GET", "/v1/tasks/t-1/events"));
  const v1::Task first = TaskAt(v1::TASK_STATE_RUNNING, 2, 0.1);
  on_event_(first);
  // The reader takes nothing while four changes come in.
  for (int v = 3; v <= 6; ++v) {
    on_event_(TaskAt(v1::TASK_STATE_RUNNING, v, v / 10.0));
  }
  EXPECT_EQ(w->body(), Event(first));
  EXPECT_EQ(w->CompleteWrites(), 1);
  const v1::Task latest = TaskAt(v1::TASK_STATE_RUNNING, 6, 0.6);
  EXPECT_EQ(w->body(), Event(first) + Event(latest));
  // A terminal state waiting behind a slow write still goes out, last.
  const v1::Task failed = TaskAt(v1::TASK_STATE_FAILED, 7, 0.6);
  on_event_(failed);
  EXPECT_FALSE(w->ended());
  w->CompleteWrites();
  EXPECT_EQ(w->body(), Event(first) + Event(latest) + Event(failed));
  EXPECT_TRUE(w->ended());
  w->Close();
}

TEST_F(RestHandlerTest, ResumeSkipsWhatTheClientSawAndEndsWith204IfDone) {
  ExpectWatch();
  auto w = Start(Request("GET", "/v1/tasks/t-1/events", "",
                         {{"last-event-id", "5"}}));
  on_event_(TaskAt(v1::TASK_STATE_RUNNING, 5, 0.5));  // seen: skipped
  ASSERT_TRUE(w->response().has_value());
  EXPECT_EQ(w->response()->status, 200);
  EXPECT_EQ(w->body(), "");
  const v1::Task next = TaskAt(v1::TASK_STATE_SUCCEEDED, 6, 1);
  on_event_(next);
  EXPECT_EQ(w->body(), Event(next));
  EXPECT_TRUE(w->ended());

  // The client had the terminal state already: 204, no stream.
  watch_ = std::make_shared<FakeWatch>();
  ExpectWatch();
  auto again = Start(Request("GET", "/v1/tasks/t-1/events", "",
                             {{"last-event-id", "6"}}));
  on_event_(TaskAt(v1::TASK_STATE_SUCCEEDED, 6, 1));
  ASSERT_TRUE(again->response().has_value());
  EXPECT_EQ(again->response()->status, 204);
  EXPECT_EQ(again->body(), "");
  w->Close();
  again->Close();
}

TEST_F(RestHandlerTest, UnknownTaskIs404AndHeartbeatsKeepTheStreamAlive) {
  ExpectWatch();
  auto missing = Start(Request("GET", "/v1/tasks/t-1/events"));
  on_error_(absl::NotFoundError("task not found: t-1"));
  ASSERT_TRUE(missing->response().has_value());
  EXPECT_EQ(missing->response()->status, 404);
  EXPECT_THAT(missing->body(), HasSubstr(R"("status":"NOT_FOUND")"));
  EXPECT_EQ(scheduler_.Pending(), 0u);
  missing->Close();

  watch_ = std::make_shared<FakeWatch>();
  ExpectWatch();
  auto w = Start(Request("GET", "/v1/tasks/t-1/events"));
  const v1::Task snap = TaskAt(v1::TASK_STATE_QUEUED, 2);
  on_event_(snap);
  clock_.Advance(absl::Seconds(15));
  scheduler_.FireDue();
  // The snapshot is still being written: no heartbeat piles up behind it.
  EXPECT_EQ(w->body(), Event(snap));
  w->CompleteWrites();
  clock_.Advance(absl::Seconds(15));
  scheduler_.FireDue();
  EXPECT_EQ(w->body(), Event(snap) + std::string(kSseHeartbeat));
  w->CompleteWrites();
  // The peer leaves: the watch stops and no timer is left.
  w->Close();
  EXPECT_TRUE(watch_->stopped);
  EXPECT_EQ(scheduler_.Pending(), 0u);
}

}  // namespace
}  // namespace mediagw::gateway
