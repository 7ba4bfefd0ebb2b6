#include "common/access_log.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "common/logging.h"
#include "common/status_mapping.h"

namespace mediagw {

bool IsSaneRequestId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdBytes) return false;
  for (unsigned char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

std::string NewRequestId() { return NewPrefixedHexId(""); }

std::string RequestIdFrom(absl::string_view header) {
  return IsSaneRequestId(header) ? std::string(header) : NewRequestId();
}

void LogAccess(const AccessLogEntry& e) {
  if (!LogEnabled(LogLevel::kInfo)) return;
  const double seconds = absl::ToDoubleSeconds(e.duration);
  const std::string start = absl::FormatTime(
      "%Y-%m-%dT%H:%M:%E3SZ", e.start, absl::UTCTimeZone());
  if (e.surface == "grpc") {
    LogStructured(LogLevel::kInfo, "", 0, "access",
                  {{"request_id", e.request_id},
                   {"surface", e.surface},
                   {"method", e.route},
                   {"key_name", e.key_name},
                   {"status", e.status},
                   {"code", CodeName(static_cast<absl::StatusCode>(e.status))},
                   {"duration_seconds", seconds},
                   {"bytes_in", e.bytes_in},
                   {"bytes_out", e.bytes_out},
                   {"peer", e.peer},
                   {"start", start}});
    return;
  }
  LogStructured(LogLevel::kInfo, "", 0, "access",
                {{"request_id", e.request_id},
                 {"surface", e.surface},
                 {"method", e.method},
                 {"route", e.route},
                 {"key_name", e.key_name},
                 {"status", e.status},
                 {"duration_seconds", seconds},
                 {"bytes_in", e.bytes_in},
                 {"bytes_out", e.bytes_out},
                 {"peer", e.peer},
                 {"start", start}});
}

}  // namespace mediagw
