// The webhook visibility routes through the gateway's route table, against
// a mock of the core and an in-memory webhook store: the owner check comes
// first, store reads run on the pool (never on the request's thread),
// answers use the REST envelope, a replay wakes the sender.
#include "gateway/webhooks_handler.h"

#include <map>
#include <memory>
#include <string>

#include "common/crypto.h"
#include "gateway/gateway.h"
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

class MemoryWebhookStore : public WebhookStore {
 public:
  absl::StatusOr<std::vector<OutboxEntry>> ListDue(int64_t, int) override {
    return std::vector<OutboxEntry>{};
  }
  void RecordAttempt(AttemptRow, DoneCallback done) override {
    done(absl::UnimplementedError("not here"));
  }
  absl::StatusOr<std::optional<WebhookHistory>> History(
      const std::string& task_id, int) override {
    ++reads;
    auto it = rows.find(task_id);
    if (it == rows.end()) return std::optional<WebhookHistory>();
    return std::optional<WebhookHistory>(it->second);
  }
  void Replay(const std::string& task_id, int64_t now_us, int64_t give_up_us,
              DoneCallback done) override {
    auto it = rows.find(task_id);
    if (it == rows.end()) {
      done(absl::NotFoundError("no delivery"));
      return;
    }
    it->second.entry.state = OutboxState::kPending;
    it->second.entry.next_attempt_at_us = now_us;
    it->second.entry.row.give_up_at_us = give_up_us;
    done(absl::OkStatus());
  }
  std::map<std::string, WebhookHistory> rows;
  int reads = 0;
};

net::ServerRequest Request(const std::string& method, const std::string& path) {
  net::ServerRequest req;
  req.method = method;
  req.path = path;
  req.target = path;
  req.headers.emplace_back("x-api-key", kKey);
  return req;
}

class WebhooksHandlerTest : public ::testing::Test {
 protected:
  WebhooksHandlerTest() {
    WebhookHistory h;
    h.entry.row.id = "msg_t-1";
    h.entry.row.task_id = "t-1";
    h.entry.row.url = "https://hooks.example/x";
    h.entry.row.event = "failed";
    h.entry.state = OutboxState::kDisabled;
    AttemptRow a;
    a.status_code = 410;
    a.outcome = OutboxState::kDisabled;
    h.attempts.push_back(a);
    store_.rows["t-1"] = h;
    Gateway::Deps deps{&tasks_, &auth_, &uploads_, nullptr};
    deps.webhooks = WebhooksHandler::Deps{&tasks_, &auth_, &store_, &pool_,
                                          &clock_, [this] { ++kicks_; }};
    gateway_ = std::make_unique<Gateway>(std::move(deps));
  }

  std::shared_ptr<RecordingWriter> Start(net::ServerRequest req) {
    auto writer = std::make_shared<RecordingWriter>();
    if (auto refused = gateway_->CheckHead(req)) {
      writer->Send(*refused);
      return writer;
    }
    gateway_->Handle(std::move(req), writer);
    return writer;
  }

  void ExpectOwnTask(const std::string& id) {
    EXPECT_CALL(tasks_, GetTask(_, id, _))
        .WillOnce(Invoke([](const Caller&, const std::string& id,
                            TaskService::Callback<v1::Task> done) {
          v1::Task t;
          t.set_id(id);
          done(t);
        }));
  }

  StrictMock<MockTaskService> tasks_;
  Authenticator auth_{{{"backend", Sha256Hex(kKey)}}};
  testing::FakeBlobStore blobs_;
  testing::ManualQueue pool_;
  UploadsHandler uploads_{&blobs_, &pool_};
  FakeClock clock_;
  MemoryWebhookStore store_;
  int kicks_ = 0;
  std::unique_ptr<Gateway> gateway_;
};

TEST_F(WebhooksHandlerTest, HistoryIsReadOnThePoolAfterTheOwnerCheck) {
  ExpectOwnTask("t-1");
  auto writer = Start(Request("GET", "/v1/tasks/t-1/webhooks"));
  EXPECT_FALSE(writer->response().has_value());  // not on this thread
  EXPECT_EQ(store_.reads, 0);
  pool_.RunAll();
  auto resp = writer->response();
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->status, 200);
  EXPECT_THAT(resp->body, HasSubstr(R"("webhookId":"msg_t-1")"));
  EXPECT_THAT(resp->body, HasSubstr(R"("state":"disabled")"));
  EXPECT_THAT(resp->body, HasSubstr(R"("statusCode":410)"));

  ExpectOwnTask("t-2");
  writer = Start(Request("GET", "/v1/tasks/t-2/webhooks"));
  pool_.RunAll();
  EXPECT_THAT(writer->response()->body, HasSubstr(R"("state":"none")"));
}

TEST_F(WebhooksHandlerTest, AnotherCallersTaskIsNotFoundWithoutAStoreRead) {
  EXPECT_CALL(tasks_, GetTask(_, "t-1", _))
      .WillOnce(Invoke([](const Caller&, const std::string& id,
                          TaskService::Callback<v1::Task> done) {
        done(absl::NotFoundError("task not found: " + id));
      }));
  auto writer = Start(Request("GET", "/v1/tasks/t-1/webhooks"));
  pool_.RunAll();
  EXPECT_EQ(writer->response()->status, 404);
  EXPECT_THAT(writer->response()->body, HasSubstr(R"("status":"NOT_FOUND")"));
  EXPECT_EQ(store_.reads, 0);
  EXPECT_CALL(tasks_, GetTask(_, "t-1", _))
      .WillOnce(Invoke([](const Caller&, const std::string&,
                          TaskService::Callback<v1::Task> done) {
        done(absl::NotFoundError("task not found"));
      }));
  writer = Start(Request("POST", "/v1/tasks/t-1/webhooks/replay"));
  EXPECT_EQ(writer->response()->status, 404);
  EXPECT_EQ(store_.rows["t-1"].entry.state, OutboxState::kDisabled);
}

TEST_F(WebhooksHandlerTest, ReplayMakesTheDeliveryDueAndWakesTheSender) {
  ExpectOwnTask("t-1");
  auto writer = Start(Request("POST", "/v1/tasks/t-1/webhooks/replay"));
  pool_.RunAll();
  EXPECT_EQ(writer->response()->status, 202);
  EXPECT_THAT(writer->response()->body, HasSubstr(R"("state":"pending")"));
  EXPECT_EQ(kicks_, 1);
  const WebhookHistory& h = store_.rows["t-1"];
  EXPECT_EQ(h.entry.next_attempt_at_us, absl::ToUnixMicros(clock_.Now()));
  EXPECT_EQ(h.entry.row.give_up_at_us,
            absl::ToUnixMicros(clock_.Now() + absl::Hours(24)));

  ExpectOwnTask("t-2");
  writer = Start(Request("POST", "/v1/tasks/t-2/webhooks/replay"));
  EXPECT_EQ(writer->response()->status, 412);
  EXPECT_THAT(writer->response()->body, HasSubstr("has no webhook delivery"));
  EXPECT_EQ(kicks_, 1);
}

TEST_F(WebhooksHandlerTest, KeysAreCheckedFromTheHead) {
  net::ServerRequest req = Request("GET", "/v1/tasks/t-1/webhooks");
  req.headers.clear();
  auto writer = Start(std::move(req));
  EXPECT_EQ(writer->response()->status, 401);
  net::ServerRequest wrong = Request("PUT", "/v1/tasks/t-1/webhooks/replay");
  EXPECT_EQ(Start(std::move(wrong))->response()->status, 405);
}

}  // namespace
}  // namespace mediagw::gateway
