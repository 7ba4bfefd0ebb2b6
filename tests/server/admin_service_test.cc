// AdminService over a real in-process gRPC server on 127.0.0.1:0, a real
// AccountBook and a real SQLite store in a temp dir: every call works with
// the admin key and is refused without it; a created key's secret is shown
// once; a revoked key is refused by MediaService on the same port at once.
#include "server/admin_service.h"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "accounts/account_limits.h"
#include "accounts/account_view_adapter.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/crypto.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/grpc_server.h"
#include "server/media_service.h"
#include "store/sqlite/sqlite_account_store.h"
#include "tests/fakes/mock_task_service.h"

namespace mediagw {
namespace {

using ::mediagw::testing_util::MockTaskService;
using ::testing::_;
using ::testing::Invoke;
using ::testing::StrictMock;

constexpr char kAdminKey[] = "mgw_admin_secret";
constexpr char kUserKey[] = "sk-backend";

class AdminServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "mediagw-admin-XXXXXX")
            .string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto store = SqliteTaskStore::Open(dir_ + "/tasks.db");
    ASSERT_TRUE(store.ok()) << store.status();
    tasks_store_ = std::move(*store);
    accounts_store_ = std::make_unique<SqliteAccountStore>(tasks_store_.get());
    limits_ = std::make_unique<AccountLimits>(&clock_, admin::v1::Limits());
    book_ = std::make_unique<AccountBook>(
        AccountBook::Deps{accounts_store_.get(), &auth_, limits_.get(), &clock_},
        AccountBook::Options());
    ConfigAccount backend;
    backend.id = "backend";
    backend.sha256_hex = Sha256Hex(kUserKey);
    backend.has_balance = true;
    backend.balance = 10;
    ASSERT_TRUE(book_->Start({backend}).ok());
    view_ = std::make_unique<AccountViewAdapter>(book_.get(), limits_.get(),
                                                 &pool_);
    media_ = std::make_unique<MediaServiceImpl>(&tasks_, &auth_, view_.get());
    StartServer(Sha256Hex(kAdminKey));
  }

  void StartServer(const std::string& admin_sha) {
    admin_ = std::make_unique<AdminServiceImpl>(book_.get(), &auth_, &pool_,
                                                admin_sha);
    auto cfg = ParseConfig(R"({
      "api_keys": [{"name": "backend", "key_env": "UNUSED"}],
      "channels": [{"name": "c", "provider": "comfyui",
                    "base_urls": ["http://127.0.0.1:1"]}],
      "workflows": [{"name": "default", "channels": ["c"],
                     "template_file": "t.json"}]})",
                           ".");
    ASSERT_TRUE(cfg.ok()) << cfg.status();
    auto running = StartGrpcServer("127.0.0.1:0", {admin_.get(), media_.get()},
                                   cfg->config.server().grpc_limits());
    ASSERT_TRUE(running.ok()) << running.status();
    server_ = std::move(*running);
    auto channel = grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_.port),
        grpc::InsecureChannelCredentials());
    stub_ = admin::v1::AdminService::NewStub(channel);
    media_stub_ = v1::MediaService::NewStub(channel);
  }

  void StopServer() {
    if (server_.server == nullptr) return;
    server_.server->Shutdown(std::chrono::system_clock::now() +
                             std::chrono::seconds(2));
    server_.server.reset();
  }

  void TearDown() override {
    StopServer();
    pool_.Shutdown();
    tasks_store_->Flush();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  static void Admin(grpc::ClientContext* ctx) {
    ctx->AddMetadata("authorization", std::string("Bearer ") + kAdminKey);
  }

  std::string dir_;
  RealClock clock_;
  Authenticator auth_;
  ThreadPool pool_{2};
  std::unique_ptr<SqliteTaskStore> tasks_store_;
  std::unique_ptr<SqliteAccountStore> accounts_store_;
  std::unique_ptr<AccountLimits> limits_;
  std::unique_ptr<AccountBook> book_;
  StrictMock<MockTaskService> tasks_;
  std::unique_ptr<AccountViewAdapter> view_;
  std::unique_ptr<MediaServiceImpl> media_;
  std::unique_ptr<AdminServiceImpl> admin_;
  RunningGrpcServer server_;
  std::unique_ptr<admin::v1::AdminService::Stub> stub_;
  std::unique_ptr<v1::MediaService::Stub> media_stub_;
};

