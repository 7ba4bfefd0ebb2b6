#include "providers/http_async/http_async_codec.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/json.h"
#include "common/status_macros.h"
#include "rapidjson/pointer.h"

namespace mediagw::http_async {
namespace {

constexpr absl::string_view kSlots[] = {
    "prompt",  "negative_prompt", "width",
    "height",  "steps",           "seed",
    "cfg",     "model",           "aspect_ratio",
    "n",       "image_url",       "callback_url",
    "api_key", "task_id",         "id",
};

absl::Status Invalid(absl::string_view a, absl::string_view b = "",
                     absl::string_view c = "", absl::string_view d = "") {
  return absl::InvalidArgumentError(absl::StrCat(a, b, c, d));
}

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::string_view("!#$%&'*+-.^_`|~").find(c) !=
             absl::string_view::npos;
}

bool HasLineBreakOrNul(absl::string_view s) {
  return s.find_first_of(absl::string_view("\r\n\0", 3)) !=
         absl::string_view::npos;
}

// RapidJSON's percent-decoding of the URI fragment form ("#/a%C3") reads
// one byte past the end of its input when a multi-byte escape is cut short,
// so it is handed a NUL-terminated copy, whose terminator stops it.
rapidjson::Pointer ParsePointer(absl::string_view pointer) {
  const std::string text(pointer);
  return rapidjson::Pointer(text.c_str(), text.size());
}

// A pointer's target, nullptr when absent; INVALID_ARGUMENT for a bad pointer.
absl::StatusOr<const rapidjson::Value*> Resolve(const rapidjson::Value& root,
                                                absl::string_view pointer) {
  rapidjson::Pointer p = ParsePointer(pointer);
  if (!p.IsValid()) {
    return Invalid("'", pointer, "' is not a JSON pointer");
  }
  return p.Get(root);
}

}  // namespace

SlotValue SlotValue::Text(std::string text) {
  SlotValue v;
  v.type_ = Type::kText;
  v.text_ = std::move(text);
  return v;
}

SlotValue SlotValue::Int(int64_t value) {
  SlotValue v;
  v.type_ = Type::kInt;
  v.int_ = value;
  return v;
}

SlotValue SlotValue::Real(double value) {
  SlotValue v;
  v.type_ = Type::kReal;
  v.real_ = std::isfinite(value) ? value : 0;
  return v;
}

std::string SlotValue::AsText() const {
  switch (type_) {
    case Type::kText:
      return text_;
    case Type::kInt:
      return absl::StrCat(int_);
    case Type::kReal:
      return FormatReal(real_);
  }
  return text_;
}

bool IsKnownSlot(absl::string_view name) {
  for (absl::string_view s : kSlots) {
    if (s == name) return true;
  }
  return false;
}

