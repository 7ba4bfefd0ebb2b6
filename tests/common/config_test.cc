#include "common/config.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kSha[] =
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

std::string Valid() {
  return std::string(R"({
    "server": {"grpc_listen": "0.0.0.0:50051", "public_base_url": "http://h:1"},
    "api_keys": [
      {"name": "alice", "sha256": ")") +
         kSha + R"("},
      {"name": "bob", "key_env": "BOB_KEY"}
    ],
    "channels": [
      {"name": "c1", "provider": "comfyui", "base_urls": ["http://127.0.0.1:8188"]},
      {"name": "c2", "provider": "xai", "base_urls": ["https://api.x.ai"],
       "weight": 5, "max_concurrency": 2}
    ],
    "workflows": [
      {"name": "default", "channels": ["c1", "c2"], "template_file": "t/d.json",
       "default_cfg": 7, "accepts_model": true},
      {"name": "grok", "channels": ["c2"], "template_file": "/abs/g.json"}
    ]
  })";
}

// Replaces `from` by `to` in the valid config; fails the test if absent.
std::string With(absl::string_view from, absl::string_view to) {
  std::string v = Valid();
  EXPECT_NE(v.find(std::string(from)), std::string::npos) << from;
  return absl::StrReplaceAll(v, {{from, to}});
}

void ExpectError(const std::string& json, absl::string_view field) {
  auto c = ParseConfig(json, "/etc/mg");
  ASSERT_FALSE(c.ok()) << "accepted: " << json;
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), StartsWith("config: "));
  EXPECT_THAT(c.status().message(), HasSubstr(field));
}

TEST(ParseConfigTest, ValidConfigWithDefaults) {
  auto c = ParseConfig(Valid(), "/etc/mg");
  ASSERT_TRUE(c.ok()) << c.status();
  const auto& cfg = c->config;
  EXPECT_EQ(c->base_dir, "/etc/mg");
  EXPECT_EQ(cfg.server().grpc_listen(), "0.0.0.0:50051");
  EXPECT_EQ(cfg.server().http_listen(), "127.0.0.1:8080");
  EXPECT_EQ(cfg.server().public_base_url(), "http://h:1");
  EXPECT_EQ(cfg.server().max_body_bytes(), 8u << 20);
  EXPECT_EQ(cfg.server().header_timeout_ms(), 10000u);
  EXPECT_EQ(cfg.server().max_http_connections(), 10000u);
  EXPECT_EQ(cfg.server().request_timeout_ms(), 30000u);
  EXPECT_EQ(cfg.storage().data_dir(), "/etc/mg/data");
  EXPECT_EQ(cfg.storage().sqlite_path(), "/etc/mg/data/mediagw.db");
  EXPECT_EQ(cfg.storage().blob_dir(), "/etc/mg/data/uploads");
  EXPECT_EQ(cfg.dispatch().poll_interval_ms(), 1000u);
  EXPECT_EQ(cfg.dispatch().default_deadline_seconds(), 600u);
  EXPECT_EQ(cfg.dispatch().max_attempts(), 3u);
  EXPECT_EQ(cfg.dispatch().workers(), 2u);
  EXPECT_EQ(cfg.dispatch().connect_timeout_ms(), 5000u);
  EXPECT_EQ(cfg.dispatch().request_timeout_ms(), 60000u);
  EXPECT_EQ(cfg.dispatch().max_active_tasks(), 256u);
  ASSERT_EQ(cfg.channels_size(), 2);
  EXPECT_EQ(cfg.channels(0).weight(), 1u);
  EXPECT_EQ(cfg.channels(1).weight(), 5u);
  EXPECT_EQ(cfg.channels(1).max_concurrency(), 2u);
  ASSERT_EQ(cfg.workflows_size(), 2);
  EXPECT_EQ(cfg.workflows(0).template_file(), "/etc/mg/t/d.json");
  EXPECT_EQ(cfg.workflows(1).template_file(), "/abs/g.json");
  EXPECT_TRUE(cfg.workflows(0).accepts_model());
  EXPECT_DOUBLE_EQ(cfg.workflows(0).default_cfg(), 7);
}

