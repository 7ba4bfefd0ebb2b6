// The OpenAI- and kie-compatible surfaces over a mock of the core: what
// each route submits, how a synchronous OpenAI reply waits for the task
// (watch, timer, client gone), and each answer's shape and headers.
#include <memory>
#include <string>
#include <utility>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/json.h"
#include "gateway/gateway.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/fakes.h"
#include "tests/fakes/mock_task_service.h"
#include "tests/gateway/recording_writer.h"

namespace mediagw::gateway {
namespace {

using ::mediagw::testing_util::MockTaskService;
using ::testing::_;
using ::testing::HasSubstr;
using ::testing::Invoke;
using ::testing::StrictMock;
using testing_util::RecordingWriter;

constexpr char kKey[] = "sk-good";

class CountingWatch : public TaskWatch {
 public:
  void Stop() override { ++stops; }
  int stops = 0;
};

// Keeps the close hook so a test can play the client going away.
class ClosableWriter : public RecordingWriter {
 public:
  void OnClose(std::function<void()> fn) override {
    absl::MutexLock l(&mu_);
    on_close_ = std::move(fn);
  }
  void Close() {
    std::function<void()> fn;
    {
      absl::MutexLock l(&mu_);
      fn = std::move(on_close_);
    }
    if (fn) fn();
  }

 private:
  absl::Mutex mu_;
  std::function<void()> on_close_ ABSL_GUARDED_BY(mu_);
};

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
  if (req.headers.empty()) {
    req.headers.emplace_back("authorization", std::string("Bearer ") + kKey);
  }
  return req;
}

std::string Header(const net::ServerResponse& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "";
}

v1::Task TaskIn(const std::string& id, v1::TaskState state) {
  v1::Task t;
  t.set_id(id);
  t.set_state(state);
  t.set_workflow("grok-imagine");
  t.mutable_create_time()->set_seconds(1700000000);
  return t;
}

class CompatHandlersTest : public ::testing::Test {
 protected:
  static Gateway::Deps::Compat MakeCompat(Scheduler* timers, BlobStore* blobs,
                                          Executor* pool) {
    Gateway::Deps::Compat c;
    c.timers = timers;
    c.blobs = blobs;
    c.blob_pool = pool;
    c.openai.models = ModelTable({{"grok-imagine-image", "grok-imagine",
                                   "grok-imagine-image", false},
                                  {"sdxl", "default", "", false}});
    c.openai.sync_timeout = absl::Seconds(300);
    c.openai.max_b64_bytes = 64;
    c.kie_models = ModelTable({{"grok-imagine/text-to-image", "kie-grok", "",
                                false},
                               {"grok-imagine/image-to-video", "kie-video",
                                "", true}});
    return c;
  }

  // Sends the request; the writer keeps whatever is answered later.
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
    auto writer = Start(std::move(req));
    auto resp = writer->response();
    EXPECT_TRUE(resp.has_value()) << "no answer";
    return resp.value_or(net::ServerResponse{});
  }

  // Expects one image submit, answers it with a stored PENDING task, and
  // captures the watch the handler then opens.
  void ExpectSubmitAndWatch(v1::SubmitImageRequest* seen = nullptr) {
    EXPECT_CALL(tasks_, SubmitImage(_, _, _))
        .WillOnce(Invoke([seen](const Caller& caller, v1::SubmitImageRequest r,
                                TaskService::Callback<v1::Task> done) {
          EXPECT_EQ(caller.key_name, "backend");
          if (seen != nullptr) *seen = r;
          done(TaskIn("t-1", v1::TASK_STATE_PENDING));
        }));
    EXPECT_CALL(tasks_, Watch(_, "t-1", _, _))
        .WillOnce(Invoke([this](const Caller&, const std::string&,
                                std::function<void(const v1::Task&)> ev,
                                std::function<void(absl::Status)> err) {
          on_event_ = std::move(ev);
          on_error_ = std::move(err);
          return watch_;
        }));
  }

