#include "tools/sim/sample_routes.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "tools/sim/comfy_codec.h"
#include "tools/sim/jpeg_render.h"
#include "tools/sim/png_render.h"

namespace mediagw::sim {
namespace {

constexpr int kMinSide = 16;
constexpr int kMaxSampleSide = 2048;
constexpr int64_t kSampleSeed = 20240601;

bool ParseSide(absl::string_view text, int* out) {
  // Digits only: SimpleAtoi would also take "+64" or " 64".
  if (text.empty() || text.size() > 4) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return absl::SimpleAtoi(text, out) && *out >= kMinSide &&
         *out <= kMaxSampleSide;
}

}  // namespace

net::ServerResponse SampleRoutes::ErrorResponse(
    int status, absl::string_view message) const {
  net::ServerResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = PlainErrorJson(message);
  return r;
}

std::optional<net::ServerResponse> SampleRoutes::Route(
    const net::ServerRequest& request, absl::string_view path,
    const std::shared_ptr<net::ResponseWriter>&) {
  if (request.method != "GET") {
    return ErrorResponse(405, "method not allowed");
  }
  const bool png = absl::EndsWith(path, ".png");
  const bool jpg = absl::EndsWith(path, ".jpg");
  if (!absl::StartsWith(path, "/") || (!png && !jpg)) {
    return ErrorResponse(404, "no such sample");
  }
  absl::string_view size = path.substr(1, path.size() - 5);
  std::vector<absl::string_view> sides = absl::StrSplit(size, 'x');
  int width = 0;
  int height = 0;
  if (sides.size() != 2 || !ParseSide(sides[0], &width) ||
      !ParseSide(sides[1], &height)) {
    return ErrorResponse(404,
                         "samples are <width>x<height>.png or .jpg, "
                         "sides 16..2048");
  }
  absl::StatusOr<std::string> bytes =
      png ? RenderPng(width, height, kSampleSeed, "sample")
          : RenderJpeg(width, height, kSampleSeed, "sample");
  if (!bytes.ok()) return ErrorResponse(500, bytes.status().message());
  net::ServerResponse r;
  r.status = 200;
  r.content_type = png ? "image/png" : "image/jpeg";
  r.body = *std::move(bytes);
  return r;
}

}  // namespace mediagw::sim
