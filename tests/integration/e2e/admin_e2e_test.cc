// End-to-end: accounts on the real mediagw binary, driven by the real
// mediagw-cli (`admin ...` and `account`), the legacy surface and gRPC: an
// account made and funded at run time, its key working on every surface,
// its balance on the legacy `endpoint=balance` and MediaService.GetAccount,
// "Insufficient balance" once the credits are held, the admin service
// refusing callers' keys, and a revoked key refused at once over REST and
// gRPC without a restart.
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "gtest/gtest.h"
#include "tests/integration/e2e/harness.h"

namespace mediagw::e2e {
namespace {

constexpr char kAdminKey[] = "mgw_e2e_admin_key";

struct CliResult {
  int exit = -1;
  std::string out;
};

// Runs mediagw-cli with `args` (already shell-quoted where needed).
CliResult Cli(const Server& server, const std::string& args) {
  const std::string cmd = absl::StrCat(MEDIAGW_BIN_CLI, " --addr=",
                                       server.grpc_addr(), " ", args,
                                       " 2>&1");
  CliResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string Admin(const std::string& call) {
  return absl::StrCat("--admin_key=", kAdminKey, " admin ", call);
}

// A string member of the JSON object in `text` (one line of CLI output).
std::string Member(const std::string& text, const char* outer,
                   const char* name) {
  auto doc = json::Parse(text);
  if (!doc.ok() || !doc->IsObject()) return "";
  const rapidjson::Value* v = &*doc;
  if (outer != nullptr) {
    if (!v->HasMember(outer) || !(*v)[outer].IsObject()) return "";
    v = &(*v)[outer];
  }
  if (!v->HasMember(name) || !(*v)[name].IsString()) return "";
  return (*v)[name].GetString();
}

HttpResult Balance(const Server& server, const std::string& key) {
  return Http("GET", server.rest() + "/v1/index.php?endpoint=balance", "",
              {"x-api-key: " + key});
}

HttpResult SubmitPriced(const Server& server, const std::string& key) {
  return Http("POST", server.rest() + "/v1/index.php?endpoint=image_generation",
              R"({"prompt":"a paid cat","workflow":"priced"})",
              {"x-api-key: " + key});
}

class AdminE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override {
    if (!HasFailure()) std::system(("rm -rf " + dir_).c_str());
  }
  std::string dir_;
};

TEST_F(AdminE2eTest, AccountsMadeAtRunTimeAcrossCliRestAndGrpc) {
  Simulator sim(dir_);
  ServerOptions o;
  o.extra_workflows = absl::StrCat(
      R"({"name": "priced", "channels": ["comfy"], "template_file": ")",
      SourceDir(), R"(/config/workflows/default.json", "default_cfg": 7,)",
      R"( "price": {"per_output": 5}})");
  o.accounts = R"({"admin_key_env": "MEDIAGW_E2E_ADMIN_KEY"})";
  o.env = {{"MEDIAGW_E2E_ADMIN_KEY", kAdminKey}};
  Server server(dir_, sim.url(), o);
  server.Start();

  // A config key without a balance is an unlimited account.
  HttpResult config_balance = Balance(server, Server::kKey);
  EXPECT_EQ(config_balance.status, 200);
  EXPECT_EQ(config_balance.body,
            R"({"success":true,"data":{"balance":0,"held":0,)"
            R"("unlimited":true},"error":null})");

  // Callers' keys are no admin keys; no key is no caller.
  CliResult denied = Cli(server, absl::StrCat("--admin_key=", Server::kKey,
                                              " admin list-accounts"));
  EXPECT_EQ(denied.exit, 1);
  EXPECT_TRUE(absl::StrContains(denied.out, "error: 7 ")) << denied.out;
  CliResult unknown =
      Cli(server, "--admin_key=sk-nobody admin get-account e2e");
  EXPECT_EQ(unknown.exit, 1);
  EXPECT_TRUE(absl::StrContains(unknown.out, "error: 16 ")) << unknown.out;