  StrictMock<MockTaskService> tasks_;
  Authenticator auth_{{{"backend", Sha256Hex(kKey)}}};
  testing::FakeBlobStore blobs_;
  testing::ManualQueue pool_;
  FakeClock clock_;
  testing::ManualScheduler timers_{&clock_};
  UploadsHandler uploads_{&blobs_, &pool_};
  Gateway gateway_{Gateway::Deps{&tasks_, &auth_, &uploads_,
                                 [] { return absl::OkStatus(); },
                                 MakeCompat(&timers_, &blobs_, &pool_)}};
  std::shared_ptr<CountingWatch> watch_ = std::make_shared<CountingWatch>();
  std::function<void(const v1::Task&)> on_event_;
  std::function<void(absl::Status)> on_error_;
};

TEST_F(CompatHandlersTest, SyncReplyWaitsForTheTaskToSucceed) {
  v1::SubmitImageRequest seen;
  ExpectSubmitAndWatch(&seen);
  HttpHeaders h = {{"authorization", "Bearer sk-good"},
                   {"idempotency-key", "k-1"}};
  auto writer = Start(Request(
      "POST", "/v1/images/generations",
      R"({"model":"grok-imagine-image","prompt":"a cat","n":2})", h));
  EXPECT_EQ(seen.workflow(), "grok-imagine");
  EXPECT_EQ(seen.model(), "grok-imagine-image");
  EXPECT_EQ(seen.n(), 2);
  EXPECT_EQ(seen.idempotency_key(), "k-1");
  EXPECT_EQ(timers_.Pending(), 1u);  // the wait's deadline

  on_event_(TaskIn("t-1", v1::TASK_STATE_PENDING));
  on_event_(TaskIn("t-1", v1::TASK_STATE_RUNNING));
  EXPECT_FALSE(writer->response().has_value());
  v1::Task done = TaskIn("t-1", v1::TASK_STATE_SUCCEEDED);
  done.add_outputs()->set_uri("http://h/uploads/t-1.png");
  done.add_outputs()->set_uri("http://h/uploads/t-1_1.png");
  on_event_(done);

  auto resp = writer->response();
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body,
            R"({"created":1700000000,"data":[{"url":"http://h/uploads/t-1.png"},)"
            R"({"url":"http://h/uploads/t-1_1.png"}]})");
  EXPECT_EQ(Header(*resp, "x-should-retry"), "false");
  EXPECT_EQ(Header(*resp, "x-mediagw-task-id"), "t-1");
  EXPECT_EQ(watch_->stops, 1);
  EXPECT_EQ(timers_.Pending(), 0u);  // the deadline timer is gone
}

TEST_F(CompatHandlersTest, B64JsonReadsTheStoredOutputs) {
  ExpectSubmitAndWatch();
  ASSERT_TRUE(blobs_.Put("t-1.png", "PNGDATA").ok());
  auto writer = Start(Request(
      "POST", "/v1/images/generations",
      R"({"model":"grok-imagine-image","prompt":"a cat",
          "response_format":"b64_json "})"));
  v1::Task done = TaskIn("t-1", v1::TASK_STATE_SUCCEEDED);
  done.add_outputs()->set_uri("http://h/uploads/t-1.png");
  on_event_(done);
  EXPECT_FALSE(writer->response().has_value());  // read on the blob pool
  pool_.RunAll();
  auto resp = writer->response();
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body,
            R"({"created":1700000000,"data":[{"b64_json":"UE5HREFUQQ=="}]})");
}

TEST_F(CompatHandlersTest, B64JsonOverTheLimitIsRefusedNamingUrl) {
  ExpectSubmitAndWatch();
  ASSERT_TRUE(blobs_.Put("t-1.png", std::string(65, 'x')).ok());
  auto writer = Start(Request(
      "POST", "/v1/images/generations",
      R"({"model":"grok-imagine-image","prompt":"p",
          "response_format":"b64_json"})"));
  v1::Task done = TaskIn("t-1", v1::TASK_STATE_SUCCEEDED);
  done.add_outputs()->set_uri("http://h/uploads/t-1.png");
  on_event_(done);
  pool_.RunAll();
  auto resp = writer->response();
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->status, 500);
  EXPECT_THAT(resp->body, HasSubstr("response_format url"));
  EXPECT_EQ(Header(*resp, "x-should-retry"), "false");
}

