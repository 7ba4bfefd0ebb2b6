// End-to-end over every provider: the real mediagw binary with every
// workflow wired to one simulator (scripts/sim_config.py, as the demo), each
// workflow driven on the legacy endpoint and over gRPC until its output is
// served from our own /uploads.
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "core/image_info.h"
#include "gtest/gtest.h"
#include "tests/core/test_png.h"
#include "tests/integration/e2e/harness.h"

namespace mediagw::e2e {
namespace {

const std::string kKeyHeader = std::string("x-api-key: ") + Server::kKey;

struct Doc {
  rapidjson::Document doc;
  explicit Doc(const std::string& text) {
    auto parsed = json::Parse(text);
    if (parsed.ok()) doc = std::move(*parsed);
  }
  bool ok() const { return doc.IsObject() && doc.HasMember("success"); }
  const rapidjson::Value& data() const { return doc["data"]; }
  std::string Str(const char* field) const {
    if (!ok() || !data().IsObject() || !data().HasMember(field) ||
        !data()[field].IsString()) {
      return "";
    }
    return data()[field].GetString();
  }
};

// A small real PNG for video inputs.
std::string InputPng() { return testing::MakePng(48, 32); }

class ProvidersE2eTest : public ::testing::Test {
 protected:
  // How many tasks the test key has stored (ListTasks); -1 if it fails.
  int StoredTasks() {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    v1::ListTasksRequest req;
    v1::ListTasksResponse resp;
    if (!server_->Stub()->ListTasks(&ctx, req, &resp).ok()) return -1;
    return resp.tasks_size();
  }

  void SetUp() override {
    dir_ = MakeTempDir();
    sim_ = std::make_unique<Simulator>(dir_, 5);
  }
  void TearDown() override {
    server_.reset();
    sim_.reset();
    if (!HasFailure()) std::system(("rm -rf " + dir_).c_str());
  }

  void StartServer(ServerOptions o = {}) {
    o.all_providers = true;
    o.poll_interval_ms = o.poll_interval_ms == 100 ? 50 : o.poll_interval_ms;
    server_ = std::make_unique<Server>(dir_, sim_->url(), o);
    server_->Start();
  }

  HttpResult Post(const std::string& endpoint, const std::string& body) {
    return Http("POST", server_->rest() + "/v1/index.php?endpoint=" + endpoint,
                body, {kKeyHeader});
  }

  // Polls task_status until a terminal status; returns the last document.
  std::string WaitDone(const std::string& id) {
    std::string last;
    WaitFor(
        [&] {
          last = Http("GET",
                      server_->rest() +
                          "/v1/index.php?endpoint=task_status&task_id=" + id,
                      "", {kKeyHeader})
                     .body;
          Doc d(last);
          std::string s = d.Str("status");
          return s == "completed" || s == "failed" || s == "cancelled";
        },
        absl::Seconds(60), absl::Milliseconds(50));
    return last;
  }

  // The output at `url` (one of ours), sniffed.
  MediaInfo Fetch(const std::string& url) {
    EXPECT_TRUE(absl::StartsWith(url, server_->rest() + "/uploads/")) << url;
    HttpResult r = Http("GET", url);
    EXPECT_EQ(r.status, 200) << url;
    return SniffMedia(r.body);
  }

  // Legacy submit -> completed -> output served by us. Returns the output.
  MediaInfo RunLegacy(const std::string& endpoint, const std::string& body,
                      std::string* id_out = nullptr) {
    HttpResult r = Post(endpoint, body);
    EXPECT_EQ(r.status, 200) << r.body;
    Doc queued(r.body);
    std::string id = queued.Str("id");
    EXPECT_FALSE(id.empty()) << r.body;
    EXPECT_EQ(queued.Str("status"), "queued");
    if (id_out != nullptr) *id_out = id;
    Doc done(WaitDone(id));
    EXPECT_EQ(done.Str("status"), "completed") << done.Str("error");
    std::string url =
        done.Str(endpoint == "video_generation" ? "video_url" : "image_url");
    if (url.empty()) return MediaInfo{};
    return Fetch(url);
  }

