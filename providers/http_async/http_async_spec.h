// The checked form of a channel's HttpAsyncSpec (config.proto): every call
// template compiled, every JSON pointer and state mapping validated once,
// when the provider is created. Also builds the slot values of one task.
//
// Errors: INVALID_ARGUMENT naming the field, e.g. "config: channel
// 'rr3'.http_async.submit.body: unknown slot {{foo}}".
//
// A Spec is immutable after CompileSpec and safe to share between threads.
#ifndef MEDIAGW_PROVIDERS_HTTP_ASYNC_HTTP_ASYNC_SPEC_H_
#define MEDIAGW_PROVIDERS_HTTP_ASYNC_HTTP_ASYNC_SPEC_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/provider.h"
#include "mediagw/config/config.pb.h"
#include "providers/http_async/http_async_codec.h"

namespace mediagw::http_async {

struct Spec {
  std::string channel;                 // channel name, used in messages
  std::vector<std::string> base_urls;  // without trailing '/'
  // From the channel's api_key_env; "" when unset. Only meaningful when a
  // template uses {{api_key}} (needs_api_key).
  std::string api_key;
  bool needs_api_key = false;
  absl::Duration request_timeout = absl::Seconds(60);

  CallTemplate submit;
  CallTemplate poll;
  std::optional<CallTemplate> cancel;

  std::string id_pointer;
  std::string state_pointer;
  std::map<std::string, UpstreamState, std::less<>> state_map;
  std::vector<std::string> result_url_pointers;
  std::vector<std::string> error_pointers;  // error_pointer, then fallbacks
  std::string progress_pointer;             // "" = none
  double progress_scale = 1;
  std::string status_pointer;  // "" = no body-level status
  std::vector<std::string> status_ok;
  std::vector<std::string> status_not_found;
  std::string status_message_pointer;  // "" = none
};

// Checks and compiles `channel.http_async()`. `default_timeout` applies
// when channel.request_timeout_ms is 0; `api_key` is the resolved secret
// ("" when the variable is unset). Fails on: missing submit or poll, a
// missing or invalid id_pointer or state_pointer, any invalid pointer, a
// state_map value outside queued/running/succeeded/failed or a map without
// a succeeded state, status_ok without status_pointer (or the reverse), a
// negative or non-finite progress_scale, bad call templates (see
// CallTemplate::Compile), {{api_key}} without api_key_env, no base_urls.
absl::StatusOr<Spec> CompileSpec(const config::Channel& channel,
                                 absl::Duration default_timeout,
                                 std::string api_key);

// The slot values `record` offers (see HttpCall in config.proto): fields of
// the normalized request that are set (empty strings and negative seeds
// count as unset), aspect_ratio reduced from width:height, the input URL
// and callback URL from `context`, the API key, the task id and (once
// known) the upstream id.
SlotValues TaskSlots(const Spec& spec, const TaskRecord& record,
                     const SubmitContext& context);

}  // namespace mediagw::http_async

#endif  // MEDIAGW_PROVIDERS_HTTP_ASYNC_HTTP_ASYNC_SPEC_H_
