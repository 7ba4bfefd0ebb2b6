// Fault injection and request counters for the provider simulator.
//
// Tests arm faults through POST /_sim/faults; the HTTP layer and the job
// engine consume them. Each armed fault fires `count` times and is then
// gone; faults fire in the order they were armed.
//
// Thread-safe; no callbacks.
#ifndef MEDIAGW_TOOLS_SIM_FAULTS_H_
#define MEDIAGW_TOOLS_SIM_FAULTS_H_

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace mediagw::sim {

enum class FaultMode {
  kHttp500,         // answer 500 with a JSON body
  kMalformedJson,   // answer 200 with a truncated JSON body
  kSlowBody,        // trickle the body over slow_ms
  kDropConnection,  // close the connection without a response
  kRejectPrompt,    // POST /prompt -> 400 invalid_prompt
  kErrorStatus,     // the job ends with status_str "error"
  kVanish,          // the job is dropped: never in history
  kHttpStatus,      // answer `status` (4xx/5xx) in the upstream's error shape
};

// "http_500" <-> kHttp500, ...; INVALID_ARGUMENT for an unknown name.
absl::StatusOr<FaultMode> FaultModeFromName(absl::string_view name);
absl::string_view FaultModeName(FaultMode mode);

struct FaultSpec {
  FaultMode mode = FaultMode::kHttp500;
  int count = 1;
  // Only requests whose path starts with this match; "" matches all. Job
  // faults ignore it. kRejectPrompt always needs POST /prompt.
  std::string path_prefix;
  int slow_ms = 2000;  // kSlowBody
  int status = 500;    // kHttpStatus (kHttp500 always answers 500)
};

struct SimStats {
  std::map<std::string, int64_t> requests_by_path;
  int64_t jobs_submitted = 0;
  std::vector<std::string> prompt_ids;  // in submission order
  std::map<std::string, int64_t> faults_fired;  // by mode name
  int64_t faults_pending = 0;  // remaining firings
  // CountSubmit calls whose key was not counted because the map was full.
  int64_t submits_uncounted = 0;
};

class FaultRegistry {
 public:
  void Add(FaultSpec spec);
  void Clear();

  // Faults decided when a request arrives: kHttp500, kHttpStatus,
  // kDropConnection, kRejectPrompt. Consumes one firing of the first match.
  std::optional<FaultSpec> TakeRequestFault(absl::string_view method,
                                            absl::string_view path);
  // Faults applied to the response: kSlowBody always, kMalformedJson only
  // when `json_response`.
  std::optional<FaultSpec> TakeResponseFault(absl::string_view path,
                                             bool json_response);
  // kErrorStatus or kVanish, for a job about to run.
  std::optional<FaultMode> TakeJobFault();

  void CountRequest(absl::string_view path);
  void CountJob(absl::string_view prompt_id);
  SimStats Stats() const;

  // One accepted upstream submit (a ComfyUI POST /prompt, an image
  // generation, a kie createTask, a job API create) of `api` ("comfyui",
  // "xai", "oai3", "oai4", "kie", "rr3", "flux") under a key that stays the
  // same when a client sends the same job again: the prompt text (ComfyUI:
  // the positive prompt, or the prompt_id when the graph has none). Counts
  // every submit, including a ComfyUI prompt_id the engine already knows
  // (a real ComfyUI would run it again). Keys are cut to kMaxSubmitKeyBytes
  // on a code-point boundary; at most kMaxSubmitKeys distinct keys are kept
  // (later new keys only bump SimStats::submits_uncounted).
  void CountSubmit(absl::string_view api, absl::string_view key);
  // "<api>:<key>" -> submits, for GET /_sim/submits.
  std::map<std::string, int64_t> Submits() const;

  static constexpr size_t kMaxSubmitKeyBytes = 256;
  static constexpr size_t kMaxSubmitKeys = 200000;

 private:
  template <typename Pred>
  std::optional<FaultSpec> TakeFirst(Pred pred);

  mutable absl::Mutex mu_;
  std::deque<FaultSpec> faults_ ABSL_GUARDED_BY(mu_);
  SimStats stats_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> submits_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_FAULTS_H_