TEST(ParseConfigTest, ExplicitStoragePathsResolveAgainstBaseDir) {
  std::string json = With(R"("server": {)",
                          R"("storage": {"data_dir": "/var/mg",
                              "sqlite_path": "db/x.db", "blob_dir": "/b"},
                             "server": {)");
  auto c = ParseConfig(json, "/etc/mg");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->config.storage().data_dir(), "/var/mg");
  EXPECT_EQ(c->config.storage().sqlite_path(), "/etc/mg/db/x.db");
  EXPECT_EQ(c->config.storage().blob_dir(), "/b");
}

TEST(ParseConfigTest, UnknownFieldIsNamed) {
  ExpectError(With(R"("grpc_listen")", R"("grpc_lisen")"), "grpc_lisen");
  ExpectError(With(R"("api_keys")", R"("bogus_top": 1, "api_keys")"),
              "bogus_top");
}

TEST(ParseConfigTest, WrongTypeIsNamed) {
  ExpectError(With(R"("weight": 5)", R"("weight": "five")"), "weight");
  ExpectError(With(R"("accepts_model": true)", R"("accepts_model": [true])"),
              "accepts_model");
  ExpectError(With(R"("default_cfg": 7)", R"("default_cfg": "seven")"),
              "default_cfg");
}

TEST(ParseConfigTest, TextThatIsNotUtf8IsRefused) {
  // A raw byte, and an escape that decodes to a lone surrogate.
  auto raw = ParseConfig(With(R"("name": "alice")", "\"name\": \"al\xFFice\""),
                         "/etc/mg");
  ASSERT_FALSE(raw.ok());
  EXPECT_EQ(raw.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(raw.status().message(), StartsWith("config: "));
  auto escaped = ParseConfig(With("http://h:1", R"(http://h:1/\udc80)"),
                             "/etc/mg");
  ASSERT_FALSE(escaped.ok());
  EXPECT_EQ(escaped.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SecretFromEnvTest, ValueThatIsNotUtf8IsRefused) {
  setenv("MEDIAGW_TEST_BAD_SECRET", "k\xFF", 1);
  auto v = SecretFromEnv("MEDIAGW_TEST_BAD_SECRET");
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  unsetenv("MEDIAGW_TEST_BAD_SECRET");
}

TEST(ParseConfigTest, MalformedJsonIsInvalidArgument) {
  auto c = ParseConfig("{not json", "");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), StartsWith("config: "));
}

TEST(ParseConfigTest, BadHostPort) {
  for (const char* bad :
       {"nohost", ":80", "host:", "host:x", "host:70000", "host:-1",
        "::1:80", "[::1]", "host:+80"}) {
    SCOPED_TRACE(bad);
    ExpectError(With("0.0.0.0:50051", bad), "server.grpc_listen");
  }
  ExpectError(With(R"("server": {)", R"("server": {"http_listen": "h",)"),
              "server.http_listen");
  EXPECT_TRUE(ParseConfig(With("0.0.0.0:50051", "[::1]:0"), "").ok());
  ExpectError(With("0.0.0.0:50051", "[::1]:x"),
              "server.grpc_listen: '[::1]:x' is not host:port");
}

TEST(ParseConfigTest, GrpcLimitsDefaultsAndBounds) {
  auto c = ParseConfig(Valid(), "/etc/mg");
  ASSERT_TRUE(c.ok()) << c.status();
  const auto& g = c->config.server().grpc_limits();
  EXPECT_EQ(g.max_concurrent_streams(), 100u);
  EXPECT_EQ(g.max_receive_message_bytes(), 16u << 20);
  EXPECT_EQ(g.memory_quota_bytes(), uint64_t{1} << 30);
  EXPECT_EQ(g.max_threads(), 64u);
  EXPECT_EQ(g.keepalive_time_ms(), 7200000u);
  EXPECT_EQ(g.keepalive_timeout_ms(), 20000u);
  EXPECT_EQ(g.min_ping_interval_ms(), 300000u);
  EXPECT_EQ(g.max_ping_strikes(), 2u);
  EXPECT_EQ(g.max_connection_idle_ms(), 1800000u);
  EXPECT_EQ(g.max_connection_age_ms(), 0u);
  EXPECT_EQ(g.max_connection_age_grace_ms(), 30000u);

  auto set = ParseConfig(
      With(R"("server": {)",
           R"("server": {"grpc_limits": {"max_concurrent_streams": 8,
                                         "max_connection_age_ms": 60000},)"),
      "");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->config.server().grpc_limits().max_concurrent_streams(), 8u);
  EXPECT_EQ(set->config.server().grpc_limits().max_connection_age_ms(), 60000u);
  EXPECT_EQ(set->config.server().grpc_limits().max_ping_strikes(), 2u);

  ExpectError(With(R"("server": {)",
                   R"("server": {"grpc_limits": {"keepalive_time_ms": 3000000000},)"),
              "server.grpc_limits.keepalive_time_ms");
}

