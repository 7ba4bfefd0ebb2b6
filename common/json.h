// Checked access to RapidJSON values. A raw RapidJSON getter on a value of
// the wrong type aborts the process, so outside input is read only through
// these helpers, which return INVALID_ARGUMENT naming the field instead.
// Only codecs include this header.
#ifndef MEDIAGW_COMMON_JSON_H_
#define MEDIAGW_COMMON_JSON_H_

#include <cstdint>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "rapidjson/document.h"

namespace mediagw::json {

// What to do with a string (value or key) that is not valid UTF-8.
enum class Utf8Policy {
  // Text from callers and config files: refuse the document, naming the
  // field ("field 'prompt' is not valid UTF-8").
  kReject,
  // Text from upstreams: replace bad bytes with U+FFFD, so what we relay or
  // store is readable.
  kRepair,
};

// Parses a complete JSON text. Errors are INVALID_ARGUMENT with the offset,
// or naming the field whose text is not valid UTF-8.
absl::StatusOr<rapidjson::Document> Parse(
    absl::string_view text, Utf8Policy utf8 = Utf8Policy::kReject);

// Parses and requires the root to be an object.
absl::StatusOr<rapidjson::Document> ParseObject(
    absl::string_view text, Utf8Policy utf8 = Utf8Policy::kReject);

// Member lookup; nullptr when absent. `obj` must be an object.
const rapidjson::Value* Find(const rapidjson::Value& obj, absl::string_view name);

// Required members: NOT present or wrong type -> INVALID_ARGUMENT naming it.
absl::StatusOr<std::string> GetString(const rapidjson::Value& obj,
                                      absl::string_view name);
absl::StatusOr<int64_t> GetInt(const rapidjson::Value& obj,
                               absl::string_view name);
absl::StatusOr<double> GetDouble(const rapidjson::Value& obj,
                                 absl::string_view name);
absl::StatusOr<const rapidjson::Value*> GetObject(const rapidjson::Value& obj,
                                                  absl::string_view name);
absl::StatusOr<const rapidjson::Value*> GetArray(const rapidjson::Value& obj,
                                                 absl::string_view name);

// Optional members: absent or null -> nullopt; wrong type -> INVALID_ARGUMENT.
// Integers must be integral JSON numbers (7.0 is accepted, 7.5 is not).
absl::StatusOr<std::optional<std::string>> GetOptString(
    const rapidjson::Value& obj, absl::string_view name);
absl::StatusOr<std::optional<int64_t>> GetOptInt(const rapidjson::Value& obj,
                                                 absl::string_view name);
absl::StatusOr<std::optional<double>> GetOptDouble(const rapidjson::Value& obj,
                                                   absl::string_view name);
absl::StatusOr<std::optional<bool>> GetOptBool(const rapidjson::Value& obj,
                                               absl::string_view name);

// Value-level conversions with the same rules, `what` names it in errors.
absl::StatusOr<std::string> AsString(const rapidjson::Value& v,
                                     absl::string_view what);
absl::StatusOr<int64_t> AsInt(const rapidjson::Value& v, absl::string_view what);
absl::StatusOr<double> AsDouble(const rapidjson::Value& v,
                                absl::string_view what);

// Compact serialization.
std::string Serialize(const rapidjson::Value& v);

// JSON string literal (with quotes) for `s`, escaped.
std::string Quote(absl::string_view s);

}  // namespace mediagw::json

#endif  // MEDIAGW_COMMON_JSON_H_
