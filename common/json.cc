#include "common/json.h"

#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/utf8.h"
#include "rapidjson/error/en.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace mediagw::json {
namespace {

absl::Status TypeError(absl::string_view name, absl::string_view want) {
  return absl::InvalidArgumentError(
      absl::StrCat("field '", name, "' must be ", want));
}

// RapidJSON's reader and writer recurse once per nesting level: a request
// body of a few hundred kilobytes of '[' would overflow the stack and kill
// the process. Real documents (ComfyUI workflows included) nest a handful
// of levels.
constexpr int kMaxNestingDepth = 256;

// Offset of the bracket that opens level kMaxNestingDepth + 1, or npos.
// Brackets inside strings do not count.
size_t TooDeepAt(absl::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxNestingDepth) return i;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return absl::string_view::npos;
}

// RapidJSON turns a number too large for a double (1e309, 11e308) into
// infinity instead of failing, and its writer cannot write infinity back:
// Serialize would cut the document short. Depth is bounded by
// kMaxNestingDepth, so recursion is safe here.
bool HasNonFiniteNumber(const rapidjson::Value& v) {
  if (v.IsDouble()) return !std::isfinite(v.GetDouble());
  if (v.IsArray()) {
    for (const rapidjson::Value& item : v.GetArray()) {
      if (HasNonFiniteNumber(item)) return true;
    }
  } else if (v.IsObject()) {
    for (const auto& member : v.GetObject()) {
      if (HasNonFiniteNumber(member.value)) return true;
    }
  }
  return false;
}

std::string Child(const std::string& path, absl::string_view name) {
  return path.empty() ? std::string(name) : absl::StrCat(path, ".", name);
}

// RapidJSON passes raw bytes through and decodes a lone "\udc80" escape to
// a surrogate, so neither yields valid UTF-8. Returns the path of the first
// bad string, or repairs every one in place. Depth is bounded as above.
std::optional<std::string> CheckUtf8(rapidjson::Value& v,
                                     const std::string& path,
                                     Utf8Policy policy,
                                     rapidjson::Document::AllocatorType& alloc) {
  auto fix = [&](rapidjson::Value& s,
                 const std::string& where) -> std::optional<std::string> {
    absl::string_view text(s.GetString(), s.GetStringLength());
    if (IsValidUtf8(text)) return std::nullopt;
    if (policy == Utf8Policy::kReject) return where;
    const std::string repaired = RepairUtf8(text);
    s.SetString(repaired.data(),
                static_cast<rapidjson::SizeType>(repaired.size()), alloc);
    return std::nullopt;
  };
  if (v.IsString()) return fix(v, path.empty() ? "(root)" : path);
  if (v.IsArray()) {
    rapidjson::SizeType i = 0;
    for (rapidjson::Value& item : v.GetArray()) {
      auto bad = CheckUtf8(item, Child(path, absl::StrCat(i++)), policy, alloc);
      if (bad) return bad;
    }
  } else if (v.IsObject()) {
    for (auto& member : v.GetObject()) {
      if (auto bad = fix(member.name, Child(path, "(key)"))) return bad;
      const std::string name(member.name.GetString(),
                             member.name.GetStringLength());
      auto bad = CheckUtf8(member.value, Child(path, name), policy, alloc);
      if (bad) return bad;
    }
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<rapidjson::Document> Parse(absl::string_view text,
                                          Utf8Policy utf8) {
  if (const size_t at = TooDeepAt(text); at != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed JSON at offset ", at, ": nested deeper than ",
                     kMaxNestingDepth, " levels"));
  }
  // RapidJSON takes a NUL byte for the end of the input and would accept
  // `{}\0<anything>`; valid JSON text never holds a raw NUL.
  if (const size_t at = text.find('\0'); at != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed JSON at offset ", at, ": NUL byte"));
  }
  // RapidJSON also skips a leading UTF-8 byte order mark, even a partial
  // one ("\xBB{}"), which the upstreams we pass text to do not accept.
  // No JSON text starts with a non-ASCII byte.
  if (!text.empty() && static_cast<unsigned char>(text[0]) >= 0x80) {
    return absl::InvalidArgumentError(
        "malformed JSON at offset 0: byte order mark or non-ASCII byte");
  }
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError()) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed JSON at offset ", doc.GetErrorOffset(), ": ",
                     rapidjson::GetParseError_En(doc.GetParseError())));
  }
  if (HasNonFiniteNumber(doc)) {
    return absl::InvalidArgumentError(
        "malformed JSON: number too big to be stored in double");
  }
  if (auto bad = CheckUtf8(doc, "", utf8, doc.GetAllocator())) {
    return absl::InvalidArgumentError(
        absl::StrCat("field '", *bad, "' is not valid UTF-8"));
  }
  return doc;
}