  // gRPC submit + StreamTask to the end. Returns the final task.
  v1::Task RunGrpc(const v1::SubmitImageRequest* image,
                   const v1::SubmitVideoRequest* video) {
    auto stub = server_->Stub();
    v1::Task task;
    {
      grpc::ClientContext ctx;
      ctx.AddMetadata("x-api-key", Server::kKey);
      grpc::Status st = image != nullptr
                            ? stub->SubmitImage(&ctx, *image, &task)
                            : stub->SubmitVideo(&ctx, *video, &task);
      EXPECT_TRUE(st.ok()) << st.error_message();
      if (!st.ok()) return task;
    }
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(60));
    v1::StreamTaskRequest req;
    req.set_id(task.id());
    auto reader = stub->StreamTask(&ctx, req);
    v1::TaskEvent ev;
    while (reader->Read(&ev)) task = ev.task();
    EXPECT_TRUE(reader->Finish().ok());
    return task;
  }

  std::string dir_;
  std::unique_ptr<Simulator> sim_;
  std::unique_ptr<Server> server_;
};

TEST_F(ProvidersE2eTest, EveryImageWorkflowOnTheLegacyEndpoint) {
  StartServer();
  struct Case {
    std::string workflow;
    int width, height;  // 0: the provider decides the size
  } cases[] = {
      {"default", 96, 64},    {"anime", 64, 96},      {"z-image", 80, 80},
      {"rr3", 128, 96},       {"grok", 0, 0},         {"kie-grok", 0, 0},
      {"grok-3-image", 0, 0}, {"grok-imagine", 0, 0}, {"flux", 256, 320}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.workflow);
    std::string body = absl::StrCat(R"({"prompt":"a lighthouse","workflow":")",
                                    c.workflow, R"(")");
    if (c.width > 0) {
      absl::StrAppend(&body, R"(,"width":)", c.width, R"(,"height":)",
                      c.height);
    }
    body += "}";
    MediaInfo out = RunLegacy("image_generation", body);
    EXPECT_TRUE(absl::StartsWith(out.mime_type, "image/")) << out.mime_type;
    if (c.width > 0) {
      EXPECT_EQ(out.width, c.width);
      EXPECT_EQ(out.height, c.height);
    } else {
      EXPECT_GT(out.width, 0);
    }
  }
}

TEST_F(ProvidersE2eTest, LabelledWorkflowsAnswerInTheSeedShape) {
  StartServer();
  HttpResult rr3 =
      Post("image_generation",
           R"({"prompt":"1girl","workflow":"rr3","seed":-1,"cfg":6})");
  Doc r(rr3.body);
  std::string id = r.Str("id");
  ASSERT_FALSE(id.empty()) << rr3.body;
  EXPECT_TRUE(std::all_of(id.begin(), id.end(), ::isdigit)) << id;
  EXPECT_EQ(r.Str("provider"), "rr3");
  EXPECT_EQ(r.Str("check_status"), "?endpoint=task_status&task_id=" + id);
  HttpResult grok = Post(
      "image_generation",
      R"({"prompt":"a futuristic city, cyberpunk style","workflow":"grok"})");
  Doc g(grok.body);
  EXPECT_TRUE(absl::StartsWith(g.Str("id"), "grok_")) << grok.body;
  EXPECT_EQ(g.Str("provider"), "grok");
  EXPECT_EQ(g.Str("check_status"),
            "?endpoint=task_status&task_id=" + g.Str("id"));
  Doc done(WaitDone(g.Str("id")));
  EXPECT_EQ(done.Str("status"), "completed");
  // Also reachable by the id-based path the seed mentions, uploads/{id}.png,
  // although xAI's result is a JPEG (served as what it is).
  HttpResult file =
      Http("GET", server_->rest() + "/uploads/" + g.Str("id") + ".jpg");
  HttpResult png =
      Http("GET", server_->rest() + "/uploads/" + g.Str("id") + ".png");
  EXPECT_EQ(file.status, 200);
  EXPECT_EQ(png.status, 200);
  EXPECT_EQ(png.content_type, "image/jpeg");
  EXPECT_EQ(png.body, file.body);
}