TEST(ParseConfigTest, DuplicateChannel) {
  ExpectError(With(R"("name": "c2")", R"("name": "c1")"),
              "channels[1].name: duplicate channel 'c1'");
}

TEST(ParseConfigTest, WorkflowReferencingUnknownChannel) {
  ExpectError(With(R"("channels": ["c2"])", R"("channels": ["c2", "nope"])"),
              "workflows[1].channels[1]: unknown channel 'nope'");
}

TEST(ParseConfigTest, DuplicateWorkflow) {
  ExpectError(With(R"("name": "grok")", R"("name": "default")"),
              "workflows[1].name: duplicate workflow 'default'");
}

TEST(ParseConfigTest, ApiKeyNeedsExactlyOneOfShaAndEnv) {
  ExpectError(
      With(R"("key_env": "BOB_KEY")",
           std::string(R"("key_env": "BOB_KEY", "sha256": ")") + kSha + "\""),
      "api_keys[1]: exactly one of sha256 and key_env");
  ExpectError(With(R"(, "key_env": "BOB_KEY")", ""),
              "api_keys[1]: exactly one of sha256 and key_env");
}

TEST(ParseConfigTest, BadSha256Hex) {
  std::string upper = kSha;
  upper[0] = 'F';
  for (const std::string& bad :
       {std::string(kSha).substr(1), upper,
        std::string(kSha).replace(5, 1, "g"), std::string(kSha) + "0"}) {
    ExpectError(With(kSha, bad), "api_keys[0].sha256");
  }
}

TEST(ParseConfigTest, NoApiKeys) {
  std::string json = R"({"channels": [], "api_keys": []})";
  ExpectError(json, "api_keys");
}

TEST(ParseConfigTest, NonHttpBaseUrl) {
  for (const char* bad :
       {"ftp://x", "127.0.0.1:8188", "file:///etc/passwd", "HTTP//x", "http://",
        "http://127.0.0.1:", "http://127.0.0.1:0", "http://127.0.0.1:99999",
        "http://h:8x", "http://user@h:80"}) {
    ExpectError(With("http://127.0.0.1:8188", bad), "channels[0].base_urls[0]");
  }
  ExpectError(
      With(R"("base_urls": ["https://api.x.ai"])", R"("base_urls": [])"),
      "channels[1].base_urls");
}

TEST(ParseConfigTest, EmptyNamesAndProvider) {
  ExpectError(With(R"("name": "c1")", R"("name": "")"), "channels[0].name");
  ExpectError(With(R"("provider": "xai")", R"("provider": "")"),
              "channels[1].provider");
  ExpectError(With(R"("name": "alice")", R"("name": "")"), "api_keys[0].name");
}

TEST(ParseConfigTest, WorkflowLimits) {
  ExpectError(With(R"("default_cfg": 7)", R"("default_cfg": 31)"),
              "workflows[0].default_cfg");
  ExpectError(With(R"("default_cfg": 7)", R"("default_cfg": -1)"),
              "workflows[0].default_cfg");
  ExpectError(With(R"("channels": ["c2"])", R"("channels": [])"),
              "workflows[1].channels");
  ExpectError(
      With(R"("server": {)", R"("dispatch": {"workers": 65}, "server": {)"),
      "dispatch.workers");
}

TEST(ParseConfigTest, NewWorkflowFieldsAreChecked) {
  const std::string grok = R"("name": "grok", "channels": ["c2"])";
  auto grok_with = [&](const std::string& extra) {
    return With(grok, grok + ", " + extra);
  };
  ExpectError(grok_with(R"("kind": "audio")"), "workflows[1].kind");
  ExpectError(grok_with(R"("default_width": 4096)"),
              "workflows[1].default_width");
  ExpectError(grok_with(R"("default_height": 8)"),
              "workflows[1].default_height");
  ExpectError(grok_with(R"("task_id_style": "short")"),
              "workflows[1].task_id_style");
  ExpectError(grok_with(R"("task_id_style": "prefixed")"),
              "workflows[1].task_id_prefix");
  ExpectError(grok_with(R"("task_id_prefix": "grok_")"),
              "workflows[1].task_id_prefix");
  ExpectError(
      grok_with(R"("task_id_style": "prefixed", "task_id_prefix": "a/b")"),
      "workflows[1].task_id_prefix");
  ExpectError(grok_with(R"("models": ["a"], "default_model": "b")"),
              "workflows[1].default_model");
  ExpectError(
      grok_with(R"("model_routes": [{"model": "m", "channels": ["zz"]}])"),
      "workflows[1].model_routes[0].channels[0]: unknown channel 'zz'");
  ExpectError(
      grok_with(
          R"("models": ["a"], "model_routes": [{"model": "m", "channels": ["c1"]}])"),
      "workflows[1].model_routes[0].model");
  ExpectError(grok_with(R"("model_routes": [{"model": "m", "channels": []}])"),
              "workflows[1].model_routes[0].channels");
  auto ok = ParseConfig(
      grok_with(
          R"("kind": "video", "default_width": 1024, "task_id_style": "prefixed",)"
          R"( "task_id_prefix": "grok_", "provider_label": "grok",)"
          R"( "model_routes": [{"model": "m", "channels": ["c1"]}])"),
      "/base");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->config.workflows(1).default_height(), 512);
  EXPECT_EQ(ok->config.workflows(0).kind(), "image");
  EXPECT_EQ(ok->config.workflows(0).task_id_style(), "uuid");
}

