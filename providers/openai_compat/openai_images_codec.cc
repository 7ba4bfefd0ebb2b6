#include "providers/openai_compat/openai_images_codec.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/status_macros.h"
#include "common/status_mapping.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace mediagw::openai_images {
namespace {

constexpr size_t kMaxHint = 300;

absl::Status Malformed(absl::string_view what) {
  return absl::UnavailableError(
      absl::StrCat("malformed upstream response: ", what));
}

absl::Status Malformed(const absl::Status& cause) {
  return Malformed(cause.message());
}

struct Ratio {
  const char* name;
  double width;
  double height;
};

// In the order of the xAI documentation.
constexpr Ratio kRatios[] = {
    {"1:1", 1, 1},   {"16:9", 16, 9},     {"9:16", 9, 16},     {"4:3", 4, 3},
    {"3:4", 3, 4},   {"3:2", 3, 2},       {"2:3", 2, 3},       {"2:1", 2, 1},
    {"1:2", 1, 2},   {"19.5:9", 19.5, 9}, {"9:19.5", 9, 19.5}, {"20:9", 20, 9},
    {"9:20", 9, 20},
};

absl::StatusOr<Usage> ParseUsage(const rapidjson::Value& v) {
  if (!v.IsObject()) {
    return absl::InvalidArgumentError("field 'usage' must be an object");
  }
  Usage u;
  MG_ASSIGN_OR_RETURN(u.generated_images,
                      json::GetOptInt(v, "generated_images"));
  MG_ASSIGN_OR_RETURN(u.input_tokens, json::GetOptInt(v, "input_tokens"));
  MG_ASSIGN_OR_RETURN(u.output_tokens, json::GetOptInt(v, "output_tokens"));
  MG_ASSIGN_OR_RETURN(u.total_tokens, json::GetOptInt(v, "total_tokens"));
  return u;
}

// nullopt for an absent or null member.
absl::StatusOr<std::optional<Usage>> OptUsage(const rapidjson::Value& obj) {
  const rapidjson::Value* v = json::Find(obj, "usage");
  if (v == nullptr || v->IsNull()) return std::optional<Usage>();
  MG_ASSIGN_OR_RETURN(Usage u, ParseUsage(*v));
  return std::optional<Usage>(std::move(u));
}

absl::StatusOr<ImageResult> ParseImage(const rapidjson::Value& item) {
  if (!item.IsObject()) {
    return absl::InvalidArgumentError("entry of 'data' must be an object");
  }
  ImageResult r;
  MG_ASSIGN_OR_RETURN(auto url, json::GetOptString(item, "url"));
  MG_ASSIGN_OR_RETURN(auto b64, json::GetOptString(item, "b64_json"));
  r.url = url.value_or("");
  r.b64_json = b64.value_or("");
  if (r.url.empty() && r.b64_json.empty()) {
    return absl::InvalidArgumentError(
        "entry of 'data' has neither 'url' nor 'b64_json'");
  }
  if (!r.url.empty() && !absl::StartsWithIgnoreCase(r.url, "http://") &&
      !absl::StartsWithIgnoreCase(r.url, "https://")) {
    return absl::InvalidArgumentError("'url' is not an http(s) URL");
  }
  return r;
}

void WriteUsage(rapidjson::Writer<rapidjson::StringBuffer>& w, const Usage& u) {
  w.StartObject();
  auto put = [&w](const char* name, const std::optional<int64_t>& v) {
    if (!v.has_value()) return;
    w.Key(name);
    w.Int64(*v);
  };
  put("generated_images", u.generated_images);
  put("input_tokens", u.input_tokens);
  put("output_tokens", u.output_tokens);
  put("total_tokens", u.total_tokens);
  w.EndObject();
}

}  // namespace

const std::vector<std::string>& AspectRatios() {
  static const auto* const kNames = [] {
    auto* names = new std::vector<std::string>();
    for (const Ratio& r : kRatios) names->emplace_back(r.name);
    return names;
  }();
  return *kNames;
}

std::string NearestAspectRatio(int width, int height) {
  const double target =
      std::log(static_cast<double>(std::max(width, 1)) / std::max(height, 1));
  const Ratio* best = &kRatios[0];
  double best_distance = INFINITY;
  for (const Ratio& r : kRatios) {
    const double distance = std::fabs(std::log(r.width / r.height) - target);
    if (distance < best_distance) {
      best_distance = distance;
      best = &r;
    }
  }
  return best->name;
}

std::string ResolutionFor(int width, int height) {
  return std::max(width, height) <= 1536 ? "1k" : "2k";
}