TEST_F(ProvidersE2eTest, EveryImageWorkflowOverGrpc) {
  StartServer();
  for (std::string wf : {"default", "anime", "z-image", "rr3", "grok",
                         "kie-grok", "grok-3-image", "flux"}) {
    SCOPED_TRACE(wf);
    v1::SubmitImageRequest req;
    req.set_prompt("a red fox");
    req.set_workflow(wf);
    v1::Task t = RunGrpc(&req, nullptr);
    ASSERT_EQ(t.state(), v1::TASK_STATE_SUCCEEDED) << t.error().message();
    ASSERT_GE(t.outputs_size(), 1);
    EXPECT_TRUE(absl::StartsWith(t.outputs(0).mime_type(), "image/"));
    EXPECT_TRUE(
        absl::StartsWith(Fetch(t.outputs(0).uri()).mime_type, "image/"));
  }
}

TEST_F(ProvidersE2eTest, SeveralImagesComeBackAsSeveralOutputs) {
  StartServer();
  v1::SubmitImageRequest req;
  req.set_prompt("three cats");
  req.set_workflow("grok-imagine");
  req.set_n(3);
  v1::Task t = RunGrpc(&req, nullptr);
  ASSERT_EQ(t.state(), v1::TASK_STATE_SUCCEEDED) << t.error().message();
  ASSERT_EQ(t.outputs_size(), 3);
  std::set<std::string> uris;
  for (const auto& o : t.outputs()) {
    uris.insert(o.uri());
    EXPECT_TRUE(absl::StartsWith(Fetch(o.uri()).mime_type, "image/"));
  }
  EXPECT_EQ(uris.size(), 3u);
}

TEST_F(ProvidersE2eTest, VideoThroughComfyUiAndKieOnBothSurfaces) {
  StartServer();
  const std::string b64 = absl::Base64Escape(InputPng());
  for (std::string wf : {"video", "kie-video"}) {
    SCOPED_TRACE(wf);
    std::string id;
    MediaInfo legacy =
        RunLegacy("video_generation",
                  absl::StrCat(R"({"prompt":"1girl, dancing","image":")", b64,
                               R"(","seed":-1,"workflow":")", wf, R"("})"),
                  &id);
    EXPECT_EQ(legacy.mime_type, "video/mp4");
    EXPECT_EQ(Http("GET", server_->rest() + "/uploads/" + id + ".mp4").status,
              200);

    v1::SubmitVideoRequest req;
    req.set_prompt("waves");
    req.set_image(b64);
    req.set_workflow(wf);
    v1::Task t = RunGrpc(nullptr, &req);
    ASSERT_EQ(t.state(), v1::TASK_STATE_SUCCEEDED) << t.error().message();
    EXPECT_EQ(t.kind(), v1::TASK_KIND_VIDEO);
    ASSERT_GE(t.outputs_size(), 1);
    EXPECT_EQ(t.outputs(0).mime_type(), "video/mp4");
    EXPECT_TRUE(absl::EndsWith(t.outputs(0).uri(), ".mp4"));
    EXPECT_EQ(Fetch(t.outputs(0).uri()).mime_type, "video/mp4");
  }
}

int64_t Requests(Simulator& sim, const std::string& path) {
  Doc stats(sim.Stats().body);
  if (!stats.doc.IsObject() || !stats.doc.HasMember("requests")) return -1;
  const auto& r = stats.doc["requests"];
  return r.HasMember(path.c_str()) ? r[path.c_str()].GetInt64() : 0;
}