TEST_F(CompatHandlersTest, TheWaitEndsAtItsDeadlineWhileTheTaskGoesOn) {
  ExpectSubmitAndWatch();
  auto writer = Start(Request("POST", "/v1/images/generations",
                              R"({"model":"sdxl","prompt":"p"})"));
  on_event_(TaskIn("t-1", v1::TASK_STATE_RUNNING));
  clock_.Advance(absl::Seconds(299));
  timers_.FireDue();
  EXPECT_FALSE(writer->response().has_value());
  clock_.Advance(absl::Seconds(1));
  timers_.FireDue();
  auto resp = writer->response();
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->status, 503);
  EXPECT_THAT(resp->body, HasSubstr(R"("code":"timeout")"));
  EXPECT_THAT(resp->body, HasSubstr("/v1/tasks/t-1"));
  EXPECT_EQ(Header(*resp, "x-should-retry"), "false");
  EXPECT_EQ(watch_->stops, 1);
  // A late event changes nothing.
  on_event_(TaskIn("t-1", v1::TASK_STATE_SUCCEEDED));
  EXPECT_EQ(writer->response()->status, 503);
}

TEST_F(CompatHandlersTest, AClientThatGoesAwayEndsTheWait) {
  ExpectSubmitAndWatch();
  auto writer = std::make_shared<ClosableWriter>();
  gateway_.Handle(Request("POST", "/v1/images/generations",
                          R"({"model":"sdxl","prompt":"p"})"),
                  writer);
  EXPECT_EQ(timers_.Pending(), 1u);
  writer->Close();
  // The watch and the deadline timer are gone; nothing is answered to
  // nobody, and a later event finds the wait over.
  EXPECT_EQ(watch_->stops, 1);
  EXPECT_EQ(timers_.Pending(), 0u);
  on_event_(TaskIn("t-1", v1::TASK_STATE_SUCCEEDED));
  EXPECT_FALSE(writer->response().has_value());
}

TEST_F(CompatHandlersTest, AFailedTaskAnswersInOpenAisShape) {
  ExpectSubmitAndWatch();
  auto writer = Start(Request("POST", "/v1/images/generations",
                              R"({"model":"sdxl","prompt":"p"})"));
  v1::Task failed = TaskIn("t-1", v1::TASK_STATE_FAILED);
  failed.mutable_error()->set_code("FAILED_PRECONDITION");
  failed.mutable_error()->set_message("upstream refused our key");
  on_event_(failed);
  auto resp = writer->response();
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->status, 500);
  EXPECT_EQ(resp->body,
            R"({"error":{"message":"upstream refused our key",)"
            R"("type":"server_error","param":null,"code":null}})");
  EXPECT_EQ(Header(*resp, "x-should-retry"), "false");
}

TEST_F(CompatHandlersTest, AWatchErrorAnswersIt) {
  ExpectSubmitAndWatch();
  auto writer = Start(Request("POST", "/v1/images/generations",
                              R"({"model":"sdxl","prompt":"p"})"));
  on_error_(absl::UnavailableError("store busy"));
  auto resp = writer->response();
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->status, 503);
  EXPECT_EQ(timers_.Pending(), 0u);
}

TEST_F(CompatHandlersTest, RespondAsyncAnswers202WithTheStatusUrl) {
  EXPECT_CALL(tasks_, SubmitImage(_, _, _))
      .WillOnce(Invoke([](const Caller&, v1::SubmitImageRequest,
                          TaskService::Callback<v1::Task> done) {
        done(TaskIn("t-1", v1::TASK_STATE_PENDING));
      }));
  HttpHeaders h = {{"authorization", "Bearer sk-good"},
                   {"prefer", "respond-async, wait=0"}};
  auto resp = Call(Request("POST", "/v1/images/generations",
                           R"({"model":"sdxl","prompt":"p"})", h));
  EXPECT_EQ(resp.status, 202);
  EXPECT_EQ(Header(resp, "location"), "/v1/tasks/t-1");
  EXPECT_EQ(Header(resp, "x-should-retry"), "false");
  EXPECT_THAT(resp.body, HasSubstr(R"("status_url":"/v1/tasks/t-1")"));
  EXPECT_EQ(timers_.Pending(), 0u);
}