std::string ErrorMessage(absl::string_view body) {
  auto doc = json::ParseObject(body, json::Utf8Policy::kRepair);
  if (!doc.ok()) return "";
  const rapidjson::Value* error = json::Find(*doc, "error");
  if (error != nullptr && error->IsObject()) {
    for (absl::string_view field : {"message", "type", "code"}) {
      auto text = json::GetOptString(*error, field);
      if (text.ok() && text->has_value() && !(*text)->empty()) return **text;
    }
  }
  if (error != nullptr && error->IsString() && error->GetStringLength() > 0) {
    return std::string(error->GetString(), error->GetStringLength());
  }
  auto message = json::GetOptString(*doc, "message");
  if (message.ok() && message->has_value()) return **message;
  return "";
}

absl::StatusOr<ImagesReply> ParseImagesReply(int http_status,
                                             absl::string_view body,
                                             absl::string_view provider) {
  if (http_status < 200 || http_status >= 300) {
    std::string hint = ErrorMessage(body);
    if (hint.empty()) hint = std::string(body.substr(0, kMaxHint));
    return UpstreamHttpToStatus(http_status, provider, hint);
  }
  auto doc = json::ParseObject(body, json::Utf8Policy::kRepair);
  if (!doc.ok()) return Malformed(doc.status());
  const rapidjson::Value* data = json::Find(*doc, "data");
  if (data == nullptr || data->IsNull()) {
    std::string error = ErrorMessage(body);
    if (!error.empty()) {
      return absl::UnavailableError(
          absl::StrCat(provider, " upstream reported an error with HTTP ",
                       http_status, ": ", error.substr(0, kMaxHint)));
    }
    return Malformed("missing field 'data'");
  }
  if (!data->IsArray()) return Malformed("field 'data' must be an array");
  ImagesReply reply;
  auto created = json::GetOptInt(*doc, "created");
  if (!created.ok()) return Malformed(created.status());
  reply.created = *created;
  auto usage = OptUsage(*doc);
  if (!usage.ok()) return Malformed(usage.status());
  reply.usage = *std::move(usage);
  for (const rapidjson::Value& item : data->GetArray()) {
    auto image = ParseImage(item);
    if (!image.ok()) return Malformed(image.status());
    reply.images.push_back(*std::move(image));
  }
  if (reply.images.empty()) {
    return absl::InternalError(
        absl::StrCat(provider,
                     " upstream returned no images (filtered by its content "
                     "policy?)"));
  }
  return reply;
}

absl::StatusOr<std::string> DecodeB64Image(absl::string_view b64) {
  if (absl::StartsWithIgnoreCase(b64, "data:")) {
    const size_t comma = b64.find(',');
    if (comma == absl::string_view::npos ||
        !absl::EndsWithIgnoreCase(b64.substr(0, comma), ";base64")) {
      return Malformed("b64_json data URL is not base64");
    }
    b64.remove_prefix(comma + 1);
  }
  std::string compact;
  const bool has_space = std::any_of(b64.begin(), b64.end(), [](char c) {
    return absl::ascii_isspace(static_cast<unsigned char>(c));
  });
  if (has_space) {
    // Some gateways wrap base64 at 76 columns like MIME.
    compact.reserve(b64.size());
    for (char c : b64) {
      if (!absl::ascii_isspace(static_cast<unsigned char>(c))) compact += c;
    }
    b64 = compact;
  }
  std::string bytes;
  if (!absl::Base64Unescape(b64, &bytes)) {
    return Malformed("b64_json is not valid base64");
  }
  if (bytes.empty()) return Malformed("b64_json decodes to no bytes");
  return bytes;
}

std::string BuildSyncState(const SyncState& state) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  if (state.created.has_value()) {
    w.Key("created");
    w.Int64(*state.created);
  }
  w.Key("results");
  w.StartArray();
  for (const auto& url : state.results) {
    if (url.has_value()) {
      w.String(url->data(), static_cast<rapidjson::SizeType>(url->size()));
    } else {
      w.Null();
    }
  }
  w.EndArray();
  if (state.usage.has_value()) {
    w.Key("usage");
    WriteUsage(w, *state.usage);
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

absl::StatusOr<SyncState> ParseSyncState(absl::string_view text) {
  auto parse = [&]() -> absl::StatusOr<SyncState> {
    MG_ASSIGN_OR_RETURN(rapidjson::Document doc, json::ParseObject(text));
    SyncState state;
    MG_ASSIGN_OR_RETURN(state.created, json::GetOptInt(doc, "created"));
    MG_ASSIGN_OR_RETURN(const rapidjson::Value* results,
                        json::GetArray(doc, "results"));
    for (const rapidjson::Value& r : results->GetArray()) {
      if (r.IsNull()) {
        state.results.emplace_back();
        continue;
      }
      MG_ASSIGN_OR_RETURN(std::string url, json::AsString(r, "results[]"));
      state.results.emplace_back(std::move(url));
    }
    MG_ASSIGN_OR_RETURN(state.usage, OptUsage(doc));
    return state;
  };
  auto state = parse();
  if (!state.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("images provider_state: ", state.status().message()));
  }
  return state;
}

}  // namespace mediagw::openai_images
