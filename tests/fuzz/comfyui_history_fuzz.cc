// Fuzzes the ComfyUI codec's GET /history/{id} parser, looking up the id the
// seeds use, an absent id and the first key of the object. Properties: a
// malformed body is UNAVAILABLE; a success lists files with non-empty names
// whose /view URLs can be built; a failure carries a message.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/json.h"
#include "common/utf8.h"
#include "providers/comfyui/comfyui_codec.h"
#include "tests/fuzz/fuzz_util.h"

namespace mediagw::fuzz {
namespace {

constexpr absl::string_view kSeedId = "5f0e8c1a-3b4d-4e6f-8a9b-0c1d2e3f4a5b";

void Check(absl::string_view body, absl::string_view id) {
  using Status = comfyui::HistoryEntry::Status;
  auto entry = comfyui::ParseHistory(body, id);
  if (!entry.ok()) {
    FUZZ_CHECK(entry.status().code() == absl::StatusCode::kUnavailable);
    FUZZ_CHECK(IsValidUtf8(entry.status().message()));
    return;
  }
  switch (entry->status) {
    case Status::kSucceeded:
      for (const comfyui::OutputFile& f : entry->outputs) {
        FUZZ_CHECK(!f.filename.empty());
        const std::string url = comfyui::ViewUrl("http://127.0.0.1:8188", f);
        FUZZ_CHECK(url.find(' ') == std::string::npos);
        FUZZ_CHECK(!comfyui::MimeTypeForOutput(f).empty());
      }
      break;
    case Status::kFailed:
      FUZZ_CHECK(!entry->error_message.empty());
      // The message is stored with the task: bounded and readable.
      FUZZ_CHECK(IsValidUtf8(entry->error_message));
      FUZZ_CHECK(entry->error_message.size() <= 1000);
      break;
    case Status::kAbsent:
    case Status::kRunning:
      FUZZ_CHECK(entry->outputs.empty());
      break;
  }
}

}  // namespace
}  // namespace mediagw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  const absl::string_view body = fuzz::AsView(data, size);
  fuzz::Check(body, fuzz::kSeedId);
  fuzz::Check(body, "");
  auto doc = json::ParseObject(body);
  if (doc.ok() && doc->MemberCount() > 0) {
    const rapidjson::Value& first = doc->MemberBegin()->name;
    fuzz::Check(body,
                absl::string_view(first.GetString(), first.GetStringLength()));
  }
  return 0;
}
