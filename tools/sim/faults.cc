#include "tools/sim/faults.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/utf8.h"

namespace mediagw::sim {
namespace {

constexpr std::pair<FaultMode, absl::string_view> kNames[] = {
    {FaultMode::kHttp500, "http_500"},
    {FaultMode::kMalformedJson, "malformed_json"},
    {FaultMode::kSlowBody, "slow_body"},
    {FaultMode::kDropConnection, "drop_connection"},
    {FaultMode::kRejectPrompt, "reject_prompt"},
    {FaultMode::kErrorStatus, "error_status"},
    {FaultMode::kVanish, "vanish"},
    {FaultMode::kHttpStatus, "http_status"},
};

// Keeps /_sim/stats bounded when a client walks many distinct paths.
constexpr size_t kMaxDistinctPaths = 10000;
constexpr size_t kMaxPromptIds = 100000;

}  // namespace

absl::StatusOr<FaultMode> FaultModeFromName(absl::string_view name) {
  for (const auto& [mode, n] : kNames) {
    if (n == name) return mode;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown fault mode '", name,
                                                 "'"));
}

absl::string_view FaultModeName(FaultMode mode) {
  for (const auto& [m, n] : kNames) {
    if (m == mode) return n;
  }
  return "unknown";
}

void FaultRegistry::Add(FaultSpec spec) {
  if (spec.count < 1) return;
  absl::MutexLock l(&mu_);
  faults_.push_back(std::move(spec));
}

void FaultRegistry::Clear() {
  absl::MutexLock l(&mu_);
  faults_.clear();
}

template <typename Pred>
std::optional<FaultSpec> FaultRegistry::TakeFirst(Pred pred) {
  absl::MutexLock l(&mu_);
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (!pred(*it)) continue;
    FaultSpec fired = *it;
    fired.count = 1;
    if (--it->count <= 0) faults_.erase(it);
    ++stats_.faults_fired[std::string(FaultModeName(fired.mode))];
    return fired;
  }
  return std::nullopt;
}

std::optional<FaultSpec> FaultRegistry::TakeRequestFault(
    absl::string_view method, absl::string_view path) {
  return TakeFirst([&](const FaultSpec& f) {
    if (!absl::StartsWith(path, f.path_prefix)) return false;
    switch (f.mode) {
      case FaultMode::kHttp500:
      case FaultMode::kHttpStatus:
      case FaultMode::kDropConnection:
        return true;
      case FaultMode::kRejectPrompt:
        return method == "POST" && path == "/prompt";
      default:
        return false;
    }
  });
}

std::optional<FaultSpec> FaultRegistry::TakeResponseFault(
    absl::string_view path, bool json_response) {
  return TakeFirst([&](const FaultSpec& f) {
    if (!absl::StartsWith(path, f.path_prefix)) return false;
    return f.mode == FaultMode::kSlowBody ||
           (f.mode == FaultMode::kMalformedJson && json_response);
  });
}

std::optional<FaultMode> FaultRegistry::TakeJobFault() {
  std::optional<FaultSpec> f = TakeFirst([](const FaultSpec& f) {
    return f.mode == FaultMode::kErrorStatus || f.mode == FaultMode::kVanish;
  });
  if (!f.has_value()) return std::nullopt;
  return f->mode;
}

void FaultRegistry::CountRequest(absl::string_view path) {
  absl::MutexLock l(&mu_);
  auto it = stats_.requests_by_path.find(std::string(path));
  if (it != stats_.requests_by_path.end()) {
    ++it->second;
  } else if (stats_.requests_by_path.size() < kMaxDistinctPaths) {
    stats_.requests_by_path.emplace(std::string(path), 1);
  }
}

void FaultRegistry::CountJob(absl::string_view prompt_id) {
  absl::MutexLock l(&mu_);
  ++stats_.jobs_submitted;
  if (stats_.prompt_ids.size() < kMaxPromptIds) {
    stats_.prompt_ids.emplace_back(prompt_id);
  }
}

void FaultRegistry::CountSubmit(absl::string_view api, absl::string_view key) {
  std::string full =
      absl::StrCat(api, ":", TruncateUtf8(key, kMaxSubmitKeyBytes));
  absl::MutexLock l(&mu_);
  auto it = submits_.find(full);
  if (it != submits_.end()) {
    ++it->second;
  } else if (submits_.size() < kMaxSubmitKeys) {
    submits_.emplace(std::move(full), 1);
  } else {
    ++stats_.submits_uncounted;
  }
}

std::map<std::string, int64_t> FaultRegistry::Submits() const {
  absl::MutexLock l(&mu_);
  return submits_;
}

SimStats FaultRegistry::Stats() const {
  absl::MutexLock l(&mu_);
  SimStats out = stats_;
  out.faults_pending = 0;
  for (const FaultSpec& f : faults_) out.faults_pending += f.count;
  return out;
}

}  // namespace mediagw::sim
