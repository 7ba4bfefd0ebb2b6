#include "gateway/uploads_handler.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "gateway/legacy_codec.h"

namespace mediagw::gateway {
namespace {

constexpr absl::string_view kPrefix = "/uploads/";

std::string ContentTypeFor(absl::string_view name) {
  if (absl::EndsWith(name, ".png")) return "image/png";
  if (absl::EndsWith(name, ".jpg")) return "image/jpeg";
  if (absl::EndsWith(name, ".webp")) return "image/webp";
  if (absl::EndsWith(name, ".gif")) return "image/gif";
  if (absl::EndsWith(name, ".mp4")) return "video/mp4";
  if (absl::EndsWith(name, ".webm")) return "video/webm";
  return "application/octet-stream";
}

void SendError(const std::shared_ptr<net::ResponseWriter>& writer, int status,
               absl::string_view message, HttpHeaders headers = {}) {
  net::ServerResponse resp;
  resp.status = status;
  resp.headers = std::move(headers);
  resp.body = EncodeError(message);
  writer->Send(std::move(resp));
}

// Strong validator: a blob is replaced, never changed in place, and a new
// version has a new modification time (or size).
std::string ETagOf(const BlobReader& reader) {
  return absl::StrCat(
      "\"", absl::Hex(reader.size()), "-",
      absl::Hex(static_cast<uint64_t>(absl::ToUnixNanos(reader.modified()))),
      "\"");
}

std::string HttpDate(absl::Time t) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", t, absl::UTCTimeZone());
}

// If-None-Match: "*" or a list of entity tags, compared weakly.
bool NoneMatchHits(absl::string_view header, absl::string_view etag) {
  for (absl::string_view tag : absl::StrSplit(header, ',')) {
    tag = absl::StripAsciiWhitespace(tag);
    if (tag == "*") return true;
    absl::ConsumePrefix(&tag, "W/");
    if (tag == etag) return true;
  }
  return false;
}

struct ByteRange {
  uint64_t start = 0;
  uint64_t length = 0;
};

// One "bytes=" range against a blob of `size` bytes. nullopt: no usable
// Range (absent, malformed or several ranges: serve the whole blob).
// A ByteRange with length 0: unsatisfiable.
std::optional<ByteRange> ParseRange(absl::string_view header, uint64_t size) {
  header = absl::StripAsciiWhitespace(header);
  if (header.size() < 6 ||
      !absl::EqualsIgnoreCase(header.substr(0, 6), "bytes=")) {
    return std::nullopt;
  }
  absl::string_view spec = absl::StripAsciiWhitespace(header.substr(6));
  if (absl::StrContains(spec, ',')) return std::nullopt;
  const size_t dash = spec.find('-');
  if (dash == absl::string_view::npos) return std::nullopt;
  const absl::string_view first = spec.substr(0, dash);
  const absl::string_view last = spec.substr(dash + 1);
  auto number = [](absl::string_view s, uint64_t* out) {
    if (s.empty() || s.size() > 19) return false;
    for (char c : s) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    }
    return absl::SimpleAtoi(s, out);
  };
  uint64_t a = 0;
  uint64_t b = 0;
  if (first.empty()) {  // suffix: the last b bytes
    if (!number(last, &b)) return std::nullopt;
    if (b == 0 || size == 0) return ByteRange{};
    const uint64_t n = b < size ? b : size;
    return ByteRange{size - n, n};
  }
  if (!number(first, &a)) return std::nullopt;
  if (last.empty()) {
    b = UINT64_MAX;
  } else if (!number(last, &b) || b < a) {
    return std::nullopt;
  }
  if (a >= size) return ByteRange{};
  const uint64_t end = b < size - 1 ? b : size - 1;
  return ByteRange{a, end - a + 1};
}

// Reads the blob's bytes [offset, offset + length) on the handler's pool,
// one chunk per Next.
class BlobSource : public net::BodySource,
                   public std::enable_shared_from_this<BlobSource> {
 public:
  BlobSource(std::shared_ptr<BlobReader> reader, uint64_t offset,
             Executor* pool)
      : reader_(std::move(reader)), offset_(offset), pool_(pool) {}

  void Next(size_t max,
            std::function<void(absl::StatusOr<std::string>)> done) override {
    // Calls are sequential (the next only after `done`), so offset_ needs
    // no lock: each read is ordered after the previous by that hand-off.
    pool_->Schedule([self = shared_from_this(), max, done = std::move(done)] {
      absl::StatusOr<std::string> chunk =
          self->reader_->Read(self->offset_, max);
      if (chunk.ok()) self->offset_ += chunk->size();
      done(std::move(chunk));
    });
  }

 private:
  const std::shared_ptr<BlobReader> reader_;
  uint64_t offset_;
  Executor* const pool_;
};