TEST(ParseConfigTest, ProgressIntervalDefaultsTo200AndZeroIsKept) {
  auto c = ParseConfig(Valid(), "/etc/mg");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->config.dispatch().progress_interval_ms(), 200u);
  auto zero = ParseConfig(
      With(R"("workflows": [)",
           R"("dispatch": {"progress_interval_ms": 0}, "workflows": [)"),
      "/etc/mg");
  ASSERT_TRUE(zero.ok()) << zero.status();
  EXPECT_EQ(zero->config.dispatch().progress_interval_ms(), 0u);
}

TEST(ParseConfigTest, RetentionDaysDefaultsTo30AndZeroKeepsEverything) {
  auto c = ParseConfig(Valid(), "/etc/mg");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->config.storage().retention_days(), 30u);
  for (int days : {0, 7}) {
    auto set = ParseConfig(
        With(R"("workflows": [)",
             absl::StrCat(R"("storage": {"retention_days": )", days,
                          R"(}, "workflows": [)")),
        "/etc/mg");
    ASSERT_TRUE(set.ok()) << set.status();
    EXPECT_EQ(set->config.storage().retention_days(),
              static_cast<uint32_t>(days));
  }
}

TEST(ParseConfigTest, ShutdownGraceDefaultsTo10sZeroCutsAtOnceAndIsBounded) {
  auto c = ParseConfig(Valid(), "/etc/mg");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->config.server().shutdown_grace_ms(), 10000u);
  EXPECT_EQ(c->config.storage().sqlite_max_page_count(), 0u);
  for (int ms : {0, 2500}) {
    auto set = ParseConfig(
        With(R"("server": {)",
             absl::StrCat(R"("server": {"shutdown_grace_ms": )", ms, ",")),
        "/etc/mg");
    ASSERT_TRUE(set.ok()) << set.status();
    EXPECT_EQ(set->config.server().shutdown_grace_ms(),
              static_cast<uint32_t>(ms));
  }
  auto too_long = ParseConfig(
      With(R"("server": {)", R"("server": {"shutdown_grace_ms": 3600001,)"),
      "/etc/mg");
  EXPECT_EQ(too_long.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(too_long.status().message(),
              HasSubstr("server.shutdown_grace_ms"));
}