std::string UrlEncode(absl::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' ||
        c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string FormatReal(double value) {
  char buf[40];
  for (int precision : {15, 16, 17}) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}

// --- CallTemplate ------------------------------------------------------------

absl::StatusOr<std::vector<TemplatePiece>> SplitTemplate(absl::string_view text,
                                                         bool allow_id) {
  std::vector<TemplatePiece> out;
  std::string literal;
  size_t i = 0;
  while (i < text.size()) {
    const size_t open = text.find("{{", i);
    if (open == absl::string_view::npos) {
      literal.append(text.data() + i, text.size() - i);
      break;
    }
    literal.append(text.data() + i, open - i);
    const size_t close = text.find("}}", open + 2);
    if (close == absl::string_view::npos) {
      return Invalid("unterminated {{ at offset ", absl::StrCat(open));
    }
    absl::string_view name =
        absl::StripAsciiWhitespace(text.substr(open + 2, close - open - 2));
    if (name.empty()) return Invalid("empty slot {{}}");
    if (!IsKnownSlot(name)) return Invalid("unknown slot {{", name, "}}");
    if (name == "id" && !allow_id) {
      return Invalid("slot {{id}} exists only in poll and cancel calls");
    }
    if (!literal.empty()) out.push_back({false, std::move(literal)});
    literal.clear();
    out.push_back({true, std::string(name)});
    i = close + 2;
  }
  if (!literal.empty()) out.push_back({false, std::move(literal)});
  return out;
}

absl::StatusOr<CallTemplate> CallTemplate::Compile(
    absl::string_view field, const Source& source,
    absl::string_view default_method, bool allow_id) {
  CallTemplate t;
  t.field_ = std::string(field);
  t.allow_id_ = allow_id;
  auto fail = [&](absl::string_view part, const absl::Status& st) {
    return Invalid(field, ".", part, absl::StrCat(": ", st.message()));
  };

  t.method_ = absl::AsciiStrToUpper(source.method.empty() ? default_method
                                                          : source.method);
  if (t.method_ != "GET" && t.method_ != "POST" && t.method_ != "PUT" &&
      t.method_ != "PATCH" && t.method_ != "DELETE") {
    return Invalid(field, ".method: '", source.method,
                   "' is not GET, POST, PUT, PATCH or DELETE");
  }

  const std::string& path = source.path;
  if (!path.empty() && path[0] != '/' && path[0] != '?') {
    return Invalid(field, ".path: must be empty or start with '/' or '?'");
  }
  for (char c : path) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return Invalid(field,
                     ".path: must not hold spaces or control characters");
    }
  }
  auto path_segments = SplitTemplate(path, allow_id);
  if (!path_segments.ok()) return fail("path", path_segments.status());
  t.path_ = *std::move(path_segments);

  for (const auto& [name, value] : source.headers) {
    const std::string part = absl::StrCat("headers[", name, "]");
    if (name.empty()) return Invalid(field, ".headers: empty header name");
    for (char c : name) {
      if (!IsTokenChar(c)) {
        return Invalid(field, ".", part, ": not a valid header name");
      }
    }
    if (HasLineBreakOrNul(value)) {
      return Invalid(field, ".", part, ": value holds CR, LF or NUL");
    }
    auto segments = SplitTemplate(value, allow_id);
    if (!segments.ok()) return fail(part, segments.status());
    t.headers_.emplace_back(name, *std::move(segments));
  }

  if (!source.body_json.empty()) {
    auto doc = json::Parse(source.body_json);
    if (!doc.ok()) return fail("body", doc.status());
    // Check every string now so that rendering can only fail on values.
    std::vector<const rapidjson::Value*> stack = {&*doc};
    while (!stack.empty()) {
      const rapidjson::Value* v = stack.back();
      stack.pop_back();
      if (v->IsString()) {
        auto segments = SplitTemplate(
            absl::string_view(v->GetString(), v->GetStringLength()), allow_id);
        if (!segments.ok()) return fail("body", segments.status());
        for (const TemplatePiece& s : *segments) {
          if (s.is_slot) t.slots_.insert(s.text);
        }
      } else if (v->IsArray()) {
        for (const rapidjson::Value& item : v->GetArray()) {
          stack.push_back(&item);
        }
      } else if (v->IsObject()) {
        for (const auto& m : v->GetObject()) stack.push_back(&m.value);
      }
    }
    t.has_body_ = true;
    t.body_json_ = json::Serialize(*doc);
  }
  for (const TemplatePiece& s : t.path_) {
    if (s.is_slot) t.slots_.insert(s.text);
  }
  for (const auto& header : t.headers_) {
    for (const TemplatePiece& s : header.second) {
      if (s.is_slot) t.slots_.insert(s.text);
    }
  }
  return t;
}

absl::StatusOr<std::string> CallTemplate::Join(absl::string_view part,
                                               const Segments& segments,
                                               const SlotValues& values,
                                               bool url_encode) const {
  std::string out;
  for (const TemplatePiece& s : segments) {
    if (!s.is_slot) {
      out += s.text;
      continue;
    }
    auto it = values.find(s.text);
    if (it == values.end()) {
      return Invalid(
          field_, ".", part,
          absl::StrCat(": {{", s.text, "}} has no value for this task"));
    }
    std::string text = it->second.AsText();
    out += url_encode ? UrlEncode(text) : text;
  }
  return out;
}

namespace {

// Fills the slots of one body value in place. false: the value is exactly
// a slot without a value and its member or element is to be left out.
class BodyFiller {
 public:
  BodyFiller(const SlotValues& values, rapidjson::Document::AllocatorType& a,
             bool allow_id)
      : values_(values), alloc_(a), allow_id_(allow_id) {}

