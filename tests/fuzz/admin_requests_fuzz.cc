// Fuzzes the admin service's request decoding (server/admin_service.cc runs
// server/proto_parse on every mediagw.admin.v1 request): the input is a
// gRPC request body, tried as each AdminService request type. Properties:
// ParseRequest agrees with protobuf on whether the bytes parse; a refusal is
// "malformed request" or "<path>: not valid UTF-8" naming fields of the
// message; what parses re-serializes to bytes that parse the same. The
// same bytes as a key: the admin check lets through exactly the admin key.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/crypto.h"
#include "google/protobuf/stubs/logging.h"
#include "mediagw/admin/v1/admin.pb.h"
#include "server/admin_service.h"
#include "server/proto_parse.h"
#include "tests/fuzz/fuzz_util.h"

namespace mediagw::fuzz {
namespace {

constexpr char kAdminKey[] = "mgw_fuzz_admin";

bool PathNamesFields(absl::string_view path,
                     const google::protobuf::Descriptor* d) {
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (d == nullptr) return false;
    const auto* f = d->FindFieldByName(std::string(part));
    if (f == nullptr) return false;
    d = f->message_type();
  }
  return true;
}

template <typename Request>
void Check(absl::string_view in) {
  Request msg, reference;
  const absl::Status st = ParseRequest(in, &msg);
  google::protobuf::LogSilencer quiet;  // the reference parse logs bad UTF-8
  const bool plain = reference.ParseFromArray(in.data(), int(in.size()));
  FUZZ_CHECK(st.ok() == plain);
  if (st.ok()) {
    const std::string again = msg.SerializeAsString();
    FUZZ_CHECK(ParseRequest(again, &reference).ok());
    FUZZ_CHECK(reference.SerializeAsString() == again);
    return;
  }
  FUZZ_CHECK(st.code() == absl::StatusCode::kInvalidArgument);
  if (st.message() == "malformed request") return;
  absl::string_view path = st.message();
  FUZZ_CHECK(absl::ConsumeSuffix(&path, ": not valid UTF-8"));
  FUZZ_CHECK(PathNamesFields(path, msg.GetDescriptor()));
}

}  // namespace
}  // namespace mediagw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  using namespace mediagw::admin::v1;  // NOLINT(build/namespaces)
  const absl::string_view in = fuzz::AsView(data, size);
  fuzz::Check<CreateAccountRequest>(in);
  fuzz::Check<GetAccountRequest>(in);
  fuzz::Check<ListAccountsRequest>(in);
  fuzz::Check<UpdateAccountRequest>(in);
  fuzz::Check<CreateKeyRequest>(in);
  fuzz::Check<RevokeKeyRequest>(in);
  fuzz::Check<ListKeysRequest>(in);
  fuzz::Check<TopUpRequest>(in);
  fuzz::Check<ListLedgerRequest>(in);
  fuzz::Check<RotateWebhookSecretRequest>(in);
  static const std::string admin_sha = Sha256Hex(fuzz::kAdminKey);
  const absl::Status auth = AuthorizeAdmin(in, admin_sha, nullptr);
  FUZZ_CHECK(auth.ok() == (in == fuzz::kAdminKey));
  return 0;
}
