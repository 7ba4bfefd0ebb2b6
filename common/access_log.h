// Per-request access lines and request ids, for the HTTP and gRPC adapters.
//
// A request id ties the access line of a request to the lifecycle lines of
// the task it created: the adapter takes the caller's `x-request-id` when it
// is sane (RequestIdFrom), passes it on in Caller::request_id, stores it with
// the task, and echoes it back.
//
// Thread-safe, pure except for the random ids and the log write.
#ifndef MEDIAGW_COMMON_ACCESS_LOG_H_
#define MEDIAGW_COMMON_ACCESS_LOG_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mediagw {

inline constexpr size_t kMaxRequestIdBytes = 128;

// 1 to kMaxRequestIdBytes bytes of visible ASCII (0x21..0x7e): safe to log,
// store and echo in a header.
bool IsSaneRequestId(absl::string_view id);

// 32 lower-case hex digits from the CSPRNG (128 bits).
std::string NewRequestId();

// `header` (the caller's x-request-id) if it is sane, else a new id.
std::string RequestIdFrom(absl::string_view header);

struct AccessLogEntry {
  absl::Time start;        // when the request arrived
  std::string request_id;  // RequestIdFrom
  std::string surface;     // "http" or "grpc"
  // HTTP: the method and the route (the route table's pattern, not the raw
  // path, so that ids and query strings do not reach the log); gRPC: empty
  // and the full method name, e.g. "/mediagw.v1.MediaService/SubmitImage".
  std::string method;
  std::string route;
  std::string key_name;  // the API key's configured name; never the key
  // HTTP status, or the gRPC status code (absl::StatusCode numbering).
  int status = 0;
  absl::Duration duration;
  int64_t bytes_in = 0;   // request body
  int64_t bytes_out = 0;  // response body
  std::string peer;       // remote address, when known
};

// Writes one Info line "access" with the entry's fields (see
// docs/OPERATIONS.md). gRPC lines also carry `code`, the status code's name.
void LogAccess(const AccessLogEntry& entry);

}  // namespace mediagw

#endif  // MEDIAGW_COMMON_ACCESS_LOG_H_
