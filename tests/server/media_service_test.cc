// The gRPC adapter (MediaServiceImpl) against a mock of the core, behind a
// real in-process gRPC server on 127.0.0.1:0 and a generated client: what
// each method makes of a call and how each answer of the core comes out as
// a gRPC status. No store or provider.
#include "server/media_service.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "common/config.h"
#include "common/crypto.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/grpc_server.h"
#include "tests/fakes/mock_task_service.h"

namespace mediagw {
namespace {

using ::mediagw::testing_util::MockTaskService;
using ::testing::_;
using ::testing::Invoke;
using ::testing::StrictMock;

constexpr char kKey[] = "sk-grpc";

class FakeWatch : public TaskWatch {
 public:
  void Stop() override { stopped.Notify(); }
  absl::Notification stopped;
};

class MediaServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The shipped defaults of every gRPC limit, as the server runs them.
    auto cfg = ParseConfig(R"({
      "api_keys": [{"name": "backend", "key_env": "UNUSED"}],
      "channels": [{"name": "c", "provider": "comfyui",
                    "base_urls": ["http://127.0.0.1:1"]}],
      "workflows": [{"name": "default", "channels": ["c"],
                     "template_file": "t.json"}]})",
                           ".");
    ASSERT_TRUE(cfg.ok()) << cfg.status();
    auto running = StartGrpcServer("127.0.0.1:0", {&service_},
                                   cfg->config.server().grpc_limits());
    ASSERT_TRUE(running.ok()) << running.status();
    server_ = std::move(*running);
    stub_ = v1::MediaService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_.port),
        grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    server_.server->Shutdown(std::chrono::system_clock::now() +
                             std::chrono::seconds(2));
  }
  void Key(grpc::ClientContext* ctx) { ctx->AddMetadata("x-api-key", kKey); }

  StrictMock<MockTaskService> tasks_;
  Authenticator auth_{{{"backend", Sha256Hex(kKey)}}};
  MediaServiceImpl service_{&tasks_, &auth_};
  RunningGrpcServer server_;
  std::unique_ptr<v1::MediaService::Stub> stub_;
};

TEST_F(MediaServiceTest, SubmitImagePassesTheRequestAndReturnsTheTask) {
  EXPECT_CALL(tasks_, SubmitImage(_, _, _))
      .WillOnce(Invoke([](const Caller& caller, v1::SubmitImageRequest req,
                          TaskService::Callback<v1::Task> done) {
        EXPECT_EQ(caller.key_name, "backend");
        EXPECT_EQ(req.prompt(), "a cat");
        EXPECT_EQ(req.n(), 2);
        v1::Task t;
        t.set_id("t-1");
        t.set_state(v1::TASK_STATE_PENDING);
        done(t);
      }));
  grpc::ClientContext ctx;
  Key(&ctx);
  v1::SubmitImageRequest req;
  req.set_prompt("a cat");
  req.set_n(2);
  v1::Task task;
  ASSERT_TRUE(stub_->SubmitImage(&ctx, req, &task).ok());
  EXPECT_EQ(task.id(), "t-1");
  EXPECT_EQ(task.state(), v1::TASK_STATE_PENDING);
}

TEST_F(MediaServiceTest, CoreErrorsBecomeTheirGrpcCodes) {
  const std::vector<std::pair<absl::Status, grpc::StatusCode>> cases = {
      {absl::InvalidArgumentError("height must be between 16 and 2048"),
       grpc::StatusCode::INVALID_ARGUMENT},
      {absl::NotFoundError("task not found: x"), grpc::StatusCode::NOT_FOUND},
      {absl::AlreadyExistsError("key reused"),
       grpc::StatusCode::ALREADY_EXISTS},
      {absl::FailedPreconditionError("task already finished"),
       grpc::StatusCode::FAILED_PRECONDITION},
      {absl::UnavailableError("store busy"), grpc::StatusCode::UNAVAILABLE},
  };
  for (const auto& c : cases) {
    const absl::Status status = c.first;
    const grpc::StatusCode code = c.second;
    EXPECT_CALL(tasks_, CancelTask(_, "t-2", _))
        .WillOnce(Invoke([status](const Caller&, const std::string&,
                                  TaskService::Callback<v1::Task> done) {
          done(status);
        }));
    grpc::ClientContext ctx;
    Key(&ctx);
    v1::CancelTaskRequest req;
    req.set_id("t-2");
    v1::Task task;
    grpc::Status st = stub_->CancelTask(&ctx, req, &task);
    EXPECT_EQ(st.error_code(), code) << status;
    EXPECT_EQ(st.error_message(), status.message());
  }
}

