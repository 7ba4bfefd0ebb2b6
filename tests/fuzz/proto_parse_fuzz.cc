// Fuzzes server/proto_parse: the input is a gRPC request body for each
// MediaService request type (and TaskEvent, for nesting). Properties:
// ParseRequest agrees with protobuf on whether the bytes parse; a refusal is
// "malformed request" or "<path>: not valid UTF-8" where every part of the
// path is a field of the message it is read in; a named field means protobuf
// refused the bytes; what parses re-serializes to bytes that parse again.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/stubs/logging.h"
#include "mediagw/v1/media.pb.h"
#include "server/proto_parse.h"
#include "tests/fuzz/fuzz_util.h"

namespace mediagw::fuzz {
namespace {

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

void Check(absl::string_view in, google::protobuf::Message* msg,
           google::protobuf::Message* reference) {
  const absl::Status st = ParseRequest(in, msg);
  google::protobuf::LogSilencer quiet;  // the reference parse logs bad UTF-8
  const bool plain = reference->ParseFromArray(in.data(), int(in.size()));
  FUZZ_CHECK(st.ok() == plain);
  const auto named = FindInvalidUtf8Field(in, *msg->GetDescriptor());
  if (named.has_value()) FUZZ_CHECK(!plain);
  if (st.ok()) {
    const std::string again = msg->SerializeAsString();
    FUZZ_CHECK(ParseRequest(again, reference).ok());
    FUZZ_CHECK(reference->SerializeAsString() == again);
    return;
  }
  FUZZ_CHECK(st.code() == absl::StatusCode::kInvalidArgument);
  if (st.message() == "malformed request") return;
  absl::string_view path = st.message();
  FUZZ_CHECK(absl::ConsumeSuffix(&path, ": not valid UTF-8"));
  FUZZ_CHECK(named.has_value() && *named == path);
  FUZZ_CHECK(PathNamesFields(path, msg->GetDescriptor()));
}

}  // namespace
}  // namespace mediagw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  const absl::string_view in = fuzz::AsView(data, size);
  {
    v1::SubmitImageRequest a, b;
    fuzz::Check(in, &a, &b);
  }
  {
    v1::SubmitVideoRequest a, b;
    fuzz::Check(in, &a, &b);
  }
  {
    v1::ListTasksRequest a, b;
    fuzz::Check(in, &a, &b);
  }
  {
    v1::GetTaskRequest a, b;
    fuzz::Check(in, &a, &b);
  }
  {
    v1::TaskEvent a, b;
    fuzz::Check(in, &a, &b);
  }
  return 0;
}
