// The ComfyUI provider: drives text-to-image, image-to-video and raw
// workflow jobs on a pool of ComfyUI servers through POST /upload/image,
// POST /prompt, GET /history/{id}, GET /queue, POST /queue {"delete"},
// POST /interrupt and GET /view, with best-effort progress from each
// server's /ws websocket. /history stays the source of truth; websocket
// events only speed polling up.
//
// Behaviour (see core/provider.h for the interface contract):
//  - PreassignUpstreamId returns a fresh uuid; Submit sends it as prompt_id,
//    so a resubmit after a crash is idempotent.
//  - Submit renders record.request() into the template named by
//    record.task().workflow() (or passes request.workflow_json() through),
//    sends it to the pool member with the shortest queue (running + pending
//    + our own submits in flight; ties round-robin; unreachable members are
//    skipped) and returns provider_state {"server": "<base url>"}. n goes
//    to the template's batch slot (n > 1 without one: INVALID_ARGUMENT).
//    Templates with an image slot (image-to-video, e.g. workflow "video")
//    need SubmitContext.input_image (else INVALID_ARGUMENT): it is first
//    uploaded to the chosen server (POST /upload/image, subfolder
//    "mediagw", name "mediagw_<task id>.<ext>", overwrite=true, so a retry
//    replaces it) and the name the server reports fills the slot. A video
//    task whose template has no image slot is INVALID_ARGUMENT. A retry
//    (record.attempts() > 1) first looks for its prompt_id on the reachable
//    members and adopts a job an earlier attempt already started.
//  - Poll reads /history, then /queue for unfinished runs: kQueued, kRunning
//    (with the last websocket progress), kSucceeded (the files a run lists
//    under images, gifs or videos, as /view requests; MIME type from the
//    extension or the entry's format), kFailed (INTERNAL with the execution
//    error, ABORTED when interrupted, INTERNAL when a run saved no files),
//    kNotFound.
//  - Resume finds the preassigned prompt_id in /history or /queue of the
//    recorded server (all servers when unknown) or submits it again with
//    the same prompt_id (uploading the input image again first, as
//    Submit). UNAVAILABLE when a server that might hold it cannot be asked;
//    NOT_FOUND when the record has no upstream id.
//  - Cancel deletes a pending prompt or interrupts a running one; OK when
//    it has already finished or is unknown.
//
// Status codes: INVALID_ARGUMENT for requests that cannot run (unknown
// workflow, bad workflow_json, missing input image, upstream validation
// errors); upstream HTTP
// statuses via UpstreamHttpToStatus; UNAVAILABLE for unreachable servers
// and malformed replies; transport codes from the HttpClient unchanged.
//
// Threading: all methods are thread-safe and non-blocking. Callbacks run on
// the HttpClient loop thread (validation errors inline on the caller's).
// Listener calls run on the provider's websocket thread, never under a
// lock; a call already under way may still arrive just after Unwatch.
//
// Ownership: `http` is not owned and must outlive the provider and every
// request it started. Destroying the provider closes its websockets and
// joins their thread; it must not run on that thread (from a listener).
#ifndef MEDIAGW_PROVIDERS_COMFYUI_COMFYUI_PROVIDER_H_
#define MEDIAGW_PROVIDERS_COMFYUI_COMFYUI_PROVIDER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/breaker_board.h"
#include "core/http_client.h"
#include "core/provider.h"

namespace mediagw::comfyui {

struct ComfyUiOptions {
  std::string channel_name;
  // A pool of servers, e.g. "http://127.0.0.1:8188". At least one.
  std::vector<std::string> base_urls;
  // Workflow name -> template JSON text (see WorkflowTemplate in
  // comfyui_codec.h for the format).
  std::map<std::string, std::string> templates;
  // Per upstream request (queue probes use at most 5 s of it).
  absl::Duration request_timeout = absl::Seconds(30);
  bool use_websocket = true;
  // Sent as client_id and ws clientId; a random uuid if empty. ComfyUI only
  // pushes progress for a prompt to the client id that submitted it, so a
  // stable id keeps progress flowing for jobs resumed after a restart.
  std::string client_id;
  // With two or more base_urls: each is a pool member with its own circuit
  // breaker here (registered by NewComfyUiProvider); an ejected member gets
  // no queue probe and no task until its breaker lets a probe through.
  // Not owned; outlives the provider. Null: no breakers.
  BreakerBoard* breakers = nullptr;
};

// INVALID_ARGUMENT if a template does not parse or lacks a slot target, if
// base_urls is empty, or if `http` is null.
absl::StatusOr<std::shared_ptr<Provider>> NewComfyUiProvider(
    ComfyUiOptions options, HttpClient* http);

// Counters of a provider made by NewComfyUiProvider (zeros for any other).
struct ComfyUiStats {
  int64_t ws_connects = 0;
  int64_t ws_disconnects = 0;
  int64_t ws_messages = 0;
  int64_t ws_binary_messages = 0;
  int64_t ws_malformed = 0;  // text messages the codec rejected
  int64_t submits = 0;       // POST /prompt sent
  int64_t uploads = 0;       // POST /upload/image sent
};
ComfyUiStats GetComfyUiStats(const Provider& provider);

}  // namespace mediagw::comfyui

#endif  // MEDIAGW_PROVIDERS_COMFYUI_COMFYUI_PROVIDER_H_