// Each admin call, issued with whatever `prepare` puts on the context.
using Call = std::function<grpc::Status(admin::v1::AdminService::Stub&,
                                        grpc::ClientContext*)>;

std::vector<std::pair<std::string, Call>> EveryCall() {
  using namespace admin::v1;  // NOLINT(build/namespaces)
  return {
      {"CreateAccount",
       [](AdminService::Stub& s, grpc::ClientContext* c) {
         CreateAccountRequest r;
         r.set_id("acme");
         Account a;
         return s.CreateAccount(c, r, &a);
       }},
      {"GetAccount",
       [](AdminService::Stub& s, grpc::ClientContext* c) {
         GetAccountRequest r;
         r.set_id("backend");
         Account a;
         return s.GetAccount(c, r, &a);
       }},
      {"ListAccounts",
       [](AdminService::Stub& s, grpc::ClientContext* c) {
         ListAccountsRequest r;
         ListAccountsResponse a;
         return s.ListAccounts(c, r, &a);
       }},
      {"UpdateAccount",
       [](AdminService::Stub& s, grpc::ClientContext* c) {
         UpdateAccountRequest r;
         r.set_id("backend");
         r.set_weight(3);
         Account a;
         return s.UpdateAccount(c, r, &a);
       }},
      {"CreateKey",
       [](AdminService::Stub& s, grpc::ClientContext* c) {
         CreateKeyRequest r;
         r.set_account_id("backend");
         CreateKeyResponse a;
         return s.CreateKey(c, r, &a);
       }},
      {"RevokeKey",
       [](AdminService::Stub& s, grpc::ClientContext* c) {
         RevokeKeyRequest r;
         r.set_key_id("key_missing");
         ApiKey a;
         return s.RevokeKey(c, r, &a);
       }},
      {"ListKeys",
       [](AdminService::Stub& s, grpc::ClientContext* c) {
         ListKeysRequest r;
         r.set_account_id("backend");
         ListKeysResponse a;
         return s.ListKeys(c, r, &a);
       }},
      {"TopUp",
       [](AdminService::Stub& s, grpc::ClientContext* c) {
         TopUpRequest r;
         r.set_account_id("backend");
         r.set_amount(5);
         Account a;
         return s.TopUp(c, r, &a);
       }},
      {"ListLedger",
       [](AdminService::Stub& s, grpc::ClientContext* c) {
         ListLedgerRequest r;
         r.set_account_id("backend");
         ListLedgerResponse a;
         return s.ListLedger(c, r, &a);
       }},
      {"RotateWebhookSecret",
       [](AdminService::Stub& s, grpc::ClientContext* c) {
         RotateWebhookSecretRequest r;
         r.set_account_id("backend");
         RotateWebhookSecretResponse a;
         return s.RotateWebhookSecret(c, r, &a);
       }},
  };
}

TEST_F(AdminServiceTest, EveryCallWorksWithTheAdminKey) {
  for (const auto& [name, call] : EveryCall()) {
    grpc::ClientContext ctx;
    Admin(&ctx);
    const grpc::Status st = call(*stub_, &ctx);
    if (name == "RevokeKey") {
      // The call ran: the book looked the key up.
      EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND) << name;
    } else {
      EXPECT_TRUE(st.ok()) << name << ": " << st.error_message();
    }
  }
  // What the calls did, read back.
  auto acme = book_->GetAccount("acme");
  ASSERT_TRUE(acme.ok()) << acme.status();
  auto backend = book_->GetAccount("backend");
  ASSERT_TRUE(backend.ok());
  EXPECT_EQ(backend->balance(), 15);
  EXPECT_EQ(backend->weight(), 3u);
  EXPECT_TRUE(backend->has_webhook_secret());
}

