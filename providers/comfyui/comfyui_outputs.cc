#include "providers/comfyui/comfyui_outputs.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"

namespace mediagw::comfyui {

std::vector<OutputFile> SelectOutputs(std::vector<OutputFile> files) {
  const bool saved =
      std::any_of(files.begin(), files.end(),
                  [](const OutputFile& f) { return f.type == "output"; });
  if (saved) {
    files.erase(
        std::remove_if(files.begin(), files.end(),
                       [](const OutputFile& f) { return f.type != "output"; }),
        files.end());
  }
  std::stable_partition(files.begin(), files.end(), [](const OutputFile& f) {
    return absl::StartsWith(MimeTypeForOutput(f), "video/");
  });
  return files;
}

}  // namespace mediagw::comfyui
