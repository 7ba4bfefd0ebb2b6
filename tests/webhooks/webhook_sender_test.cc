// The delivery worker end to end over loopback: the real store file, the
// real curl client behind the webhook SafeFetcher, and a scripted receiver.
// 2xx delivers, other answers retry with backoff, 410 disables the
// endpoint, redirects are not followed, refused addresses fail, and the
// per-endpoint bound holds.
#include "webhooks/webhook_sender.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/curl_multi_client.h"
#include "net/safe_fetcher.h"
#include "store/sqlite/sqlite_webhook_store.h"
#include "tests/fakes/fake_upstream.h"
#include "tests/store/sqlite/store_test_util.h"
#include "webhooks/webhook_signature.h"

namespace mediagw::webhooks {
namespace {

using fakes::FakeUpstream;
using fakes::ScriptedReply;
using ::testing::HasSubstr;
using testing_util::MakeRecord;
using testing_util::Sync;

constexpr char kSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

TEST(BackoffTest, FullJitterUnderAGrowingCap) {
  const absl::Duration base = absl::Seconds(5);
  const absl::Duration max = absl::Hours(1);
  EXPECT_EQ(Backoff(1, base, max, 0.0), absl::ZeroDuration());
  EXPECT_EQ(Backoff(1, base, max, 0.5), absl::Milliseconds(2500));
  EXPECT_EQ(Backoff(3, base, max, 0.5), absl::Seconds(10));  // cap 20 s
  EXPECT_LE(Backoff(3, base, max, 0.999999), absl::Seconds(20));
  EXPECT_EQ(Backoff(20, base, max, 0.5), absl::Minutes(30));  // capped at 1 h
  EXPECT_EQ(Backoff(1000, base, max, 0.5), absl::Minutes(30));
  EXPECT_EQ(Backoff(0, base, max, 1.0), base);  // the first wait at most
}

class WebhookSenderTest : public testing_util::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    auto store = SqliteTaskStore::Open(DbPath());
    ASSERT_TRUE(store.ok()) << store.status();
    tasks_ = std::move(*store);
    hooks_ = std::make_unique<SqliteWebhookStore>(tasks_.get());
    curl_ = std::make_unique<net::CurlMultiClient>(
        net::CurlMultiClient::Options{});
  }

  void TearDown() override {
    if (sender_) sender_->Stop();
    curl_->Shutdown();
    sender_.reset();
  }

  void StartSender(std::vector<std::string> allow,
                   SenderOptions opts = Fast()) {
    net::SafeFetcher::Options f;
    f.max_bytes = 64 << 10;
    f.timeout = opts.attempt_timeout;
    f.max_redirects = 0;
    f.allowed_content_types.clear();
    f.allow_addresses = std::move(allow);
    auto fetcher = net::SafeFetcher::Create(curl_.get(), f);
    ASSERT_TRUE(fetcher.ok()) << fetcher.status();
    fetcher_ = *std::move(fetcher);
    sender_ = std::make_unique<WebhookSender>(
        WebhookSender::Deps{hooks_.get(), fetcher_.get(),
                            [this](const std::string& account) {
                              return account == "alice"
                                         ? secrets_
                                         : std::vector<std::string>{};
                            },
                            &clock_},
        opts);
    sender_->Start();
  }

  static SenderOptions Fast() {
    SenderOptions o;
    o.retry_base = absl::Milliseconds(20);
    o.retry_max_delay = absl::Milliseconds(50);
    o.poll_interval = absl::Milliseconds(20);
    return o;
  }

  std::vector<std::string> Allow(const FakeUpstream& up) {
    return {absl::StrCat("127.0.0.1:", up.port())};
  }

  // A task that ended with a delivery of `body` to `url` in its outbox.
  void AddDelivery(const std::string& task, const std::string& url,
                   bool kie = false,
                   absl::Duration window = absl::Hours(24)) {
    ASSERT_TRUE(Sync([&](auto cb) {
                  tasks_->Insert(MakeRecord(task, "alice"), cb);
                }).ok());
    TaskRecord next = MakeRecord(task, "alice", v1::TASK_STATE_SUCCEEDED);
    next.set_version(2);
    SideRows rows;
    OutboxRow row;
    row.id = "msg_" + task;
    row.task_id = task;
    row.account_id = "alice";
    row.url = url;
    row.event = "completed";
    row.kie_format = kie;
    row.body = absl::StrCat(R"({"type":"task.completed","data":{"id":")",
                            task, R"("}})");
    const absl::Time now = absl::Now();
    row.created_at_us = absl::ToUnixMicros(now);
    row.give_up_at_us = absl::ToUnixMicros(now + window);
    rows.outbox.push_back(row);
    ASSERT_TRUE(Sync([&](auto cb) { tasks_->Update(next, rows, cb); }).ok());
    if (sender_) sender_->Kick();
  }

  // Waits (bounded) until the task's delivery leaves `pending`.
  WebhookHistory Settled(const std::string& task) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    for (;;) {
      auto h = hooks_->History(task, 100);
      EXPECT_TRUE(h.ok()) << h.status();
      if (h.ok() && h->has_value() &&
          (*h)->entry.state != OutboxState::kPending) {
        return **h;
      }
      if (absl::Now() > deadline) {
        ADD_FAILURE() << "delivery of " << task << " still pending";
        return h.ok() && h->has_value() ? **h : WebhookHistory{};
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
  }

  RealClock clock_;
  std::vector<std::string> secrets_ = {kSecret};
  std::unique_ptr<SqliteTaskStore> tasks_;
  std::unique_ptr<SqliteWebhookStore> hooks_;
  std::unique_ptr<net::CurlMultiClient> curl_;
  std::unique_ptr<net::SafeFetcher> fetcher_;
  std::unique_ptr<WebhookSender> sender_;
};

