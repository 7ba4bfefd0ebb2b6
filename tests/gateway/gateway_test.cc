// The REST gateway against a mock of the core (TaskService): what each
// route makes of a request, and how each answer of the core comes out in
// the surface's own envelope. No socket, store or provider.
#include "gateway/gateway.h"

#include <memory>
#include <string>

#include "common/crypto.h"
#include "common/status_mapping.h"
#include "common/thread_pool.h"
#include "gateway/legacy_codec.h"
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
                           const std::string& query = "",
                           std::string body = "", HttpHeaders headers = {}) {
  net::ServerRequest req;
  req.method = method;
  req.path = path;
  req.query = query;
  req.target = query.empty() ? path : path + "?" + query;
  req.body = std::move(body);
  req.headers = std::move(headers);
  return req;
}

HttpHeaders WithKey() { return {{"x-api-key", kKey}}; }

v1::Task QueuedTask(const std::string& id) {
  v1::Task t;
  t.set_id(id);
  t.set_state(v1::TASK_STATE_PENDING);
  t.set_workflow("default");
  return t;
}

class GatewayTest : public ::testing::Test {
 protected:
  net::ServerResponse Call(net::ServerRequest req) {
    if (auto refused = gateway_.CheckHead(req)) return *refused;
    auto writer = std::make_shared<RecordingWriter>();
    gateway_.Handle(std::move(req), writer);
    auto resp = writer->response();
    EXPECT_TRUE(resp.has_value()) << "no answer";
    return resp.value_or(net::ServerResponse{});
  }

  StrictMock<MockTaskService> tasks_;
  Authenticator auth_{{{"backend", Sha256Hex(kKey)}}};
  testing::FakeBlobStore blobs_;
  testing::ManualQueue pool_;
  UploadsHandler uploads_{&blobs_, &pool_};
  absl::Status ready_ = absl::OkStatus();
  Gateway gateway_{Gateway::Deps{&tasks_, &auth_, &uploads_,
                                 [this] { return ready_; }}};
};

TEST_F(GatewayTest, ImageSubmitDecodesTheBodyAndAnswersQueued) {
  EXPECT_CALL(tasks_, SubmitImage(_, _, _))
      .WillOnce(Invoke([](const Caller& caller, v1::SubmitImageRequest req,
                          TaskService::Callback<v1::Task> done) {
        EXPECT_EQ(caller.key_name, "backend");
        EXPECT_EQ(req.prompt(), "a cat");
        EXPECT_EQ(req.width(), 640);
        EXPECT_EQ(req.idempotency_key(), "k-1");
        done(QueuedTask("t-1"));
      }));
  HttpHeaders headers = WithKey();
  headers.emplace_back("idempotency-key", "k-1");
  auto resp = Call(Request("POST", "/v1/index.php", "endpoint=image_generation",
                           R"({"prompt":"a cat","width":640})", headers));
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, EncodeImageQueued(QueuedTask("t-1")));
}

TEST_F(GatewayTest, EachCoreErrorKeepsTheLegacyEnvelope) {
  struct Case {
    absl::Status status;
    int http;
  };
  const Case cases[] = {
      {absl::InvalidArgumentError("width must be an integer"), 400},
      {absl::NotFoundError("task not found: x"), 404},
      {absl::AlreadyExistsError(
           "Idempotency key was already used for a different request"),
       409},
      {absl::UnavailableError("store busy"), 503},
      {WithReason(absl::UnavailableError("disk full"), Reason::kDiskFull),
       503},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.status.ToString());
    EXPECT_CALL(tasks_, SubmitVideo(_, _, _))
        .WillOnce(Invoke([&](const Caller&, v1::SubmitVideoRequest,
                             TaskService::Callback<v1::Task> done) {
          done(c.status);
        }));
    auto resp =
        Call(Request("POST", "/v1/index.php", "endpoint=video_generation",
                     R"({"prompt":"p","image":"http://h/a.png"})", WithKey()));
    EXPECT_EQ(resp.status, c.http);
    EXPECT_EQ(resp.body, EncodeError(c.status.message()));
  }
}

TEST_F(GatewayTest, TaskStatusReadsTheTaskOfTheCaller) {
  EXPECT_CALL(tasks_, GetTask(_, "t-9", _))
      .WillOnce(Invoke([](const Caller& caller, const std::string&,
                          TaskService::Callback<v1::Task> done) {
        EXPECT_EQ(caller.key_name, "backend");
        done(QueuedTask("t-9"));
      }));
  auto resp = Call(Request("GET", "/v1/index.php",
                           "endpoint=task_status&task_id=t-9", "", WithKey()));
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, EncodeTaskStatus(QueuedTask("t-9")));
}