TEST(ParseConfigTest, BreakerAndRetryBudgetDefaultsAndBounds) {
  auto c = ParseConfig(Valid(), "/etc/mg");
  ASSERT_TRUE(c.ok()) << c.status();
  const auto& d = c->config.dispatch();
  EXPECT_EQ(d.breaker().failure_threshold(), 5u);
  EXPECT_EQ(d.breaker().base_cooldown_ms(), 30000u);
  EXPECT_EQ(d.breaker().max_cooldown_ms(), 300000u);
  EXPECT_FALSE(d.breaker().disabled());
  EXPECT_DOUBLE_EQ(d.retry_budget_ratio(), 0.2);
  EXPECT_DOUBLE_EQ(d.retry_budget_min_per_second(), 3);
  auto set = ParseConfig(
      With(R"("workflows": [)",
           R"("dispatch": {"breaker": {"failure_threshold": 2,)"
           R"( "base_cooldown_ms": 1000, "max_cooldown_ms": 4000},)"
           R"( "retry_budget_ratio": 0}, "workflows": [)"),
      "/etc/mg");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->config.dispatch().breaker().failure_threshold(), 2u);
  EXPECT_EQ(set->config.dispatch().breaker().max_cooldown_ms(), 4000u);
  EXPECT_DOUBLE_EQ(set->config.dispatch().retry_budget_ratio(), 0);
  ExpectError(With(R"("workflows": [)",
                   R"("dispatch": {"breaker": {"base_cooldown_ms": 400000}},)"
                   R"( "workflows": [)"),
              "dispatch.breaker.max_cooldown_ms");
  ExpectError(With(R"("workflows": [)",
                   R"("dispatch": {"retry_budget_ratio": -1}, "workflows": [)"),
              "dispatch.retry_budget_ratio");
}

TEST(ParseConfigTest, WeightIsBounded) {
  ExpectError(With(R"("weight": 5,)", R"("weight": 4000000000,)"),
              "channels[1].weight");
}

TEST(ParseConfigTest, BalanceIsOrderedOrWeighted) {
  auto c = ParseConfig(Valid(), "/etc/mg");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->config.workflows(0).balance(), "ordered");
  ExpectError(
      With(R"("default_cfg": 7,)", R"("default_cfg": 7, "balance": "random",)"),
      "workflows[0].balance");
  auto w = ParseConfig(With(R"("default_cfg": 7,)",
                            R"("default_cfg": 7, "balance": "weighted",)"),
                       "/etc/mg");
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->config.workflows(0).balance(), "weighted");
}

TEST(ParseConfigTest, FetchAllowlistEntriesMustBeAddresses) {
  for (const char* good : {"127.0.0.1", "127.0.0.1:8188", "::1", "[::1]:80"}) {
    auto c =
        ParseConfig(With(R"("server": {)",
                         std::string(R"("fetch": {"allow_addresses": [")") +
                             good + R"("]}, "server": {)"),
                    "/b");
    EXPECT_TRUE(c.ok()) << good << ": " << c.status();
  }
  for (const char* bad : {"localhost", "127.0.0.1:", "127.0.0.1:99999", "[::1",
                          "10.0.0.0/8", "", "1.2.3"}) {
    ExpectError(With(R"("server": {)",
                     std::string(R"("fetch": {"allow_addresses": [")") + bad +
                         R"("]}, "server": {)"),
                "fetch.allow_addresses[0]");
  }
  auto d = ParseConfig(Valid(), "/b");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->config.fetch().max_redirects(), 3u);
  EXPECT_EQ(d->config.fetch().max_bytes(), 64u << 20);
}

TEST(ParseConfigTest, WebhooksDefaultsAndBounds) {
  auto d = ParseConfig(Valid(), "/b");
  ASSERT_TRUE(d.ok());
  const auto& w = d->config.webhooks();
  EXPECT_TRUE(w.allow_addresses().empty());
  EXPECT_EQ(w.max_retry_hours(), 24u);
  EXPECT_EQ(w.attempt_timeout_ms(), 10000u);
  EXPECT_EQ(w.max_per_endpoint(), 4u);
  EXPECT_EQ(w.retry_base_ms(), 5000u);
  EXPECT_EQ(w.retry_max_delay_ms(), 3600000u);
  auto c = ParseConfig(With(R"("server": {)",
                            R"("webhooks": {"allow_addresses": ["127.0.0.1"]},)"
                            R"( "server": {)"),
                       "/b");
  EXPECT_TRUE(c.ok()) << c.status();
  ExpectError(With(R"("server": {)",
                   R"("webhooks": {"allow_addresses": ["localhost"]}, "server": {)"),
              "webhooks.allow_addresses[0]");
  ExpectError(With(R"("server": {)",
                   R"("webhooks": {"max_retry_hours": 721}, "server": {)"),
              "webhooks.max_retry_hours");
  ExpectError(With(R"("server": {)",
                   R"("webhooks": {"retry_base_ms": 7200000}, "server": {)"),
              "webhooks.retry_base_ms");
}

