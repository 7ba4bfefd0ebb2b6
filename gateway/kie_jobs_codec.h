// JSON <-> domain for the kie-compatible jobs surface (seed 002):
// POST /api/v1/jobs/createTask and GET /api/v1/jobs/recordInfo. kie
// answers with HTTP 200 and {"code", "msg", "data"}; the body code says
// what happened (200, 401, 402, 404, 422, 429, 455, 500, 501, 505).
// Pure functions; thread-safe.
#ifndef MEDIAGW_GATEWAY_KIE_JOBS_CODEC_H_
#define MEDIAGW_GATEWAY_KIE_JOBS_CODEC_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mediagw/v1/media.pb.h"

namespace mediagw::gateway {

inline constexpr size_t kKieMaxPromptChars = 5000;  // code points (seed 002)
inline constexpr size_t kKieMaxImageUrls = 8;

// A createTask body: {"model", "callBackUrl"?, "input": {"prompt",
// "aspect_ratio"?, "image_urls"? | "image_url"?, ...}}. Other members are
// ignored.
struct KieCreateTask {
  std::string model;
  std::string prompt;
  std::string callback_url;  // "" when absent
  std::vector<std::string> image_urls;
  int width = 0;  // from aspect_ratio on a 1024 long edge; 0 = the
  int height = 0; // workflow's default
};

// INVALID_ARGUMENT (body code 422) naming the member: not a JSON object,
// model missing, input missing or not an object, input.prompt missing,
// empty or over 5000 characters, aspect_ratio not "w:h" within 1:4..4:1,
// image_urls not an array of at most 8 http(s) URLs, callBackUrl not an
// http(s) URL of at most 2048 printable ASCII bytes.
absl::StatusOr<KieCreateTask> DecodeKieCreateTask(absl::string_view body);

// The body code for a status of TaskService (or the handler): 401
// UNAUTHENTICATED, 402 the caller's balance is short, 404 NOT_FOUND, 422 a
// bad request (INVALID_ARGUMENT, ALREADY_EXISTS, OUT_OF_RANGE), 429 rate
// limited (upstream, or the caller over a limit), 455 unavailable, 505
// UNIMPLEMENTED, 500 anything else.
int KieCodeFor(const absl::Status& status);

// {"code": code, "msg": msg, "data": null}
std::string EncodeKieError(int code, absl::string_view msg);
// {"code":200,"msg":"success","data":{"taskId": id}}
std::string EncodeKieCreated(absl::string_view task_id);

// kie's state of a task: waiting (stored, not yet sent), queuing (sent or
// queued upstream), generating (running, finalizing), success, fail
// (failed, canceled, timed out).
std::string KieState(v1::TaskState state);

// recordInfo: {"code":200,"msg":"success","data":{"taskId","model","state",
// "param","resultJson","failCode","failMsg","costTime","completeTime",
// "createTime","updateTime"}}; resultJson is the text
// {"resultUrls":[...]} once the task succeeded ("" before), times are unix
// milliseconds (completeTime and costTime null until the task ended),
// failCode the HTTP-like code of the failure ("" unless failed).
std::string EncodeKieRecordInfo(const v1::Task& task, absl::string_view model);

// The completion callback POSTed to a task's callBackUrl once it ended
// (seed 002): the recordInfo record with "code" 200 and "msg" "success"
// for a task that succeeded, "code" 501 and the failure as "msg" otherwise.
std::string EncodeKieCallback(const v1::Task& task, absl::string_view model);

}  // namespace mediagw::gateway

#endif  // MEDIAGW_GATEWAY_KIE_JOBS_CODEC_H_
