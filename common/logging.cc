#include "common/logging.h"

#include <atomic>
#include <cmath>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/json.h"
#include "common/utf8.h"

namespace mediagw {
namespace {

std::atomic<int> g_min_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<int> g_format{static_cast<int>(LogFormat::kText)};
std::atomic<std::FILE*> g_out{nullptr};

constexpr const char* kLetters[] = {"D", "I", "W", "E"};
constexpr const char* kNames[] = {"debug", "info", "warning", "error"};

absl::string_view BaseName(absl::string_view file) {
  auto slash = file.rfind('/');
  if (slash != absl::string_view::npos) file.remove_prefix(slash + 1);
  return file;
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

// Outside text may be anything; a JSON line must stay valid UTF-8.
void AppendJsonString(std::string* out, absl::string_view s) {
  if (IsValidUtf8(s)) {
    out->append(json::Quote(s));
  } else {
    out->append(json::Quote(RepairUtf8(s)));
  }
}

// Plain values stay bare; anything that could be mistaken for another field
// or break the line is quoted and escaped.
bool NeedsQuotes(absl::string_view v) {
  if (v.empty()) return true;
  for (unsigned char c : v) {
    if (c <= 0x20 || c == '"' || c == '=' || c == '\\' || c >= 0x7f) {
      return true;
    }
  }
  return false;
}

void AppendTextValue(std::string* out, absl::string_view v) {
  if (!NeedsQuotes(v)) {
    out->append(v.data(), v.size());
    return;
  }
  absl::StrAppend(out, "\"", absl::Utf8SafeCEscape(RepairUtf8(v)), "\"");
}

}  // namespace

LogField::LogField(absl::string_view key, double value) : key_(key) {
  if (!std::isfinite(value)) {
    kind_ = Kind::kNull;
    owned_ = "null";
    return;
  }
  kind_ = Kind::kNumber;
  owned_ = absl::StrFormat("%.6g", value);
}

void SetMinLogLevel(LogLevel level) {
  g_min_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

bool LogEnabled(LogLevel level) {
  return static_cast<int>(level) >=
         g_min_level.load(std::memory_order_relaxed);
}

void SetLogFormat(LogFormat format) {
  g_format.store(static_cast<int>(format), std::memory_order_relaxed);
}

LogFormat GetLogFormat() {
  return static_cast<LogFormat>(g_format.load(std::memory_order_relaxed));
}

absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("log format must be text or json, not '",
                   absl::CEscape(name.substr(0, 32)), "'"));
}

void SetLogOutput(std::FILE* out) {
  g_out.store(out, std::memory_order_release);
}

std::string FormatLogLine(LogFormat format, LogLevel level, absl::Time time,
                          absl::string_view file, int line,
                          absl::string_view msg,
                          std::initializer_list<LogField> fields) {
  const int lvl = static_cast<int>(level);
  file = BaseName(file);
  std::string out;
  out.reserve(128 + msg.size());
  if (format == LogFormat::kJson) {
    absl::StrAppend(&out, "{\"time\":\"", Rfc3339(time), "\",\"level\":\"",
                    kNames[lvl], "\",\"msg\":");
    AppendJsonString(&out, msg);
    if (!file.empty()) {
      out.append(",\"src\":");
      AppendJsonString(&out, absl::StrCat(file, ":", line));
    }
    for (const LogField& f : fields) {
      out.push_back(',');
      AppendJsonString(&out, f.key());
      out.push_back(':');
      if (f.is_string()) {
        AppendJsonString(&out, f.value());
      } else {
        out.append(f.value().data(), f.value().size());
      }
    }
    out.append("}\n");
    return out;
  }
  absl::StrAppend(&out, kLetters[lvl], " ", Rfc3339(time));
  if (!file.empty()) absl::StrAppend(&out, " ", file, ":", line);
  absl::StrAppend(&out, "] ");
  // Messages are the program's own text (values go in fields), but a line
  // break would still forge a line.
  if (msg.find_first_of("\r\n") == absl::string_view::npos) {
    out.append(msg.data(), msg.size());
  } else {
    out.append(absl::Utf8SafeCEscape(msg));
  }
  for (const LogField& f : fields) {
    out.push_back(' ');
    AppendTextValue(&out, f.key());
    out.push_back('=');
    AppendTextValue(&out, f.value());
  }
  out.push_back('\n');
  return out;
}

void LogStructured(LogLevel level, absl::string_view file, int line,
                   absl::string_view msg,
                   std::initializer_list<LogField> fields, absl::Time time) {
  if (time == absl::InfinitePast()) time = absl::Now();
  std::string out =
      FormatLogLine(GetLogFormat(), level, time, file, line, msg, fields);
  std::FILE* dest = g_out.load(std::memory_order_acquire);
  if (dest == nullptr) dest = stderr;
  // stdio locks the stream for the call, so lines do not interleave.
  std::fwrite(out.data(), 1, out.size(), dest);
  if (dest != stderr) std::fflush(dest);
}

void LogLine(LogLevel level, absl::string_view file, int line,
             absl::string_view msg) {
  LogStructured(level, file, line, msg, {});
}

}  // namespace mediagw
