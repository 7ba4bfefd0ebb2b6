#include "providers/comfyui/comfyui_upload_codec.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/status_mapping.h"
#include "common/utf8.h"

namespace mediagw::comfyui {
namespace {

constexpr absl::string_view kWhat = "POST /upload/image";
constexpr size_t kMaxBoundary = 70;  // RFC 2046

absl::Status Malformed(const absl::Status& cause) {
  return absl::UnavailableError(absl::StrCat("malformed upstream response (",
                                             kWhat, "): ", cause.message()));
}

std::string ExtensionForMime(absl::string_view mime_type) {
  const std::string mime = absl::AsciiStrToLower(mime_type);
  static constexpr std::pair<absl::string_view, absl::string_view> kTypes[] = {
      {"image/png", "png"},
      {"image/jpeg", "jpg"},
      {"image/webp", "webp"},
      {"image/gif", "gif"}};
  for (const auto& [m, ext] : kTypes) {
    if (mime == m) return std::string(ext);
  }
  return "";
}

bool IsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         c == '-';
}

void AppendPart(std::string* out, absl::string_view boundary,
                absl::string_view name, absl::string_view value) {
  absl::StrAppend(out, "--", boundary,
                  "\r\nContent-Disposition: form-data; name=\"", name,
                  "\"\r\n\r\n", value, "\r\n");
}

}  // namespace

std::string UploadFilename(absl::string_view task_id,
                           absl::string_view mime_type,
                           absl::string_view input_name) {
  std::string id;
  id.reserve(task_id.size());
  for (char c : task_id) id.push_back(IsNameChar(c) ? c : '_');
  std::string ext = ExtensionForMime(mime_type);
  if (ext.empty()) {
    const size_t dot = input_name.rfind('.');
    if (dot != absl::string_view::npos && dot + 1 < input_name.size()) {
      absl::string_view given = input_name.substr(dot + 1);
      bool clean = given.size() <= 5;
      for (char c : given) clean = clean && IsNameChar(c);
      if (clean) ext = absl::AsciiStrToLower(given);
    }
  }
  if (ext.empty()) ext = "png";
  return absl::StrCat("mediagw_", id, ".", ext);
}

std::string BuildUploadBody(const ImageUpload& upload, absl::string_view bytes,
                            absl::string_view boundary) {
  std::string out;
  out.reserve(bytes.size() + 512);
  absl::StrAppend(
      &out, "--", boundary,
      "\r\nContent-Disposition: form-data; name=\"image\"; "
      "filename=\"",
      upload.filename, "\"\r\nContent-Type: ",
      upload.mime_type.empty() ? "application/octet-stream" : upload.mime_type,
      "\r\n\r\n");
  out.append(bytes.data(), bytes.size());
  out.append("\r\n");
  AppendPart(&out, boundary, "overwrite", upload.overwrite ? "true" : "false");
  AppendPart(&out, boundary, "subfolder", upload.subfolder);
  AppendPart(&out, boundary, "type", "input");
  absl::StrAppend(&out, "--", boundary, "--\r\n");
  return out;
}

std::string UploadContentType(absl::string_view boundary) {
  return absl::StrCat("multipart/form-data; boundary=", boundary);
}

bool BoundaryFits(absl::string_view bytes, absl::string_view boundary) {
  if (boundary.empty() || boundary.size() > kMaxBoundary) return false;
  return bytes.find(absl::StrCat("--", boundary)) == absl::string_view::npos;
}

absl::StatusOr<UploadedImage> ParseUploadResponse(int http_status,
                                                  absl::string_view body) {
  if (http_status < 200 || http_status >= 300) {
    return UpstreamHttpToStatus(http_status, "comfyui", SanitizeUpstreamText(body, 200));
  }
  auto doc = json::ParseObject(body, json::Utf8Policy::kRepair);
  if (!doc.ok()) return Malformed(doc.status());
  UploadedImage image;
  auto name = json::GetString(*doc, "name");
  if (!name.ok()) return Malformed(name.status());
  if (name->empty()) {
    return Malformed(absl::InvalidArgumentError("empty name"));
  }
  auto subfolder = json::GetOptString(*doc, "subfolder");
  if (!subfolder.ok()) return Malformed(subfolder.status());
  auto type = json::GetOptString(*doc, "type");
  if (!type.ok()) return Malformed(type.status());
  image.name = *std::move(name);
  image.subfolder = subfolder->value_or("");
  image.type = type->value_or("");
  if (image.type.empty()) image.type = "input";
  return image;
}

std::string LoadImageValue(const UploadedImage& image) {
  std::string value = image.subfolder.empty()
                          ? image.name
                          : absl::StrCat(image.subfolder, "/", image.name);
  if (image.type != "input") absl::StrAppend(&value, " [", image.type, "]");
  return value;
}

}  // namespace mediagw::comfyui
