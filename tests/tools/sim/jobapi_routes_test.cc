// The simulated rr3 (/rr3) and flux (/flux) job APIs over HTTP: auth,
// validation errors in each vendor's shape, job lifecycles, result files,
// job and HTTP faults.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "net/curl_multi_client.h"
#include "tests/tools/sim/png_test_util.h"
#include "tests/tools/sim/sim_fixture.h"

namespace mediagw::sim::testing {
namespace {

class JobApiRoutesTest : public SimFixture {
 protected:
  void TearDown() override {
    http_.Shutdown();
    SimFixture::TearDown();
  }

  HttpResponse Call(absl::string_view method, absl::string_view path,
                    HttpHeaders headers = {}, std::string body = "") {
    HttpRequest req;
    req.method = std::string(method);
    req.url = absl::StrCat(base_, path);
    req.headers = std::move(headers);
    if (!body.empty()) {
      req.headers.emplace_back("Content-Type", "application/json");
    }
    req.body = std::move(body);
    req.timeout = absl::Seconds(10);
    auto done = std::make_shared<absl::Notification>();
    auto out = std::make_shared<absl::StatusOr<HttpResponse>>(
        absl::DeadlineExceededError("no answer"));
    http_.Send(std::move(req), [done, out](absl::StatusOr<HttpResponse> r) {
      *out = std::move(r);
      done->Notify();
    });
    EXPECT_TRUE(done->WaitForNotificationWithTimeout(absl::Seconds(15)));
    EXPECT_TRUE(out->ok()) << out->status();
    return out->ok() ? **out : HttpResponse{};
  }

  HttpResponse Rr3(absl::string_view method, absl::string_view path,
                   std::string body = "", std::string key = "sim-key") {
    return Call(method, absl::StrCat("/rr3", path), {{"X-Api-Key", key}},
                std::move(body));
  }
  HttpResponse Flux(absl::string_view method, absl::string_view path,
                    std::string body = "", std::string key = "sim-key") {
    return Call(method, absl::StrCat("/flux", path), {{"x-key", key}},
                std::move(body));
  }

  // Polls `get` until its state at `pointer` is not one of the running
  // ones; returns the last body.
  std::string WaitDone(const std::function<HttpResponse()>& get,
                       absl::string_view pointer) {
    std::string body;
    WaitUntil([&] {
      body = get().body;
      std::optional<std::string> s = JsonString(body, pointer);
      return s.has_value() && *s != "PENDING" && *s != "RUNNING" &&
             *s != "Pending" && *s != "Processing";
    });
    return body;
  }

  void JobFault(FaultMode mode) {
    FaultSpec f;
    f.mode = mode;
    sim_->faults().Add(f);
  }

