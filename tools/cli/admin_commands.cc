#include "tools/cli/admin_commands.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>

#include "absl/strings/numbers.h"
#include "google/protobuf/util/json_util.h"
#include "mediagw/admin/v1/admin.grpc.pb.h"

namespace mediagw::cli {
namespace {

using admin::v1::AdminService;

// No admin call should take long; a hung server must not hang a script.
constexpr std::chrono::seconds kCallTimeout(60);

const char kUsage[] =
    "  admin create-account ID [--balance=N] [--unlimited] [--rpm=N] "
    "[--burst=N] [--max_active=N] [--weight=N] [--webhook_url=U]\n"
    "  admin get-account ID\n"
    "  admin list-accounts [--page_size=N] [--page_token=T]\n"
    "  admin update-account ID [--rpm=N] [--burst=N] [--max_active=N] "
    "[--weight=N] [--webhook_url=U]\n"
    "  admin create-key ACCOUNT [--name=NAME]\n"
    "  admin revoke-key KEY_ID\n"
    "  admin list-keys ACCOUNT\n"
    "  admin top-up ACCOUNT AMOUNT [--note=TEXT]\n"
    "  admin list-ledger ACCOUNT [--page_size=N] [--page_token=T]\n"
    "  admin rotate-webhook-secret ACCOUNT\n"
    "  (admin key: --admin_key=KEY or $MEDIAGW_ADMIN_KEY)\n";

class Args {
 public:
  explicit Args(const std::map<std::string, std::string>& flags)
      : flags_(flags) {}
  bool Has(const std::string& name) const { return flags_.count(name) > 0; }
  std::string Str(const std::string& name) const {
    auto it = flags_.find(name);
    return it == flags_.end() ? "" : it->second;
  }
  // Unset flags leave `out` alone; a malformed one marks the args bad.
  template <typename T>
  void Int(const std::string& name, T* out) {
    if (!Has(name)) return;
    int64_t v = 0;
    if (!absl::SimpleAtoi(Str(name), &v) || v < std::numeric_limits<T>::min() ||
        v > std::numeric_limits<T>::max()) {
      std::fprintf(stderr, "--%s: not a number in range\n", name.c_str());
      bad_ = true;
      return;
    }
    *out = static_cast<T>(v);
  }
  bool bad() const { return bad_; }

 private:
  const std::map<std::string, std::string>& flags_;
  bool bad_ = false;
};

std::string Json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

// Fills limits (when any limit flag is given), weight and webhook URL.
void Settings(Args& a, admin::v1::Limits* limits, uint32_t* weight,
              std::string* webhook_url) {
  uint32_t rpm = 0, burst = 0, max_active = 0;
  a.Int("rpm", &rpm);
  a.Int("burst", &burst);
  a.Int("max_active", &max_active);
  a.Int("weight", weight);
  if (a.Has("rpm") || a.Has("burst") || a.Has("max_active")) {
    limits->set_requests_per_minute(rpm);
    limits->set_burst(burst);
    limits->set_max_active_tasks(max_active);
  }
  *webhook_url = a.Str("webhook_url");
}

int Usage() {
  std::fprintf(stderr, "usage: mediagw-cli --addr=HOST:PORT admin <call>\n%s",
               kUsage);
  return 2;
}

}  // namespace

const char* AdminUsage() { return kUsage; }

int RunAdmin(const std::vector<std::string>& args,
             const std::map<std::string, std::string>& flags,
             const std::shared_ptr<grpc::Channel>& channel) {
  if (args.empty()) return Usage();
  Args a(flags);
  std::string key = a.Str("admin_key");
  if (key.empty()) {
    const char* env = std::getenv("MEDIAGW_ADMIN_KEY");
    if (env != nullptr) key = env;
  }
  if (key.empty()) {
    std::fprintf(stderr,
                 "admin: no admin key (--admin_key or MEDIAGW_ADMIN_KEY)\n");
    return 2;
  }
  auto stub = AdminService::NewStub(channel);
  const std::string& call = args[0];
  const size_t operands = args.size() - 1;
  auto arg = [&](size_t i) -> const std::string& { return args[i]; };
  // Runs one call with the key and a deadline and prints its reply.
  auto run = [&](auto&& invoke, auto* reply) -> int {
    if (a.bad()) return 2;
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + key);
    ctx.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
    grpc::Status st = invoke(&ctx, reply);
    if (!st.ok()) {
      std::fprintf(stderr, "error: %d %s\n", static_cast<int>(st.error_code()),
                   st.error_message().c_str());
      return 1;
    }
    std::printf("%s\n", Json(*reply).c_str());
    return 0;
  };

