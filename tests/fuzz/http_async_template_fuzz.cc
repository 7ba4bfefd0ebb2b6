// Fuzzes the http_async template compiler and renderer. The first line of
// the input is a path and header template, the rest a JSON body template.
// Properties: failures are INVALID_ARGUMENT; a template that compiles
// renders with every slot given (body valid JSON, path free of spaces and
// controls, headers free of CR/LF); rendering with no values either works
// or names a slot; {{id}} is only ever used where it is allowed.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "providers/http_async/http_async_codec.h"
#include "tests/fuzz/fuzz_util.h"

namespace mediagw::fuzz {
namespace {

using http_async::CallTemplate;
using http_async::SlotValue;
using http_async::SlotValues;

SlotValues AllValues() {
  SlotValues v;
  for (const char* text :
       {"prompt", "negative_prompt", "model", "image_url", "callback_url",
        "api_key", "task_id", "id", "aspect_ratio"}) {
    v.emplace(text, SlotValue::Text(
                        absl::StrCat("a \"b\" / c?d \xe7\x8c\xab ", text)));
  }
  for (const char* number : {"width", "height", "steps", "seed", "n"}) {
    v.emplace(number, SlotValue::Int(-9007199254740993));
  }
  v.emplace("cfg", SlotValue::Real(6.5));
  return v;
}

void CheckSplit(absl::string_view text) {
  auto pieces = http_async::SplitTemplate(text, true);
  if (!pieces.ok()) {
    FUZZ_CHECK(pieces.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  for (const http_async::TemplatePiece& p : *pieces) {
    if (p.is_slot) FUZZ_CHECK(http_async::IsKnownSlot(p.text));
    if (!p.is_slot) FUZZ_CHECK(!p.text.empty());
  }
  auto without_id = http_async::SplitTemplate(text, false);
  if (without_id.ok()) {
    for (const http_async::TemplatePiece& p : *without_id) {
      FUZZ_CHECK(!p.is_slot || p.text != "id");
    }
  }
}

void CheckRendered(const http_async::RenderedCall& r) {
  for (char c : r.path) {
    FUZZ_CHECK(static_cast<unsigned char>(c) > ' ' && c != 0x7f);
  }
  for (const auto& [name, value] : r.headers) {
    FUZZ_CHECK(!name.empty());
    FUZZ_CHECK(value.find_first_of(std::string("\r\n\0", 3)) ==
               std::string::npos);
  }
  if (r.has_body) FUZZ_CHECK(json::Parse(r.body).ok());
}

void CheckCompiled(const CallTemplate::Source& source, bool allow_id) {
  auto t = CallTemplate::Compile("submit", source, "POST", allow_id);
  if (!t.ok()) {
    FUZZ_CHECK(t.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  if (!allow_id) FUZZ_CHECK(!t->Uses("id"));
  auto full = t->Render(AllValues());
  FUZZ_CHECK(full.ok());
  FUZZ_CHECK(full->method == "POST");
  CheckRendered(*full);
  auto empty = t->Render({});
  if (empty.ok()) {
    CheckRendered(*empty);
    return;
  }
  FUZZ_CHECK(empty.status().code() == absl::StatusCode::kInvalidArgument);
  const absl::string_view why = empty.status().message();
  FUZZ_CHECK(why.find("has no value") != absl::string_view::npos ||
             why.find("slot without a value") != absl::string_view::npos);
}

}  // namespace
}  // namespace mediagw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  const absl::string_view input = fuzz::AsView(data, size);
  const size_t newline = input.find('\n');
  const absl::string_view line = input.substr(0, newline);
  const absl::string_view body =
      newline == absl::string_view::npos ? "" : input.substr(newline + 1);
  fuzz::CheckSplit(line);

  // The body on its own, then the line as a path and a header.
  http_async::CallTemplate::Source with_body;
  with_body.path = "/p";
  with_body.body_json = std::string(body);
  http_async::CallTemplate::Source with_line;
  with_line.path = std::string(line);
  with_line.headers = {{"X-Fuzz", std::string(line)}};
  for (const auto* source : {&with_body, &with_line}) {
    for (bool allow_id : {true, false}) {
      fuzz::CheckCompiled(*source, allow_id);
    }
  }
  return 0;
}
