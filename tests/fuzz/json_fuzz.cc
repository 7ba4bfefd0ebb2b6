// Fuzzes common/json: Parse/ParseObject, every checked getter on every
// member, Serialize and Quote. Properties: nothing aborts, serialized
// documents parse again, Quote round-trips any byte string.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/json.h"
#include "common/utf8.h"
#include "tests/fuzz/fuzz_util.h"

namespace mediagw::fuzz {
namespace {

void ExerciseGetters(const rapidjson::Value& obj) {
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
    absl::string_view name(it->name.GetString(), it->name.GetStringLength());
    FUZZ_CHECK(json::Find(obj, name) != nullptr);
    (void)json::GetString(obj, name);
    (void)json::GetInt(obj, name);
    (void)json::GetDouble(obj, name);
    (void)json::GetObject(obj, name);
    (void)json::GetArray(obj, name);
    (void)json::GetOptString(obj, name);
    (void)json::GetOptInt(obj, name);
    (void)json::GetOptDouble(obj, name);
    (void)json::GetOptBool(obj, name);
    auto s = json::AsString(it->value, name);
    FUZZ_CHECK(s.ok() == it->value.IsString());
    (void)json::AsInt(it->value, name);
    auto d = json::AsDouble(it->value, name);
    FUZZ_CHECK(d.ok() == it->value.IsNumber());
    if (it->value.IsObject()) ExerciseGetters(it->value);
  }
  // Absent members.
  FUZZ_CHECK(!json::GetString(obj, "\x01no such member").ok());
  auto opt = json::GetOptInt(obj, "\x01no such member");
  FUZZ_CHECK(opt.ok() && !opt->has_value());
}

// Regression: nesting used to recurse once per level in RapidJSON, so a
// 1 MiB body of '[' overflowed the stack. Too large for the corpus, so
// checked once per process here.
bool DeepNestingIsRejected() {
  const std::string deep(1 << 20, '[');
  auto doc = json::Parse(deep);
  FUZZ_CHECK(!doc.ok());
  FUZZ_CHECK(doc.status().code() == absl::StatusCode::kInvalidArgument);
  std::string shallow(256, '[');
  shallow.append(256, ']');
  FUZZ_CHECK(json::Parse(shallow).ok());
  return true;
}

}  // namespace
}  // namespace mediagw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  static const bool deep_nesting_checked = fuzz::DeepNestingIsRejected();
  (void)deep_nesting_checked;
  const absl::string_view text = fuzz::AsView(data, size);

  auto doc = json::Parse(text);
  auto obj = json::ParseObject(text);
  FUZZ_CHECK(!obj.ok() || doc.ok());
  auto repaired = json::Parse(text, json::Utf8Policy::kRepair);
  // Text is the only thing repair changes: it accepts what strict accepts.
  FUZZ_CHECK(!doc.ok() || repaired.ok());
  if (doc.ok()) {
    FUZZ_CHECK(obj.ok() == doc->IsObject());
    const std::string once = json::Serialize(*doc);
    FUZZ_CHECK(IsValidUtf8(once));
    auto again = json::Parse(once);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->GetType() == doc->GetType());
  }
  if (repaired.ok()) {
    // Every string of a repaired upstream reply can be stored.
    const std::string once = json::Serialize(*repaired);
    FUZZ_CHECK(IsValidUtf8(once));
    FUZZ_CHECK(json::Parse(once).ok());
  }
  if (obj.ok()) fuzz::ExerciseGetters(*obj);

  // Any bytes quote into a JSON string. Valid text parses back to the same
  // bytes; other text is refused, naming it, or repaired on request.
  const std::string quoted = json::Quote(text);
  auto back = json::Parse(quoted);
  if (IsValidUtf8(text)) {
    FUZZ_CHECK(back.ok() && back->IsString());
    FUZZ_CHECK(absl::string_view(back->GetString(),
                                 back->GetStringLength()) == text);
  } else {
    FUZZ_CHECK(!back.ok());
    FUZZ_CHECK(back.status().message() ==
               "field '(root)' is not valid UTF-8");
    auto fixed = json::Parse(quoted, json::Utf8Policy::kRepair);
    FUZZ_CHECK(fixed.ok() && fixed->IsString());
    FUZZ_CHECK(absl::string_view(fixed->GetString(),
                                 fixed->GetStringLength()) ==
               RepairUtf8(text));
  }
  return 0;
}