TEST_F(AdminServiceTest, EveryCallWithoutTheAdminKeyIsRefused) {
  struct Way {
    std::string what;
    std::function<void(grpc::ClientContext*)> prepare;
    grpc::StatusCode code;
  };
  const std::vector<Way> ways = {
      {"no key", [](grpc::ClientContext*) {},
       grpc::StatusCode::UNAUTHENTICATED},
      {"unknown key",
       [](grpc::ClientContext* c) { c->AddMetadata("x-api-key", "sk-who"); },
       grpc::StatusCode::UNAUTHENTICATED},
      {"a caller's key",
       [](grpc::ClientContext* c) { c->AddMetadata("x-api-key", kUserKey); },
       grpc::StatusCode::PERMISSION_DENIED},
      {"a caller's key as bearer",
       [](grpc::ClientContext* c) {
         c->AddMetadata("authorization", std::string("Bearer ") + kUserKey);
       },
       grpc::StatusCode::PERMISSION_DENIED},
  };
  for (const Way& way : ways) {
    for (const auto& [name, call] : EveryCall()) {
      grpc::ClientContext ctx;
      way.prepare(&ctx);
      EXPECT_EQ(call(*stub_, &ctx).error_code(), way.code)
          << name << " with " << way.what;
    }
  }
  // Nothing happened.
  EXPECT_EQ(book_->GetAccount("acme").status().code(),
            absl::StatusCode::kNotFound);
  auto backend = book_->GetAccount("backend");
  ASSERT_TRUE(backend.ok());
  EXPECT_EQ(backend->balance(), 10);
  EXPECT_FALSE(backend->has_webhook_secret());
}

TEST_F(AdminServiceTest, WithoutAnAdminKeyConfiguredEveryoneIsDenied) {
  StopServer();
  StartServer("");
  for (const char* key : {"", kAdminKey, kUserKey}) {
    for (const auto& [name, call] : EveryCall()) {
      grpc::ClientContext ctx;
      if (*key != '\0') ctx.AddMetadata("x-api-key", key);
      const grpc::Status st = call(*stub_, &ctx);
      EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << name;
      EXPECT_EQ(st.error_message(), "admin service disabled");
    }
  }
}

TEST_F(AdminServiceTest, CreateKeyShowsTheSecretOnceAndListKeysOnlyItsPrefix) {
  admin::v1::CreateKeyResponse created;
  {
    grpc::ClientContext ctx;
    Admin(&ctx);
    admin::v1::CreateKeyRequest r;
    r.set_account_id("backend");
    r.set_name("ci");
    ASSERT_TRUE(stub_->CreateKey(&ctx, r, &created).ok());
  }
  ASSERT_FALSE(created.secret().empty());
  EXPECT_TRUE(absl::StartsWith(created.secret(), created.key().prefix()));
  EXPECT_LT(created.key().prefix().size(), created.secret().size());
  admin::v1::ListKeysResponse listed;
  {
    grpc::ClientContext ctx;
    Admin(&ctx);
    admin::v1::ListKeysRequest r;
    r.set_account_id("backend");
    ASSERT_TRUE(stub_->ListKeys(&ctx, r, &listed).ok());
  }
  ASSERT_EQ(listed.keys_size(), 1);
  EXPECT_EQ(listed.keys(0).id(), created.key().id());
  EXPECT_EQ(listed.keys(0).prefix(), created.key().prefix());
  EXPECT_EQ(listed.keys(0).name(), "ci");
  // The secret appears nowhere in the listing's bytes.
  EXPECT_FALSE(
      absl::StrContains(listed.SerializeAsString(), created.secret()));
}