TEST_F(MediaServiceTest, GetAccountWithoutAccountsIsUnimplemented) {
  grpc::ClientContext ctx;
  Key(&ctx);
  v1::Account account;
  EXPECT_EQ(stub_->GetAccount(&ctx, v1::GetAccountRequest(), &account)
                .error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  grpc::ClientContext no_key;
  EXPECT_EQ(stub_->GetAccount(&no_key, v1::GetAccountRequest(), &account)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(MediaServiceTest, CallsWithoutAGoodKeyNeverReachTheCore) {
  v1::GetTaskRequest req;
  req.set_id("t-3");
  v1::Task task;
  {
    grpc::ClientContext ctx;
    EXPECT_EQ(stub_->GetTask(&ctx, req, &task).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer sk-wrong");
    EXPECT_EQ(stub_->GetTask(&ctx, req, &task).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
}

TEST_F(MediaServiceTest, ListTasksPassesPagingAndReturnsThePage) {
  EXPECT_CALL(tasks_, ListTasks(_, _, _))
      .WillOnce(Invoke([](const Caller&, v1::ListTasksRequest req,
                          TaskService::Callback<v1::ListTasksResponse> done) {
        EXPECT_EQ(req.page_size(), 7);
        EXPECT_EQ(req.page_token(), "tok");
        v1::ListTasksResponse resp;
        resp.add_tasks()->set_id("a");
        resp.set_next_page_token("next");
        done(resp);
      }));
  grpc::ClientContext ctx;
  Key(&ctx);
  v1::ListTasksRequest req;
  req.set_page_size(7);
  req.set_page_token("tok");
  v1::ListTasksResponse resp;
  ASSERT_TRUE(stub_->ListTasks(&ctx, req, &resp).ok());
  ASSERT_EQ(resp.tasks_size(), 1);
  EXPECT_EQ(resp.next_page_token(), "next");
}

TEST_F(MediaServiceTest, StreamTaskSendsEventsUntilATerminalStateThenStops) {
  auto watch = std::make_shared<FakeWatch>();
  EXPECT_CALL(tasks_, Watch(_, "t-4", _, _))
      .WillOnce(Invoke([watch](const Caller&, const std::string&,
                               std::function<void(const v1::Task&)> on_event,
                               std::function<void(absl::Status)>) {
        for (auto state : {v1::TASK_STATE_PENDING, v1::TASK_STATE_RUNNING,
                           v1::TASK_STATE_SUCCEEDED}) {
          v1::Task t;
          t.set_id("t-4");
          t.set_state(state);
          on_event(t);
        }
        return watch;
      }));
  grpc::ClientContext ctx;
  Key(&ctx);
  v1::StreamTaskRequest req;
  req.set_id("t-4");
  auto reader = stub_->StreamTask(&ctx, req);
  std::vector<v1::TaskState> seen;
  v1::TaskEvent ev;
  while (reader->Read(&ev)) seen.push_back(ev.task().state());
  EXPECT_TRUE(reader->Finish().ok());
  // The snapshot first and the terminal state last; what came between
  // while a write was in flight may have collapsed into the latest.
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen.front(), v1::TASK_STATE_PENDING);
  EXPECT_EQ(seen.back(), v1::TASK_STATE_SUCCEEDED);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_TRUE(watch->stopped.WaitForNotificationWithTimeout(absl::Seconds(5)));
}

TEST_F(MediaServiceTest, StreamTaskErrorFinishesTheStream) {
  EXPECT_CALL(tasks_, Watch(_, "gone", _, _))
      .WillOnce(Invoke([](const Caller&, const std::string&,
                          std::function<void(const v1::Task&)>,
                          std::function<void(absl::Status)> on_error) {
        on_error(absl::NotFoundError("task not found: gone"));
        return std::make_shared<FakeWatch>();
      }));
  grpc::ClientContext ctx;
  Key(&ctx);
  v1::StreamTaskRequest req;
  req.set_id("gone");
  auto reader = stub_->StreamTask(&ctx, req);
  v1::TaskEvent ev;
  EXPECT_FALSE(reader->Read(&ev));
  grpc::Status st = reader->Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(st.error_message(), "task not found: gone");
}

}  // namespace
}  // namespace mediagw