// Seed 000's video example names a picture by URL: it is fetched through the
// SSRF-checked fetcher (the simulator's address is the one allowed), stored,
// and handed to either back end.
TEST_F(ProvidersE2eTest, VideoFromAnImageUrlOnBothBackEndsAndSurfaces) {
  StartServer();
  const std::string url = sim_->url() + "/samples/96x64.png";
  for (std::string wf : {"video", "kie-video"}) {
    SCOPED_TRACE(wf);
    std::string id;
    MediaInfo legacy = RunLegacy(
        "video_generation",
        absl::StrCat(R"({"prompt":"1girl, dancing, high quality","image":")",
                     url, R"(","seed":-1,"workflow":")", wf, R"("})"),
        &id);
    EXPECT_EQ(legacy.mime_type, "video/mp4");
    v1::SubmitVideoRequest req;
    req.set_prompt("waves");
    req.set_image(sim_->url() + "/samples/64x48.jpg");
    req.set_workflow(wf);
    v1::Task t = RunGrpc(nullptr, &req);
    ASSERT_EQ(t.state(), v1::TASK_STATE_SUCCEEDED) << t.error().message();
    ASSERT_GE(t.outputs_size(), 1);
    EXPECT_EQ(Fetch(t.outputs(0).uri()).mime_type, "video/mp4");
  }
  EXPECT_EQ(Requests(*sim_, "/samples/96x64.png"), 2);
}

TEST_F(ProvidersE2eTest, VideoInputByUrlIsMirroredFromAnAllowedHost) {
  StartServer();
  // An image the simulator serves (its address is the one allowed).
  std::string url = sim_->url() + "/rr3/files/missing.png";
  HttpResult r = Post("video_generation",
                      absl::StrCat(R"({"prompt":"p","image":")", url, R"("})"));
  Doc q(r.body);
  ASSERT_FALSE(q.Str("id").empty()) << r.body;
  Doc done(WaitDone(q.Str("id")));
  // The sim has no such file: the fetch is tried (allowed) and fails cleanly.
  EXPECT_EQ(done.Str("status"), "failed");
  EXPECT_NE(done.Str("error").find("image URL"), std::string::npos)
      << done.Str("error");
}

TEST_F(ProvidersE2eTest, PrivateAddressesAreNeverFetched) {
  StartServer();
  for (std::string url :
       {std::string("http://169.254.169.254/latest/meta-data/"),
        server_->rest() + "/healthz", std::string("http://[::1]:9/x.png"),
        std::string("http://2130706433/x.png")}) {
    SCOPED_TRACE(url);
    HttpResult r =
        Post("video_generation",
             absl::StrCat(R"({"prompt":"p","image":")", url, R"("})"));
    Doc q(r.body);
    ASSERT_FALSE(q.Str("id").empty()) << r.body;
    Doc done(WaitDone(q.Str("id")));
    EXPECT_EQ(done.Str("status"), "failed");
    EXPECT_NE(done.Str("error").find("image URL could not be fetched"),
              std::string::npos)
        << done.Str("error");
    // Which internal address was refused is for the log, not the caller.
    EXPECT_FALSE(std::regex_search(
        done.Str("error"), std::regex(R"(\d+\.\d+\.\d+|::|\d{4,}|localhost)")))
        << done.Str("error");
  }
}

