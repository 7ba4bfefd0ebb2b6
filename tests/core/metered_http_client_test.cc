#include "core/metered_http_client.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Answers each call with the next scripted result, later, when Finish runs.
class ScriptedClient : public HttpClient {
 public:
  void Send(HttpRequest request, HttpCallback done) override {
    urls.push_back(request.url);
    pending.push_back(std::move(done));
  }
  void Finish(absl::StatusOr<HttpResponse> result) {
    HttpCallback done = std::move(pending.front());
    pending.erase(pending.begin());
    done(std::move(result));
  }
  std::vector<std::string> urls;
  std::vector<HttpCallback> pending;
};

HttpResponse Status(int code) {
  HttpResponse r;
  r.status = code;
  r.body = "body";
  return r;
}

TEST(MeteredHttpClientTest, PassesCallsThroughAndTimesThemByOutcome) {
  MetricsRegistry registry;
  ScriptedClient inner;
  auto client = std::make_unique<MeteredHttpClient>(&inner, "comfy-a",
                                                    registry);
  std::vector<std::string> got;
  auto record = [&got](absl::StatusOr<HttpResponse> r) {
    got.push_back(r.ok() ? r->body : std::string(r.status().message()));
  };
  for (int i = 0; i < 5; ++i) {
    HttpRequest req;
    req.url = "http://up.test/" + std::to_string(i);
    client->Send(req, record);
  }
  EXPECT_EQ(inner.urls.size(), 5u);
  inner.Finish(Status(200));
  inner.Finish(Status(201));
  inner.Finish(Status(503));
  inner.Finish(absl::DeadlineExceededError("timed out"));
  // The wrapper may go before the calls it started end.
  client.reset();
  inner.Finish(Status(404));
  EXPECT_THAT(got, ::testing::ElementsAre("body", "body", "body", "timed out",
                                          "body"));
  std::string text = registry.RenderPrometheus();
  EXPECT_THAT(text,
              HasSubstr("# TYPE mediagw_upstream_request_duration_seconds "
                        "histogram\n"));
  EXPECT_THAT(text, HasSubstr("mediagw_upstream_request_duration_seconds_count"
                              "{channel=\"comfy-a\",outcome=\"2xx\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("mediagw_upstream_request_duration_seconds_count"
                              "{channel=\"comfy-a\",outcome=\"5xx\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("mediagw_upstream_request_duration_seconds_count"
                              "{channel=\"comfy-a\",outcome=\"4xx\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("mediagw_upstream_request_duration_seconds_count"
                              "{channel=\"comfy-a\",outcome=\"DEADLINE_"
                              "EXCEEDED\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("outcome=\"3xx\"")));
}

TEST(MeteredHttpClientTest, OutcomeLabels) {
  EXPECT_EQ(MeteredHttpClient::Outcome(Status(302)), "3xx");
  EXPECT_EQ(MeteredHttpClient::Outcome(Status(0)), "other");
  EXPECT_EQ(MeteredHttpClient::Outcome(absl::UnavailableError("refused")),
            "UNAVAILABLE");
}

}  // namespace
}  // namespace mediagw
