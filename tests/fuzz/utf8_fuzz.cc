// Fuzzes common/utf8 against protobuf's own validator, which is what decides
// whether a stored record parses back. Properties: IsValidUtf8 agrees with
// protobuf; RepairUtf8 always yields valid text and leaves valid text alone;
// TruncateUtf8 and SanitizeUpstreamText keep valid text valid and within
// their bound; a record holding the repaired text round-trips.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/utf8.h"
#include "google/protobuf/stubs/common.h"
#include "mediagw/internal/record.pb.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  const absl::string_view text = fuzz::AsView(data, size);
  const bool valid = IsValidUtf8(text);
  FUZZ_CHECK(valid == google::protobuf::internal::IsStructurallyValidUTF8(
                          text.data(), static_cast<int>(text.size())));
  const std::string repaired = RepairUtf8(text);
  FUZZ_CHECK(IsValidUtf8(repaired));
  if (valid) FUZZ_CHECK(repaired == text);
  const size_t bound = size == 0 ? 0 : data[0] % (size + 1);
  const absl::string_view cut = TruncateUtf8(repaired, bound);
  FUZZ_CHECK(cut.size() <= bound || cut.size() == repaired.size());
  FUZZ_CHECK(cut.size() <= repaired.size());
  FUZZ_CHECK(IsValidUtf8(cut));
  const std::string sanitized = SanitizeUpstreamText(text, bound);
  FUZZ_CHECK(sanitized.size() <= bound);
  FUZZ_CHECK(IsValidUtf8(sanitized));

  internal::TaskRecord rec;
  rec.mutable_request()->set_prompt(std::string(text));
  FUZZ_CHECK(ValidateUtf8Fields(rec).ok() == valid);
  rec.mutable_request()->set_prompt(repaired);
  rec.mutable_task()->mutable_error()->set_message(sanitized);
  std::string bytes;
  FUZZ_CHECK(rec.SerializeToString(&bytes));
  internal::TaskRecord back;
  FUZZ_CHECK(back.ParseFromString(bytes));
  FUZZ_CHECK(back.request().prompt() == repaired);
  return 0;
}