TEST(LoadConfigFileTest, MissingFileIsNotFound) {
  auto c = LoadConfigFile("/nonexistent/dir/mediagw.json");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(c.status().message(), HasSubstr("/nonexistent/dir/mediagw.json"));
}

TEST(LoadConfigFileTest, BaseDirIsTheFilesFolder) {
  std::string dir = ::testing::TempDir();
  if (!dir.empty() && dir.back() == '/') dir.pop_back();
  std::string path = dir + "/config_test_mediagw.json";
  {
    std::ofstream out(path);
    out << Valid();
  }
  auto c = LoadConfigFile(path);
  std::remove(path.c_str());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->base_dir, dir);
  EXPECT_EQ(c->config.storage().data_dir(), dir + "/data");
}

// A temp folder with files for channel_files tests; removed at the end.
class ChannelFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // ctest runs each test in its own process, in parallel: a folder each.
    std::string tmpl = ::testing::TempDir() + "/config_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf " + dir_;
    (void)std::system(cmd.c_str());
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream out(dir_ + "/" + name);
    out << text;
  }
  std::string dir_;
};

TEST_F(ChannelFilesTest, ChannelsAreAppendedInOrder) {
  Write("v.json", R"({"channels": [
      {"name": "v1", "provider": "comfyui", "base_urls": ["http://a:1"]},
      {"name": "v2", "provider": "comfyui", "base_urls": ["http://b:1"]}]})");
  std::string json = With(R"("workflows": [)", R"("channel_files": ["v.json"],
    "workflows": [{"name": "vw", "channels": ["v2", "c1"]},)");
  auto c = ParseConfig(json, dir_);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->config.channels_size(), 4);
  EXPECT_EQ(c->config.channels(2).name(), "v1");
  EXPECT_EQ(c->config.channels(3).name(), "v2");
}

TEST_F(ChannelFilesTest, BadChannelFilesAreNamed) {
  Write("other.json", R"({"channels": [{"name": "x", "provider": "comfyui",
      "base_urls": ["http://a:1"]}], "workflows": []})");
  Write("more.json", R"({"channels": [], "dispatch": {"max_attempts": 2}})");
  Write("empty.json", R"({})");
  Write("broken.json", R"({"channels": [)");
  Write("dup.json", R"({"channels": [{"name": "c1", "provider": "comfyui",
      "base_urls": ["http://a:1"]}]})");
  for (const auto& [file, what] :
       std::vector<std::pair<std::string, std::string>>{
           {"missing.json", "cannot open"},
           {"more.json", "nothing else"},
           {"empty.json", "nothing else"},
           {"broken.json", "channel_files[0]"},
           {"dup.json", "c1"},
           {"", "empty"}}) {
    SCOPED_TRACE(file);
    std::string json =
        With(R"("workflows": [)",
             R"("channel_files": [")" + file + R"("], "workflows": [)");
    auto c = ParseConfig(json, dir_);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(c.status().message(), HasSubstr(what));
  }
}

