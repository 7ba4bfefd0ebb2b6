// VerifyCallback of the kie provider on hand-made notices with a fake
// clock (signatures good, bad, expired, missing, about another task,
// malformed bodies), and building kie channels from configuration.
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/curl_multi_client.h"
#include "providers/kie/kie_provider.h"
#include "providers/registry.h"
#include "tests/providers/kie/kie_test_util.h"

namespace mediagw::kie {
namespace {

using ::testing::HasSubstr;
using namespace ::mediagw::kie::testing;  // NOLINT: records, signing

constexpr char kSecret[] = "whsec-test";
constexpr char kTask[] = "task_grok_12345678";

class VerifyCallbackTest : public ::testing::Test {
 protected:
  std::shared_ptr<Provider> Make(std::string secret = kSecret) {
    KieOptions o;
    o.channel_name = "kie";
    o.base_url = "https://api.kie.ai";
    o.api_key = "k";
    o.webhook_secret = std::move(secret);
    o.clock = &clock_;
    auto p = NewKieProvider(std::move(o), &http_);
    EXPECT_TRUE(p.ok()) << p.status();
    return *p;
  }
  TaskRecord Record() const {
    TaskRecord r = ImageRecord("t1");
    r.set_upstream_id(kTask);
    return r;
  }
  std::string Now() const {
    return absl::StrCat(absl::ToUnixSeconds(clock_.Now()));
  }
  static std::string Body(absl::string_view id = kTask) {
    return absl::StrCat(R"({"code":200,"msg":"ok","data":{"taskId":")", id,
                        R"(","state":"success"}})");
  }
  // A notice signed with `key` over (task, timestamp).
  static CallbackRequest Notice(const std::string& body,
                                const std::string& timestamp,
                                absl::string_view key = kSecret,
                                absl::string_view signed_task = kTask) {
    CallbackRequest c;
    c.headers = {
        {"content-type", "application/json"},
        {"x-webhook-timestamp", timestamp},
        {"x-webhook-signature", KieSignature(key, signed_task, timestamp)}};
    c.body = body;
    return c;
  }

  FakeClock clock_;
  net::CurlMultiClient http_;
};

TEST_F(VerifyCallbackTest, GenuineNoticeIsAccepted) {
  auto p = Make();
  EXPECT_TRUE(p->VerifyCallback(Record(), Notice(Body(), Now())).ok());
  // task_id spelling, and header names in any case.
  CallbackRequest c =
      Notice(absl::StrCat(R"({"data":{"task_id":")", kTask, R"("}})"), Now());
  for (auto& h : c.headers) h.first = absl::AsciiStrToUpper(h.first);
  EXPECT_TRUE(p->VerifyCallback(Record(), c).ok());
}

TEST_F(VerifyCallbackTest, WithinFiveMinutesEitherWayIsAccepted) {
  auto p = Make();
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  for (int64_t skew : {-300, -1, 1, 300}) {
    const std::string ts = absl::StrCat(now + skew);
    EXPECT_TRUE(p->VerifyCallback(Record(), Notice(Body(), ts)).ok()) << skew;
  }
}