TEST_F(CompatHandlersTest, RefusalsBeforeAnythingIsStored) {
  // Unknown model: 404 naming it, nothing submitted (StrictMock).
  auto resp = Call(Request("POST", "/v1/images/generations",
                           R"({"model":"dall-e-9","prompt":"p"})"));
  EXPECT_EQ(resp.status, 404);
  EXPECT_THAT(resp.body, HasSubstr(R"("param":"model")"));
  EXPECT_THAT(resp.body, HasSubstr(R"("code":"model_not_found")"));
  EXPECT_EQ(Header(resp, "x-should-retry"), "");

  resp = Call(Request("POST", "/v1/images/generations",
                      R"({"model":"sdxl","prompt":"p","n":11})"));
  EXPECT_EQ(resp.status, 400);
  EXPECT_THAT(resp.body, HasSubstr(R"("param":"n")"));

  resp = Call(Request("POST", "/v1/images/generations",
                      R"({"model":"sdxl","prompt":"p"})",
                      {{"authorization", "Bearer sk-bad"}}));
  EXPECT_EQ(resp.status, 401);
  EXPECT_THAT(resp.body, HasSubstr(R"("code":"invalid_api_key")"));

  resp = Call(Request("GET", "/v1/images/generations"));
  EXPECT_EQ(resp.status, 405);
  EXPECT_THAT(resp.body, HasSubstr(R"({"error":{"message")"));

  EXPECT_CALL(tasks_, SubmitImage(_, _, _))
      .WillOnce(Invoke([](const Caller&, v1::SubmitImageRequest,
                          TaskService::Callback<v1::Task> done) {
        done(absl::InvalidArgumentError(
            "prompt must be at most 10000 characters"));
      }));
  resp = Call(Request("POST", "/v1/images/generations",
                      R"({"model":"sdxl","prompt":"p"})"));
  EXPECT_EQ(resp.status, 400);
  EXPECT_THAT(resp.body, HasSubstr(R"("param":"prompt")"));
}

TEST_F(CompatHandlersTest, ModelsListTheTable) {
  auto resp = Call(Request("GET", "/v1/models"));
  EXPECT_EQ(resp.status, 200);
  EXPECT_THAT(resp.body, HasSubstr(R"("id":"grok-imagine-image")"));
  EXPECT_THAT(resp.body, HasSubstr(R"("id":"sdxl")"));
  resp = Call(Request("GET", "/v1/models/sdxl"));
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body,
            R"({"id":"sdxl","object":"model","created":0,"owned_by":"mediagw"})");
  resp = Call(Request("GET", "/v1/models/nope"));
  EXPECT_EQ(resp.status, 404);
  resp = Call(Request("GET", "/v1/models", "", {{"authorization", "Bearer x"}}));
  EXPECT_EQ(resp.status, 401);
}

TEST_F(CompatHandlersTest, KieCreateTaskSubmitsAndStoresTheCallbackUrl) {
  v1::SubmitImageRequest seen;
  EXPECT_CALL(tasks_, SubmitImage(_, _, _))
      .WillOnce(Invoke([&seen](const Caller&, v1::SubmitImageRequest r,
                               TaskService::Callback<v1::Task> done) {
        seen = r;
        done(TaskIn("t-7", v1::TASK_STATE_PENDING));
      }));
  auto resp = Call(Request(
      "POST", "/api/v1/jobs/createTask",
      R"({"model":"grok-imagine/text-to-image",
          "callBackUrl":"https://your-domain.com/api/callback",
          "input":{"prompt":"a cat","aspect_ratio":"2:3"}})"));
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body,
            R"({"code":200,"msg":"success","data":{"taskId":"t-7"}})");
  EXPECT_EQ(seen.workflow(), "kie-grok");
  EXPECT_EQ(seen.webhook_url(), "https://your-domain.com/api/callback");
  EXPECT_EQ(seen.width(), 680);
  EXPECT_EQ(seen.height(), 1024);
}

