// Fuzzes the kie codec's readers of upstream replies: recordInfo (with the
// string-encoded resultJson inside), the createTask reply and resultJson on
// its own. Properties: errors on a 2xx recordInfo are UNAVAILABLE; a
// success lists only http(s) URLs, or says why it has none; a failure maps
// to an error status; a createTask success is a non-empty id; every message
// and URL is valid UTF-8, whatever bytes the upstream sent.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/utf8.h"
#include "providers/kie/kie_codec.h"
#include "tests/fuzz/fuzz_util.h"

namespace mediagw::fuzz {
namespace {

constexpr absl::string_view kSeedId = "task_grok_12345678";

bool IsHttp(const std::string& url) {
  const std::string lower = absl::AsciiStrToLower(url);
  return absl::StartsWith(lower, "http://") ||
         absl::StartsWith(lower, "https://");
}

void CheckRecordInfo(int http_status, absl::string_view body) {
  using State = kie::TaskInfo::State;
  auto info = kie::ParseRecordInfo(http_status, body, kSeedId);
  // Whatever the upstream sent, what we would store or relay is readable.
  FUZZ_CHECK(IsValidUtf8(info.status().message()));
  if (!info.ok()) {
    if (http_status == 200 &&
        absl::StartsWith(info.status().message(), "malformed upstream")) {
      FUZZ_CHECK(info.status().code() == absl::StatusCode::kUnavailable);
    }
    return;
  }
  FUZZ_CHECK(info->task_id == kSeedId);
  if (info->state == State::kSuccess) {
    FUZZ_CHECK(info->result_urls.empty() != info->result_problem.empty());
    for (const std::string& url : info->result_urls) {
      FUZZ_CHECK(IsHttp(url));
      FUZZ_CHECK(IsValidUtf8(url));
      (void)kie::MimeTypeForUrl(url, "image/png");
    }
  } else {
    FUZZ_CHECK(info->result_urls.empty());
  }
  if (info->state == State::kFail) {
    const absl::Status failed =
        kie::FailureToStatus(info->fail_code, info->fail_msg);
    FUZZ_CHECK(!failed.ok());
    FUZZ_CHECK(IsValidUtf8(failed.message()));
  }
}

}  // namespace
}  // namespace mediagw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  const absl::string_view body = fuzz::AsView(data, size);
  fuzz::CheckRecordInfo(200, body);
  fuzz::CheckRecordInfo(503, body);
  auto urls = kie::ParseResultJson(body);
  if (urls.ok()) {
    FUZZ_CHECK(!urls->empty());
    for (const std::string& url : *urls) FUZZ_CHECK(fuzz::IsHttp(url));
  } else {
    FUZZ_CHECK(urls.status().code() == absl::StatusCode::kInvalidArgument);
  }
  auto id = kie::ParseCreateTaskResponse(200, body);
  if (id.ok()) FUZZ_CHECK(!id->empty());
  return 0;
}
