// Pure JSON <-> domain functions of the declarative http_async provider:
// request templates with {{slot}} placeholders, values read out of vendor
// replies by JSON pointer (RFC 6901), and our opaque provider_state. No I/O,
// no threads, no global state: every function is thread-safe and never
// aborts on malformed input.
//
// Status codes: INVALID_ARGUMENT for everything (bad templates, values a
// template cannot be rendered with, replies that are not JSON or hold the
// wrong type at a pointer). Callers decide what that means for a task.
#ifndef MEDIAGW_PROVIDERS_HTTP_ASYNC_HTTP_ASYNC_CODEC_H_
#define MEDIAGW_PROVIDERS_HTTP_ASYNC_HTTP_ASYNC_CODEC_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mediagw::http_async {

// The value of one slot for one task: text or a JSON number.
class SlotValue {
 public:
  enum class Type { kText, kInt, kReal };
  static SlotValue Text(std::string text);
  static SlotValue Int(int64_t value);
  static SlotValue Real(double value);  // must be finite

  Type type() const { return type_; }
  const std::string& text() const { return text_; }  // kText only
  int64_t int_value() const { return int_; }         // kInt only
  double real_value() const { return real_; }        // kReal only

  // How the value reads inside a longer string, a header or a path: text as
  // is, integers in decimal, reals in the shortest form that reads back
  // exactly ("6.5", "7").
  std::string AsText() const;

 private:
  Type type_ = Type::kText;
  std::string text_;
  int64_t int_ = 0;
  double real_ = 0;
};

// The values one task offers; a slot absent from the map has no value.
using SlotValues = std::map<std::string, SlotValue, std::less<>>;

// The slot names a template may use (see HttpCall in config.proto). "id"
// (the upstream job id) exists only for poll and cancel calls.
bool IsKnownSlot(absl::string_view name);

// Percent-encodes everything outside the RFC 3986 unreserved characters.
std::string UrlEncode(absl::string_view s);

// Shortest decimal form of a finite double that reads back exactly.
std::string FormatReal(double value);

// One piece of a template string: literal text or a slot name.
struct TemplatePiece {
  bool is_slot = false;
  std::string text;
};

// Splits a template string at its {{slot}} references ("{{ prompt }}" is
// "prompt"). INVALID_ARGUMENT for an unterminated or empty {{}}, an unknown
// slot, or {{id}} when !allow_id.
absl::StatusOr<std::vector<TemplatePiece>> SplitTemplate(absl::string_view text,
                                                         bool allow_id);

// A call ready to send: everything substituted.
struct RenderedCall {
  std::string method;
  std::string path;  // to append to a base URL
  std::vector<std::pair<std::string, std::string>> headers;
  bool has_body = false;
  std::string body;  // compact JSON when has_body
};

// One HTTP call of a vendor protocol, checked once and rendered per task.
// Immutable after Compile; copyable; thread-safe.
class CallTemplate {
 public:
  struct Source {
    std::string method;  // "" = default_method
    std::string path;    // "" or starting with '/' or '?'
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body_json;  // "" = no body
  };

  CallTemplate() = default;

  // `field` names the call in errors ("submit" -> "submit.body: unknown
  // slot {{foo}}"). INVALID_ARGUMENT for a method outside GET, POST, PUT,
  // PATCH, DELETE; a path not starting with '/' or '?'; a header name that
  // is not an HTTP token; body text that is not JSON; an unterminated or
  // empty {{}}; an unknown slot; {{id}} when !allow_id.
  static absl::StatusOr<CallTemplate> Compile(absl::string_view field,
                                              const Source& source,
                                              absl::string_view default_method,
                                              bool allow_id);

  // Substitutes `values`. A body string that is exactly one slot takes the
  // value's JSON type; such a member or array element is left out when the
  // slot has no value. Values are never scanned for slots again. Path values
  // are URL-encoded. INVALID_ARGUMENT naming the slot when a slot anywhere
  // else has no value, or when a header would hold CR, LF or NUL.
  absl::StatusOr<RenderedCall> Render(const SlotValues& values) const;

  // Whether any part of the call uses `slot`.
  bool Uses(absl::string_view slot) const { return slots_.count(slot) > 0; }
  const std::string& field() const { return field_; }

 private:
  using Segments = std::vector<TemplatePiece>;

  absl::StatusOr<std::string> Join(absl::string_view part,
                                   const Segments& segments,
                                   const SlotValues& values,
                                   bool url_encode) const;

  std::string field_;
  std::string method_;
  Segments path_;
  std::vector<std::pair<std::string, Segments>> headers_;
  bool has_body_ = false;
  std::string body_json_;  // the checked template, re-read per render
  bool allow_id_ = false;
  std::set<std::string, std::less<>> slots_;
};

// INVALID_ARGUMENT saying why `pointer` is not a JSON pointer ("" is the
// whole document and valid).
absl::Status ValidatePointer(absl::string_view pointer);

// A vendor reply, parsed once and read by JSON pointer. Movable.
class JsonReply {
 public:
  // INVALID_ARGUMENT (with the offset) for text that is not JSON.
  static absl::StatusOr<JsonReply> Parse(absl::string_view body);

  JsonReply(JsonReply&&) noexcept;
  JsonReply& operator=(JsonReply&&) noexcept;
  ~JsonReply();

  // The scalar at `pointer` in textual form: a string as is, an integer in
  // decimal (exact up to 64 bits), another number in its shortest exact
  // form, true/false. nullopt when absent or null. INVALID_ARGUMENT naming
  // the pointer for an object, an array or an invalid pointer.
  absl::StatusOr<std::optional<std::string>> Scalar(
      absl::string_view pointer) const;

  // A finite number, or a string holding one. nullopt when absent or null;
  // INVALID_ARGUMENT for anything else.
  absl::StatusOr<std::optional<double>> Number(absl::string_view pointer) const;

  // A string gives one item, an array of strings all of them (in order);
  // absent or null gives none. Empty strings are dropped. INVALID_ARGUMENT
  // for other types, arrays holding non-strings, or an invalid pointer.
  absl::StatusOr<std::vector<std::string>> Strings(
      absl::string_view pointer) const;

  // A human-readable message at `pointer`: a non-empty string as is, a
  // number or bool as text, an object or array as compact JSON. nullopt
  // when absent, null, empty, or the pointer is invalid.
  std::optional<std::string> Message(absl::string_view pointer) const;

 private:
  struct Impl;
  explicit JsonReply(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Our opaque TaskRecord.provider_state: {"base_url": "<the pool member
// that holds the job>"}.
std::string BuildProviderState(absl::string_view base_url);
// "" for an empty state; INVALID_ARGUMENT when the text is not ours.
absl::StatusOr<std::string> ParseProviderState(absl::string_view state);

}  // namespace mediagw::http_async

#endif  // MEDIAGW_PROVIDERS_HTTP_ASYNC_HTTP_ASYNC_CODEC_H_