TEST_F(ProvidersE2eTest, KieCallbackFinishesTheTaskWithoutWaitingForAPoll) {
  ServerOptions o;
  o.poll_interval_ms = 30000;  // a poll would come far too late
  StartServer(o);
  std::string id;
  absl::Time start = absl::Now();
  MediaInfo out =
      RunLegacy("image_generation",
                R"({"prompt":"a lighthouse","workflow":"kie-grok"})", &id);
  EXPECT_TRUE(absl::StartsWith(out.mime_type, "image/"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(25))
      << "only the signed callback can have finished it this soon";
}

// Only a task being driven can use a notice; for a finished or unknown one
// the answer is 404 without a signature check or a database read (a forged
// notice for a running task gets 401: see the core and kie tests).
TEST_F(ProvidersE2eTest, NoticesForFinishedOrUnknownTasksAreRefused) {
  StartServer();
  HttpResult r = Post("image_generation",
                      R"({"prompt":"a lighthouse","workflow":"kie-grok"})");
  std::string id = Doc(r.body).Str("id");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(Doc(WaitDone(id)).Str("status"), "completed");
  HttpResult forged = Http(
      "POST", server_->rest() + "/v1/callbacks/" + id,
      R"({"code":200,"msg":"success","data":{"taskId":"x","state":"success"}})",
      {"X-Webhook-Timestamp: 1700000000", "X-Webhook-Signature: AAAA"});
  EXPECT_EQ(forged.status, 404) << forged.body;
  EXPECT_EQ(forged.body,
            absl::StrCat(R"({"error":"task )", id,
                         R"( is not waiting for a notice"})"));
  HttpResult unknown =
      Http("POST", server_->rest() + "/v1/callbacks/nope", "{}");
  EXPECT_EQ(unknown.status, 404);
}

TEST_F(ProvidersE2eTest,
       RetryableFailureBeforeAcceptanceMovesToTheNextChannel) {
  StartServer();
  sim_->Fault(
      R"({"mode":"http_status","status":503,"count":1,"path_prefix":"/oai4/"})");
  v1::SubmitImageRequest req;
  req.set_prompt("a cat");
  req.set_workflow("grok-imagine");  // channels: gateway-004, then gateway-003
  v1::Task t = RunGrpc(&req, nullptr);
  ASSERT_EQ(t.state(), v1::TASK_STATE_SUCCEEDED) << t.error().message();
  EXPECT_EQ(Requests(*sim_, "/oai4/v1/images/generations"), 1);
  EXPECT_EQ(Requests(*sim_, "/oai3/v1/images/generations"), 1);
}

// The request reached the first channel and the connection died before any
// answer: that upstream may be generating (and billing) it, so no other
// channel is sent the job.
TEST_F(ProvidersE2eTest, SubmitThatMayHaveBeenAcceptedIsNotSentElsewhere) {
  StartServer();
  sim_->Fault(R"({"mode":"drop_connection","count":1,"path_prefix":"/oai4/"})");
  v1::SubmitImageRequest req;
  req.set_prompt("a cat");
  req.set_workflow("grok-imagine");  // channels: gateway-004, then gateway-003
  v1::Task t = RunGrpc(&req, nullptr);
  EXPECT_EQ(t.state(), v1::TASK_STATE_FAILED);
  EXPECT_TRUE(absl::StrContains(t.error().message(), "not sent again"))
      << t.error().message();
  EXPECT_EQ(Requests(*sim_, "/oai4/v1/images/generations"), 1);
  EXPECT_EQ(Requests(*sim_, "/oai3/v1/images/generations"), 0);
}

// ComfyUI takes our prompt_id: after a /prompt whose connection died
// without an answer, the job is looked up under that id (/history, /queue)
// and, as the server does not know it, sent again under the same id to the
// same server; it runs once and the task succeeds.
TEST_F(ProvidersE2eTest, UnansweredComfyUiSubmitIsLookedUpAndResentUnderItsId) {
  StartServer();
  sim_->Fault(
      R"({"mode":"drop_connection","count":1,"path_prefix":"/prompt"})");
  v1::SubmitImageRequest req;
  req.set_prompt("a lighthouse");
  req.set_workflow("default");
  v1::Task t = RunGrpc(&req, nullptr);
  ASSERT_EQ(t.state(), v1::TASK_STATE_SUCCEEDED) << t.error().message();
  EXPECT_EQ(Requests(*sim_, "/prompt"), 2);
  EXPECT_GE(Requests(*sim_, "/queue"), 1) << "looked up before resending";
}

