#include "tools/sim/jobapi_backend.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tools/sim/png_render.h"

namespace mediagw::sim {

JobApiBackend::JobApiBackend(JobApiTiming timing, size_t max_jobs,
                             FaultRegistry* faults)
    : store_(timing, max_jobs), faults_(faults), render_pool_(1) {}

JobApiBackend::~JobApiBackend() {
  stopping_.store(true);
  render_pool_.Shutdown();
}

void JobApiBackend::Start(const std::string& id, JobApiParams params) {
  faults_->CountJob(id);
  const bool render = !params.moderated;
  const JobApiParams copy = params;
  if (!store_.Create(id, std::move(params), faults_->TakeJobFault(),
                     absl::Now()) ||
      !render) {
    return;
  }
  render_pool_.Schedule([this, id, p = copy]() {
    if (stopping_.load()) return;
    std::vector<JobApiFile> files;
    for (int i = 0; i < p.count; ++i) {
      auto png = RenderPng(p.width, p.height, p.seed, p.prompt, i);
      if (!png.ok()) {
        store_.AttachFiles(id, {}, png.status().message());
        return;
      }
      files.push_back({"image/png", *std::move(png)});
    }
    store_.AttachFiles(id, std::move(files));
  });
}

std::optional<JobApiView> JobApiBackend::View(absl::string_view id) const {
  return store_.View(id, absl::Now());
}

JobApiStore::CancelOutcome JobApiBackend::Cancel(absl::string_view id) {
  return store_.Cancel(id, absl::Now());
}

std::optional<JobApiFile> JobApiBackend::File(absl::string_view name) const {
  return store_.File(name);
}

std::optional<std::string> JobApiBackend::PublicBase(
    const net::ServerRequest& request, absl::string_view prefix) {
  const absl::string_view host = request.Header("host");
  if (host.empty() || host.size() > 255) return std::nullopt;
  for (char c : host) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
        absl::string_view(".-:[]").find(c) == absl::string_view::npos) {
      return std::nullopt;
    }
  }
  return absl::StrCat("http://", host, prefix);
}

}  // namespace mediagw::sim