// The shipped example is complete: every workflow of the legacy surface,
// with the settings the seeds show (rr3: numeric ids, its label, cfg 6;
// grok: 1024x1024, grok_ ids, its label and models).
TEST(ExampleConfigTest, ShippedExampleLoadsWithEveryWorkflow) {
  auto c = LoadConfigFile(std::string(MEDIAGW_SOURCE_DIR) +
                          "/config/mediagw.example.json");
  ASSERT_TRUE(c.ok()) << c.status();
  std::map<std::string, config::Workflow> by_name;
  for (const auto& w : c->config.workflows()) by_name[w.name()] = w;
  for (const char* name : {"default", "anime", "z-image", "video", "rr3",
                           "grok", "kie-video", "flux"}) {
    EXPECT_EQ(by_name.count(name), 1u) << name;
  }
  const config::Workflow& rr3 = by_name["rr3"];
  EXPECT_EQ(rr3.default_cfg(), 6);
  EXPECT_EQ(rr3.task_id_style(), "numeric");
  EXPECT_EQ(rr3.provider_label(), "rr3");
  const config::Workflow& grok = by_name["grok"];
  EXPECT_EQ(grok.default_width(), 1024u);
  EXPECT_EQ(grok.default_height(), 1024u);
  EXPECT_EQ(grok.task_id_prefix(), "grok_");
  EXPECT_EQ(grok.provider_label(), "grok");
  EXPECT_THAT(grok.models(), ::testing::ElementsAre("grok-imagine-image",
                                                    "grok-imagine-image-pro"));
  std::set<std::string> channels;
  for (const auto& ch : c->config.channels()) channels.insert(ch.name());
  EXPECT_EQ(channels.count("rr3"), 1u) << "from vendors/rr3.json";
  EXPECT_EQ(channels.count("fluxjobs"), 1u) << "from vendors/fluxjobs.json";
}

TEST(SecretFromEnvTest, SetUnsetAndEmpty) {
  const char* var = "MEDIAGW_CONFIG_TEST_SECRET";
  ::unsetenv(var);
  auto missing = SecretFromEnv(var);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr(var));
  ::setenv(var, "", 1);
  EXPECT_EQ(SecretFromEnv(var).status().code(), absl::StatusCode::kNotFound);
  ::setenv(var, "s3cret", 1);
  auto ok = SecretFromEnv(var);
  ::unsetenv(var);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "s3cret");
}


// The valid config plus a video workflow and `compat` (JSON).
std::string WithCompat(absl::string_view compat) {
  return With(R"("template_file": "/abs/g.json"}
    ])",
              absl::StrCat(R"("template_file": "/abs/g.json",
       "accepts_model": true, "models": ["m1", "m2"]},
      {"name": "vid", "channels": ["c1"], "kind": "video"}
    ], "compat": )",
                           compat));
}

TEST(ParseConfigTest, CompatTablesLoadWithDefaults) {
  std::string json = WithCompat(R"({
      "openai_models": [{"name": "grok-imagine-image", "workflow": "grok",
                         "model": "m2"}],
      "kie_models": [{"name": "grok-imagine/image-to-video",
                      "workflow": "vid"}]})");
  auto c = ParseConfig(json, "/etc/mg");
  ASSERT_TRUE(c.ok()) << c.status() << json;
  const auto& compat = c->config.compat();
  ASSERT_EQ(compat.openai_models_size(), 1);
  EXPECT_EQ(compat.openai_models(0).model(), "m2");
  EXPECT_EQ(compat.kie_models(0).workflow(), "vid");
  EXPECT_EQ(compat.openai_sync_timeout_seconds(), 300u);
  EXPECT_EQ(compat.openai_max_b64_bytes(), 32u << 20);
}

TEST(ParseConfigTest, CompatTablesAreChecked) {
  struct Case {
    const char* compat;
    const char* field;
  };
  const Case cases[] = {
      {R"({"openai_models": [{"name": "x", "workflow": "nope"}]})",
       "compat.openai_models[0].workflow"},
      {R"({"openai_models": [{"name": "x", "workflow": "vid"}]})",
       "compat.openai_models[0].workflow"},
      {R"({"openai_models": [{"name": "x", "workflow": "grok"},
                             {"name": "x", "workflow": "grok"}]})",
       "compat.openai_models[1].name"},
      {R"({"openai_models": [{"name": "", "workflow": "grok"}]})",
       "compat.openai_models[0].name"},
      {R"({"openai_models": [{"name": "a b", "workflow": "grok"}]})",
       "compat.openai_models[0].name"},
      {R"({"openai_models": [{"name": "x", "workflow": "grok",
                              "model": "m3"}]})",
       "compat.openai_models[0].model"},
      {R"({"kie_models": [{"name": "x", "workflow": "vid", "model": "m"}]})",
       "compat.kie_models[0].model"},
      {R"({"openai_sync_timeout_seconds": 86401})",
       "compat.openai_sync_timeout_seconds"},
  };
  for (const Case& c : cases) {
    ExpectError(WithCompat(c.compat), c.field);
  }
}

}  // namespace
}  // namespace mediagw
