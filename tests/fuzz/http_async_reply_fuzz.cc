// Fuzzes how the http_async provider reads vendor replies: JsonReply's
// pointer getters, and ReadSubmitReply / ReadPollReply / ReadCancelReply
// with an rr3-shaped and a flux-shaped spec, at HTTP 200, 404 and 500.
// The input is also tried as a JSON pointer. Properties: malformed replies
// are UNAVAILABLE ("malformed upstream response"); a submit gives a
// non-empty id; a success lists only external http(s) outputs; a failure
// carries an error; progress stays within 0..1.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "google/protobuf/util/json_util.h"
#include "providers/http_async/http_async_codec.h"
#include "providers/http_async/http_async_reply.h"
#include "providers/http_async/http_async_spec.h"
#include "tests/fuzz/fuzz_util.h"

namespace mediagw::fuzz {
namespace {

using http_async::Spec;

constexpr const char* kRr3 =
    R"({"name":"rr3","base_urls":["http://127.0.0.1:1/rr3"],
  "api_key_env":"FUZZ_KEY","http_async":{
  "submit":{"path":"/api/v1/generate","headers":{"X-Api-Key":"{{api_key}}"},
            "body":{"prompt":"{{prompt}}","n":"{{n}}"}},
  "id_pointer":"/data/task_id","poll":{"path":"/api/v1/task/{{id}}"},
  "state_pointer":"/data/status",
  "state_map":{"PENDING":"queued","RUNNING":"running","SUCCESS":"succeeded",
               "FAILED":"failed"},
  "result_url_pointers":["/data/images"],"error_pointer":"/data/error",
  "progress_pointer":"/data/progress","progress_scale":100,
  "cancel":{"path":"/api/v1/task/{{id}}/cancel"},
  "status_pointer":"/code","status_ok":["0"],"status_not_found":["GONE"],
  "status_message_pointer":"/msg"}})";

constexpr const char* kFlux =
    R"({"name":"flux","base_urls":["http://127.0.0.1:1/flux"],
  "http_async":{"submit":{"path":"/v1/flux-dev","body":{"prompt":"{{prompt}}"}},
  "id_pointer":"/id","poll":{"path":"/v1/get_result?id={{id}}"},
  "state_pointer":"/status",
  "state_map":{"Pending":"queued","Processing":"running","Ready":"succeeded",
               "Error":"failed","Content Moderated":"failed"},
  "result_url_pointers":["/result/sample","/result/extra"],
  "error_pointer":"/details/error",
  "error_fallback_pointers":["/details","/error"],
  "progress_pointer":"/progress"}})";

Spec Compile(const char* json) {
  config::Channel channel;
  FUZZ_CHECK(google::protobuf::util::JsonStringToMessage(json, &channel).ok());
  auto spec = http_async::CompileSpec(channel, absl::Seconds(5), "k");
  FUZZ_CHECK(spec.ok());
  return *std::move(spec);
}

bool IsMalformed(const absl::Status& st) {
  return st.code() == absl::StatusCode::kUnavailable &&
         absl::StartsWith(st.message(), "malformed upstream response");
}

void CheckReply(const Spec& spec, absl::string_view body) {
  for (int status : {200, 404, 500}) {
    HttpResponse r;
    r.status = status;
    r.body = std::string(body);
    auto id = http_async::ReadSubmitReply(spec, r);
    if (id.ok()) {
      FUZZ_CHECK(status == 200 && !id->empty());
    } else {
      FUZZ_CHECK(!id.status().ok());
    }
    auto poll = http_async::ReadPollReply(spec, spec.base_urls[0], r);
    if (poll.ok()) {
      FUZZ_CHECK(poll->progress >= 0 && poll->progress <= 1);
      switch (poll->state) {
        case UpstreamState::kSucceeded:
          FUZZ_CHECK(!poll->outputs.empty());
          for (const OutputRef& ref : poll->outputs) {
            FUZZ_CHECK(ref.external);
            const std::string scheme =
                absl::AsciiStrToLower(ref.request.url.substr(0, 8));
            FUZZ_CHECK(absl::StartsWith(scheme, "http://") ||
                       absl::StartsWith(scheme, "https://"));
          }
          break;
        case UpstreamState::kFailed:
          FUZZ_CHECK(!poll->error.ok());
          FUZZ_CHECK(poll->outputs.empty());
          break;
        default:
          FUZZ_CHECK(poll->outputs.empty());
          break;
      }
    } else if (status == 200) {
      const absl::StatusCode code = poll.status().code();
      FUZZ_CHECK(IsMalformed(poll.status()) ||
                 code == absl::StatusCode::kFailedPrecondition ||
                 code == absl::StatusCode::kInvalidArgument ||
                 code == absl::StatusCode::kUnavailable ||
                 code == absl::StatusCode::kUnknown);
    }
    (void)http_async::ReadCancelReply(spec, r);
  }
}

void CheckPointers(absl::string_view body, absl::string_view pointer) {
  auto reply = http_async::JsonReply::Parse(body);
  if (!reply.ok()) {
    FUZZ_CHECK(reply.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  const bool valid = http_async::ValidatePointer(pointer).ok();
  for (absl::string_view p : {absl::string_view(""), absl::string_view("/data"),
                              absl::string_view("/data/images/0"), pointer}) {
    auto scalar = reply->Scalar(p);
    auto number = reply->Number(p);
    auto strings = reply->Strings(p);
    auto message = reply->Message(p);
    if (p == pointer && !valid) {
      FUZZ_CHECK(!scalar.ok() && !number.ok() && !strings.ok());
      FUZZ_CHECK(!message.has_value());
    }
    if (strings.ok()) {
      for (const std::string& s : *strings) FUZZ_CHECK(!s.empty());
    }
    if (message.has_value()) FUZZ_CHECK(!message->empty());
  }
}

}  // namespace
}  // namespace mediagw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  static const http_async::Spec* const kRr3Spec =
      new http_async::Spec(fuzz::Compile(fuzz::kRr3));
  static const http_async::Spec* const kFluxSpec =
      new http_async::Spec(fuzz::Compile(fuzz::kFlux));
  const absl::string_view input = fuzz::AsView(data, size);
  fuzz::CheckReply(*kRr3Spec, input);
  fuzz::CheckReply(*kFluxSpec, input);
  fuzz::CheckPointers(input, input.substr(0, 64));
  fuzz::CheckPointers(
      R"({"data":{"images":["http://x/1.png"],"n":1.5,"s":"7"}})", input);
  return 0;
}
