// Test fixture for the synchronous image providers (xai, openai_compat): an
// in-process simulator on 127.0.0.1:0, the real CurlMultiClient, fault
// helpers, bounded downloads of outputs and normalized task records.
#ifndef MEDIAGW_TESTS_PROVIDERS_OPENAI_COMPAT_IMAGES_SIM_FIXTURE_H_
#define MEDIAGW_TESTS_PROVIDERS_OPENAI_COMPAT_IMAGES_SIM_FIXTURE_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/image_info.h"
#include "core/provider.h"
#include "gtest/gtest.h"
#include "net/curl_multi_client.h"
#include "tests/providers/comfyui/provider_test_util.h"
#include "tools/sim/sim_server.h"

namespace mediagw::openai_images::testing {

using ::mediagw::comfyui::testing::Await;
using ::mediagw::comfyui::testing::CancelSync;
using ::mediagw::comfyui::testing::MakeSlot;
using ::mediagw::comfyui::testing::PollSync;
using ::mediagw::comfyui::testing::ResumeSync;
using ::mediagw::comfyui::testing::SubmitSync;

class ImagesSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_ = std::make_unique<sim::SimServer>(sim::SimOptions{});
    ASSERT_TRUE(sim_->Start().ok());
    base_ = absl::StrCat("http://127.0.0.1:", sim_->port());
  }
  void TearDown() override {
    http_.Shutdown();
    sim_.reset();
  }

  // A request fault on the vendor's routes, e.g. prefix "/xai/".
  void Fault(sim::FaultMode mode, const std::string& prefix, int status = 500,
             int slow_ms = 2000) {
    sim::FaultSpec f;
    f.mode = mode;
    f.path_prefix = prefix;
    f.status = status;
    f.slow_ms = slow_ms;
    sim_->faults().Add(f);
  }
  // error_status or vanish for the next generation.
  void JobFault(sim::FaultMode mode) {
    sim::FaultSpec f;
    f.mode = mode;
    sim_->faults().Add(f);
  }

  // Generation requests the simulator received under `prefix` ("/xai").
  int64_t Generations(const std::string& prefix) {
    const auto stats = sim_->faults().Stats();
    auto it = stats.requests_by_path.find(
        absl::StrCat(prefix, "/v1/images/generations"));
    return it == stats.requests_by_path.end() ? 0 : it->second;
  }

  // The bytes of an output: inline data, or a bounded download.
  absl::StatusOr<std::string> Bytes(const OutputRef& ref) {
    if (!ref.data.empty()) return ref.data;
    auto [slot, cb] = MakeSlot<absl::StatusOr<HttpResponse>>();
    http_.Send(ref.request, cb);
    auto r = Await<absl::StatusOr<HttpResponse>>(
        slot, absl::DeadlineExceededError("download timed out"));
    if (!r.ok()) return r.status();
    if (r->status != 200) {
      return absl::NotFoundError(absl::StrCat("HTTP ", r->status));
    }
    return r->body;
  }

  // Expects a JPEG of exactly width x height.
  void ExpectJpeg(const OutputRef& ref, int width, int height) {
    auto bytes = Bytes(ref);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    MediaInfo info = SniffMedia(*bytes);
    EXPECT_EQ(info.mime_type, "image/jpeg");
    EXPECT_EQ(info.width, width);
    EXPECT_EQ(info.height, height);
  }

  // A normalized image record as the dispatcher hands it to Submit.
  static TaskRecord Record(const std::string& task_id, int width, int height,
                           int n = 1, const std::string& owner = "alice") {
    TaskRecord r;
    r.mutable_task()->set_id(task_id);
    r.set_owner(owner);
    r.set_attempts(1);
    auto* req = r.mutable_request();
    req->set_prompt("a lighthouse at dusk");
    req->set_negative_prompt("blurry");
    req->set_width(width);
    req->set_height(height);
    req->set_n(n);
    req->set_steps(20);
    req->set_seed(42);
    return r;
  }

  // `rec` as the dispatcher stores it after a successful submit.
  static TaskRecord Stored(TaskRecord rec, const SubmitResult& result) {
    rec.set_upstream_id(result.upstream_id);
    rec.set_provider_state(result.provider_state);
    return rec;
  }

  std::unique_ptr<sim::SimServer> sim_;
  std::string base_;
  net::CurlMultiClient http_;
};

}  // namespace mediagw::openai_images::testing

#endif  // MEDIAGW_TESTS_PROVIDERS_OPENAI_COMPAT_IMAGES_SIM_FIXTURE_H_
