// Fuzzes the ComfyUI reply to POST /upload/image (ParseUploadResponse) and
// what the provider builds from it. Properties: a 2xx body that is not the
// documented shape is UNAVAILABLE; an accepted reply has a non-empty name
// and a type, and LoadImageValue ends with the name (or its annotation);
// non-2xx statuses are never OK. The input also serves as a task id and a
// stored input name for UploadFilename, whose result must stay a plain,
// stable file name.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "providers/comfyui/comfyui_upload_codec.h"
#include "tests/fuzz/fuzz_util.h"

namespace mediagw::fuzz {
namespace {

void CheckReply(absl::string_view body) {
  auto up = comfyui::ParseUploadResponse(200, body);
  if (!up.ok()) {
    FUZZ_CHECK(up.status().code() == absl::StatusCode::kUnavailable);
  } else {
    FUZZ_CHECK(!up->name.empty());
    FUZZ_CHECK(!up->type.empty());
    const std::string value = comfyui::LoadImageValue(*up);
    FUZZ_CHECK(absl::StrContains(value, up->name));
    FUZZ_CHECK(up->type == "input" || absl::EndsWith(value, "]"));
  }
  for (int status : {400, 404, 413, 500, 503}) {
    FUZZ_CHECK(!comfyui::ParseUploadResponse(status, body).ok());
  }
}

void CheckFilename(absl::string_view text) {
  const std::string name = comfyui::UploadFilename(text, text, text);
  FUZZ_CHECK(name == comfyui::UploadFilename(text, text, text));
  FUZZ_CHECK(absl::StartsWith(name, "mediagw_"));
  for (char c : name) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                       c == '.';
    FUZZ_CHECK(plain);
  }
  const comfyui::ImageUpload upload{name, "mediagw", "image/png", true};
  const std::string boundary = "mediagw-0000";
  if (comfyui::BoundaryFits(text, boundary)) {
    const std::string body = comfyui::BuildUploadBody(upload, text, boundary);
    FUZZ_CHECK(absl::EndsWith(body, "--mediagw-0000--\r\n"));
  }
}

}  // namespace
}  // namespace mediagw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  const absl::string_view input = fuzz::AsView(data, size);
  fuzz::CheckReply(input);
  fuzz::CheckFilename(input);
  return 0;
}
