// The in-process simulator and a fixture for the ComfyUI provider tests
// that run against it through the real CurlMultiClient.
#ifndef MEDIAGW_TESTS_PROVIDERS_COMFYUI_COMFYUI_SIM_FIXTURE_H_
#define MEDIAGW_TESTS_PROVIDERS_COMFYUI_COMFYUI_SIM_FIXTURE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "net/curl_multi_client.h"
#include "providers/comfyui/comfyui_provider.h"
#include "tests/providers/comfyui/provider_test_util.h"
#include "tools/sim/sim_server.h"

namespace mediagw::comfyui::testing {

struct Sim {
  explicit Sim(absl::Duration step_time) : server(Options(step_time)) {
    absl::Status st = server.Start();
    EXPECT_TRUE(st.ok()) << st;
    base = absl::StrCat("http://127.0.0.1:", server.port());
  }
  static sim::SimOptions Options(absl::Duration step_time) {
    sim::SimOptions o;
    o.step_time = step_time;
    return o;
  }
  void Fault(sim::FaultMode mode, std::string path_prefix = "",
             int slow_ms = 2000, int count = 1) {
    sim::FaultSpec f;
    f.mode = mode;
    f.count = count;
    f.path_prefix = std::move(path_prefix);
    f.slow_ms = slow_ms;
    server.faults().Add(f);
  }
  int64_t Submitted() { return server.faults().Stats().jobs_submitted; }

  sim::SimServer server;
  std::string base;
};

class ComfySimTest : public ::testing::Test {
 protected:
  std::shared_ptr<Provider> Make(
      std::vector<std::string> urls, absl::Duration timeout = absl::Seconds(5),
      std::map<std::string, std::string> extra_templates = {}) {
    ComfyUiOptions o;
    o.templates = std::move(extra_templates);
    o.channel_name = "sim";
    o.base_urls = std::move(urls);
    for (const char* name : {"default", "anime", "z-image", "video"}) {
      o.templates[name] = ReadWorkflow(name);
    }
    o.client_id = "cid-sim";
    o.request_timeout = timeout;
    auto p = NewComfyUiProvider(std::move(o), &http_);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : nullptr;
  }

  // Polls until the state is one of `until` (or an error), bounded in time.
  absl::StatusOr<PollResult> PollUntil(Provider& p, const TaskRecord& rec,
                                       std::vector<UpstreamState> until) {
    absl::Time end = absl::Now() + kWait;
    absl::StatusOr<PollResult> r = absl::DeadlineExceededError("never polled");
    while (absl::Now() < end) {
      r = PollSync(p, rec);
      if (!r.ok()) return r;
      for (UpstreamState s : until) {
        if (r->state == s) return r;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    return absl::DeadlineExceededError("state not reached");
  }

  // Submits `rec` and returns it as the dispatcher stores it afterwards.
  TaskRecord SubmitOk(Provider& p, TaskRecord rec) {
    auto r = SubmitSync(p, rec);
    EXPECT_TRUE(r.ok()) << r.status();
    if (r.ok()) {
      rec.set_upstream_id(r->upstream_id);
      rec.set_provider_state(r->provider_state);
    }
    return rec;
  }

  // Downloads an output through the provider's request.
  absl::StatusOr<std::string> Fetch(const OutputRef& ref) {
    auto [slot, cb] = MakeSlot<absl::StatusOr<HttpResponse>>();
    http_.Send(ref.request, cb);
    auto r = Await<absl::StatusOr<HttpResponse>>(
        slot, absl::DeadlineExceededError("download timed out"));
    if (!r.ok()) return r.status();
    if (r->status != 200) {
      return absl::InternalError(absl::StrCat("HTTP ", r->status));
    }
    return r->body;
  }

  net::CurlMultiClient http_;
};

}  // namespace mediagw::comfyui::testing

#endif  // MEDIAGW_TESTS_PROVIDERS_COMFYUI_COMFYUI_SIM_FIXTURE_H_