  // Depth is bounded by json::Parse's nesting limit.
  absl::StatusOr<bool> Fill(rapidjson::Value& v) {
    if (v.IsObject()) {
      for (auto it = v.MemberBegin(); it != v.MemberEnd();) {
        MG_ASSIGN_OR_RETURN(bool keep, Fill(it->value));
        it = keep ? it + 1 : v.EraseMember(it);
      }
      return true;
    }
    if (v.IsArray()) {
      for (auto it = v.Begin(); it != v.End();) {
        MG_ASSIGN_OR_RETURN(bool keep, Fill(*it));
        it = keep ? it + 1 : v.Erase(it);
      }
      return true;
    }
    if (!v.IsString()) return true;
    MG_ASSIGN_OR_RETURN(
        std::vector<TemplatePiece> pieces,
        SplitTemplate(absl::string_view(v.GetString(), v.GetStringLength()),
                      allow_id_));
    if (pieces.size() == 1 && pieces[0].is_slot) {
      auto it = values_.find(pieces[0].text);
      if (it == values_.end()) return false;
      const SlotValue& value = it->second;
      switch (value.type()) {
        case SlotValue::Type::kText:
          v.SetString(value.text().data(),
                      static_cast<rapidjson::SizeType>(value.text().size()),
                      alloc_);
          break;
        case SlotValue::Type::kInt:
          v.SetInt64(value.int_value());
          break;
        case SlotValue::Type::kReal:
          v.SetDouble(value.real_value());
          break;
      }
      return true;
    }
    bool any_slot = false;
    std::string out;
    for (const TemplatePiece& piece : pieces) {
      if (!piece.is_slot) {
        out += piece.text;
        continue;
      }
      any_slot = true;
      auto it = values_.find(piece.text);
      if (it == values_.end()) {
        return Invalid("{{", piece.text, "}} has no value for this task");
      }
      out += it->second.AsText();
    }
    if (any_slot) {
      v.SetString(out.data(), static_cast<rapidjson::SizeType>(out.size()),
                  alloc_);
    }
    return true;
  }

 private:
  const SlotValues& values_;
  rapidjson::Document::AllocatorType& alloc_;
  const bool allow_id_;
};

}  // namespace

absl::StatusOr<RenderedCall> CallTemplate::Render(
    const SlotValues& values) const {
  RenderedCall out;
  out.method = method_;
  MG_ASSIGN_OR_RETURN(out.path, Join("path", path_, values, true));
  for (const auto& [name, segments] : headers_) {
    const std::string part = absl::StrCat("headers[", name, "]");
    MG_ASSIGN_OR_RETURN(std::string value, Join(part, segments, values, false));
    if (HasLineBreakOrNul(value)) {
      return Invalid(field_, ".", part, ": value holds CR, LF or NUL");
    }
    out.headers.emplace_back(name, std::move(value));
  }
  if (!has_body_) return out;
  auto doc = json::Parse(body_json_);
  if (!doc.ok()) return Invalid(field_, ".body: ", doc.status().message());
  BodyFiller filler(values, doc->GetAllocator(), allow_id_);
  auto keep = filler.Fill(*doc);
  if (!keep.ok()) return Invalid(field_, ".body: ", keep.status().message());
  if (!*keep) {
    return Invalid(field_, ".body: the whole body is a slot without a value");
  }
  out.has_body = true;
  out.body = json::Serialize(*doc);
  return out;
}

// --- JSON pointers and replies -----------------------------------------------

absl::Status ValidatePointer(absl::string_view pointer) {
  rapidjson::Pointer p = ParsePointer(pointer);
  if (p.IsValid()) return absl::OkStatus();
  const char* why = "malformed";
  switch (p.GetParseErrorCode()) {
    case rapidjson::kPointerParseErrorTokenMustBeginWithSolidus:
      why = "must start with '/'";
      break;
    case rapidjson::kPointerParseErrorInvalidEscape:
      why = "'~' must be followed by 0 or 1";
      break;
    case rapidjson::kPointerParseErrorInvalidPercentEncoding:
    case rapidjson::kPointerParseErrorCharacterMustPercentEncode:
      why = "bad percent-encoding in a URI fragment";
      break;
    default:
      break;
  }
  return Invalid("'", pointer, "' is not a JSON pointer: ", why);
}