TEST_F(ProvidersE2eTest, AcceptedJobsAreNeverSubmittedAgain) {
  StartServer();
  // Polls fail for a while after kie accepted the job.
  sim_->Fault(
      R"({"mode":"http_500","count":3,"path_prefix":"/kie/api/v1/jobs/recordInfo"})");
  std::string id;
  MediaInfo out =
      RunLegacy("image_generation",
                R"({"prompt":"a lighthouse","workflow":"kie-grok"})", &id);
  EXPECT_TRUE(absl::StartsWith(out.mime_type, "image/"));
  EXPECT_EQ(Requests(*sim_, "/kie/api/v1/jobs/createTask"), 1);
}

TEST_F(ProvidersE2eTest, NonRetryableUpstreamErrorFailsTheTaskWithItsReason) {
  StartServer();
  sim_->Fault(
      R"({"mode":"http_status","status":400,"count":1,"path_prefix":"/xai/"})");
  HttpResult r =
      Post("image_generation", R"({"prompt":"x","workflow":"grok"})");
  Doc done(WaitDone(Doc(r.body).Str("id")));
  EXPECT_EQ(done.Str("status"), "failed");
  EXPECT_FALSE(done.Str("error").empty());
  EXPECT_EQ(Requests(*sim_, "/xai/v1/images/generations"), 1) << "not retried";
}

TEST_F(ProvidersE2eTest, MissingGrokKeyIsAConfigurationError) {
  ServerOptions o;
  o.unset_env = {"MEDIAGW_XAI_KEY"};
  StartServer(o);
  HttpResult r = Post("image_generation",
                      R"({"prompt":"a futuristic city","workflow":"grok"})");
  Doc d(r.body);
  ASSERT_TRUE(d.ok()) << r.body;
  EXPECT_FALSE(d.doc["success"].GetBool());
  EXPECT_STREQ(d.doc["error"].GetString(),
               "Server configuration error: Grok API key missing");
  // Other workflows are unaffected.
  EXPECT_EQ(RunLegacy("image_generation", R"({"prompt":"x","workflow":"rr3"})")
                .mime_type.empty(),
            false);
}

