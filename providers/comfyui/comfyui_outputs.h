// Which files of a finished ComfyUI run become the task's outputs, in what
// order. Pure; thread-safe.
#ifndef MEDIAGW_PROVIDERS_COMFYUI_COMFYUI_OUTPUTS_H_
#define MEDIAGW_PROVIDERS_COMFYUI_COMFYUI_OUTPUTS_H_

#include <vector>

#include "providers/comfyui/comfyui_codec.h"

namespace mediagw::comfyui {

// The files of `files` (history order) that are results:
//  - previews (type "temp") and echoed inputs (type "input") are dropped
//    when the run saved at least one "output" file;
//  - video files (MimeTypeForOutput is video/*) come first, so that an
//    image-to-video task's first output, the legacy video_url, is the video
//    even when the workflow also saves a still frame.
// The order is otherwise kept.
std::vector<OutputFile> SelectOutputs(std::vector<OutputFile> files);

}  // namespace mediagw::comfyui

#endif  // MEDIAGW_PROVIDERS_COMFYUI_COMFYUI_OUTPUTS_H_