struct Conditions {
  std::string range;
  std::string if_range;
  std::string if_none_match;
  bool has_range = false;
  bool has_if_range = false;
  bool has_if_none_match = false;
};

}  // namespace

void UploadsHandler::Serve(const net::ServerRequest& request,
                           std::shared_ptr<net::ResponseWriter> writer) {
  if (request.method != "GET" && request.method != "HEAD") {
    SendError(writer, 405, "Method not allowed", {{"allow", "GET, HEAD"}});
    return;
  }
  std::string name = request.path.substr(kPrefix.size());
  Conditions cond;
  for (const auto& [key, value] : request.headers) {
    if (key == "range" && !cond.has_range) {
      cond.range = value;
      cond.has_range = true;
    } else if (key == "if-range" && !cond.has_if_range) {
      cond.if_range = value;
      cond.has_if_range = true;
    } else if (key == "if-none-match" && !cond.has_if_none_match) {
      cond.if_none_match = value;
      cond.has_if_none_match = true;
    }
  }
  pool_->Schedule([this, name = std::move(name), cond = std::move(cond),
                   writer = std::move(writer)] {
    std::string served = name;
    auto reader = blobs_->OpenRead(served);
    // The seed documents uploads/{task_id}.png for every image task, but a
    // JPEG or WebP upstream result is stored under its real extension.
    if (!reader.ok() && absl::EndsWith(name, ".png")) {
      const absl::string_view stem =
          absl::string_view(name).substr(0, name.size() - 4);
      for (absl::string_view ext : {".jpg", ".webp", ".gif"}) {
        served = absl::StrCat(stem, ext);
        reader = blobs_->OpenRead(served);
        if (reader.ok()) break;
      }
    }
    if (!reader.ok()) {
      // Bad names and missing files look the same from outside.
      SendError(writer, 404, "Not found");
      return;
    }
    std::shared_ptr<BlobReader> blob = *std::move(reader);
    const uint64_t size = blob->size();
    const std::string etag = ETagOf(*blob);
    HttpHeaders headers = {
        {"cache-control", "public, max-age=31536000, immutable"},
        {"accept-ranges", "bytes"},
        {"etag", etag},
        {"last-modified", HttpDate(blob->modified())},
        {"x-content-type-options", "nosniff"},
    };
    if (cond.has_if_none_match && NoneMatchHits(cond.if_none_match, etag)) {
      net::ServerResponse resp;
      resp.status = 304;
      resp.content_type.clear();
      resp.headers = std::move(headers);
      writer->Send(std::move(resp));
      return;
    }
    std::optional<ByteRange> range;
    if (cond.has_range && (!cond.has_if_range || cond.if_range == etag)) {
      range = ParseRange(cond.range, size);
    }
    if (range && range->length == 0) {
      headers.emplace_back("content-range", absl::StrCat("bytes */", size));
      SendError(writer, 416, "Range not satisfiable", std::move(headers));
      return;
    }
    net::ServerResponse head;
    head.content_type = ContentTypeFor(served);
    uint64_t offset = 0;
    uint64_t length = size;
    if (range) {
      head.status = 206;
      offset = range->start;
      length = range->length;
      headers.emplace_back(
          "content-range",
          absl::StrCat("bytes ", offset, "-", offset + length - 1, "/", size));
    }
    head.headers = std::move(headers);
    writer->SendBody(
        std::move(head), length,
        std::make_shared<BlobSource>(std::move(blob), offset, pool_));
  });
}

void UploadsHandler::Register(RouteTable& table) {
  table.Add({"uploads", std::string(kPathPrefix), true, {"GET", "HEAD"},
             [this](net::ServerRequest r,
                    std::shared_ptr<net::ResponseWriter> w) {
               Serve(r, std::move(w));
             },
             nullptr, &EncodeError, absl::StrCat(kPathPrefix, "{name}")});
}

}  // namespace mediagw::gateway
