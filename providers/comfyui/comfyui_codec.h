// Pure JSON <-> domain functions for the ComfyUI protocol (see
// docs/PROVIDERS.md "ComfyUI"): workflow templates and slot rendering, the
// /prompt, /history and /queue replies, the websocket messages, and our own
// opaque provider_state. No I/O, no threads, no global state: every function
// is thread-safe and never aborts on malformed input.
//
// Status codes:
//  - Templates and caller-supplied workflows: INVALID_ARGUMENT.
//  - Upstream replies that do not have the documented shape: UNAVAILABLE
//    with a message starting "malformed upstream response" (retryable: a
//    broken reply says nothing about the request itself).
//  - Non-2xx upstream statuses: UpstreamHttpToStatus("comfyui", ...), except
//    a 400 in ComfyUI's error shape, which is INVALID_ARGUMENT carrying the
//    upstream message and a node_errors summary.
#ifndef MEDIAGW_PROVIDERS_COMFYUI_COMFYUI_CODEC_H_
#define MEDIAGW_PROVIDERS_COMFYUI_COMFYUI_CODEC_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mediagw/v1/media.pb.h"

namespace mediagw::comfyui {

// One place a slot value is written: workflow[node]["inputs"][input].
struct SlotTarget {
  std::string node;
  std::string input;
};

// A stored workflow with named slots. Immutable once parsed; copyable.
//
// File format: {"workflow": {<API-format graph>}, "slots": {"<slot>":
// [["<node id>", "<input name>"], ...]}, "description": "..."}. Known slots:
// prompt (required), negative, seed, width, height, steps, cfg, ckpt (alias
// "model"), batch (images per run, e.g. EmptyLatentImage.batch_size) and
// image (a LoadImage.image that reads the task's uploaded input image).
// Every target must name an existing node with an "inputs" object that
// already holds that input.
class WorkflowTemplate {
 public:
  // INVALID_ARGUMENT naming `name` when the text is not JSON, has no
  // workflow object, names an unknown slot or a missing target.
  static absl::StatusOr<WorkflowTemplate> Parse(absl::string_view name,
                                                absl::string_view text);

  const std::string& name() const { return name_; }
  bool HasSlot(absl::string_view slot) const;
  const std::vector<SlotTarget>& Targets(absl::string_view slot) const;
  // The graph as compact JSON.
  const std::string& workflow_json() const { return workflow_json_; }

 private:
  std::string name_;
  std::string workflow_json_;
  std::map<std::string, std::vector<SlotTarget>, std::less<>> slots_;
};

// Renders `request` into `tmpl`: prompt always; negative only when
// non-empty (the template's text is the default); width, height, steps, seed
// and cfg when present; model into the ckpt slot when non-empty (ignored by
// templates without one); n into the batch slot; `image` (LoadImage's value
// for the uploaded input, see comfyui_upload_codec.h) into the image slot.
// INVALID_ARGUMENT when n > 1 and the template has no batch slot, when the
// template has an image slot and `image` is empty, or when `image` is given
// to a template without one. Returns the API-format graph as JSON text.
absl::StatusOr<std::string> RenderWorkflow(
    const WorkflowTemplate& tmpl,
    const mediagw::v1::SubmitImageRequest& request,
    absl::string_view image = "");

// A caller-supplied whole workflow: INVALID_ARGUMENT unless it is a JSON
// object. Returns the text unchanged.
absl::StatusOr<std::string> ValidateRawWorkflow(absl::string_view text);

// Body of POST /prompt. `workflow_json` must be a JSON object (as returned
// by RenderWorkflow or ValidateRawWorkflow).
std::string BuildPromptBody(absl::string_view workflow_json,
                            absl::string_view client_id,
                            absl::string_view prompt_id);

// Interprets the reply to POST /prompt; returns the accepted prompt_id.
absl::StatusOr<std::string> ParsePromptResponse(int http_status,
                                                absl::string_view body);

// One file listed in a finished run's outputs.
struct OutputFile {
  std::string node;
  std::string filename;
  std::string subfolder;
  std::string type;  // "output", "temp", "input"
  std::string format;  // VHS_VideoCombine's "video/h264-mp4", ...; "" if none
};

struct HistoryEntry {
  enum class Status {
    kAbsent,    // `{}` or not our id: unfinished or unknown
    kRunning,   // listed but not finished (no final status yet)
    kSucceeded,
    kFailed,
  };
  Status status = Status::kAbsent;
  // For kSucceeded: images, gifs and videos of every node, in order. Files
  // of type "output" when there are any, otherwise all (preview-only graphs).
  std::vector<OutputFile> outputs;
  // For kFailed: the execution_error text (with node), or "interrupted".
  std::string error_message;
  bool interrupted = false;
};

// Interprets GET /history/{prompt_id} (2xx body only).
absl::StatusOr<HistoryEntry> ParseHistory(absl::string_view body,
                                          absl::string_view prompt_id);

struct QueueSnapshot {
  std::vector<std::string> running;  // prompt ids
  std::vector<std::string> pending;
  size_t Depth() const { return running.size() + pending.size(); }
  bool IsRunning(absl::string_view id) const;
  bool IsPending(absl::string_view id) const;
};

// Interprets GET /queue (2xx body only).
absl::StatusOr<QueueSnapshot> ParseQueue(absl::string_view body);

// Bodies of POST /queue (delete a pending prompt) and POST /interrupt.
std::string BuildDeleteBody(absl::string_view prompt_id);
std::string BuildInterruptBody(absl::string_view prompt_id);

// GET {server}/view?filename=..&subfolder=..&type=.. with every value
// percent-encoded.
std::string ViewUrl(absl::string_view server, const OutputFile& file);

// Best-guess MIME type from the file extension; application/octet-stream
// when unknown.
std::string MimeTypeForFilename(absl::string_view filename);
// The extension's type when it is known, else the one the entry's format
// names ("video/h264-mp4" -> video/mp4, "video/webm", "image/gif", ...).
std::string MimeTypeForOutput(const OutputFile& file);

// Percent-encodes everything outside RFC 3986 unreserved characters.
std::string UrlEncode(absl::string_view s);

// Our opaque TaskRecord.provider_state: {"server": "<base url>"}.
std::string BuildProviderState(absl::string_view server);
// "" for an empty state; INVALID_ARGUMENT when it is not ours.
absl::StatusOr<std::string> ParseProviderState(absl::string_view state);

// A websocket text message reduced to what the provider acts on.
struct WsEvent {
  enum class Kind {
    kIgnored,   // status, executed, execution_cached, unknown types, ...
    kProgress,  // value/max for prompt_id
    kHint,      // the prompt started or finished: poll it now
  };
  Kind kind = Kind::kIgnored;
  std::string prompt_id;
  double value = 0;
  double max = 0;
};

// INVALID_ARGUMENT for text that is not a {"type","data"} object or whose
// known type has wrong field types.
absl::StatusOr<WsEvent> ParseWsMessage(absl::string_view text);

}  // namespace mediagw::comfyui

#endif  // MEDIAGW_PROVIDERS_COMFYUI_COMFYUI_CODEC_H_
