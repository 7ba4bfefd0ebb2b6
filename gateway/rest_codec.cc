#include "gateway/rest_codec.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/json.h"
#include "common/status_mapping.h"
#include "common/utf8.h"
#include "google/protobuf/util/json_util.h"

namespace mediagw::gateway {
namespace {

namespace pbjson = google::protobuf::util;

// The parser's messages quote the caller's field names and values; they go
// back to the caller and into logs, so they are bounded (the text is
// already known to be UTF-8).
constexpr size_t kMaxParseMessage = 300;

std::string ToJson(const google::protobuf::Message& message) {
  pbjson::JsonPrintOptions opts;
  opts.always_print_primitive_fields = true;
  std::string out;
  // Printing a well-formed message cannot fail; an empty object is still a
  // valid body if it ever did.
  if (!pbjson::MessageToJsonString(message, &out, opts).ok()) return "{}";
  return out;
}

// The google.rpc.Code name for an HTTP status the route table chose.
absl::string_view StatusNameForHttp(int http_status) {
  switch (http_status) {
    case 400:
      return "INVALID_ARGUMENT";
    case 401:
      return "UNAUTHENTICATED";
    case 404:
      return "NOT_FOUND";
    case 405:
      return "UNIMPLEMENTED";
    case 409:
      return "ALREADY_EXISTS";
    case 413:
      return "OUT_OF_RANGE";
    case 429:
      return "RESOURCE_EXHAUSTED";
    case 503:
      return "UNAVAILABLE";
    default:
      return http_status >= 500 ? "INTERNAL" : "UNKNOWN";
  }
}

absl::StatusOr<v1::TaskState> ParseState(absl::string_view text) {
  std::string name = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(text));
  if (!absl::StartsWith(name, "TASK_STATE_")) {
    name = absl::StrCat("TASK_STATE_", name);
  }
  v1::TaskState state;
  if (name == "TASK_STATE_UNSPECIFIED" || !v1::TaskState_Parse(name, &state)) {
    return absl::InvalidArgumentError(
        absl::StrCat("state: unknown task state '",
                     SanitizeUpstreamText(text, 64), "'"));
  }
  return state;
}

}  // namespace

absl::StatusOr<v1::SubmitTaskRequest> DecodeSubmitTask(absl::string_view body) {
  if (body.size() > kMaxRestBodyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("request body is larger than ", kMaxRestBodyBytes,
                     " bytes"));
  }
  // The JSON parser would refuse bad bytes too, but its message quotes
  // them; ours says what is wrong without echoing them.
  if (!IsValidUtf8(body)) {
    return absl::InvalidArgumentError("request body is not valid UTF-8");
  }
  if (absl::StripAsciiWhitespace(body).empty()) {
    return absl::InvalidArgumentError(
        "request body is required: {\"image\":{...}} or {\"video\":{...}}");
  }
  v1::SubmitTaskRequest request;
  pbjson::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  const auto st = pbjson::JsonStringToMessage(
      google::protobuf::StringPiece(body.data(), body.size()), &request, opts);
  if (!st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid request body: ",
        SanitizeUpstreamText(st.message().as_string(), kMaxParseMessage)));
  }
  if (request.request_case() == v1::SubmitTaskRequest::REQUEST_NOT_SET) {
    return absl::InvalidArgumentError(
        "one of 'image' or 'video' is required");
  }
  return request;
}

absl::StatusOr<v1::ListTasksRequest> DecodeListTasksQuery(
    const std::vector<std::pair<std::string, std::string>>& params) {
  v1::ListTasksRequest request;
  for (const auto& [name, value] : params) {
    if (name == "page_size") {
      int size = 0;
      if (!absl::SimpleAtoi(value, &size) || size < 0 || size > 500) {
        return absl::InvalidArgumentError(
            "page_size must be a whole number between 0 and 500");
      }
      request.set_page_size(size);
    } else if (name == "page_token") {
      request.set_page_token(value);
    } else if (name == "state") {
      for (absl::string_view part : absl::StrSplit(value, ',')) {
        auto state = ParseState(part);
        if (!state.ok()) return state.status();
        // Bounded by the enum: a repeated state is listed once.
        bool seen = false;
        for (int s : request.states()) seen = seen || s == *state;
        if (!seen) request.add_states(*state);
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown query parameter '", SanitizeUpstreamText(name, 64),
          "' (page_size, page_token, state)"));
    }
  }
  return request;
}

absl::StatusOr<int64_t> DecodeLastEventId(absl::string_view header) {
  header = absl::StripAsciiWhitespace(header);
  if (header.empty()) return 0;
  int64_t version = 0;
  if (header.size() > 19 || !absl::ascii_isdigit(header[0]) ||
      !absl::SimpleAtoi(header, &version) || version < 0) {
    return absl::InvalidArgumentError(
        "Last-Event-ID must be the id of an event of this stream");
  }
  return version;
}

std::string EncodeTask(const v1::Task& task) { return ToJson(task); }

std::string EncodeTaskList(const v1::ListTasksResponse& page) {
  return ToJson(page);
}

std::string EncodeTaskEvent(const v1::Task& task) {
  // Every watcher of a task is sent the same event, one after another on
  // the fan-out thread: the last encoding is reused. A task's id and
  // version fix its content (each stored change bumps the version).
  thread_local std::string last_id;
  thread_local int64_t last_version = 0;
  thread_local std::string last_event;
  if (task.version() > 0 && task.version() == last_version &&
      task.id() == last_id) {
    return last_event;
  }
  // The printer writes no newline, so the JSON fits one data: line.
  std::string event = absl::StrCat("id: ", task.version(), "\ndata: ",
                                   ToJson(task), "\n\n");
  if (task.version() > 0) {
    last_id = task.id();
    last_version = task.version();
    last_event = event;
  }
  return event;
}

std::string EncodeRestError(const absl::Status& status) {
  return absl::StrCat(
      "{\"error\":{\"code\":", ToHttpStatus(status),
      ",\"message\":", json::Quote(status.message()), ",\"status\":",
      json::Quote(absl::StatusCodeToString(status.code())), "}}");
}

std::string EncodeRestError(int http_status, absl::string_view message) {
  return absl::StrCat("{\"error\":{\"code\":", http_status,
                      ",\"message\":", json::Quote(message), ",\"status\":",
                      json::Quote(StatusNameForHttp(http_status)), "}}");
}

}  // namespace mediagw::gateway
