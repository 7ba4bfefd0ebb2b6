// JSON <-> domain for the legacy `/v1/index.php` surface (seeds 000/001).
// Pure functions; thread-safe. Decoders return INVALID_ARGUMENT with the
// message that goes into the envelope's "error" field.
#ifndef MEDIAGW_GATEWAY_LEGACY_CODEC_H_
#define MEDIAGW_GATEWAY_LEGACY_CODEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mediagw/v1/media.pb.h"

namespace mediagw::gateway {

// Body of `POST ?endpoint=image_generation`. `prompt` may be a string or a
// whole ComfyUI workflow object (-> workflow_json). Extensions: n,
// webhook_url (a string) and webhook_events (an array of at most 64
// strings), on the video body too. Only types are checked here; ranges,
// values and defaults are TaskService's.
absl::StatusOr<v1::SubmitImageRequest> DecodeImageGeneration(
    absl::string_view body);

// Body of `POST ?endpoint=video_generation` (seed 000): prompt and image
// required ("Missing prompt", "Missing image"), seed, and the extensions
// workflow and model. Only types are checked here.
absl::StatusOr<v1::SubmitVideoRequest> DecodeVideoGeneration(
    absl::string_view body);

// {"success":true,"data":{"id","status":"queued","message":...},"error":null};
// for a task with a provider label (rr3, grok):
// {"id","provider","status":"queued","check_status":"?endpoint=task_status&task_id=<id>"}.
std::string EncodeImageQueued(const v1::Task& task);

// {"id","status":"queued","message":"Video generation queued.","check_status"}
std::string EncodeVideoQueued(const v1::Task& task);

// {"success":true,"data":{...task status...},"error":null}; shape in
// docs/API.md. Progress is a 0..100 integer.
std::string EncodeTaskStatus(const v1::Task& task);

// `GET ?endpoint=balance`: {"success":true,"data":{"balance":<credits>,
// "held":<credits>,"unlimited":<bool>},"error":null}. Integers, never
// floating point.
std::string EncodeBalance(const v1::Account& account);

// {"success":false,"data":null,"error":"<message>"}
std::string EncodeError(absl::string_view message);

}  // namespace mediagw::gateway

#endif  // MEDIAGW_GATEWAY_LEGACY_CODEC_H_
