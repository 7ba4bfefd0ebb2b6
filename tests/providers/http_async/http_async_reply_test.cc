// Reading vendor replies with the shipped rr3 and fluxjobs specs: job ids,
// body-level refusals, HTTP errors, states, progress, result URLs, error
// texts, malformed replies.
#include "providers/http_async/http_async_reply.h"

#include <string>

#include "common/status_mapping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/providers/http_async/vendor_config.h"

namespace mediagw::http_async {
namespace {

using ::testing::HasSubstr;
using testing::LoadVendorChannel;

constexpr absl::string_view kBase = "http://127.0.0.1:9/rr3";

Spec Load(const std::string& file) {
  auto channel = LoadVendorChannel(file);
  EXPECT_TRUE(channel.ok()) << channel.status();
  auto spec = CompileSpec(channel.ok() ? *channel : config::Channel(),
                          absl::Seconds(60), "k");
  EXPECT_TRUE(spec.ok()) << spec.status();
  return spec.ok() ? *spec : Spec();
}

HttpResponse Reply(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::string Rr3Task(absl::string_view status, absl::string_view extra = "") {
  return absl::StrCat(R"({"code":0,"msg":"ok","data":{"task_id":1234567890,)",
                      R"("status":")", status, "\"", extra, "}}");
}

TEST(ReadSubmitReplyTest, NumericAndStringIds) {
  EXPECT_EQ(
      *ReadSubmitReply(
          Load("rr3.json"),
          Reply(200, R"({"code":0,"msg":"ok","data":{"task_id":1234567890}})")),
      "1234567890");
  EXPECT_EQ(*ReadSubmitReply(
                Load("fluxjobs.json"),
                Reply(200, R"({"id":"3f2a-9","polling_url":"http://x"})")),
            "3f2a-9");
}

TEST(ReadSubmitReplyTest, BodyLevelRefusalsMapLikeHttp) {
  const Spec rr3 = Load("rr3.json");
  struct Case {
    const char* body;
    absl::StatusCode code;
    const char* message;
  } cases[] = {
      {R"({"code":401,"msg":"invalid api key","data":null})",
       absl::StatusCode::kFailedPrecondition,
       "rr3 upstream refused the request: status 401: invalid api key"},
      {R"({"code":400,"msg":"width must be between 64 and 2048"})",
       absl::StatusCode::kInvalidArgument, "width must be between"},
      {R"({"code":"429","msg":"busy"})", absl::StatusCode::kUnavailable,
       "status 429: busy"},
      {R"({"code":503})", absl::StatusCode::kUnavailable, "status 503"},
      {R"({"code":"E_QUOTA","msg":{"detail":"quota"}})",
       absl::StatusCode::kUnknown, R"(status E_QUOTA: {"detail":"quota"})"},
  };
  for (const Case& c : cases) {
    auto id = ReadSubmitReply(rr3, Reply(200, c.body));
    EXPECT_EQ(id.status().code(), c.code) << c.body;
    EXPECT_THAT(id.status().message(), HasSubstr(c.message)) << c.body;
  }
  EXPECT_FALSE(
      IsRetryable(ReadSubmitReply(rr3, Reply(200, cases[0].body)).status()));
}

TEST(ReadSubmitReplyTest, HttpErrorsAndMalformedReplies) {
  const Spec rr3 = Load("rr3.json");
  auto id = ReadSubmitReply(rr3, Reply(500, R"({"code":500})"));
  EXPECT_EQ(id.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(id.status().message(),
              HasSubstr("rr3 upstream returned HTTP 500"));
  EXPECT_EQ(ReadSubmitReply(rr3, Reply(422, "{}")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadSubmitReply(rr3, Reply(403, "no")).status().code(),
            absl::StatusCode::kFailedPrecondition);
  for (const char* body :
       {"", "{\"code\":0,", "<html>ok</html>", R"({"msg":"no code"})",
        R"({"code":0,"data":{}})", R"({"code":0,"data":{"task_id":""}})",
        R"({"code":0,"data":{"task_id":{"n":1}}})", R"({"code":[0]})"}) {
    auto r = ReadSubmitReply(rr3, Reply(200, body));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << body;
    EXPECT_THAT(r.status().message(),
                HasSubstr("malformed upstream response from channel 'rr3'"))
        << body;
  }
}

TEST(ReadPollReplyTest, Rr3States) {
  const Spec rr3 = Load("rr3.json");
  auto queued = ReadPollReply(rr3, kBase, Reply(200, Rr3Task("PENDING")));
  ASSERT_TRUE(queued.ok()) << queued.status();
  EXPECT_EQ(queued->state, UpstreamState::kQueued);

  auto running = ReadPollReply(
      rr3, kBase, Reply(200, Rr3Task("RUNNING", R"(,"progress":40)")));
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->state, UpstreamState::kRunning);
  EXPECT_DOUBLE_EQ(running->progress, 0.4);

  // Progress beyond the scale is clamped; a non-number is ignored.
  EXPECT_DOUBLE_EQ(
      ReadPollReply(rr3, kBase,
                    Reply(200, Rr3Task("RUNNING", R"(,"progress":250)")))
          ->progress,
      1.0);
  auto odd = ReadPollReply(
      rr3, kBase, Reply(200, Rr3Task("RUNNING", R"(,"progress":"soon")")));
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->progress, 0);
}

TEST(ReadPollReplyTest, Rr3SuccessGivesExternalOutputs) {
  const Spec rr3 = Load("rr3.json");
  auto done = ReadPollReply(
      rr3, kBase,
      Reply(200,
            Rr3Task("SUCCESS",
                    R"(,"progress":100,"images":["http://cdn/a.PNG?sig=1",)"
                    R"("/rr3/files/b.jpg","//cdn/c.webp"])")));
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->state, UpstreamState::kSucceeded);
  EXPECT_EQ(done->progress, 1);
  ASSERT_EQ(done->outputs.size(), 3u);
  EXPECT_EQ(done->outputs[0].request.url, "http://cdn/a.PNG?sig=1");
  EXPECT_EQ(done->outputs[0].mime_type, "image/png");
  EXPECT_EQ(done->outputs[1].request.url, "http://127.0.0.1:9/rr3/files/b.jpg");
  EXPECT_EQ(done->outputs[1].mime_type, "image/jpeg");
  EXPECT_EQ(done->outputs[2].request.url, "http://cdn/c.webp");
  for (const OutputRef& ref : done->outputs) {
    EXPECT_TRUE(ref.external);
    EXPECT_EQ(ref.request.method, "GET");
    EXPECT_TRUE(ref.request.headers.empty())
        << "no credentials to result hosts";
    EXPECT_GE(ref.request.timeout, absl::Minutes(2));
  }
}

TEST(ReadPollReplyTest, Rr3FailuresAndUnknownStates) {
  const Spec rr3 = Load("rr3.json");
  auto failed = ReadPollReply(
      rr3, kBase, Reply(200, Rr3Task("FAILED", R"(,"error":"GPU fell over")")));
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->state, UpstreamState::kFailed);
  EXPECT_EQ(failed->error.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(failed->error.message(),
              HasSubstr("channel 'rr3': the job failed: GPU fell over"));

  auto bare = ReadPollReply(rr3, kBase,
                            Reply(200, Rr3Task("FAILED", R"(,"error":null)")));
  ASSERT_TRUE(bare.ok());
  EXPECT_THAT(bare->error.message(),
              HasSubstr("the upstream reported state 'FAILED'"));

  auto no_urls = ReadPollReply(
      rr3, kBase, Reply(200, Rr3Task("SUCCESS", R"(,"images":[])")));
  ASSERT_TRUE(no_urls.ok());
  EXPECT_EQ(no_urls->state, UpstreamState::kFailed);
  EXPECT_THAT(no_urls->error.message(), HasSubstr("without any result URL"));

  auto unknown = ReadPollReply(rr3, kBase, Reply(200, Rr3Task("PAUSED")));
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(unknown.status().message(),
              HasSubstr("upstream state 'PAUSED' at '/data/status' is not in "
                        "http_async.state_map"));
}

TEST(ReadPollReplyTest, VanishedJobsAreNotFound) {
  const Spec rr3 = Load("rr3.json");
  auto gone = ReadPollReply(
      rr3, kBase,
      Reply(200, R"({"code":404,"msg":"task not found","data":null})"));
  ASSERT_TRUE(gone.ok()) << gone.status();
  EXPECT_EQ(gone->state, UpstreamState::kNotFound);
  auto http404 = ReadPollReply(Load("fluxjobs.json"), kBase,
                               Reply(404, R"({"detail":"Task not found"})"));
  ASSERT_TRUE(http404.ok());
  EXPECT_EQ(http404->state, UpstreamState::kNotFound);

  // A vendor with a textual not-found status.
  Spec custom = rr3;
  custom.status_not_found = {"TASK_GONE"};
  auto textual =
      ReadPollReply(custom, kBase, Reply(200, R"({"code":"TASK_GONE"})"));
  ASSERT_TRUE(textual.ok());
  EXPECT_EQ(textual->state, UpstreamState::kNotFound);
}

TEST(ReadPollReplyTest, MalformedPollReplies) {
  const Spec rr3 = Load("rr3.json");
  for (const char* body :
       {"{\"code\":0,\"da", R"({"code":0,"data":{}})",
        R"({"code":0,"data":{"status":["SUCCESS"]}})",
        R"({"code":0,"data":{"status":"SUCCESS","images":[1,2]}})",
        R"({"code":0,"data":{"status":"SUCCESS","images":"ftp://x/y.png"}})",
        R"({"code":0,"data":{"status":"SUCCESS","images":"x.png"}})"}) {
    auto r = ReadPollReply(rr3, kBase, Reply(200, body));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << body;
    EXPECT_THAT(r.status().message(), HasSubstr("malformed upstream response"))
        << body;
  }
  EXPECT_EQ(ReadPollReply(rr3, kBase, Reply(502, "<html>")).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(
      ReadPollReply(rr3, kBase, Reply(200, R"({"code":401})")).status().code(),
      absl::StatusCode::kFailedPrecondition);
}

TEST(ReadPollReplyTest, FluxShapes) {
  const Spec flux = Load("fluxjobs.json");
  auto pending = ReadPollReply(
      flux, kBase,
      Reply(200,
            R"({"id":"x","status":"Pending","result":null,"progress":null})"));
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_EQ(pending->state, UpstreamState::kQueued);

  auto processing = ReadPollReply(
      flux, kBase,
      Reply(200, R"({"id":"x","status":"Processing","progress":0.25})"));
  ASSERT_TRUE(processing.ok());
  EXPECT_EQ(processing->state, UpstreamState::kRunning);
  EXPECT_DOUBLE_EQ(processing->progress, 0.25);

  auto ready = ReadPollReply(
      flux, kBase,
      Reply(200, R"({"id":"x","status":"Ready",)"
                 R"("result":{"sample":"http://s/x.png","seed":1}})"));
  ASSERT_TRUE(ready.ok());
  ASSERT_EQ(ready->outputs.size(), 1u);
  EXPECT_EQ(ready->outputs[0].request.url, "http://s/x.png");

  auto error = ReadPollReply(
      flux, kBase,
      Reply(200, R"({"id":"x","status":"Error","details":{"error":"OOM"}})"));
  ASSERT_TRUE(error.ok());
  EXPECT_EQ(error->state, UpstreamState::kFailed);
  EXPECT_THAT(error->error.message(), HasSubstr("the job failed: OOM"));

  // No details.error: the fallback pointer reports the whole object.
  auto moderated = ReadPollReply(
      flux, kBase,
      Reply(200, R"({"id":"x","status":"Content Moderated",)"
                 R"("details":{"Moderation Reasons":["Sexual"]}})"));
  ASSERT_TRUE(moderated.ok());
  EXPECT_EQ(moderated->state, UpstreamState::kFailed);
  EXPECT_THAT(
      moderated->error.message(),
      HasSubstr(R"(the job failed: {"Moderation Reasons":["Sexual"]})"));
  auto top_level = ReadPollReply(
      flux, kBase,
      Reply(200, R"({"id":"x","status":"Error","error":"bad input"})"));
  ASSERT_TRUE(top_level.ok());
  EXPECT_THAT(top_level->error.message(),
              HasSubstr("the job failed: bad input"));
}

TEST(ReadCancelReplyTest, Outcomes) {
  const Spec rr3 = Load("rr3.json");
  EXPECT_TRUE(ReadCancelReply(rr3, Reply(200, Rr3Task("CANCELLED"))).ok());
  EXPECT_TRUE(ReadCancelReply(rr3, Reply(204, "")).ok());
  EXPECT_TRUE(ReadCancelReply(rr3, Reply(404, "")).ok());
  EXPECT_TRUE(
      ReadCancelReply(rr3, Reply(200, R"({"code":404,"msg":"task not found"})"))
          .ok());
  auto finished = ReadCancelReply(
      rr3, Reply(200, R"({"code":409,"msg":"task already finished"})"));
  EXPECT_FALSE(finished.ok());
  EXPECT_THAT(finished.message(), HasSubstr("task already finished"));
  EXPECT_EQ(ReadCancelReply(rr3, Reply(500, "")).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReadCancelReply(rr3, Reply(200, "{")).code(),
            absl::StatusCode::kUnavailable);
}

TEST(MimeTypeForUrlTest, FromTheExtension) {
  EXPECT_EQ(MimeTypeForUrl("http://h/a.png"), "image/png");
  EXPECT_EQ(MimeTypeForUrl("http://h/a.JPEG#x"), "image/jpeg");
  EXPECT_EQ(MimeTypeForUrl("http://h/v.mp4?x=1.png"), "video/mp4");
  EXPECT_EQ(MimeTypeForUrl("http://h.example/file"),
            "application/octet-stream");
  EXPECT_EQ(MimeTypeForUrl("http://h/a.tar.gz"), "application/octet-stream");
}

}  // namespace
}  // namespace mediagw::http_async
