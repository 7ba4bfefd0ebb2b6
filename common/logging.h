// Minimal leveled logging to stderr (Abseil 20220623 has no absl/log).
// Thread-safe; one line per call.
#ifndef MEDIAGW_COMMON_LOGGING_H_
#define MEDIAGW_COMMON_LOGGING_H_

#include "absl/strings/string_view.h"

#include "absl/strings/str_cat.h"

namespace mediagw {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

void SetMinLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
void LogLine(LogLevel level, absl::string_view file, int line,
             absl::string_view msg);

}  // namespace mediagw

#define MG_LOG(level, ...)                                                  \
  do {                                                                      \
    if (::mediagw::LogEnabled(::mediagw::LogLevel::k##level)) {             \
      ::mediagw::LogLine(::mediagw::LogLevel::k##level, __FILE__, __LINE__, \
                         ::absl::StrCat(__VA_ARGS__));                      \
    }                                                                       \
  } while (0)

#endif  // MEDIAGW_COMMON_LOGGING_H_