TEST_F(AdminServiceTest, ARevokedKeyIsRefusedByMediaServiceAtOnce) {
  admin::v1::CreateKeyResponse created;
  {
    grpc::ClientContext ctx;
    Admin(&ctx);
    admin::v1::CreateKeyRequest r;
    r.set_account_id("backend");
    ASSERT_TRUE(stub_->CreateKey(&ctx, r, &created).ok());
  }
  // The new key works on MediaService and owns the account's tasks.
  EXPECT_CALL(tasks_, GetTask(_, "t-1", _))
      .WillOnce(Invoke([](const Caller& caller, const std::string&,
                          TaskService::Callback<v1::Task> done) {
        EXPECT_EQ(caller.owner(), "backend");
        done(absl::NotFoundError("task not found: t-1"));
      }));
  v1::GetTaskRequest get;
  get.set_id("t-1");
  v1::Task task;
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", created.secret());
    EXPECT_EQ(media_stub_->GetTask(&ctx, get, &task).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext ctx;
    Admin(&ctx);
    admin::v1::RevokeKeyRequest r;
    r.set_key_id(created.key().id());
    admin::v1::ApiKey revoked;
    ASSERT_TRUE(stub_->RevokeKey(&ctx, r, &revoked).ok());
    EXPECT_TRUE(revoked.has_revoke_time());
  }
  // Refused before it reaches the core (the mock allows no second call).
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-api-key", created.secret());
  const grpc::Status st = media_stub_->GetTask(&ctx, get, &task);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(st.error_message(), "Invalid API key");
}

TEST_F(AdminServiceTest, MediaServiceGetAccountShowsTheCallersOwnAccount) {
  {
    grpc::ClientContext ctx;
    Admin(&ctx);
    admin::v1::UpdateAccountRequest r;
    r.set_id("backend");
    r.mutable_limits()->set_requests_per_minute(60);
    r.mutable_limits()->set_max_active_tasks(4);
    admin::v1::Account a;
    ASSERT_TRUE(stub_->UpdateAccount(&ctx, r, &a).ok());
  }
  limits_->SetActive("backend", 2);
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-api-key", kUserKey);
  v1::Account account;
  const grpc::Status st =
      media_stub_->GetAccount(&ctx, v1::GetAccountRequest(), &account);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(account.id(), "backend");
  EXPECT_EQ(account.balance(), 10);
  EXPECT_EQ(account.held(), 0);
  EXPECT_FALSE(account.unlimited());
  EXPECT_EQ(account.requests_per_minute(), 60u);
  EXPECT_EQ(account.burst(), 60u);  // 0 = a minute's requests
  EXPECT_EQ(account.max_active_tasks(), 4u);
  EXPECT_EQ(account.active_tasks(), 2u);
  // The admin key is no caller.
  grpc::ClientContext admin_ctx;
  Admin(&admin_ctx);
  EXPECT_EQ(media_stub_->GetAccount(&admin_ctx, v1::GetAccountRequest(),
                                    &account)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AdminServiceTest, InvalidUtf8NamesTheField) {
  // CreateKeyRequest.name (field 2) holding a lone continuation byte.
  admin::v1::CreateKeyRequest r;
  r.set_account_id("backend");
  std::string wire = r.SerializeAsString();
  wire += std::string("\x12\x01\x80", 3);
  grpc::GenericStub generic(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(server_.port),
      grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  Admin(&ctx);
  grpc::Slice slice(wire);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer reply;
  grpc::Status result;
  absl::Notification done;
  generic.UnaryCall(&ctx, "/mediagw.admin.v1.AdminService/CreateKey",
                    grpc::StubOptions(), &request, &reply,
                    [&](grpc::Status st) {
                      result = std::move(st);
                      done.Notify();
                    });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_EQ(result.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(result.error_message(), "name: not valid UTF-8");
}

TEST(AuthorizeAdminTest, ComparesHashesAndTellsTheCases) {
  Authenticator auth({{"backend", Sha256Hex(kUserKey)}});
  const std::string admin = Sha256Hex(kAdminKey);
  EXPECT_TRUE(AuthorizeAdmin(kAdminKey, admin, &auth).ok());
  EXPECT_EQ(AuthorizeAdmin("", admin, &auth).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(AuthorizeAdmin("sk-who", admin, &auth).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(AuthorizeAdmin(kUserKey, admin, &auth).code(),
            absl::StatusCode::kPermissionDenied);
  // The admin key's hash itself is no key.
  EXPECT_EQ(AuthorizeAdmin(admin, admin, &auth).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(AuthorizeAdmin(kAdminKey, "", &auth).code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace mediagw
