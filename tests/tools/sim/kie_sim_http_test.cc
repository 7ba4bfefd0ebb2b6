// The simulated kie API over HTTP: auth and validation answers, the task
// state machine, result files, job faults, injected HTTP errors in kie's
// shape, and signed callbacks sent to a real HTTP server.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/crypto.h"
#include "common/json.h"
#include "core/image_info.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/curl_multi_client.h"
#include "net/http_server.h"
#include "tools/sim/kie_routes.h"
#include "tools/sim/sim_server.h"
#include "tools/sim/video_render.h"

namespace mediagw::sim {
namespace {

using ::testing::HasSubstr;

constexpr char kImageBody[] =
    R"({"model":"grok-imagine/text-to-image","input":{"prompt":"a fox",)"
    R"("aspect_ratio":"2:3"}})";

// Fields of a kie envelope, read with the checked JSON getters.
struct Reply {
  int http = 0;
  int64_t code = 0;
  std::string msg;
  std::string task_id;  // data.taskId when present
  std::string state;    // data.state when present
  std::string result_json;
  std::string content_type;
  std::string body;
};

class KieSimHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SimOptions o;
    // The first recordInfo right after createTask must still see "waiting".
    o.step_time = absl::Milliseconds(20);
    o.start_delay = absl::Milliseconds(150);
    sim_ = std::make_unique<SimServer>(o);
    ASSERT_TRUE(sim_->Start().ok());
    base_ = absl::StrCat("http://127.0.0.1:", sim_->port());
  }

  Reply Call(const std::string& method, const std::string& path,
             const std::string& body = "", const std::string& key = "sim-key") {
    HttpRequest req;
    req.method = method;
    req.url = absl::StrCat(base_, path);
    req.body = body;
    req.timeout = absl::Seconds(10);
    if (!key.empty())
      req.headers.emplace_back("Authorization", "Bearer " + key);
    if (!body.empty())
      req.headers.emplace_back("Content-Type", "application/json");
    auto done = std::make_shared<absl::Notification>();
    auto out = std::make_shared<absl::StatusOr<HttpResponse>>(
        absl::DeadlineExceededError("no answer"));
    http_.Send(std::move(req), [done, out](absl::StatusOr<HttpResponse> r) {
      *out = std::move(r);
      done->Notify();
    });
    Reply reply;
    if (!done->WaitForNotificationWithTimeout(absl::Seconds(15)) ||
        !out->ok()) {
      ADD_FAILURE() << method << " " << path << ": " << out->status();
      return reply;
    }
    reply.http = (*out)->status;
    reply.body = (*out)->body;
    reply.content_type = std::string((*out)->Header("content-type"));
    auto doc = json::ParseObject(reply.body);
    if (!doc.ok()) return reply;
    reply.code = json::GetInt(*doc, "code").value_or(0);
    reply.msg = json::GetString(*doc, "msg").value_or("");
    const rapidjson::Value* data = json::Find(*doc, "data");
    if (data != nullptr && data->IsObject()) {
      reply.task_id = json::GetString(*data, "taskId").value_or("");
      reply.state = json::GetString(*data, "state").value_or("");
      reply.result_json = json::GetString(*data, "resultJson").value_or("");
    }
    return reply;
  }

  std::string Create(const std::string& body = kImageBody) {
    Reply r = Call("POST", "/kie/api/v1/jobs/createTask", body);
    EXPECT_EQ(r.http, 200);
    EXPECT_EQ(r.code, 200) << r.body;
    EXPECT_EQ(r.msg, "success");
    return r.task_id;
  }

  // recordInfo until the state is final (or 404), bounded.
  Reply WaitEnd(const std::string& id,
                std::vector<std::string>* states = nullptr) {
    const absl::Time end = absl::Now() + absl::Seconds(15);
    Reply r;
    while (absl::Now() < end) {
      r = Call("GET", absl::StrCat("/kie/api/v1/jobs/recordInfo?taskId=", id));
      if (states != nullptr && (states->empty() || states->back() != r.state)) {
        states->push_back(r.state);
      }
      if (r.code != 200 || r.state == "success" || r.state == "fail") return r;
      absl::SleepFor(absl::Milliseconds(5));
    }
    ADD_FAILURE() << "task " << id << " never ended";
    return r;
  }

  // The only URL of a resultJson, fetched.
  Reply FetchResult(const std::string& result_json) {
    auto doc = json::ParseObject(result_json);
    EXPECT_TRUE(doc.ok()) << result_json;
    if (!doc.ok()) return {};
    auto urls = json::GetArray(*doc, "resultUrls");
    EXPECT_TRUE(urls.ok() && (*urls)->Size() == 1) << result_json;
    if (!urls.ok() || (*urls)->Size() != 1) return {};
    std::string url = (*(*urls))[0].GetString();
    EXPECT_TRUE(absl::StartsWith(url, base_ + "/kie/files/")) << url;
    return Call("GET", url.substr(base_.size()), "", /*key=*/"");
  }

