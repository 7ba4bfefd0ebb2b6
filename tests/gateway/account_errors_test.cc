// The caller's own account on the REST surfaces (docs/ACCOUNTS.md): the
// legacy balance endpoint over an AccountView, and the two account
// refusals, "Insufficient balance" and over a limit (with Retry-After), in
// each surface's envelope: legacy, native REST, OpenAI and kie.
#include <memory>
#include <string>
#include <utility>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/status_mapping.h"
#include "gateway/gateway.h"
#include "gateway/legacy_codec.h"
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

// Answers from a table, on the caller's thread (tests only).
class FakeAccountView : public AccountView {
 public:
  void AccountOf(const std::string& id, Callback done) override {
    asked = id;
    done(answer);
  }
  std::string asked;
  absl::StatusOr<v1::Account> answer = absl::NotFoundError("no account");
};

absl::Status BalanceShort() {
  return WithReason(absl::FailedPreconditionError("Insufficient balance"),
                    Reason::kCallerBalanceShort);
}

absl::Status OverLimit() {
  return WithRetryAfter(
      WithReason(absl::ResourceExhaustedError("request rate limit exceeded"),
                 Reason::kCallerOverLimit),
      429, "7", absl::UnixEpoch());
}

net::ServerRequest Request(const std::string& method, const std::string& path,
                           const std::string& query = "",
                           std::string body = "") {
  net::ServerRequest req;
  req.method = method;
  req.path = path;
  req.query = query;
  req.target = query.empty() ? path : path + "?" + query;
  req.body = std::move(body);
  req.headers = {{"authorization", std::string("Bearer ") + kKey}};
  return req;
}

std::string Header(const net::ServerResponse& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "";
}

class AccountErrorsTest : public ::testing::Test {
 protected:
  static Gateway::Deps MakeDeps(TaskService* tasks, const Authenticator* auth,
                                UploadsHandler* uploads, Scheduler* timers,
                                BlobStore* blobs, Executor* pool,
                                AccountView* accounts) {
    Gateway::Deps d{tasks, auth, uploads, [] { return absl::OkStatus(); }};
    Gateway::Deps::Compat c;
    c.timers = timers;
    c.blobs = blobs;
    c.blob_pool = pool;
    c.openai.models = ModelTable({{"sdxl", "default", "", false}});
    c.openai.sync_timeout = absl::Seconds(300);
    c.kie_models =
        ModelTable({{"grok-imagine/text-to-image", "kie-grok", "", false}});
    d.compat = std::move(c);
    d.accounts = accounts;
    return d;
  }

  net::ServerResponse Call(net::ServerRequest req) {
    auto writer = std::make_shared<RecordingWriter>();
    if (auto refused = gateway_.CheckHead(req)) return *refused;
    gateway_.Handle(std::move(req), writer);
    auto resp = writer->response();
    EXPECT_TRUE(resp.has_value()) << "no answer";
    return resp.value_or(net::ServerResponse{});
  }

  // Every submit the core sees is refused with `status`.
  void RefuseSubmits(const absl::Status& status) {
    EXPECT_CALL(tasks_, SubmitImage(_, _, _))
        .WillRepeatedly(Invoke([status](const Caller&, v1::SubmitImageRequest,
                                        TaskService::Callback<v1::Task> done) {
          done(status);
        }));
  }

  net::ServerResponse Legacy() {
    return Call(Request("POST", "/v1/index.php", "endpoint=image_generation",
                        R"({"prompt":"a cat"})"));
  }
  net::ServerResponse Native() {
    return Call(Request("POST", "/v1/tasks", "", R"({"image":{"prompt":"a cat"}})"));
  }
  net::ServerResponse OpenAi() {
    return Call(Request("POST", "/v1/images/generations", "",
                        R"({"model":"sdxl","prompt":"a cat"})"));
  }
  net::ServerResponse Kie() {
    return Call(Request("POST", "/api/v1/jobs/createTask", "",
                        R"({"model":"grok-imagine/text-to-image",)"
                        R"("input":{"prompt":"a cat"}})"));
  }

  StrictMock<MockTaskService> tasks_;
  Authenticator auth_{{{"backend", Sha256Hex(kKey), "acct-1"}}};
  testing::FakeBlobStore blobs_;
  testing::ManualQueue pool_;
  FakeClock clock_;
  testing::ManualScheduler timers_{&clock_};
  UploadsHandler uploads_{&blobs_, &pool_};
  FakeAccountView view_;
  Gateway gateway_{MakeDeps(&tasks_, &auth_, &uploads_, &timers_, &blobs_,
                            &pool_, &view_)};
};