struct JsonReply::Impl {
  rapidjson::Document doc;
};

JsonReply::JsonReply(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonReply::JsonReply(JsonReply&&) noexcept = default;
JsonReply& JsonReply::operator=(JsonReply&&) noexcept = default;
JsonReply::~JsonReply() = default;

absl::StatusOr<JsonReply> JsonReply::Parse(absl::string_view body) {
  auto doc = json::Parse(body, json::Utf8Policy::kRepair);
  if (!doc.ok()) return doc.status();
  auto impl = std::make_unique<Impl>();
  impl->doc = *std::move(doc);
  return JsonReply(std::move(impl));
}

absl::StatusOr<std::optional<std::string>> JsonReply::Scalar(
    absl::string_view pointer) const {
  MG_ASSIGN_OR_RETURN(const rapidjson::Value* v, Resolve(impl_->doc, pointer));
  if (v == nullptr || v->IsNull()) return std::nullopt;
  if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());
  if (v->IsBool()) return std::string(v->GetBool() ? "true" : "false");
  if (v->IsUint64()) return absl::StrCat(v->GetUint64());
  if (v->IsInt64()) return absl::StrCat(v->GetInt64());
  if (v->IsNumber()) return FormatReal(v->GetDouble());
  return Invalid("value at '", pointer, "' is not a string or a number");
}

absl::StatusOr<std::optional<double>> JsonReply::Number(
    absl::string_view pointer) const {
  MG_ASSIGN_OR_RETURN(const rapidjson::Value* v, Resolve(impl_->doc, pointer));
  if (v == nullptr || v->IsNull()) return std::nullopt;
  double d = 0;
  if (v->IsNumber()) {
    d = v->GetDouble();
  } else if (!v->IsString() ||
             !absl::SimpleAtod(
                 absl::string_view(v->GetString(), v->GetStringLength()), &d)) {
    return Invalid("value at '", pointer, "' is not a number");
  }
  if (!std::isfinite(d)) {
    return Invalid("value at '", pointer, "' is not finite");
  }
  return d;
}

absl::StatusOr<std::vector<std::string>> JsonReply::Strings(
    absl::string_view pointer) const {
  MG_ASSIGN_OR_RETURN(const rapidjson::Value* v, Resolve(impl_->doc, pointer));
  std::vector<std::string> out;
  if (v == nullptr || v->IsNull()) return out;
  auto add = [&out](const rapidjson::Value& s) {
    if (s.GetStringLength() > 0) {
      out.emplace_back(s.GetString(), s.GetStringLength());
    }
  };
  if (v->IsString()) {
    add(*v);
    return out;
  }
  if (!v->IsArray()) {
    return Invalid("value at '", pointer,
                   "' is not a string or an array of strings");
  }
  for (const rapidjson::Value& item : v->GetArray()) {
    if (!item.IsString()) {
      return Invalid("array at '", pointer, "' holds a non-string");
    }
    add(item);
  }
  return out;
}

std::optional<std::string> JsonReply::Message(absl::string_view pointer) const {
  auto v = Resolve(impl_->doc, pointer);
  if (!v.ok() || *v == nullptr || (*v)->IsNull()) return std::nullopt;
  const rapidjson::Value& value = **v;
  if (value.IsObject() || value.IsArray()) return json::Serialize(value);
  auto text = Scalar(pointer);
  if (!text.ok() || !text->has_value() || (*text)->empty()) return std::nullopt;
  return **text;
}

// --- provider_state ----------------------------------------------------------

std::string BuildProviderState(absl::string_view base_url) {
  return absl::StrCat("{\"base_url\":", json::Quote(base_url), "}");
}

absl::StatusOr<std::string> ParseProviderState(absl::string_view state) {
  if (state.empty()) return std::string();
  auto doc = json::ParseObject(state);
  if (!doc.ok()) {
    return Invalid("provider_state is not ours: ", doc.status().message());
  }
  auto base = json::GetString(*doc, "base_url");
  if (!base.ok()) {
    return Invalid("provider_state is not ours: ", base.status().message());
  }
  return *std::move(base);
}

}  // namespace mediagw::http_async
