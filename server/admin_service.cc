#include "server/admin_service.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/status_mapping.h"
#include "server/call_log.h"
#include "server/proto_parse.h"

namespace mediagw {

namespace {

constexpr char kPrefix[] = "/mediagw.admin.v1.AdminService/";

// The name the access line shows for the admin key (never the key).
constexpr char kAdminKeyName[] = "admin";

}  // namespace

absl::Status AuthorizeAdmin(absl::string_view key,
                            absl::string_view admin_key_sha256,
                            const Authenticator* auth) {
  // Without an admin key nobody is admin, whatever they send.
  if (admin_key_sha256.empty()) {
    return absl::PermissionDeniedError("admin service disabled");
  }
  if (key.empty()) return absl::UnauthenticatedError("Missing API key");
  if (ConstantTimeEquals(Sha256Hex(key), admin_key_sha256)) {
    return absl::OkStatus();
  }
  if (auth != nullptr && auth->Authenticate(key).ok()) {
    return absl::PermissionDeniedError("the admin service needs the admin key");
  }
  return absl::UnauthenticatedError("Invalid API key");
}

AdminServiceImpl::AdminServiceImpl(AccountBook* book, const Authenticator* auth,
                                   Executor* pool, std::string admin_key_sha256)
    : book_(book),
      auth_(auth),
      pool_(pool),
      admin_key_sha256_(std::move(admin_key_sha256)) {}

template <typename Request, typename Reply>
grpc::ServerUnaryReactor* AdminServiceImpl::Unary(
    grpc::CallbackServerContext* ctx, absl::string_view method,
    const grpc::ByteBuffer* request, grpc::ByteBuffer* response,
    std::function<absl::StatusOr<Reply>(const Request&)> call) {
  auto* reactor = ctx->DefaultReactor();
  auto log = std::make_shared<CallLog>(ctx, absl::StrCat(kPrefix, method));
  const std::string key = Authenticator::ExtractKey(
      Metadata(ctx, "x-api-key"), Metadata(ctx, "authorization"));
  if (absl::Status st = AuthorizeAdmin(key, admin_key_sha256_, auth_);
      !st.ok()) {
    FinishCall(reactor, log, ToGrpcStatus(st));
    return reactor;
  }
  log->SetKeyName(kAdminKeyName);
  auto parsed = std::make_shared<Request>();
  if (absl::Status st = ParseRequest(*request, parsed.get()); !st.ok()) {
    FinishCall(reactor, log, ToGrpcStatus(st));
    return reactor;
  }
  // The book waits on the store: off the reaction. The reactor and
  // `response` stay valid until Finish, which only this job calls.
  pool_->Schedule([reactor, log, response, parsed, call = std::move(call)] {
    absl::StatusOr<Reply> reply = call(*parsed);
    if (!reply.ok()) {
      FinishCall(reactor, log, ToGrpcStatus(reply.status()));
      return;
    }
    FinishCall(reactor, log, ToGrpcStatus(SerializeReply(*reply, response)));
  });
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::CreateAccount(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Unary<admin::v1::CreateAccountRequest, admin::v1::Account>(
      ctx, "CreateAccount", request, response,
      [book = book_](const admin::v1::CreateAccountRequest& r) {
        return book->CreateAccount(r);
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::GetAccount(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Unary<admin::v1::GetAccountRequest, admin::v1::Account>(
      ctx, "GetAccount", request, response,
      [book = book_](const admin::v1::GetAccountRequest& r) {
        return book->GetAccount(r.id());
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListAccounts(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Unary<admin::v1::ListAccountsRequest, admin::v1::ListAccountsResponse>(
      ctx, "ListAccounts", request, response,
      [book = book_](const admin::v1::ListAccountsRequest& r) {
        return book->ListAccounts(r);
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::UpdateAccount(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Unary<admin::v1::UpdateAccountRequest, admin::v1::Account>(
      ctx, "UpdateAccount", request, response,
      [book = book_](const admin::v1::UpdateAccountRequest& r) {
        return book->UpdateAccount(r);
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::CreateKey(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Unary<admin::v1::CreateKeyRequest, admin::v1::CreateKeyResponse>(
      ctx, "CreateKey", request, response,
      [book = book_](const admin::v1::CreateKeyRequest& r) {
        return book->CreateKey(r);
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::RevokeKey(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Unary<admin::v1::RevokeKeyRequest, admin::v1::ApiKey>(
      ctx, "RevokeKey", request, response,
      [book = book_](const admin::v1::RevokeKeyRequest& r) {
        return book->RevokeKey(r.key_id());
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListKeys(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Unary<admin::v1::ListKeysRequest, admin::v1::ListKeysResponse>(
      ctx, "ListKeys", request, response,
      [book = book_](const admin::v1::ListKeysRequest& r) {
        return book->ListKeys(r.account_id());
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::TopUp(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Unary<admin::v1::TopUpRequest, admin::v1::Account>(
      ctx, "TopUp", request, response,
      [book = book_](const admin::v1::TopUpRequest& r) {
        return book->TopUp(r);
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListLedger(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Unary<admin::v1::ListLedgerRequest, admin::v1::ListLedgerResponse>(
      ctx, "ListLedger", request, response,
      [book = book_](const admin::v1::ListLedgerRequest& r) {
        return book->ListLedger(r);
      });
}

grpc::ServerUnaryReactor* AdminServiceImpl::RotateWebhookSecret(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Unary<admin::v1::RotateWebhookSecretRequest,
               admin::v1::RotateWebhookSecretResponse>(
      ctx, "RotateWebhookSecret", request, response,
      [book = book_](const admin::v1::RotateWebhookSecretRequest& r) {
        return book->RotateWebhookSecret(r.account_id());
      });
}

}  // namespace mediagw