TEST_F(GatewayTest, BadRequestsNeverReachTheCore) {
  // StrictMock: any call into the core fails the test.
  EXPECT_EQ(Call(Request("POST", "/v1/index.php", "endpoint=image_generation",
                         R"({"prompt":"x"})"))
                .status,
            401);
  auto bad_text = Call(Request("POST", "/v1/index.php",
                               "endpoint=image_generation",
                               "{\"prompt\":\"\xFF\"}", WithKey()));
  EXPECT_EQ(bad_text.status, 400);
  EXPECT_THAT(bad_text.body, HasSubstr("'prompt' is not valid UTF-8"));
  auto bad_query = Call(Request("GET", "/v1/index.php",
                                "endpoint=task_status&task_id=%FF", "",
                                WithKey()));
  EXPECT_EQ(bad_query.status, 400);
  EXPECT_EQ(bad_query.body,
            EncodeError("Query parameter 'task_id' is not valid UTF-8"));
  EXPECT_EQ(Call(Request("GET", "/v1/index.php", "endpoint=task_status", "",
                         WithKey()))
                .body,
            EncodeError("Missing task_id"));
  EXPECT_EQ(Call(Request("GET", "/v1/index.php", "endpoint=image_generation",
                         "", WithKey()))
                .status,
            405);
  auto unknown = Call(Request("POST", "/v1/index.php", "endpoint=nope", "{}",
                              WithKey()));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body, EncodeError("Unknown endpoint: nope"));
}

TEST_F(GatewayTest, UnknownPathsAndMethodsAreRefusedByTheTable) {
  auto missing = Call(Request("GET", "/nowhere"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, EncodeError("Not found"));
  auto wrong = Call(Request("DELETE", "/healthz"));
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.body, R"({"error":"Method not allowed"})");
  bool has_allow = false;
  for (const auto& [name, value] : wrong.headers) {
    if (name == "allow") {
      has_allow = true;
      EXPECT_EQ(value, "GET, HEAD");
    }
  }
  EXPECT_TRUE(has_allow);
}

TEST_F(GatewayTest, CallbacksGoToTheCoreWithTheirTaskIdAndBody) {
  EXPECT_CALL(tasks_, HandleCallback("t-5", _, _))
      .WillOnce(Invoke([](const std::string&, CallbackRequest req,
                          std::function<void(absl::Status)> done) {
        EXPECT_EQ(req.body, R"({"code":200})");
        done(absl::OkStatus());
      }))
      .WillOnce(Invoke([](const std::string&, CallbackRequest,
                          std::function<void(absl::Status)> done) {
        done(absl::UnauthenticatedError("bad signature"));
      }));
  auto ok = Call(Request("POST", "/v1/callbacks/t-5", "", R"({"code":200})"));
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, R"({"status":"ok"})");
  auto refused = Call(Request("POST", "/v1/callbacks/t-5", "", "{}"));
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.body, R"({"error":"bad signature"})");
}

TEST_F(GatewayTest, ReadinessFollowsTheReadyCheck) {
  EXPECT_EQ(Call(Request("GET", "/healthz")).body, R"({"status":"ok"})");
  EXPECT_EQ(Call(Request("GET", "/readyz")).status, 200);
  ready_ = absl::UnavailableError("store cannot write");
  auto not_ready = Call(Request("GET", "/readyz"));
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_EQ(not_ready.body, R"({"status":"store cannot write"})");
  EXPECT_EQ(Call(Request("GET", "/healthz")).status, 200);
}

}  // namespace
}  // namespace mediagw::gateway
