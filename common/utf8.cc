#include "common/utf8.h"

#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"

namespace mediagw {
namespace {

// Length of the valid sequence starting at text[i], or 0 when the bytes at
// i do not start one. Follows Table 3-7 of the Unicode standard, which
// excludes overlongs and surrogates by narrowing the second byte's range.
size_t ValidSequenceAt(absl::string_view text, size_t i) {
  const auto byte = [&](size_t k) -> unsigned {
    return static_cast<unsigned char>(text[k]);
  };
  const unsigned b0 = byte(i);
  if (b0 < 0x80) return 1;
  size_t len;
  unsigned lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 == 0xE0) {
    len = 3;
    lo = 0xA0;
  } else if (b0 == 0xED) {
    len = 3;
    hi = 0x9F;  // D800..DFFF would be ED A0..BF xx
  } else if (b0 >= 0xE1 && b0 <= 0xEF) {
    len = 3;
  } else if (b0 == 0xF0) {
    len = 4;
    lo = 0x90;
  } else if (b0 >= 0xF1 && b0 <= 0xF3) {
    len = 4;
  } else if (b0 == 0xF4) {
    len = 4;
    hi = 0x8F;
  } else {
    return 0;
  }
  if (i + 1 >= text.size()) return 0;
  const unsigned b1 = byte(i + 1);
  if (b1 < lo || b1 > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (i + k >= text.size()) return 0;
    const unsigned b = byte(i + k);
    if (b < 0x80 || b > 0xBF) return 0;
  }
  return len;
}

// How many bytes of an invalid sequence at text[i] form one "maximal
// subpart": the lead byte plus the continuation bytes that were still
// acceptable when the sequence broke off. At least 1.
size_t MaximalSubpartAt(absl::string_view text, size_t i) {
  const unsigned b0 = static_cast<unsigned char>(text[i]);
  size_t len;
  unsigned lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 1;
  }
  size_t k = 1;
  for (; k < len && i + k < text.size(); ++k) {
    const unsigned b = static_cast<unsigned char>(text[i + k]);
    const unsigned want_lo = k == 1 ? lo : 0x80;
    const unsigned want_hi = k == 1 ? hi : 0xBF;
    if (b < want_lo || b > want_hi) break;
  }
  return k;
}

constexpr absl::string_view kReplacement = "\xEF\xBF\xBD";

void Walk(const google::protobuf::Message& message, const std::string& prefix,
          std::optional<std::string>* found);

std::string Join(const std::string& prefix, absl::string_view name) {
  return prefix.empty() ? std::string(name) : absl::StrCat(prefix, ".", name);
}

void WalkValue(const google::protobuf::Message& message,
               const google::protobuf::FieldDescriptor* field, int index,
               const std::string& path, std::optional<std::string>* found) {
  const google::protobuf::Reflection* r = message.GetReflection();
  using FD = google::protobuf::FieldDescriptor;
  if (field->cpp_type() == FD::CPPTYPE_STRING &&
      field->type() == FD::TYPE_STRING) {
    std::string scratch;
    const std::string& value =
        index < 0 ? r->GetStringReference(message, field, &scratch)
                  : r->GetRepeatedStringReference(message, field, index,
                                                  &scratch);
    if (!IsValidUtf8(value)) *found = path;
  } else if (field->cpp_type() == FD::CPPTYPE_MESSAGE) {
    const google::protobuf::Message& sub =
        index < 0 ? r->GetMessage(message, field)
                  : r->GetRepeatedMessage(message, field, index);
    Walk(sub, path, found);
  }
}

void Walk(const google::protobuf::Message& message, const std::string& prefix,
          std::optional<std::string>* found) {
  const google::protobuf::Reflection* r = message.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  r->ListFields(message, &fields);
  for (const auto* field : fields) {
    if (found->has_value()) return;
    const std::string path = Join(prefix, field->name());
    if (!field->is_repeated()) {
      WalkValue(message, field, -1, path, found);
      continue;
    }
    const int n = r->FieldSize(message, field);
    for (int i = 0; i < n && !found->has_value(); ++i) {
      // A map entry is a message of key and value; naming the entry by its
      // index keeps a bad key out of the path we report.
      WalkValue(message, field, i, absl::StrCat(path, "[", i, "]"), found);
    }
  }
}

}  // namespace

bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    // ASCII runs are the common case.
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t len = ValidSequenceAt(text, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string RepairUtf8(absl::string_view text) {
  if (IsValidUtf8(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  size_t i = 0;
  while (i < text.size()) {
    const size_t len = ValidSequenceAt(text, i);
    if (len > 0) {
      out.append(text.data() + i, len);
      i += len;
    } else {
      out.append(kReplacement.data(), kReplacement.size());
      i += MaximalSubpartAt(text, i);
    }
  }
  return out;
}

absl::string_view TruncateUtf8(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  // Step back over continuation bytes to the lead byte of the sequence the
  // cut falls in; that sequence is dropped whole.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return text.substr(0, end);
}

std::string SanitizeUpstreamText(absl::string_view text, size_t max_bytes) {
  std::string repaired = RepairUtf8(text);
  if (repaired.size() <= max_bytes) return repaired;
  constexpr absl::string_view kMark = "...";
  if (max_bytes <= kMark.size()) {
    return std::string(TruncateUtf8(repaired, max_bytes));
  }
  return absl::StrCat(TruncateUtf8(repaired, max_bytes - kMark.size()), kMark);
}

std::optional<std::string> FindInvalidUtf8Field(
    const google::protobuf::Message& message) {
  std::optional<std::string> found;
  Walk(message, "", &found);
  return found;
}

absl::Status ValidateUtf8Fields(const google::protobuf::Message& message) {
  if (auto bad = FindInvalidUtf8Field(message)) {
    return absl::InvalidArgumentError(
        absl::StrCat("field '", *bad, "' is not valid UTF-8"));
  }
  return absl::OkStatus();
}

}  // namespace mediagw