TEST_F(AccountErrorsTest, LegacyBalanceAnswersTheCallersAccountInTheEnvelope) {
  v1::Account a;
  a.set_id("acct-1");
  a.set_balance(1234);
  a.set_held(56);
  view_.answer = a;
  auto resp = Call(Request("GET", "/v1/index.php", "endpoint=balance"));
  EXPECT_EQ(view_.asked, "acct-1");  // the key's account, not its name
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body,
            R"({"success":true,"data":{"balance":1234,"held":56,)"
            R"("unlimited":false},"error":null})");
  EXPECT_EQ(resp.body, EncodeBalance(a));
}

TEST_F(AccountErrorsTest, LegacyBalanceRefusals) {
  view_.answer = absl::NotFoundError("account acct-1 not found");
  auto resp = Call(Request("GET", "/v1/index.php", "endpoint=balance"));
  EXPECT_EQ(resp.status, 404);
  EXPECT_EQ(resp.body, EncodeError("account acct-1 not found"));

  auto post = Call(Request("POST", "/v1/index.php", "endpoint=balance"));
  EXPECT_EQ(post.status, 405);

  auto no_key = Request("GET", "/v1/index.php", "endpoint=balance");
  no_key.headers.clear();
  view_.asked.clear();
  auto refused = Call(std::move(no_key));
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.body, EncodeError("Missing API key"));
  EXPECT_EQ(view_.asked, "");
}

TEST(LegacyBalanceWithoutAccountsTest, IsNotImplemented) {
  StrictMock<MockTaskService> tasks;
  Authenticator auth{{{"backend", Sha256Hex(kKey)}}};
  testing::FakeBlobStore blobs;
  testing::ManualQueue pool;
  UploadsHandler uploads{&blobs, &pool};
  Gateway gw{Gateway::Deps{&tasks, &auth, &uploads,
                           [] { return absl::OkStatus(); }}};
  auto writer = std::make_shared<RecordingWriter>();
  gw.Handle(Request("GET", "/v1/index.php", "endpoint=balance"), writer);
  ASSERT_TRUE(writer->response().has_value());
  EXPECT_EQ(writer->response()->status, 501);
  EXPECT_EQ(writer->response()->body, EncodeError("Balance not available"));
}

TEST_F(AccountErrorsTest, InsufficientBalanceInEachEnvelope) {
  RefuseSubmits(BalanceShort());
  auto legacy = Legacy();
  EXPECT_EQ(legacy.status, 402);
  EXPECT_EQ(legacy.body,
            R"({"success":false,"data":null,"error":"Insufficient balance"})");

  auto native = Native();
  EXPECT_EQ(native.status, 402);
  EXPECT_THAT(native.body, HasSubstr(R"("message":"Insufficient balance")"));

  // OpenAI signals an exhausted quota as 429 insufficient_quota; its SDK
  // does not retry it.
  auto openai = OpenAi();
  EXPECT_EQ(openai.status, 429);
  EXPECT_THAT(openai.body, HasSubstr(R"("code":"insufficient_quota")"));
  EXPECT_THAT(openai.body, HasSubstr(R"("type":"insufficient_quota")"));
  EXPECT_THAT(openai.body, HasSubstr("Insufficient balance"));
  EXPECT_EQ(Header(openai, "x-should-retry"), "false");

  auto kie = Kie();
  EXPECT_EQ(kie.status, 200);  // kie's codes are in the body
  EXPECT_THAT(kie.body, HasSubstr(R"("code":402)"));
  EXPECT_THAT(kie.body, HasSubstr("Insufficient balance"));

  for (const auto& r : {legacy, native, openai, kie}) {
    EXPECT_EQ(Header(r, "retry-after"), "");
  }
}

TEST_F(AccountErrorsTest, OverALimitIs429WithRetryAfterInEachEnvelope) {
  RefuseSubmits(OverLimit());
  auto legacy = Legacy();
  EXPECT_EQ(legacy.status, 429);
  EXPECT_EQ(legacy.body, EncodeError("request rate limit exceeded"));

  auto native = Native();
  EXPECT_EQ(native.status, 429);
  EXPECT_THAT(native.body, HasSubstr(R"("status":"RESOURCE_EXHAUSTED")"));

  auto openai = OpenAi();
  EXPECT_EQ(openai.status, 429);
  EXPECT_THAT(openai.body, HasSubstr(R"("code":"rate_limit_exceeded")"));

  auto kie = Kie();
  EXPECT_EQ(kie.status, 200);
  EXPECT_THAT(kie.body, HasSubstr(R"("code":429)"));

  for (const auto& r : {legacy, native, openai, kie}) {
    EXPECT_EQ(Header(r, "retry-after"), "7") << r.body;
  }
}

TEST(ErrorHeadersTest, RetryAfterInWholeSecondsRoundedUp) {
  EXPECT_TRUE(ErrorHeaders(absl::ResourceExhaustedError("x")).empty());
  const HttpHeaders h = ErrorHeaders(OverLimit());
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].first, "retry-after");
  EXPECT_EQ(h[0].second, "7");
}

}  // namespace
}  // namespace mediagw::gateway
