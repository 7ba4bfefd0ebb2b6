// gRPC adapter for mediagw.admin.v1.AdminService over AccountBook
// (docs/ACCOUNTS.md), served on the same port as MediaService (callback
// API). Every method is registered raw, as MediaService's are, so that a
// request string with invalid UTF-8 is INVALID_ARGUMENT "<field>: not valid
// UTF-8" (server/proto_parse.h).
//
// Auth: only the admin key (its SHA-256 compared in constant time). No key
// is UNAUTHENTICATED "Missing API key", an unknown key UNAUTHENTICATED
// "Invalid API key", any other working API key PERMISSION_DENIED; with no
// admin key configured every call is PERMISSION_DENIED "admin service
// disabled". The key arrives as for MediaService: `x-api-key`, or
// `authorization: Bearer <key>`.
//
// Threads: AccountBook blocks on the store, so each call runs on `pool`
// and finishes its reactor from there; no reaction ever blocks. Statuses
// map as MediaService's (common/status_mapping ToGrpcStatus).
#ifndef MEDIAGW_SERVER_ADMIN_SERVICE_H_
#define MEDIAGW_SERVER_ADMIN_SERVICE_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "accounts/account_book.h"
#include "common/thread_pool.h"
#include "core/auth.h"
#include "grpcpp/support/byte_buffer.h"
#include "mediagw/admin/v1/admin.grpc.pb.h"

namespace mediagw {

namespace admin_raw {
using S = admin::v1::AdminService;
using RawAdminService = S::WithRawCallbackMethod_CreateAccount<
    S::WithRawCallbackMethod_GetAccount<S::WithRawCallbackMethod_ListAccounts<
        S::WithRawCallbackMethod_UpdateAccount<
            S::WithRawCallbackMethod_CreateKey<
                S::WithRawCallbackMethod_RevokeKey<
                    S::WithRawCallbackMethod_ListKeys<
                        S::WithRawCallbackMethod_TopUp<
                            S::WithRawCallbackMethod_ListLedger<
                                S::WithRawCallbackMethod_RotateWebhookSecret<
                                    S::Service>>>>>>>>>>;
}  // namespace admin_raw

// The admin check alone (see the header comment): `key` as extracted from
// the call, `admin_key_sha256` lower-case hex ("" = not configured), `auth`
// the API keys (may be null: then every other key is "Invalid API key").
absl::Status AuthorizeAdmin(absl::string_view key,
                            absl::string_view admin_key_sha256,
                            const Authenticator* auth);

class AdminServiceImpl final : public admin_raw::RawAdminService {
 public:
  // None owned; all must outlive the service, and `pool` must run (or
  // have run) every job before the service is destroyed.
  AdminServiceImpl(AccountBook* book, const Authenticator* auth,
                   Executor* pool, std::string admin_key_sha256);

  grpc::ServerUnaryReactor* CreateAccount(grpc::CallbackServerContext* ctx,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetAccount(grpc::CallbackServerContext* ctx,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListAccounts(grpc::CallbackServerContext* ctx,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* UpdateAccount(grpc::CallbackServerContext* ctx,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CreateKey(grpc::CallbackServerContext* ctx,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* RevokeKey(grpc::CallbackServerContext* ctx,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListKeys(grpc::CallbackServerContext* ctx,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* TopUp(grpc::CallbackServerContext* ctx,
                                  const grpc::ByteBuffer* request,
                                  grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListLedger(grpc::CallbackServerContext* ctx,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* RotateWebhookSecret(
      grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;

 private:
  // Authorizes and parses the request as `Request` (finishing the reactor
  // on failure), then runs `call` on the pool and finishes with its result.
  template <typename Request, typename Reply>
  grpc::ServerUnaryReactor* Unary(
      grpc::CallbackServerContext* ctx, absl::string_view method,
      const grpc::ByteBuffer* request, grpc::ByteBuffer* response,
      std::function<absl::StatusOr<Reply>(const Request&)> call);

  AccountBook* const book_;
  const Authenticator* const auth_;
  Executor* const pool_;
  const std::string admin_key_sha256_;
};

}  // namespace mediagw

#endif  // MEDIAGW_SERVER_ADMIN_SERVICE_H_