  net::CurlMultiClient http_;
};

TEST_F(JobApiRoutesTest, SubmitsAreCountedPerApiAndPrompt) {
  const std::string body = R"({"prompt":"a cat","width":256,"height":256})";
  ASSERT_EQ(Rr3("POST", "/api/v1/generate", body).status, 200);
  ASSERT_EQ(Rr3("POST", "/api/v1/generate", body).status, 200);
  ASSERT_EQ(Flux("POST", "/v1/flux-dev", body).status, 200);
  std::map<std::string, int64_t> submits = sim_->faults().Submits();
  EXPECT_EQ(submits["rr3:a cat"], 2);
  EXPECT_EQ(submits["flux:a cat"], 1);
}

TEST_F(JobApiRoutesTest, Rr3Lifecycle) {
  HttpResponse r = Rr3("POST", "/api/v1/generate",
                       R"({"prompt":"a cat","width":96,"height":64,"steps":3,)"
                       R"("seed":5,"batch_size":2})");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(JsonInt(r.body, "/code"), 0);
  std::optional<int64_t> id = JsonInt(r.body, "/data/task_id");
  ASSERT_TRUE(id.has_value()) << r.body;
  EXPECT_GE(*id, 1234567890);
  const std::string task = absl::StrCat("/api/v1/task/", *id);
  const std::string body =
      WaitDone([&] { return Rr3("GET", task); }, "/data/status");
  EXPECT_EQ(JsonString(body, "/data/status"), "SUCCESS") << body;
  EXPECT_EQ(JsonInt(body, "/data/progress"), 100);
  EXPECT_TRUE(JsonIsNull(body, "/data/error"));
  ASSERT_EQ(JsonSize(body, "/data/images"), 2u);
  const std::string url = *JsonString(body, "/data/images/1");
  EXPECT_EQ(url, absl::StrCat(base_, "/rr3/files/", *id, "_1.png"));
  HttpResponse file = Call("GET", url.substr(base_.size()));
  EXPECT_EQ(file.status, 200);
  DecodedPng png = DecodePng(file.body);
  ASSERT_TRUE(png.ok);
  EXPECT_EQ(png.width, 96);
  EXPECT_EQ(png.height, 64);
  EXPECT_EQ(sim_->faults().Stats().jobs_submitted, 1);
}

TEST_F(JobApiRoutesTest, Rr3RefusalsComeAsBodyCodes) {
  HttpResponse r = Rr3("POST", "/api/v1/generate", R"({"prompt":"x"})", "bad");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(JsonInt(r.body, "/code"), 401);
  EXPECT_EQ(JsonString(r.body, "/msg"), "invalid api key");
  EXPECT_TRUE(JsonIsNull(r.body, "/data"));
  r = Call("GET", "/rr3/api/v1/task/1234567890");
  EXPECT_EQ(JsonInt(r.body, "/code"), 401) << "no key at all";
  for (const char* bad :
       {"{", R"({"prompt":""})", R"({"prompt":"x","width":9})"}) {
    r = Rr3("POST", "/api/v1/generate", bad);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(JsonInt(r.body, "/code"), 400) << bad << ": " << r.body;
  }
  r = Rr3("GET", "/api/v1/task/999");
  EXPECT_EQ(JsonInt(r.body, "/code"), 404);
  EXPECT_EQ(JsonString(r.body, "/msg"), "task not found");
  r = Rr3("GET", "/api/v1/task/abc");
  EXPECT_EQ(JsonInt(r.body, "/code"), 400);
  r = Rr3("GET", "/api/v1/generate");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(JsonInt(r.body, "/code"), 405);
  r = Rr3("GET", "/api/v2/nothing");
  EXPECT_EQ(r.status, 404);
  r = Call("GET", "/rr3/files/nope.png");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(sim_->faults().Stats().jobs_submitted, 0);
}

TEST_F(JobApiRoutesTest, Rr3JobFaultsAndCancel) {
  JobFault(FaultMode::kErrorStatus);
  HttpResponse r = Rr3("POST", "/api/v1/generate",
                       R"({"prompt":"x","width":64,"height":64,"steps":2})");
  std::string task =
      absl::StrCat("/api/v1/task/", *JsonInt(r.body, "/data/task_id"));
  std::string body = WaitDone([&] { return Rr3("GET", task); }, "/data/status");
  EXPECT_EQ(JsonString(body, "/data/status"), "FAILED");
  EXPECT_EQ(JsonString(body, "/data/error"), "simulated generation failure");
  EXPECT_EQ(JsonInt(Rr3("POST", task + "/cancel").body, "/code"), 409);

  JobFault(FaultMode::kVanish);
  r = Rr3("POST", "/api/v1/generate", R"({"prompt":"x"})");
  ASSERT_EQ(JsonInt(r.body, "/code"), 0) << "the vendor still gave out an id";
  task = absl::StrCat("/api/v1/task/", *JsonInt(r.body, "/data/task_id"));
  EXPECT_EQ(JsonInt(Rr3("GET", task).body, "/code"), 404);

  r = Rr3("POST", "/api/v1/generate", R"({"prompt":"x","steps":100})");
  task = absl::StrCat("/api/v1/task/", *JsonInt(r.body, "/data/task_id"));
  r = Rr3("POST", task + "/cancel");
  EXPECT_EQ(JsonInt(r.body, "/code"), 0);
  EXPECT_EQ(JsonString(r.body, "/data/status"), "CANCELLED");
  EXPECT_EQ(JsonString(Rr3("GET", task).body, "/data/status"), "CANCELLED");
  EXPECT_EQ(JsonInt(Rr3("POST", "/api/v1/task/77/cancel").body, "/code"), 404);
}

TEST_F(JobApiRoutesTest, Rr3InjectedHttpErrorsKeepItsShape) {
  FaultSpec f;
  f.mode = FaultMode::kHttpStatus;
  f.status = 503;
  f.path_prefix = "/rr3/";
  sim_->faults().Add(f);
  HttpResponse r = Rr3("POST", "/api/v1/generate", R"({"prompt":"x"})");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(JsonInt(r.body, "/code"), 503);
  EXPECT_TRUE(JsonHas(r.body, "/msg"));
}

TEST_F(JobApiRoutesTest, FluxLifecycle) {
  HttpResponse r =
      Flux("POST", "/v1/flux-dev",
           R"({"prompt":"a fox","width":256,"height":320,"steps":3,"seed":9})");
  ASSERT_EQ(r.status, 200) << r.body;
  std::optional<std::string> id = JsonString(r.body, "/id");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->size(), 36u);
  EXPECT_EQ(JsonString(r.body, "/polling_url"),
            absl::StrCat(base_, "/flux/v1/get_result?id=", *id));
  const std::string poll = absl::StrCat("/v1/get_result?id=", *id);
  const std::string body =
      WaitDone([&] { return Flux("GET", poll); }, "/status");
  EXPECT_EQ(JsonString(body, "/status"), "Ready") << body;
  EXPECT_EQ(JsonInt(body, "/result/seed"), 9);
  EXPECT_EQ(JsonString(body, "/result/prompt"), "a fox");
  const std::string url = *JsonString(body, "/result/sample");
  HttpResponse file = Call("GET", url.substr(base_.size()));
  DecodedPng png = DecodePng(file.body);
  ASSERT_TRUE(png.ok);
  EXPECT_EQ(png.width, 256);
  EXPECT_EQ(png.height, 320);
}

TEST_F(JobApiRoutesTest, FluxErrorsComeAsHttpStatuses) {
  HttpResponse r = Flux("POST", "/v1/flux-dev", R"({"prompt":"x"})", "bad");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(JsonString(r.body, "/detail"), "Not authenticated");
  r = Flux("POST", "/v1/flux-dev", R"({"width":512})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(JsonString(r.body, "/detail/0/type"), "missing");
  EXPECT_EQ(JsonString(r.body, "/detail/0/loc/1"), "prompt");
  r = Flux("POST", "/v1/flux-dev", "not json");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(JsonString(r.body, "/detail/0/type"), "json_invalid");
  r = Flux("GET", "/v1/get_result");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(JsonString(r.body, "/detail/0/loc/1"), "id");
  r = Flux("GET", "/v1/get_result?id=00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(JsonString(r.body, "/detail"), "Task not found");
  EXPECT_EQ(Flux("POST", "/v1/flux-schnell-9", R"({"prompt":"x"})").status,
            404);
  EXPECT_EQ(Flux("GET", "/v1/flux-dev").status, 405);
}

TEST_F(JobApiRoutesTest, FluxFailuresAndModeration) {
  JobFault(FaultMode::kErrorStatus);
  HttpResponse r =
      Flux("POST", "/v1/flux-pro-1.1", R"({"prompt":"x","steps":2})");
  std::string poll =
      absl::StrCat("/v1/get_result?id=", *JsonString(r.body, "/id"));
  std::string body = WaitDone([&] { return Flux("GET", poll); }, "/status");
  EXPECT_EQ(JsonString(body, "/status"), "Error");
  EXPECT_EQ(JsonString(body, "/details/error"), "simulated generation failure");

  r = Flux("POST", "/v1/flux-dev",
           R"({"prompt":"beach [moderate]","steps":2})");
  poll = absl::StrCat("/v1/get_result?id=", *JsonString(r.body, "/id"));
  body = WaitDone([&] { return Flux("GET", poll); }, "/status");
  EXPECT_EQ(JsonString(body, "/status"), "Content Moderated");
  EXPECT_EQ(JsonString(body, "/details/Moderation Reasons/0"), "Simulated");

  JobFault(FaultMode::kVanish);
  r = Flux("POST", "/v1/flux-dev", R"({"prompt":"x"})");
  poll = absl::StrCat("/v1/get_result?id=", *JsonString(r.body, "/id"));
  EXPECT_EQ(Flux("GET", poll).status, 404);
}

}  // namespace
}  // namespace mediagw::sim::testing
