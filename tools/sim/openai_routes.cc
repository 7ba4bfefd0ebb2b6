#include "tools/sim/openai_routes.h"

#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "tools/sim/jpeg_render.h"
#include "tools/sim/png_render.h"

namespace mediagw::sim {
namespace {

using net::ServerRequest;
using net::ServerResponse;

constexpr absl::string_view kGenerations = "/v1/images/generations";
constexpr absl::string_view kFiles = "/files/";
constexpr absl::string_view kFileType = "vendor";

ServerResponse Json(int status, std::string body) {
  ServerResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

}  // namespace

OpenAiRoutes::OpenAiRoutes(OpenAiDialect dialect, std::string api_key,
                           FileStore* files, FaultRegistry* faults)
    : dialect_(dialect),
      prefix_(OpenAiPrefix(dialect)),
      subfolder_(prefix_.substr(1)),
      api_key_(std::move(api_key)),
      files_(files),
      faults_(faults) {}

std::optional<ServerResponse> OpenAiRoutes::Route(
    const ServerRequest& request, absl::string_view path,
    const std::shared_ptr<net::ResponseWriter>&) {
  if (path == kGenerations) {
    if (request.method != "POST") {
      return ErrorResponse(405, "Method not allowed");
    }
    return Generate(request);
  }
  if (absl::StartsWith(path, kFiles)) {
    if (request.method != "GET" && request.method != "HEAD") {
      return ErrorResponse(405, "Method not allowed");
    }
    return GetFile(path.substr(kFiles.size()));
  }
  return ErrorResponse(
      404, absl::StrCat("No route for ", request.method, " ", prefix_, path));
}

ServerResponse OpenAiRoutes::ErrorResponse(int status,
                                           absl::string_view message) const {
  return Json(status, OpenAiErrorJson(dialect_, status, message));
}

ServerResponse OpenAiRoutes::Generate(const ServerRequest& request) {
  if (request.Header("authorization") != absl::StrCat("Bearer ", api_key_)) {
    return ErrorResponse(401, "Incorrect API key provided");
  }
  absl::StatusOr<ImagesRequest> parsed =
      ParseImagesRequest(dialect_, request.body);
  if (!parsed.ok()) return ErrorResponse(400, parsed.status().message());

  const std::string id = NewUuid();
  const std::optional<FaultMode> fault = faults_->TakeJobFault();
  faults_->CountJob(id);
  faults_->CountSubmit(subfolder_, parsed->prompt);
  if (fault == FaultMode::kErrorStatus) {
    return ErrorResponse(500, "generation failed");
  }
  // Each generation draws new pictures, reproducibly per id.
  const int64_t seed = static_cast<int64_t>(HashBytes(id) >> 1);
  std::string host(request.Header("host"));
  if (host.empty()) host = "127.0.0.1";
  std::vector<GeneratedImage> images;
  for (int i = 0; i < parsed->n; ++i) {
    const ImageDims& d = parsed->dims[static_cast<size_t>(i)];
    absl::StatusOr<std::string> jpeg =
        RenderJpeg(d.width, d.height, seed, parsed->prompt, i);
    if (!jpeg.ok()) return ErrorResponse(500, jpeg.status().message());
    GeneratedImage image;
    if (parsed->b64) {
      image.b64_json = absl::Base64Escape(*jpeg);
    } else {
      const std::string name = absl::StrCat(id, "-", i, ".jpg");
      image.url = absl::StrCat("http://", host, prefix_, kFiles, name);
      if (fault != FaultMode::kVanish) Keep(name, *std::move(jpeg));
    }
    images.push_back(std::move(image));
  }
  return Json(200, ImagesReplyJson(dialect_, absl::ToUnixSeconds(absl::Now()),
                                   images, parsed->prompt));
}

ServerResponse OpenAiRoutes::GetFile(absl::string_view name) const {
  std::optional<StoredFile> file = files_->Get(kFileType, subfolder_, name);
  if (!file.has_value()) {
    return ErrorResponse(404, "The file does not exist or has expired");
  }
  ServerResponse r;
  r.content_type = file->content_type;
  r.body = std::move(file->bytes);
  return r;
}

void OpenAiRoutes::Keep(const std::string& name, std::string bytes) {
  files_->Put(kFileType, subfolder_, name, {"image/jpeg", std::move(bytes)});
  std::vector<std::string> evicted;
  {
    absl::MutexLock lock(&mu_);
    kept_.push_back(name);
    while (kept_.size() > kMaxFiles) {
      evicted.push_back(std::move(kept_.front()));
      kept_.pop_front();
    }
  }
  for (const std::string& old : evicted)
    files_->Erase(kFileType, subfolder_, old);
}

}  // namespace mediagw::sim
