// Fuzzes the shared OpenAI-style images codec (xai and openai_compat): the
// reply parser under the HTTP statuses that take different branches, the
// error-message extraction, b64_json decoding of every inline result, and
// our provider_state. Properties: a 2xx reply is either a non-empty image
// list whose entries each have a url or b64_json, or UNAVAILABLE/INTERNAL;
// a non-2xx reply is never OK; a provider_state that parses survives a
// round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <string>

#include "providers/openai_compat/openai_images_codec.h"
#include "tests/fuzz/fuzz_util.h"

namespace mediagw::fuzz {
namespace {

void CheckReply(int status, absl::string_view body) {
  auto reply = openai_images::ParseImagesReply(status, body, "xai");
  if (status < 200 || status >= 300) {
    FUZZ_CHECK(!reply.ok());
    return;
  }
  if (!reply.ok()) {
    FUZZ_CHECK(reply.status().code() == absl::StatusCode::kUnavailable ||
               reply.status().code() == absl::StatusCode::kInternal);
    return;
  }
  FUZZ_CHECK(!reply->images.empty());
  for (const openai_images::ImageResult& image : reply->images) {
    FUZZ_CHECK(!image.url.empty() || !image.b64_json.empty());
    if (image.b64_json.empty()) continue;
    auto bytes = openai_images::DecodeB64Image(image.b64_json);
    FUZZ_CHECK(bytes.ok()
                   ? !bytes->empty()
                   : bytes.status().code() == absl::StatusCode::kUnavailable);
  }
}

void CheckState(absl::string_view text) {
  auto state = openai_images::ParseSyncState(text);
  if (!state.ok()) {
    FUZZ_CHECK(state.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  const std::string again = openai_images::BuildSyncState(*state);
  auto back = openai_images::ParseSyncState(again);
  FUZZ_CHECK(back.ok());
  FUZZ_CHECK(back->results == state->results);
  FUZZ_CHECK(back->created == state->created);
  FUZZ_CHECK(openai_images::BuildSyncState(*back) == again);
}

}  // namespace
}  // namespace mediagw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  const absl::string_view body = fuzz::AsView(data, size);
  for (int status : {200, 400, 401, 429, 500}) fuzz::CheckReply(status, body);
  (void)openai_images::ErrorMessage(body);
  (void)openai_images::DecodeB64Image(body);
  fuzz::CheckState(body);
  return 0;
}
