// Pure functions for getting an input image to a ComfyUI server (see
// docs/PROVIDERS.md "ComfyUI"): the multipart body of POST /upload/image, its
// reply, and the value a LoadImage node takes to read the upload. No I/O, no
// threads, no global state: thread-safe, never aborts on malformed input.
//
// Status codes (ParseUploadResponse): a 2xx reply without the documented
// shape is UNAVAILABLE with a message starting "malformed upstream response"
// (retryable); other statuses map through UpstreamHttpToStatus("comfyui",
// ...), so a 5xx is UNAVAILABLE and a 400 (image refused) INVALID_ARGUMENT.
#ifndef MEDIAGW_PROVIDERS_COMFYUI_COMFYUI_UPLOAD_CODEC_H_
#define MEDIAGW_PROVIDERS_COMFYUI_COMFYUI_UPLOAD_CODEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mediagw::comfyui {

// Uploads land in this subfolder of ComfyUI's input folder, away from
// files people put there by hand.
inline constexpr absl::string_view kUploadSubfolder = "mediagw";

// A stable upload file name for a task: "mediagw_<task id>.<ext>", with
// characters outside [A-Za-z0-9_-] of the id replaced by '_' and the
// extension taken from `mime_type` (png, jpg, webp, gif), else from
// `input_name`'s extension, else "png". The same task always gets the same
// name, so a retry (with overwrite) replaces the file instead of adding
// "name (1).png" copies.
std::string UploadFilename(absl::string_view task_id,
                           absl::string_view mime_type,
                           absl::string_view input_name);

struct ImageUpload {
  std::string filename;  // as UploadFilename returns: no quotes or slashes
  std::string subfolder;
  std::string mime_type;  // "" = application/octet-stream
  bool overwrite = true;
};

// The multipart/form-data body with the parts "image" (the bytes),
// "overwrite", "subfolder" and "type" ("input"). `boundary` must not occur
// in `bytes` (see BoundaryFits).
std::string BuildUploadBody(const ImageUpload& upload, absl::string_view bytes,
                            absl::string_view boundary);
// "multipart/form-data; boundary=<boundary>".
std::string UploadContentType(absl::string_view boundary);
// True when `boundary` is 1..70 characters and its delimiter line cannot be
// confused with the content.
bool BoundaryFits(absl::string_view bytes, absl::string_view boundary);

// Where the server stored an upload.
struct UploadedImage {
  std::string name;  // may differ from what was sent (ComfyUI renames)
  std::string subfolder;
  std::string type;  // "input" unless the server says otherwise
};

absl::StatusOr<UploadedImage> ParseUploadResponse(int http_status,
                                                  absl::string_view body);

// LoadImage's "image" input for an upload: "subfolder/name", with ComfyUI's
// " [temp]" / " [output]" annotation when it is not in the input folder.
std::string LoadImageValue(const UploadedImage& image);

}  // namespace mediagw::comfyui

#endif  // MEDIAGW_PROVIDERS_COMFYUI_COMFYUI_UPLOAD_CODEC_H_