TEST_F(CompatHandlersTest, KieImageToVideoTakesTheFirstImageUrl) {
  v1::SubmitVideoRequest seen;
  EXPECT_CALL(tasks_, SubmitVideo(_, _, _))
      .WillOnce(Invoke([&seen](const Caller&, v1::SubmitVideoRequest r,
                               TaskService::Callback<v1::Task> done) {
        seen = r;
        done(TaskIn("t-8", v1::TASK_STATE_PENDING));
      }));
  auto resp = Call(Request(
      "POST", "/api/v1/jobs/createTask",
      R"({"model":"grok-imagine/image-to-video","callBackUrl":"http://h/cb",
          "input":{"prompt":"waves","image_urls":["https://h/a.png"]}})"));
  EXPECT_THAT(resp.body, HasSubstr(R"("taskId":"t-8")"));
  EXPECT_EQ(seen.image(), "https://h/a.png");
  EXPECT_EQ(seen.workflow(), "kie-video");
  EXPECT_EQ(seen.webhook_url(), "http://h/cb");

  resp = Call(Request(
      "POST", "/api/v1/jobs/createTask",
      R"({"model":"grok-imagine/image-to-video","input":{"prompt":"w"}})"));
  EXPECT_EQ(resp.status, 200);
  EXPECT_THAT(resp.body, HasSubstr(R"("code":422)"));
}

TEST_F(CompatHandlersTest, KieRefusalsAreHttp200WithTheBodyCode) {
  auto resp = Call(Request("POST", "/api/v1/jobs/createTask",
                           R"({"model":"nope","input":{"prompt":"p"}})"));
  EXPECT_EQ(resp.status, 200);
  EXPECT_THAT(resp.body, HasSubstr(R"("code":422)"));
  resp = Call(Request("POST", "/api/v1/jobs/createTask", "{}",
                      {{"authorization", "Bearer wrong"}}));
  EXPECT_EQ(resp.status, 200);
  EXPECT_THAT(resp.body, HasSubstr(R"("code":401)"));
  EXPECT_CALL(tasks_, SubmitImage(_, _, _))
      .WillOnce(Invoke([](const Caller&, v1::SubmitImageRequest,
                          TaskService::Callback<v1::Task> done) {
        done(absl::UnavailableError("the task store cannot write"));
      }));
  resp = Call(Request(
      "POST", "/api/v1/jobs/createTask",
      R"({"model":"grok-imagine/text-to-image","input":{"prompt":"p"}})"));
  EXPECT_EQ(resp.body,
            R"({"code":455,"msg":"the task store cannot write","data":null})");
}

TEST_F(CompatHandlersTest, KieRecordInfoShowsTheTaskUnderItsModelName) {
  EXPECT_CALL(tasks_, GetTask(_, "t-7", _))
      .WillOnce(Invoke([](const Caller& caller, const std::string&,
                          TaskService::Callback<v1::Task> done) {
        EXPECT_EQ(caller.key_name, "backend");
        v1::Task t = TaskIn("t-7", v1::TASK_STATE_QUEUED);
        t.set_workflow("kie-grok");
        done(t);
      }));
  auto resp = Call(Request("GET", "/api/v1/jobs/recordInfo", "", {},
                           "taskId=t-7"));
  EXPECT_EQ(resp.status, 200);
  auto doc = json::Parse(resp.body);
  ASSERT_TRUE(doc.ok()) << resp.body;
  EXPECT_STREQ((*doc)["data"]["model"].GetString(),
               "grok-imagine/text-to-image");
  EXPECT_STREQ((*doc)["data"]["state"].GetString(), "queuing");

  EXPECT_CALL(tasks_, GetTask(_, "gone", _))
      .WillOnce(Invoke([](const Caller&, const std::string&,
                          TaskService::Callback<v1::Task> done) {
        done(absl::NotFoundError("task not found: gone"));
      }));
  resp = Call(Request("GET", "/api/v1/jobs/recordInfo", "", {}, "taskId=gone"));
  EXPECT_THAT(resp.body, HasSubstr(R"("code":404)"));
  resp = Call(Request("GET", "/api/v1/jobs/recordInfo"));
  EXPECT_THAT(resp.body, HasSubstr(R"("code":422)"));
}

}  // namespace
}  // namespace mediagw::gateway