  void Fault(FaultMode mode, const std::string& prefix, int status = 500) {
    FaultSpec f;
    f.mode = mode;
    f.path_prefix = prefix;
    f.status = status;
    sim_->faults().Add(f);
  }

  std::unique_ptr<SimServer> sim_;
  std::string base_;
  net::CurlMultiClient http_;
};

TEST_F(KieSimHttpTest, ImageTaskWalksEveryStateAndServesAPng) {
  const std::string id = Create();
  ASSERT_FALSE(id.empty());
  std::vector<std::string> states;
  Reply r = WaitEnd(id, &states);
  EXPECT_EQ(r.state, "success") << r.body;
  EXPECT_EQ(states.front(), "waiting");
  EXPECT_EQ(states.back(), "success");
  EXPECT_NE(std::find(states.begin(), states.end(), "generating"),
            states.end());
  EXPECT_THAT(
      r.body,
      HasSubstr(R"("param":"{\"model\":\"grok-imagine/text-to-image\")"));
  Reply file = FetchResult(r.result_json);
  EXPECT_EQ(file.http, 200);
  EXPECT_EQ(file.content_type, "image/png");
  MediaInfo info = SniffMedia(file.body);
  EXPECT_EQ(info.mime_type, "image/png");
  EXPECT_EQ(info.width, 683);
  EXPECT_EQ(info.height, 1024);
  EXPECT_EQ(sim_->faults().Stats().jobs_submitted, 1);
}

TEST_F(KieSimHttpTest, VideoTaskServesARealMp4) {
  const std::string id = Create(
      R"({"model":"grok-imagine/image-to-video","input":{"prompt":"waves",)"
      R"("image_urls":["https://example.com/in.png"]}})");
  Reply r = WaitEnd(id);
  ASSERT_EQ(r.state, "success") << r.body;
  Reply file = FetchResult(r.result_json);
  EXPECT_EQ(file.content_type, "video/mp4");
  auto probe = ProbeMp4(file.body);
  ASSERT_TRUE(probe.ok()) << probe.status();
  EXPECT_EQ(probe->width, kKieVideoSide);
  EXPECT_EQ(probe->height, kKieVideoSide);
  EXPECT_EQ(probe->frames, kKieVideoFrames);
}

TEST_F(KieSimHttpTest, CreateTaskCountsSubmitsPerPrompt) {
  ASSERT_EQ(Call("POST", "/kie/api/v1/jobs/createTask", kImageBody).http, 200);
  ASSERT_EQ(Call("POST", "/kie/api/v1/jobs/createTask", kImageBody).http, 200);
  EXPECT_EQ(sim_->faults().Submits().at("kie:a fox"), 2);
}

TEST_F(KieSimHttpTest, AuthIsCheckedAndRefusedWithBodyCode401) {
  for (const std::string& key : {std::string(""), std::string("wrong")}) {
    Reply r = Call("POST", "/kie/api/v1/jobs/createTask", kImageBody, key);
    EXPECT_EQ(r.http, 200);
    EXPECT_EQ(r.code, 401) << r.body;
    r = Call("GET", "/kie/api/v1/jobs/recordInfo?taskId=x", "", key);
    EXPECT_EQ(r.code, 401) << r.body;
  }
  EXPECT_EQ(sim_->faults().Stats().jobs_submitted, 0);
}

TEST_F(KieSimHttpTest, ValidationErrorsAre422) {
  for (
      const char* body : {
          "not json",
          R"({"model":"nope","input":{"prompt":"p"}})",
          R"({"model":"grok-imagine/text-to-image","input":{}})",
          R"({"model":"grok-imagine/text-to-image","input":{"prompt":"p","aspect_ratio":"4:3"}})",
          R"({"model":"grok-imagine/image-to-video","input":{"prompt":"p","image_urls":["data:x"]}})",
      }) {
    Reply r = Call("POST", "/kie/api/v1/jobs/createTask", body);
    EXPECT_EQ(r.http, 200);
    EXPECT_EQ(r.code, 422) << body << " -> " << r.body;
    EXPECT_FALSE(r.msg.empty());
  }
  Reply r = Call("GET", "/kie/api/v1/jobs/recordInfo");
  EXPECT_EQ(r.code, 422);
}

TEST_F(KieSimHttpTest, UnknownTasksFilesPathsAndMethods) {
  Reply r = Call("GET", "/kie/api/v1/jobs/recordInfo?taskId=task_none");
  EXPECT_EQ(r.http, 200);
  EXPECT_EQ(r.code, 404);
  EXPECT_EQ(r.msg, "task not found");
  EXPECT_EQ(Call("GET", "/kie/files/none.png", "", "").http, 404);
  EXPECT_EQ(Call("GET", "/kie/api/v1/other").http, 404);
  EXPECT_EQ(Call("GET", "/kie/api/v1/jobs/createTask").http, 405);
  EXPECT_EQ(Call("DELETE", "/kie/api/v1/jobs/recordInfo?taskId=x").http, 405);
}

TEST_F(KieSimHttpTest, ErrorStatusFaultFailsTheTask) {
  FaultSpec f;
  f.mode = FaultMode::kErrorStatus;
  sim_->faults().Add(f);
  Reply r = WaitEnd(Create());
  EXPECT_EQ(r.state, "fail");
  EXPECT_THAT(r.body, HasSubstr(R"("failCode":"500")"));
  EXPECT_THAT(r.body, HasSubstr(R"("failMsg":"simulated generation failure")"));
  EXPECT_EQ(r.result_json, "");
}

TEST_F(KieSimHttpTest, VanishFaultForgetsTheTask) {
  FaultSpec f;
  f.mode = FaultMode::kVanish;
  sim_->faults().Add(f);
  const std::string id = Create();
  Reply r = WaitEnd(id);
  EXPECT_EQ(r.code, 404) << r.body;
}

TEST_F(KieSimHttpTest, InjectedHttpErrorsUseKiesEnvelope) {
  Fault(FaultMode::kHttpStatus, "/kie/", 455);
  Reply r = Call("POST", "/kie/api/v1/jobs/createTask", kImageBody);
  EXPECT_EQ(r.http, 200);
  EXPECT_EQ(r.code, 455);
  Fault(FaultMode::kHttp500, "/kie/api/v1/jobs/recordInfo");
  r = Call("GET", "/kie/api/v1/jobs/recordInfo?taskId=x");
  EXPECT_EQ(r.code, 500);
  Fault(FaultMode::kMalformedJson, "/kie/");
  r = Call("POST", "/kie/api/v1/jobs/createTask", kImageBody);
  EXPECT_FALSE(json::ParseObject(r.body).ok()) << r.body;
}

// Records the POSTs the simulator sends as callbacks.
class Receiver {
 public:
  Receiver()
      : server_(net::HttpServerOptions{},
                [this](net::ServerRequest req,
                       std::shared_ptr<net::ResponseWriter> w) {
                  {
                    absl::MutexLock lock(&mu_);
                    got_.push_back(std::move(req));
                  }
                  w->Send(net::ServerResponse{});
                }) {}
  bool Start() { return server_.Start().ok(); }
  std::string Url() const {
    return absl::StrCat("http://127.0.0.1:", server_.port(), "/hook?t=1");
  }
  std::vector<net::ServerRequest> Wait(size_t n) {
    const absl::Time end = absl::Now() + absl::Seconds(15);
    while (absl::Now() < end) {
      {
        absl::MutexLock lock(&mu_);
        if (got_.size() >= n) return got_;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    absl::MutexLock lock(&mu_);
    return got_;
  }

 private:
  absl::Mutex mu_;
  std::vector<net::ServerRequest> got_ ABSL_GUARDED_BY(mu_);
  net::HttpServer server_;
};

TEST_F(KieSimHttpTest, CallbackIsPostedSignedWhenTheTaskEnds) {
  Receiver receiver;
  ASSERT_TRUE(receiver.Start());
  const std::string id = Create(
      absl::StrCat(R"({"model":"grok-imagine/text-to-image","callBackUrl":")",
                   receiver.Url(), R"(","input":{"prompt":"a fox"}})"));
  std::vector<net::ServerRequest> got = receiver.Wait(1);
  ASSERT_EQ(got.size(), 1u);
  const net::ServerRequest& cb = got[0];
  EXPECT_EQ(cb.method, "POST");
  EXPECT_EQ(cb.target, "/hook?t=1");
  const std::string ts(cb.Header("x-webhook-timestamp"));
  int64_t seconds = 0;
  ASSERT_TRUE(absl::SimpleAtoi(ts, &seconds)) << ts;
  EXPECT_LE(std::abs(seconds - absl::ToUnixSeconds(absl::Now())), 60);
  EXPECT_EQ(cb.Header("x-webhook-signature"),
            absl::Base64Escape(
                HmacSha256("sim-webhook-key", absl::StrCat(id, ".", ts))));
  auto doc = json::ParseObject(cb.body);
  ASSERT_TRUE(doc.ok()) << cb.body;
  EXPECT_EQ(json::GetInt(*doc, "code").value_or(0), 200);
  auto data = json::GetObject(*doc, "data");
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(json::GetString(**data, "taskId").value_or(""), id);
  EXPECT_EQ(json::GetString(**data, "state").value_or(""), "success");
  // The callback comes when recordInfo already shows the end.
  Reply r =
      Call("GET", absl::StrCat("/kie/api/v1/jobs/recordInfo?taskId=", id));
  EXPECT_EQ(r.state, "success");
}

}  // namespace
}  // namespace mediagw::sim