  // An account funded with 7 credits and a key of its own.
  CliResult made = Cli(server, Admin("create-account acme --balance=7"));
  ASSERT_EQ(made.exit, 0) << made.out;
  EXPECT_EQ(Member(made.out, nullptr, "id"), "acme");
  CliResult key = Cli(server, Admin("create-key acme --name=ci"));
  ASSERT_EQ(key.exit, 0) << key.out;
  const std::string secret = Member(key.out, nullptr, "secret");
  const std::string key_id = Member(key.out, "key", "id");
  ASSERT_FALSE(secret.empty()) << key.out;
  CliResult listed = Cli(server, Admin("list-keys acme"));
  ASSERT_EQ(listed.exit, 0) << listed.out;
  EXPECT_TRUE(absl::StrContains(listed.out, key_id));
  EXPECT_FALSE(absl::StrContains(listed.out, secret));  // shown once only

  HttpResult funded = Balance(server, secret);
  EXPECT_EQ(funded.status, 200);
  EXPECT_EQ(funded.body,
            R"({"success":true,"data":{"balance":7,"held":0,)"
            R"("unlimited":false},"error":null})");

  // One task at 5 credits is held; the next does not fit.
  HttpResult paid = SubmitPriced(server, secret);
  EXPECT_EQ(paid.status, 200) << paid.body;
  HttpResult broke = SubmitPriced(server, secret);
  EXPECT_EQ(broke.status, 402);
  EXPECT_EQ(broke.body,
            R"({"success":false,"data":null,"error":"Insufficient balance"})");
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", secret);
    v1::SubmitImageRequest req;
    req.set_prompt("a paid cat");
    req.set_workflow("priced");
    v1::Task task;
    grpc::Status st = server.Stub()->SubmitImage(&ctx, req, &task);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(st.error_message(), "Insufficient balance");
  }
  CliResult mine = Cli(server, absl::StrCat("--key=", secret, " account"));
  ASSERT_EQ(mine.exit, 0) << mine.out;
  EXPECT_EQ(Member(mine.out, nullptr, "id"), "acme");
  // (int64 fields are strings in proto JSON.)
  EXPECT_TRUE(absl::StrContains(mine.out, R"("balance":"2")")) << mine.out;
  EXPECT_TRUE(absl::StrContains(mine.out, R"("held":"5")")) << mine.out;

  // A top-up makes room again; the ledger shows it.
  CliResult topped = Cli(server, Admin("top-up acme 10 --note=e2e"));
  ASSERT_EQ(topped.exit, 0) << topped.out;
  EXPECT_EQ(SubmitPriced(server, secret).status, 200);
  CliResult ledger = Cli(server, Admin("list-ledger acme"));
  ASSERT_EQ(ledger.exit, 0) << ledger.out;
  EXPECT_TRUE(absl::StrContains(ledger.out, "TOP_UP")) << ledger.out;
  EXPECT_TRUE(absl::StrContains(ledger.out, "HOLD")) << ledger.out;

  // Revoked: refused at once on REST and gRPC, no restart.
  CliResult revoked = Cli(server, Admin("revoke-key " + key_id));
  ASSERT_EQ(revoked.exit, 0) << revoked.out;
  HttpResult gone = Balance(server, secret);
  EXPECT_EQ(gone.status, 401);
  EXPECT_EQ(gone.body,
            R"({"success":false,"data":null,"error":"Invalid API key"})");
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", secret);
    v1::Account account;
    EXPECT_EQ(server.Stub()
                  ->GetAccount(&ctx, v1::GetAccountRequest(), &account)
                  .error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  // The other calls answer too.
  for (const char* call :
       {"get-account acme", "list-accounts --page_size=10",
        "update-account acme --rpm=60 --weight=2",
        "rotate-webhook-secret acme"}) {
    CliResult r = Cli(server, Admin(call));
    EXPECT_EQ(r.exit, 0) << call << ": " << r.out;
  }
  EXPECT_EQ(Cli(server, Admin("top-up acme lots")).exit, 2);
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace mediagw::e2e