TEST_F(WebhookSenderTest, DeliversWithStandardWebhooksHeaders) {
  FakeUpstream receiver;
  receiver.SetDefault(ScriptedReply::Respond(204, ""));
  const std::string other = "whsec_" + std::string("QW5vdGhlcktleQ==");
  secrets_ = {other, kSecret};  // a rotation: both sign
  StartSender(Allow(receiver));
  AddDelivery("t1", receiver.Url("/hook?x=1"));
  WebhookHistory h = Settled("t1");
  EXPECT_EQ(h.entry.state, OutboxState::kDelivered);
  ASSERT_EQ(h.attempts.size(), 1u);
  EXPECT_EQ(h.attempts[0].status_code, 204);

  ASSERT_EQ(receiver.RequestCount(), 1);
  const fakes::RecordedRequest req = receiver.Requests()[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/hook?x=1");
  EXPECT_EQ(req.body, R"({"type":"task.completed","data":{"id":"t1"}})");
  EXPECT_EQ(req.Header("content-type"), "application/json");
  EXPECT_EQ(req.Header("webhook-id"), "msg_t1");
  int64_t ts = 0;
  ASSERT_TRUE(absl::SimpleAtoi(req.Header("webhook-timestamp"), &ts));
  EXPECT_NEAR(static_cast<double>(ts), absl::ToUnixSeconds(absl::Now()), 60);
  EXPECT_EQ(req.Header("webhook-signature"),
            *SignatureHeader(secrets_, "msg_t1", ts, req.body));
  EXPECT_THAT(std::string(req.Header("webhook-signature")),
              HasSubstr(" v1,"));  // two signatures
  EXPECT_EQ(req.Header("x-webhook-signature"), "");
  EXPECT_EQ(sender_->counts().delivered, 1);
}

TEST_F(WebhookSenderTest, KieCallbackAlsoCarriesKieSignature) {
  FakeUpstream receiver;
  StartSender(Allow(receiver));
  AddDelivery("t1", receiver.Url("/cb"), /*kie=*/true);
  EXPECT_EQ(Settled("t1").entry.state, OutboxState::kDelivered);
  const fakes::RecordedRequest req = receiver.Requests()[0];
  int64_t ts = 0;
  ASSERT_TRUE(absl::SimpleAtoi(req.Header("x-webhook-timestamp"), &ts));
  EXPECT_EQ(req.Header("x-webhook-signature"), KieSignature(kSecret, "t1", ts));
  EXPECT_EQ(req.Header("webhook-signature"),
            *StandardSignature(kSecret, "msg_t1", ts, req.body));
}

TEST_F(WebhookSenderTest, RetriesUntilA2xx) {
  FakeUpstream receiver;
  receiver.Enqueue(ScriptedReply::Respond(500, "no"));
  receiver.Enqueue(ScriptedReply::Close());
  receiver.Enqueue(ScriptedReply::Respond(200, "ok"));
  StartSender(Allow(receiver));
  AddDelivery("t1", receiver.Url("/hook"));
  WebhookHistory h = Settled("t1");
  EXPECT_EQ(h.entry.state, OutboxState::kDelivered);
  ASSERT_EQ(h.attempts.size(), 3u);
  EXPECT_EQ(h.attempts[0].status_code, 500);
  EXPECT_EQ(h.attempts[0].outcome, OutboxState::kPending);
  EXPECT_GE(h.attempts[0].next_attempt_at_us, h.attempts[0].at_us);
  EXPECT_EQ(h.attempts[1].status_code, 0);
  EXPECT_FALSE(h.attempts[1].error.empty());
  EXPECT_EQ(h.attempts[2].status_code, 200);
  EXPECT_EQ(h.entry.attempts, 3);
  // Every attempt carries the same webhook-id.
  for (const auto& r : receiver.Requests()) {
    EXPECT_EQ(r.Header("webhook-id"), "msg_t1");
  }
}

TEST_F(WebhookSenderTest, GivesUpAtTheEndOfTheWindow) {
  FakeUpstream receiver;
  receiver.SetDefault(ScriptedReply::Respond(503, "busy"));
  StartSender(Allow(receiver));
  AddDelivery("t1", receiver.Url("/hook"), false, absl::ZeroDuration());
  WebhookHistory h = Settled("t1");
  EXPECT_EQ(h.entry.state, OutboxState::kFailed);
  ASSERT_EQ(h.attempts.size(), 1u);
  EXPECT_EQ(h.attempts[0].status_code, 503);
}

TEST_F(WebhookSenderTest, GoneDisablesTheEndpoint) {
  FakeUpstream receiver;
  receiver.SetDefault(ScriptedReply::Respond(410, "gone"));
  StartSender(Allow(receiver));
  AddDelivery("t1", receiver.Url("/hook"));
  EXPECT_EQ(Settled("t1").entry.state, OutboxState::kDisabled);
  // A later task to the same URL is not sent at all.
  AddDelivery("t2", receiver.Url("/hook"));
  WebhookHistory h = Settled("t2");
  EXPECT_EQ(h.entry.state, OutboxState::kDisabled);
  ASSERT_EQ(h.attempts.size(), 1u);
  EXPECT_EQ(h.attempts[0].status_code, 0);
  EXPECT_THAT(h.attempts[0].error, HasSubstr("410"));
  EXPECT_EQ(receiver.RequestCount(), 1);
  // Another URL of the account is not affected.
  receiver.SetDefault(ScriptedReply::Respond(200, "ok"));
  AddDelivery("t3", receiver.Url("/other"));
  EXPECT_EQ(Settled("t3").entry.state, OutboxState::kDelivered);
}

TEST_F(WebhookSenderTest, RedirectsAreNotFollowed) {
  FakeUpstream receiver;
  FakeUpstream target;
  receiver.SetDefault(ScriptedReply::Respond(
      302, "", {{"Location", target.Url("/elsewhere")}}));
  std::vector<std::string> allow = Allow(receiver);
  allow.push_back(absl::StrCat("127.0.0.1:", target.port()));
  StartSender(allow, [] {
    SenderOptions o = Fast();
    o.retry_base = absl::Seconds(30);  // one attempt within the test
    o.retry_max_delay = absl::Seconds(30);
    return o;
  }());
  AddDelivery("t1", receiver.Url("/hook"));
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (hooks_->History("t1", 10).value()->attempts.empty() &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  WebhookHistory h = *hooks_->History("t1", 10).value();
  ASSERT_EQ(h.attempts.size(), 1u);
  EXPECT_EQ(h.attempts[0].status_code, 302);
  EXPECT_EQ(h.attempts[0].outcome, OutboxState::kPending);  // retried later
  EXPECT_EQ(target.RequestCount(), 0);
}

TEST_F(WebhookSenderTest, LoopbackIsRefusedWithoutTheAllowlist) {
  FakeUpstream receiver;
  StartSender({});
  AddDelivery("t1", receiver.Url("/hook"));
  WebhookHistory h = Settled("t1");
  EXPECT_EQ(h.entry.state, OutboxState::kFailed);
  ASSERT_EQ(h.attempts.size(), 1u);
  EXPECT_THAT(h.attempts[0].error, HasSubstr("PERMISSION_DENIED"));
  EXPECT_EQ(receiver.RequestCount(), 0);
  // And an address written in another spelling.
  AddDelivery("t2", absl::StrCat("http://2130706433:", receiver.port(), "/"));
  EXPECT_EQ(Settled("t2").entry.state, OutboxState::kFailed);
  EXPECT_EQ(receiver.RequestCount(), 0);
}

TEST_F(WebhookSenderTest, ConcurrencyPerEndpointIsBounded) {
  FakeUpstream receiver;
  ScriptedReply slow = ScriptedReply::Respond(200, "ok");
  slow.delay = absl::Milliseconds(100);
  receiver.SetDefault(slow);
  SenderOptions o = Fast();
  o.max_per_endpoint = 1;
  StartSender(Allow(receiver), o);
  for (int i = 0; i < 4; ++i) {
    AddDelivery(absl::StrCat("t", i), receiver.Url("/hook"));
  }
  int peak = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (sender_->counts().delivered < 4 && absl::Now() < deadline) {
    peak = std::max(peak, sender_->in_flight());
    absl::SleepFor(absl::Milliseconds(2));
  }
  EXPECT_EQ(sender_->counts().delivered, 4);
  EXPECT_EQ(peak, 1);
  EXPECT_EQ(receiver.RequestCount(), 4);
}

TEST_F(WebhookSenderTest, AccountWithoutSecretGetsUnsignedDeliveries) {
  FakeUpstream receiver;
  secrets_.clear();
  StartSender(Allow(receiver));
  AddDelivery("t1", receiver.Url("/hook"));
  EXPECT_EQ(Settled("t1").entry.state, OutboxState::kDelivered);
  EXPECT_EQ(receiver.Requests()[0].Header("webhook-signature"), "");
  EXPECT_EQ(receiver.Requests()[0].Header("webhook-id"), "msg_t1");
}

}  // namespace
}  // namespace mediagw::webhooks
