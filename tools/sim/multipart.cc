#include "tools/sim/multipart.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace mediagw::sim {
namespace {

absl::Status Bad(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("multipart: ", what));
}

// Value of `param` in a header like `form-data; name="image"; filename=x`.
std::optional<std::string> HeaderParam(absl::string_view header,
                                       absl::string_view param) {
  for (absl::string_view piece : absl::StrSplit(header, ';')) {
    piece = absl::StripAsciiWhitespace(piece);
    const size_t eq = piece.find('=');
    if (eq == absl::string_view::npos) continue;
    if (!absl::EqualsIgnoreCase(
            absl::StripAsciiWhitespace(piece.substr(0, eq)), param)) {
      continue;
    }
    absl::string_view value = absl::StripAsciiWhitespace(piece.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return std::string(value);
  }
  return std::nullopt;
}

absl::StatusOr<FormPart> ParsePart(absl::string_view part) {
  const size_t end = part.find("\r\n\r\n");
  if (end == absl::string_view::npos) return Bad("part without headers");
  FormPart out;
  bool has_disposition = false;
  for (absl::string_view line :
       absl::StrSplit(part.substr(0, end), "\r\n", absl::SkipEmpty())) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) return Bad("malformed part header");
    absl::string_view name = absl::StripAsciiWhitespace(line.substr(0, colon));
    absl::string_view value =
        absl::StripAsciiWhitespace(line.substr(colon + 1));
    if (absl::EqualsIgnoreCase(name, "content-disposition")) {
      if (!absl::StartsWithIgnoreCase(value, "form-data")) {
        return Bad("part is not form-data");
      }
      std::optional<std::string> field = HeaderParam(value, "name");
      if (!field.has_value()) return Bad("part without a name");
      out.name = *field;
      out.filename = HeaderParam(value, "filename");
      has_disposition = true;
    } else if (absl::EqualsIgnoreCase(name, "content-type")) {
      out.content_type = std::string(value);
    }
  }
  if (!has_disposition) return Bad("part without Content-Disposition");
  out.body = std::string(part.substr(end + 4));
  return out;
}

}  // namespace

absl::StatusOr<std::string> MultipartBoundary(absl::string_view content_type) {
  if (!absl::StartsWithIgnoreCase(absl::StripLeadingAsciiWhitespace(
                                      content_type),
                                  "multipart/form-data")) {
    return Bad("content type is not multipart/form-data");
  }
  std::optional<std::string> boundary = HeaderParam(content_type, "boundary");
  if (!boundary.has_value() || boundary->empty() || boundary->size() > 70) {
    return Bad("missing or invalid boundary");
  }
  return *boundary;
}

absl::StatusOr<std::vector<FormPart>> ParseMultipart(absl::string_view body,
                                                     absl::string_view boundary,
                                                     size_t max_parts) {
  if (boundary.empty()) return Bad("empty boundary");
  const std::string delimiter = absl::StrCat("--", boundary);
  const std::string separator = absl::StrCat("\r\n", delimiter);
  size_t pos = body.find(delimiter);
  // RFC 2046 allows a preamble before the first delimiter only after CRLF.
  if (pos == absl::string_view::npos ||
      (pos != 0 && (pos < 2 || body.substr(pos - 2, 2) != "\r\n"))) {
    return Bad("missing opening boundary");
  }
  pos += delimiter.size();
  std::vector<FormPart> parts;
  while (true) {
    absl::string_view rest = body.substr(pos);
    if (absl::StartsWith(rest, "--")) return parts;  // closing delimiter
    if (!absl::StartsWith(rest, "\r\n")) return Bad("malformed delimiter");
    pos += 2;
    const size_t next = body.find(separator, pos);
    if (next == absl::string_view::npos) return Bad("missing closing boundary");
    if (parts.size() >= max_parts) return Bad("too many parts");
    absl::StatusOr<FormPart> part = ParsePart(body.substr(pos, next - pos));
    if (!part.ok()) return part.status();
    parts.push_back(*std::move(part));
    pos = next + separator.size();
  }
}

}  // namespace mediagw::sim