  if (call == "create-account" && operands == 1) {
    admin::v1::CreateAccountRequest r;
    r.set_id(arg(1));
    int64_t balance = 0;
    a.Int("balance", &balance);
    r.set_initial_balance(balance);
    r.set_unlimited(a.Has("unlimited"));
    uint32_t weight = 0;
    std::string url;
    Settings(a, r.mutable_limits(), &weight, &url);
    r.set_weight(weight);
    r.set_default_webhook_url(url);
    admin::v1::Account out;
    return run([&](auto* c, auto* o) { return stub->CreateAccount(c, r, o); },
               &out);
  }
  if (call == "get-account" && operands == 1) {
    admin::v1::GetAccountRequest r;
    r.set_id(arg(1));
    admin::v1::Account out;
    return run([&](auto* c, auto* o) { return stub->GetAccount(c, r, o); },
               &out);
  }
  if (call == "list-accounts" && operands == 0) {
    admin::v1::ListAccountsRequest r;
    int32_t size = 0;
    a.Int("page_size", &size);
    r.set_page_size(size);
    r.set_page_token(a.Str("page_token"));
    admin::v1::ListAccountsResponse out;
    return run([&](auto* c, auto* o) { return stub->ListAccounts(c, r, o); },
               &out);
  }
  if (call == "update-account" && operands == 1) {
    admin::v1::UpdateAccountRequest r;
    r.set_id(arg(1));
    uint32_t weight = 0;
    std::string url;
    Settings(a, r.mutable_limits(), &weight, &url);
    if (!a.Has("rpm") && !a.Has("burst") && !a.Has("max_active")) {
      r.clear_limits();
    }
    r.set_weight(weight);
    r.set_default_webhook_url(url);
    admin::v1::Account out;
    return run([&](auto* c, auto* o) { return stub->UpdateAccount(c, r, o); },
               &out);
  }
  if (call == "create-key" && operands == 1) {
    admin::v1::CreateKeyRequest r;
    r.set_account_id(arg(1));
    r.set_name(a.Str("name"));
    admin::v1::CreateKeyResponse out;
    return run([&](auto* c, auto* o) { return stub->CreateKey(c, r, o); },
               &out);
  }
  if (call == "revoke-key" && operands == 1) {
    admin::v1::RevokeKeyRequest r;
    r.set_key_id(arg(1));
    admin::v1::ApiKey out;
    return run([&](auto* c, auto* o) { return stub->RevokeKey(c, r, o); },
               &out);
  }
  if (call == "list-keys" && operands == 1) {
    admin::v1::ListKeysRequest r;
    r.set_account_id(arg(1));
    admin::v1::ListKeysResponse out;
    return run([&](auto* c, auto* o) { return stub->ListKeys(c, r, o); },
               &out);
  }
  if (call == "top-up" && operands == 2) {
    admin::v1::TopUpRequest r;
    r.set_account_id(arg(1));
    int64_t amount = 0;
    if (!absl::SimpleAtoi(arg(2), &amount)) {
      std::fprintf(stderr, "top-up: AMOUNT is not a number\n");
      return 2;
    }
    r.set_amount(amount);
    r.set_note(a.Str("note"));
    admin::v1::Account out;
    return run([&](auto* c, auto* o) { return stub->TopUp(c, r, o); }, &out);
  }
  if (call == "list-ledger" && operands == 1) {
    admin::v1::ListLedgerRequest r;
    r.set_account_id(arg(1));
    int32_t size = 0;
    a.Int("page_size", &size);
    r.set_page_size(size);
    r.set_page_token(a.Str("page_token"));
    admin::v1::ListLedgerResponse out;
    return run([&](auto* c, auto* o) { return stub->ListLedger(c, r, o); },
               &out);
  }
  if (call == "rotate-webhook-secret" && operands == 1) {
    admin::v1::RotateWebhookSecretRequest r;
    r.set_account_id(arg(1));
    admin::v1::RotateWebhookSecretResponse out;
    return run(
        [&](auto* c, auto* o) { return stub->RotateWebhookSecret(c, r, o); },
        &out);
  }
  return Usage();
}

}  // namespace mediagw::cli
