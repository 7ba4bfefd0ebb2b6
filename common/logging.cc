#include "common/logging.h"

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace mediagw {
namespace {
std::atomic<int> g_min_level{static_cast<int>(LogLevel::kInfo)};
constexpr const char* kNames[] = {"D", "I", "W", "E"};
}  // namespace

void SetMinLogLevel(LogLevel level) {
  g_min_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

bool LogEnabled(LogLevel level) {
  return static_cast<int>(level) >=
         g_min_level.load(std::memory_order_relaxed);
}

void LogLine(LogLevel level, absl::string_view file, int line,
             absl::string_view msg) {
  auto slash = file.rfind('/');
  if (slash != absl::string_view::npos) file.remove_prefix(slash + 1);
  std::string out = absl::StrCat(
      kNames[static_cast<int>(level)], " ",
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
      " ", file, ":", line, "] ", msg, "\n");
  std::fwrite(out.data(), 1, out.size(), stderr);
}

}  // namespace mediagw
