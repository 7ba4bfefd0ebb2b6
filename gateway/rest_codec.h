// The native REST surface's codec (docs/API.md "Native REST"): request and
// reply bodies are the proto JSON (google::protobuf::util JSON mapping) of
// the mediagw.v1 messages, so REST and gRPC share one schema. Errors use a
// JSON envelope shaped like Google's:
//   {"error":{"code":<HTTP status>,"message":"...","status":"NOT_FOUND"}}
// Pure functions; thread-safe.
#ifndef MEDIAGW_GATEWAY_REST_CODEC_H_
#define MEDIAGW_GATEWAY_REST_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mediagw/v1/media.pb.h"

namespace mediagw::gateway {

// A submit body larger than this is refused before it is parsed (the
// server's own body limit may be lower).
inline constexpr size_t kMaxRestBodyBytes = 12 << 20;

// POST /v1/tasks: {"image":{SubmitImageRequest}} or
// {"video":{SubmitVideoRequest}}. INVALID_ARGUMENT (naming the field where
// the parser does) for a body that is too large, not UTF-8, not JSON of
// that shape, or names neither kind. Unknown fields are refused.
absl::StatusOr<v1::SubmitTaskRequest> DecodeSubmitTask(absl::string_view body);

// GET /v1/tasks query parameters: page_size (0..500), page_token and
// state, repeatable or comma-separated, each a TaskState name with or
// without its TASK_STATE_ prefix, in any case ("succeeded",
// "TASK_STATE_FAILED"). INVALID_ARGUMENT names the parameter.
absl::StatusOr<v1::ListTasksRequest> DecodeListTasksQuery(
    const std::vector<std::pair<std::string, std::string>>& params);

// A Last-Event-ID header: empty is 0 (no event seen), otherwise a
// non-negative decimal version. INVALID_ARGUMENT for anything else.
absl::StatusOr<int64_t> DecodeLastEventId(absl::string_view header);

// The proto JSON of a task or a list page, every field printed (zeros too),
// int64 fields as strings, as the JSON mapping has them.
std::string EncodeTask(const v1::Task& task);
std::string EncodeTaskList(const v1::ListTasksResponse& page);

// One server-sent event carrying `task`: "id: <version>\ndata: <json>\n\n".
std::string EncodeTaskEvent(const v1::Task& task);
// The heartbeat: an SSE comment line, which clients ignore.
inline constexpr absl::string_view kSseHeartbeat = ": keepalive\n\n";

// The error envelope for `status` (not OK), with its HTTP status
// (common/status_mapping ToHttpStatus).
std::string EncodeRestError(const absl::Status& status);
// The same envelope for an HTTP status the route table chose (404, 405, 400).
std::string EncodeRestError(int http_status, absl::string_view message);

}  // namespace mediagw::gateway

#endif  // MEDIAGW_GATEWAY_REST_CODEC_H_
