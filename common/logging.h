// Leveled, structured logging to stderr (Abseil 20220623 has no absl/log).
//
// One call writes one line: a message plus key/value fields, in one of two
// formats chosen once at start-up (see docs/OPERATIONS.md):
//   text: I 2024-05-01T12:00:00.123Z dispatcher.cc:42] task finished state=...
//   json: {"time":"2024-05-01T12:00:00.123Z","level":"info","msg":"task
//          finished","src":"dispatcher.cc:42","state":"..."}
// JSON values are escaped and repaired to valid UTF-8; text values are
// quoted and C-escaped when they hold anything but plain characters, so a
// hostile value can neither break a line nor forge a field. The keys
// `time`, `level`, `msg` and `src` belong to the line: fields must not use
// them. Never pass an API key or any other secret as a field.
//
// Thread-safe: lines of concurrent calls never interleave. The format, level
// and output are process-wide; set them before other threads log.
#ifndef MEDIAGW_COMMON_LOGGING_H_
#define MEDIAGW_COMMON_LOGGING_H_

#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mediagw {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };
enum class LogFormat { kText, kJson };

void SetMinLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);

void SetLogFormat(LogFormat format);
LogFormat GetLogFormat();
// "text" or "json"; INVALID_ARGUMENT otherwise.
absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view name);

// Where lines go; nullptr means stderr (the default). The stream must stay
// open until it is replaced. For tests.
void SetLogOutput(std::FILE* out);

// One key/value pair of a log line. Strings are referenced, not copied: a
// field lives only as long as the logging call's full expression, which is
// how MG_LOGF and LogStructured use it.
class LogField {
 public:
  LogField(absl::string_view key, absl::string_view value)
      : key_(key), view_(value) {}
  LogField(absl::string_view key, const char* value)
      : key_(key), view_(value == nullptr ? "" : value) {}
  LogField(absl::string_view key, const std::string& value)
      : key_(key), view_(value) {}
  LogField(absl::string_view key, int value)
      : key_(key), kind_(Kind::kNumber), owned_(absl::StrCat(value)) {}
  LogField(absl::string_view key, unsigned value)
      : key_(key), kind_(Kind::kNumber), owned_(absl::StrCat(value)) {}
  LogField(absl::string_view key, long value)  // NOLINT(runtime/int)
      : key_(key), kind_(Kind::kNumber), owned_(absl::StrCat(value)) {}
  LogField(absl::string_view key, unsigned long value)  // NOLINT(runtime/int)
      : key_(key), kind_(Kind::kNumber), owned_(absl::StrCat(value)) {}
  LogField(absl::string_view key, long long value)  // NOLINT(runtime/int)
      : key_(key), kind_(Kind::kNumber), owned_(absl::StrCat(value)) {}
  LogField(absl::string_view key, unsigned long long value)  // NOLINT
      : key_(key), kind_(Kind::kNumber), owned_(absl::StrCat(value)) {}
  // Non-finite values are written as JSON null.
  LogField(absl::string_view key, double value);
  LogField(absl::string_view key, bool value)
      : key_(key), kind_(Kind::kBool), owned_(value ? "true" : "false") {}

  absl::string_view key() const { return key_; }
  // The value as text (numbers and booleans as their JSON literals).
  absl::string_view value() const {
    return kind_ == Kind::kString ? view_ : absl::string_view(owned_);
  }
  // False for numbers, booleans and null: written without quotes in JSON.
  bool is_string() const { return kind_ == Kind::kString; }

 private:
  enum class Kind { kString, kNumber, kBool, kNull };
  absl::string_view key_;
  Kind kind_ = Kind::kString;
  absl::string_view view_;
  std::string owned_;
};

// Writes one line at `time` (absl::Now() when InfinitePast). `file` and
// `line` name the call site (empty file: none). Checks nothing about the
// level: callers test LogEnabled first (the macros do).
void LogStructured(LogLevel level, absl::string_view file, int line,
                   absl::string_view msg,
                   std::initializer_list<LogField> fields,
                   absl::Time time = absl::InfinitePast());

// The line LogStructured would write, with its trailing newline.
std::string FormatLogLine(LogFormat format, LogLevel level, absl::Time time,
                          absl::string_view file, int line,
                          absl::string_view msg,
                          std::initializer_list<LogField> fields);

// A message without fields (what MG_LOG writes).
void LogLine(LogLevel level, absl::string_view file, int line,
             absl::string_view msg);

}  // namespace mediagw

// MG_LOG(Info, "text", value, ...): the arguments are StrCat'ed into msg.
#define MG_LOG(level, ...)                                                  \
  do {                                                                      \
    if (::mediagw::LogEnabled(::mediagw::LogLevel::k##level)) {             \
      ::mediagw::LogLine(::mediagw::LogLevel::k##level, __FILE__, __LINE__, \
                         ::absl::StrCat(__VA_ARGS__));                      \
    }                                                                       \
  } while (0)

// MG_LOGF(Info, "task finished", {"task_id", id}, {"state", name}): a fixed
// message and fields. Arguments are evaluated only when the level is on.
#define MG_LOGF(level, msg, ...)                                          \
  do {                                                                    \
    if (::mediagw::LogEnabled(::mediagw::LogLevel::k##level)) {           \
      ::mediagw::LogStructured(::mediagw::LogLevel::k##level, __FILE__,   \
                               __LINE__, msg, {__VA_ARGS__});             \
    }                                                                     \
  } while (0)

#endif  // MEDIAGW_COMMON_LOGGING_H_