TEST_F(VerifyCallbackTest, ExpiredOrFutureTimestampsAreRefused) {
  auto p = Make();
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  for (int64_t skew :
       {int64_t{-301}, int64_t{301}, int64_t{-86400}, int64_t{1} << 40}) {
    const std::string ts = absl::StrCat(now + skew);
    absl::Status st = p->VerifyCallback(Record(), Notice(Body(), ts));
    EXPECT_EQ(st.code(), absl::StatusCode::kUnauthenticated) << skew;
  }
  // A genuine notice replayed six minutes later.
  CallbackRequest c = Notice(Body(), Now());
  clock_.Advance(absl::Minutes(6));
  EXPECT_EQ(p->VerifyCallback(Record(), c).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(VerifyCallbackTest, BadSignaturesAreRefused) {
  auto p = Make();
  // Wrong key; signed over another task; signed over another timestamp.
  EXPECT_EQ(
      p->VerifyCallback(Record(), Notice(Body(), Now(), "other-key")).code(),
      absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(
      p->VerifyCallback(Record(), Notice(Body(), Now(), kSecret, "task_x"))
          .code(),
      absl::StatusCode::kUnauthenticated);
  CallbackRequest c = Notice(Body(), Now());
  c.headers[1].second = absl::StrCat(absl::ToUnixSeconds(clock_.Now()) - 1);
  EXPECT_EQ(p->VerifyCallback(Record(), c).code(),
            absl::StatusCode::kUnauthenticated);
  // Truncated, hex instead of base64, empty.
  for (std::string sig : {KieSignature(kSecret, kTask, Now()).substr(0, 20),
                          std::string(64, 'a'), std::string(" ")}) {
    CallbackRequest bad = Notice(Body(), Now());
    bad.headers[2].second = sig;
    EXPECT_EQ(p->VerifyCallback(Record(), bad).code(),
              absl::StatusCode::kUnauthenticated)
        << sig;
  }
}

TEST_F(VerifyCallbackTest, MissingOrMalformedHeadersAreRefused) {
  auto p = Make();
  CallbackRequest no_ts = Notice(Body(), Now());
  no_ts.headers.erase(no_ts.headers.begin() + 1);
  EXPECT_EQ(p->VerifyCallback(Record(), no_ts).code(),
            absl::StatusCode::kUnauthenticated);
  CallbackRequest no_sig = Notice(Body(), Now());
  no_sig.headers.pop_back();
  EXPECT_EQ(p->VerifyCallback(Record(), no_sig).code(),
            absl::StatusCode::kUnauthenticated);
  for (const char* ts : {"soon", "1.5e9", "0x10", "99999999999999999999999"}) {
    CallbackRequest c = Notice(Body(), ts);
    EXPECT_EQ(p->VerifyCallback(Record(), c).code(),
              absl::StatusCode::kUnauthenticated)
        << ts;
  }
}

TEST_F(VerifyCallbackTest, NoticeAboutAnotherTaskIsInvalid) {
  auto p = Make();
  absl::Status st = p->VerifyCallback(
      Record(), Notice(Body("task_other"), Now(), kSecret, "task_other"));
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(VerifyCallbackTest, MalformedBodiesAreInvalid) {
  auto p = Make();
  for (const char* body : {"", "{", "[]", R"({"data":null})",
                           R"({"data":{"taskId":42}})", R"({"data":{}})"}) {
    absl::Status st = p->VerifyCallback(Record(), Notice(body, Now()));
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << body;
  }
}

TEST_F(VerifyCallbackTest, WithoutASecretEveryNoticeIsRefused) {
  auto p = Make("");
  absl::Status st = p->VerifyCallback(Record(), Notice(Body(), Now()));
  EXPECT_EQ(st.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(st.message(), "callbacks are not configured");
}

// --- configuration ---------------------------------------------------------

config::Channel KieChannel(const std::string& key_env,
                           const std::string& secret_env = "") {
  config::Channel ch;
  ch.set_name("kie-main");
  ch.set_provider("kie");
  ch.add_base_urls("https://api.kie.ai/");
  ch.set_api_key_env(key_env);
  ch.set_webhook_secret_env(secret_env);
  return ch;
}

TEST(KieRegistryTest, KeyComesFromTheEnvironment) {
  net::CurlMultiClient http;
  config::Config cfg;
  ProviderContext ctx{&http, &cfg};
  ::setenv("MEDIAGW_KIE_TEST_KEY_SET", "secret-key", 1);
  ::unsetenv("MEDIAGW_KIE_TEST_KEY_UNSET");

  auto ok = CreateProvider(KieChannel("MEDIAGW_KIE_TEST_KEY_SET"), ctx);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)->Name(), "kie");
  EXPECT_TRUE((*ok)->CheckReady().ok());

  auto unset = CreateProvider(KieChannel("MEDIAGW_KIE_TEST_KEY_UNSET"), ctx);
  ASSERT_TRUE(unset.ok()) << unset.status();  // loads, refuses work
  EXPECT_EQ((*unset)->CheckReady().message(),
            "Server configuration error: kie API key missing");
}

TEST(KieRegistryTest, WebhookSecretComesFromTheEnvironment) {
  net::CurlMultiClient http;
  config::Config cfg;
  ProviderContext ctx{&http, &cfg};
  ::setenv("MEDIAGW_KIE_TEST_HOOK", "hook-key", 1);
  auto p = CreateProvider(KieChannel("", "MEDIAGW_KIE_TEST_HOOK"), ctx);
  ASSERT_TRUE(p.ok()) << p.status();
  TaskRecord rec = ImageRecord("t1");
  rec.set_upstream_id(kTask);
  const std::string ts = absl::StrCat(absl::ToUnixSeconds(absl::Now()));
  CallbackRequest c;
  c.headers = {{"x-webhook-timestamp", ts},
               {"x-webhook-signature", KieSignature("hook-key", kTask, ts)}};
  c.body = absl::StrCat(R"({"data":{"taskId":")", kTask, R"("}})");
  EXPECT_TRUE((*p)->VerifyCallback(rec, c).ok());
}

TEST(KieRegistryTest, BadChannelsAreConfigurationErrors) {
  net::CurlMultiClient http;
  config::Config cfg;
  ProviderContext ctx{&http, &cfg};
  config::Channel two = KieChannel("X");
  two.add_base_urls("https://mirror.example");
  auto st = CreateProvider(two, ctx);
  EXPECT_EQ(st.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.status().message(), HasSubstr("kie-main"));
  config::Channel ftp = KieChannel("X");
  ftp.set_base_urls(0, "ftp://api.kie.ai");
  st = CreateProvider(ftp, ctx);
  EXPECT_EQ(st.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.status().message(), HasSubstr("kie-main"));
}

}  // namespace
}  // namespace mediagw::kie