TEST_F(ProvidersE2eTest, BadInputOnNewFieldsGetsTheEnvelopeAndStoresNothing) {
  StartServer();
  struct Case {
    std::string endpoint, body, error;
  } cases[] = {
      {"video_generation", R"({"image":"https://e.com/a.png"})",
       "Missing prompt"},
      {"video_generation", R"({"prompt":"p"})", "Missing image"},
      {"video_generation", R"({"prompt":"p","image":"%%%"})",
       "image must be an http(s) URL or base64 image data"},
      {"video_generation", R"({"prompt":"p","image":"aGVsbG8="})",
       "image is not a PNG, JPEG, WebP or GIF picture"},
      {"video_generation", R"({"prompt":"p","image":"file:///etc/passwd"})",
       "image URL must be http or https"},
      {"video_generation", R"({"prompt":"p","image":"x","seed":"7"})",
       "seed must be an integer"},
      {"video_generation", R"({"prompt":"p","image":"aGk=","workflow":"grok"})",
       "makes images"},
      {"image_generation", R"({"prompt":"p","workflow":"video"})",
       "makes videos"},
      {"image_generation",
       R"({"prompt":"p","workflow":"grok","model":"dall-e-3"})",
       "model must be one of"},
      {"image_generation", R"({"prompt":"p","workflow":"grok","width":4096})",
       "width must be between"},
      {"image_generation", R"({"prompt":"p","workflow":"grok-imagine","n":11})",
       "n must be between 1 and 10"},
      {"image_generation", R"({"prompt":"p","n":0})",
       "n must be between 1 and 10"},
      {"image_generation", R"({"prompt":"p","n":"2"})", "n must be an integer"},
      // What the workflow's channels cannot do is refused before anything
      // is stored: kie and the flux vendor make one image per job, and only
      // ComfyUI takes a whole workflow as the prompt.
      {"image_generation", R"({"prompt":"p","workflow":"kie-grok","n":2})",
       "n must be at most 1 for workflow kie-grok"},
      {"image_generation", R"({"prompt":"p","workflow":"flux","n":2})",
       "n must be at most 1 for workflow flux"},
      {"image_generation",
       R"({"prompt":{"3":{"class_type":"KSampler","inputs":{}}},"workflow":"grok"})",
       "workflow grok takes the prompt as text"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    HttpResult r = Post(c.endpoint, c.body);
    EXPECT_EQ(r.status, 400) << r.body;
    Doc d(r.body);
    ASSERT_TRUE(d.ok()) << r.body;
    EXPECT_FALSE(d.doc["success"].GetBool());
    EXPECT_TRUE(d.doc["data"].IsNull());
    EXPECT_NE(std::string(d.doc["error"].GetString()).find(c.error),
              std::string::npos)
        << d.doc["error"].GetString();
  }
  EXPECT_EQ(StoredTasks(), 0);
}

// The same new fields over gRPC: INVALID_ARGUMENT naming the field, and
// nothing stored.
TEST_F(ProvidersE2eTest, BadInputOnNewFieldsOverGrpcStoresNothing) {
  StartServer();
  auto stub = server_->Stub();
  auto video = [](std::string prompt, std::string image, std::string wf) {
    v1::SubmitVideoRequest r;
    r.set_prompt(std::move(prompt));
    r.set_image(std::move(image));
    r.set_workflow(std::move(wf));
    return r;
  };
  struct VideoCase {
    v1::SubmitVideoRequest req;
    std::string error;
  } video_cases[] = {
      {video("", "https://e.com/a.png", "video"), "Missing prompt"},
      {video("p", "", "video"), "Missing image"},
      {video("p", "%%%", "video"), "base64"},
      {video("p", "aGVsbG8=", "video"), "not a PNG, JPEG, WebP or GIF"},
      {video("p", "ftp://e.com/a.png", "video"), "http or https"},
      {video("p", "aGk=", "grok"), "makes images"},
  };
  // Calls `submit` with a keyed context; expects INVALID_ARGUMENT naming
  // `error`.
  auto expect_invalid = [](const std::string& error, const auto& submit) {
    SCOPED_TRACE(error);
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    v1::Task task;
    grpc::Status st = submit(&ctx, &task);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(st.error_message().find(error), std::string::npos)
        << st.error_message();
  };
  for (const VideoCase& c : video_cases) {
    expect_invalid(c.error, [&](grpc::ClientContext* ctx, v1::Task* task) {
      return stub->SubmitVideo(ctx, c.req, task);
    });
  }
  auto image = [](std::string wf, int n, std::string model, int width) {
    v1::SubmitImageRequest r;
    r.set_prompt("p");
    r.set_workflow(std::move(wf));
    if (n != 0) r.set_n(n);
    if (!model.empty()) r.set_model(std::move(model));
    if (width != 0) r.set_width(width);
    return r;
  };
  struct ImageCase {
    v1::SubmitImageRequest req;
    std::string error;
  } image_cases[] = {
      {image("grok-imagine", 11, "", 0), "n must be between 1 and 10"},
      {image("grok", -1, "", 0), "n must be between 1 and 10"},
      {image("grok", 0, "dall-e-3", 0), "model must be one of"},
      {image("grok", 0, "", 4096), "width must be between"},
      {image("video", 0, "", 0), "makes videos"},
  };
  for (const ImageCase& c : image_cases) {
    expect_invalid(c.error, [&](grpc::ClientContext* ctx, v1::Task* task) {
      return stub->SubmitImage(ctx, c.req, task);
    });
  }
  EXPECT_EQ(StoredTasks(), 0);
}

}  // namespace
}  // namespace mediagw::e2e
