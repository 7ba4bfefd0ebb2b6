// Test fixture: an in-process simulator on 127.0.0.1:0 with fast steps.
#ifndef MEDIAGW_TESTS_TOOLS_SIM_SIM_FIXTURE_H_
#define MEDIAGW_TESTS_TOOLS_SIM_SIM_FIXTURE_H_

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/tools/sim/sim_test_client.h"
#include "tests/tools/sim/test_json_codec.h"
#include "tools/sim/sim_server.h"

namespace mediagw::sim::testing {

class SimFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    SimOptions options;
    options.step_time = absl::Milliseconds(10);
    options.start_delay = absl::Milliseconds(5);
    sim_ = std::make_unique<SimServer>(options);
    ASSERT_TRUE(sim_->Start().ok());
    base_ = absl::StrCat("http://127.0.0.1:", sim_->port());
  }
  void TearDown() override { sim_.reset(); }

  HttpResult Get(absl::string_view path) {
    return HttpCall("GET", absl::StrCat(base_, path));
  }
  HttpResult Post(absl::string_view path, absl::string_view body) {
    return HttpCall("POST", absl::StrCat(base_, path), body);
  }
  // Submits the default workflow; returns the /prompt answer.
  HttpResult Submit(absl::string_view prompt_id, int steps,
                    absl::string_view client_id = "", int width = 64,
                    int height = 40, int batch = 1) {
    return Post("/prompt",
                PromptBody(DefaultWorkflow(width, height, batch, 7, steps,
                                           "a lighthouse"),
                           client_id, prompt_id));
  }
  // Polls GET /history/{id} until it is non-empty; returns its body.
  std::string WaitHistory(absl::string_view id,
                          absl::Duration limit = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + limit;
    while (absl::Now() < deadline) {
      HttpResult h = Get(absl::StrCat("/history/", id));
      if (h.status == 200 && h.body != "{}") return h.body;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return "";
  }
  bool WaitUntil(const std::function<bool()>& done,
                 absl::Duration limit = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + limit;
    while (absl::Now() < deadline) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return done();
  }

  std::unique_ptr<SimServer> sim_;
  std::string base_;
};

}  // namespace mediagw::sim::testing

#endif  // MEDIAGW_TESTS_TOOLS_SIM_SIM_FIXTURE_H_