absl::StatusOr<rapidjson::Document> ParseObject(absl::string_view text,
                                                Utf8Policy utf8) {
  auto parsed = Parse(text, utf8);
  if (!parsed.ok()) return parsed.status();
  rapidjson::Document doc = *std::move(parsed);
  if (!doc.IsObject()) {
    return absl::InvalidArgumentError("JSON body must be an object");
  }
  return doc;
}

const rapidjson::Value* Find(const rapidjson::Value& obj,
                             absl::string_view name) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(rapidjson::Value(
      rapidjson::StringRef(name.data(), name.size())));
  if (it == obj.MemberEnd()) return nullptr;
  return &it->value;
}

absl::StatusOr<std::string> AsString(const rapidjson::Value& v,
                                     absl::string_view what) {
  if (!v.IsString()) return TypeError(what, "a string");
  return std::string(v.GetString(), v.GetStringLength());
}

absl::StatusOr<int64_t> AsInt(const rapidjson::Value& v,
                              absl::string_view what) {
  if (v.IsInt64()) return v.GetInt64();
  if (v.IsUint64()) return TypeError(what, "an integer in range");
  if (v.IsDouble()) {
    double d = v.GetDouble();
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.0e15) {
      return static_cast<int64_t>(d);
    }
  }
  return TypeError(what, "an integer");
}

absl::StatusOr<double> AsDouble(const rapidjson::Value& v,
                                absl::string_view what) {
  if (!v.IsNumber()) return TypeError(what, "a number");
  return v.GetDouble();
}

absl::StatusOr<std::string> GetString(const rapidjson::Value& obj,
                                      absl::string_view name) {
  const rapidjson::Value* v = Find(obj, name);
  if (v == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("missing field '", name, "'"));
  }
  return AsString(*v, name);
}

absl::StatusOr<int64_t> GetInt(const rapidjson::Value& obj,
                               absl::string_view name) {
  const rapidjson::Value* v = Find(obj, name);
  if (v == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("missing field '", name, "'"));
  }
  return AsInt(*v, name);
}

absl::StatusOr<double> GetDouble(const rapidjson::Value& obj,
                                 absl::string_view name) {
  const rapidjson::Value* v = Find(obj, name);
  if (v == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("missing field '", name, "'"));
  }
  return AsDouble(*v, name);
}

absl::StatusOr<const rapidjson::Value*> GetObject(const rapidjson::Value& obj,
                                                  absl::string_view name) {
  const rapidjson::Value* v = Find(obj, name);
  if (v == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("missing field '", name, "'"));
  }
  if (!v->IsObject()) return TypeError(name, "an object");
  return v;
}

absl::StatusOr<const rapidjson::Value*> GetArray(const rapidjson::Value& obj,
                                                 absl::string_view name) {
  const rapidjson::Value* v = Find(obj, name);
  if (v == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("missing field '", name, "'"));
  }
  if (!v->IsArray()) return TypeError(name, "an array");
  return v;
}

absl::StatusOr<std::optional<std::string>> GetOptString(
    const rapidjson::Value& obj, absl::string_view name) {
  const rapidjson::Value* v = Find(obj, name);
  if (v == nullptr || v->IsNull()) return std::optional<std::string>();
  auto s = AsString(*v, name);
  if (!s.ok()) return s.status();
  return std::optional<std::string>(*std::move(s));
}

absl::StatusOr<std::optional<int64_t>> GetOptInt(const rapidjson::Value& obj,
                                                 absl::string_view name) {
  const rapidjson::Value* v = Find(obj, name);
  if (v == nullptr || v->IsNull()) return std::optional<int64_t>();
  auto i = AsInt(*v, name);
  if (!i.ok()) return i.status();
  return std::optional<int64_t>(*i);
}

absl::StatusOr<std::optional<double>> GetOptDouble(const rapidjson::Value& obj,
                                                   absl::string_view name) {
  const rapidjson::Value* v = Find(obj, name);
  if (v == nullptr || v->IsNull()) return std::optional<double>();
  auto d = AsDouble(*v, name);
  if (!d.ok()) return d.status();
  return std::optional<double>(*d);
}

absl::StatusOr<std::optional<bool>> GetOptBool(const rapidjson::Value& obj,
                                               absl::string_view name) {
  const rapidjson::Value* v = Find(obj, name);
  if (v == nullptr || v->IsNull()) return std::optional<bool>();
  if (!v->IsBool()) return TypeError(name, "a boolean");
  return std::optional<bool>(v->GetBool());
}

std::string Serialize(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string Quote(absl::string_view s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace mediagw::json
