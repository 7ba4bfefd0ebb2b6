// End-to-end: the real mediagw binary + the simulator, over REST and gRPC.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "tests/integration/e2e/harness.h"

namespace mediagw::e2e {
namespace {

const std::string kKeyHeader = std::string("x-api-key: ") + Server::kKey;

struct Json {
  rapidjson::Document doc;
  explicit Json(const std::string& text) {
    auto parsed = json::Parse(text);
    if (parsed.ok()) doc = std::move(*parsed);
  }
  const rapidjson::Value& data() const { return doc["data"]; }
};

class E2eTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override {
    if (!HasFailure()) std::system(("rm -rf " + dir_).c_str());
  }

  std::string SubmitRest(const Server& s, const std::string& body) {
    auto r = Http("POST", s.rest() + "/v1/index.php?endpoint=image_generation",
                  body, {kKeyHeader});
    EXPECT_EQ(r.status, 200) << r.body;
    Json j(r.body);
    if (!j.doc.IsObject() || !j.doc["data"].IsObject()) return "";
    return j.data()["id"].GetString();
  }

  Json Status(const Server& s, const std::string& id) {
    auto r = Http("GET", s.rest() + "/v1/index.php?endpoint=task_status&task_id=" + id,
                  "", {kKeyHeader});
    return Json(r.body);
  }

  int CountTasks(const Server& s) {
    auto stub = s.Stub();
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    v1::ListTasksRequest req;
    req.set_page_size(500);
    v1::ListTasksResponse resp;
    EXPECT_TRUE(stub->ListTasks(&ctx, req, &resp).ok());
    return resp.tasks_size();
  }

  v1::Task Get(const Server& s, const std::string& id) {
    auto stub = s.Stub();
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    v1::GetTaskRequest req;
    req.set_id(id);
    v1::Task t;
    stub->GetTask(&ctx, req, &t);
    return t;
  }

  std::string dir_;
};

TEST_F(E2eTest, RestSubmitPollsToCompletedAndServesPngOfRequestedSize) {
  Simulator sim(dir_);
  Server server(dir_, sim.url());
  server.Start();
  std::string id = SubmitRest(server, R"({
      "prompt": "1girl, white hair, blue eyes, starry sky, masterpiece",
      "negative_prompt": "lowres, bad quality, watermark",
      "width": 768, "height": 1024, "steps": 20, "workflow": "default",
      "seed": -1, "cfg": 6})");
  ASSERT_FALSE(id.empty());
  std::string image_url;
  ASSERT_TRUE(WaitFor(
      [&] {
        Json j = Status(server, id);
        if (!j.doc.IsObject() || !j.doc["success"].GetBool()) return false;
        std::string st = j.data()["status"].GetString();
        EXPECT_NE(st, "failed");
        if (st != "completed") return false;
        EXPECT_EQ(j.data()["progress"].GetInt(), 100);
        EXPECT_EQ(std::string(j.data()["workflow"].GetString()), "default");
        EXPECT_EQ(std::string(j.data()["provider"].GetString()), "comfyui");
        image_url = j.data()["image_url"].GetString();
        return true;
      },
      absl::Seconds(60)));
  EXPECT_EQ(image_url, server.rest() + "/uploads/" + id + ".png");
  auto img = Http("GET", image_url);
  EXPECT_EQ(img.status, 200);
  EXPECT_EQ(img.content_type, "image/png");
  EXPECT_EQ(PngSize(img.body), std::make_pair(768, 1024));
}

bool HasIpv6Loopback() {
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  addr.sin6_port = 0;
  const bool ok =
      bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

TEST_F(E2eTest, BothSurfacesListenOnIpv6LoopbackAndOutputUrlsUseIt) {
  if (!HasIpv6Loopback()) GTEST_SKIP() << "no IPv6 loopback on this machine";
  Simulator sim(dir_, /*step_ms=*/5);
  ServerOptions options;
  options.listen_host = "::1";  // grpc_listen and http_listen "[::1]:0"
  Server server(dir_, sim.url(), options);
  server.Start();
  ASSERT_EQ(server.rest().rfind("http://[::1]:", 0), 0u) << server.rest();
  EXPECT_EQ(Http("GET", server.rest() + "/healthz").status, 200);
  const std::string id = SubmitRest(
      server, R"({"prompt": "v6", "steps": 1, "width": 32, "height": 32})");
  ASSERT_FALSE(id.empty());
  // gRPC over [::1] sees it finish.
  ASSERT_TRUE(WaitFor(
      [&] { return Get(server, id).state() == v1::TASK_STATE_SUCCEEDED; },
      absl::Seconds(30)));
  // public_base_url is derived from the bracketed listen address.
  const v1::Task task = Get(server, id);
  ASSERT_EQ(task.outputs_size(), 1);
  EXPECT_EQ(task.outputs(0).uri(), server.rest() + "/uploads/" + id + ".png");
  auto img = Http("GET", task.outputs(0).uri());
  EXPECT_EQ(img.status, 200);
  EXPECT_EQ(PngSize(img.body), std::make_pair(32, 32));
}

TEST_F(E2eTest, GrpcSubmitAndStreamSeesOrderedStatesAndRisingProgress) {
  Simulator sim(dir_, /*step_ms=*/60);
  Server server(dir_, sim.url());
  server.Start();
  auto stub = server.Stub();
  v1::Task task;
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", std::string("Bearer ") + Server::kKey);
    v1::SubmitImageRequest req;
    req.set_prompt("a red fox in snow");
    req.set_width(320);
    req.set_height(256);
    req.set_steps(12);
    req.set_seed(42);
    ASSERT_TRUE(stub->SubmitImage(&ctx, req, &task).ok());
  }
  EXPECT_EQ(task.state(), v1::TASK_STATE_PENDING);
  EXPECT_EQ(task.seed(), 42);
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-api-key", Server::kKey);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::StreamTaskRequest req;
  req.set_id(task.id());
  auto reader = stub->StreamTask(&ctx, req);
  v1::TaskEvent ev;
  std::vector<v1::Task> seen;
  while (reader->Read(&ev)) seen.push_back(ev.task());
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().state(), v1::TASK_STATE_SUCCEEDED);
  ASSERT_EQ(seen.back().outputs_size(), 1);
  EXPECT_EQ(seen.back().outputs(0).width(), 320);
  EXPECT_EQ(seen.back().outputs(0).height(), 256);
  EXPECT_EQ(seen.back().outputs(0).mime_type(), "image/png");
  bool saw_queued = false;
  int running_with_progress = 0;
  for (size_t i = 0; i < seen.size(); ++i) {
    if (seen[i].state() == v1::TASK_STATE_QUEUED) saw_queued = true;
    if (seen[i].state() == v1::TASK_STATE_RUNNING && seen[i].progress() > 0 &&
        seen[i].progress() < 1) {
      ++running_with_progress;
    }
    if (i > 0) {
      EXPECT_GE(seen[i].state(), seen[i - 1].state()) << "state went backwards";
      EXPECT_GE(seen[i].progress(), seen[i - 1].progress()) << "progress went backwards";
    }
  }
  EXPECT_TRUE(saw_queued);
  EXPECT_GE(running_with_progress, 2) << "expected rising progress while running";
}

TEST_F(E2eTest, StreamTaskHonoursClientCancellation) {
  Simulator sim(dir_, /*step_ms=*/200);
  Server server(dir_, sim.url());
  server.Start();
  std::string id = SubmitRest(server, R"({"prompt": "watched then dropped", "steps": 30})");
  ASSERT_FALSE(id.empty());
  auto stub = server.Stub();
  for (int round = 0; round < 3; ++round) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    v1::StreamTaskRequest req;
    req.set_id(id);
    auto reader = stub->StreamTask(&ctx, req);
    v1::TaskEvent ev;
    ASSERT_TRUE(reader->Read(&ev));  // the snapshot
    EXPECT_EQ(ev.task().id(), id);
    ctx.TryCancel();
    while (reader->Read(&ev)) {
    }
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  // The server is unaffected and the task still runs to completion.
  ASSERT_TRUE(WaitFor([&] { return Get(server, id).state() == v1::TASK_STATE_SUCCEEDED; },
                      absl::Seconds(60)));
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    v1::StreamTaskRequest req;
    req.set_id(id);
    auto reader = stub->StreamTask(&ctx, req);
    v1::TaskEvent ev;
    int events = 0;
    while (reader->Read(&ev)) ++events;
    EXPECT_EQ(events, 1) << "a finished task streams its snapshot and ends";
    EXPECT_EQ(ev.task().state(), v1::TASK_STATE_SUCCEEDED);
    EXPECT_TRUE(reader->Finish().ok());
  }
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    v1::StreamTaskRequest req;
    req.set_id("no-such-task");
    auto reader = stub->StreamTask(&ctx, req);
    v1::TaskEvent ev;
    EXPECT_FALSE(reader->Read(&ev));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
  }
}

TEST_F(E2eTest, KillNineMidTaskThenRestartCompletesTheSameTask) {
  Simulator sim(dir_, /*step_ms=*/150);
  Server server(dir_, sim.url());
  server.Start();
  std::string id = SubmitRest(server, R"({"prompt": "slow castle", "steps": 20, "width": 256, "height": 256})");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(WaitFor([&] { return Get(server, id).state() == v1::TASK_STATE_RUNNING; },
                      absl::Seconds(30)));
  server.Kill9();
  server.Start();
  ASSERT_TRUE(WaitFor([&] { return Get(server, id).state() == v1::TASK_STATE_SUCCEEDED; },
                      absl::Seconds(60)))
      << "state " << Get(server, id).state();
  v1::Task t = Get(server, id);
  ASSERT_EQ(t.outputs_size(), 1);
  EXPECT_EQ(PngSize(Http("GET", t.outputs(0).uri()).body), std::make_pair(256, 256));
  // The upstream ran the job once: the resumed task found it, it did not resubmit.
  Json stats(sim.Stats().body);
  ASSERT_TRUE(stats.doc.IsObject()) << sim.Stats().body;
  EXPECT_EQ(stats.doc["jobs_submitted"].GetInt(), 1);
}

TEST_F(E2eTest, KillNineRightAfterAcknowledgeLosesNothing) {
  Simulator sim(dir_, /*step_ms=*/10);
  ServerOptions opts;
  opts.max_active = 2;  // most of the burst waits in the store's backlog
  Server server(dir_, sim.url(), opts);
  server.Start();
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    ids.push_back(SubmitRest(server, absl::StrCat(R"({"prompt": "burst )", i,
                                                  R"(", "steps": 2, "width": 64, "height": 64})")));
  }
  server.Kill9();
  server.Start();
  for (const auto& id : ids) {
    ASSERT_FALSE(id.empty());
    EXPECT_TRUE(WaitFor([&] { return Get(server, id).state() == v1::TASK_STATE_SUCCEEDED; },
                        absl::Seconds(60)))
        << id << " ended in " << Get(server, id).state();
  }
}

// A task that waits in the store's backlog (the one slot is taken by a
// long job) ends TIMED_OUT at its deadline while the slot is still taken,
// not only once the slot frees and the backlog is loaded.
TEST_F(E2eTest, ABackloggedTaskTimesOutWhileTheSlotIsStillTaken) {
  Simulator sim(dir_, /*step_ms=*/400);  // 50 steps: 20 s
  ServerOptions opts;
  opts.max_active = 1;
  opts.deadline_seconds = 2;
  opts.extra_workflows = absl::StrCat(
      R"({"name": "slow", "channels": ["comfy"], "template_file": ")",
      SourceDir(),
      R"(/config/workflows/default.json", "default_cfg": 7, "deadline_seconds": 120})");
  Server server(dir_, sim.url(), opts);
  server.Start();
  const std::string running = SubmitRest(
      server, R"({"prompt": "long", "steps": 50, "width": 64, "height": 64, "workflow": "slow"})");
  const std::string waiting = SubmitRest(
      server, R"({"prompt": "waits", "steps": 2, "width": 64, "height": 64})");
  ASSERT_FALSE(running.empty());
  ASSERT_FALSE(waiting.empty());
  EXPECT_TRUE(WaitFor([&] { return Get(server, waiting).state() == v1::TASK_STATE_TIMED_OUT; },
                      absl::Seconds(15)))
      << "ended in " << Get(server, waiting).state();
  EXPECT_EQ(Get(server, waiting).error().code(), "DEADLINE_EXCEEDED");
  const v1::TaskState slot_holder = Get(server, running).state();
  EXPECT_TRUE(slot_holder == v1::TASK_STATE_QUEUED || slot_holder == v1::TASK_STATE_RUNNING)
      << slot_holder;
}

TEST_F(E2eTest, SigtermWithTasksInFlightExitsCleanlyAndTheyFinishAfterRestart) {
  Simulator sim(dir_, /*step_ms=*/30);
  ServerOptions opts;
  opts.max_active = 2;
  Server server(dir_, sim.url(), opts);
  server.Start();
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) {
    ids.push_back(SubmitRest(server, absl::StrCat(R"({"prompt": "term )", i,
                                                  R"(", "steps": 10, "width": 64, "height": 64})")));
  }
  ASSERT_TRUE(WaitFor([&] { return Get(server, ids[0]).state() == v1::TASK_STATE_RUNNING; },
                      absl::Seconds(30)));
  EXPECT_EQ(server.Stop(), 0);
  server.Start();
  for (const auto& id : ids) {
    EXPECT_TRUE(WaitFor([&] { return Get(server, id).state() == v1::TASK_STATE_SUCCEEDED; },
                        absl::Seconds(60)))
        << id << " ended in " << Get(server, id).state();
  }
}

TEST_F(E2eTest, BadInputOnBothSurfacesGetsClearErrorsAndStoresNothing) {
  Simulator sim(dir_);
  Server server(dir_, sim.url());
  server.Start();
  const std::string url = server.rest() + "/v1/index.php?endpoint=image_generation";
  struct Case {
    std::string body;
    std::vector<std::string> headers;
    long status;
    std::string error;
  };
  std::vector<Case> cases = {
      {R"({"width": 512})", {kKeyHeader}, 400, "Missing prompt"},
      {R"({"prompt": ""})", {kKeyHeader}, 400, "Missing prompt"},
      {R"({"prompt": "x", "width": "wide"})", {kKeyHeader}, 400, "width must be an integer"},
      {R"({"prompt": "x", "width": 4096})", {kKeyHeader}, 400, "width must be between 16 and 2048"},
      {R"({"prompt": "x", "steps": 51})", {kKeyHeader}, 400, "steps must be between 1 and 50"},
      {R"({"prompt": "x", "cfg": "high"})", {kKeyHeader}, 400, "cfg must be a number"},
      {R"({"prompt": "x", "workflow": "nope"})", {kKeyHeader}, 400, "Unknown workflow: nope"},
      {R"({"prompt": "x",)", {kKeyHeader}, 400, ""},
      {R"({"prompt": "x"})", {}, 401, "Missing API key"},
      {R"({"prompt": "x"})", {"x-api-key: wrong"}, 401, "Invalid API key"},
  };
  for (const auto& c : cases) {
    auto r = Http("POST", url, c.body, c.headers);
    EXPECT_EQ(r.status, c.status) << c.body;
    Json j(r.body);
    ASSERT_TRUE(j.doc.IsObject()) << r.body;
    EXPECT_FALSE(j.doc["success"].GetBool());
    EXPECT_TRUE(j.doc["data"].IsNull());
    std::string err = j.doc["error"].GetString();
    if (c.error.empty()) {
      EXPECT_EQ(err.rfind("Invalid JSON body", 0), 0u) << err;
    } else {
      EXPECT_EQ(err, c.error) << c.body;
    }
  }
  auto stub = server.Stub();
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    v1::SubmitImageRequest req;
    req.set_prompt("x");
    req.set_height(5000);
    v1::Task t;
    auto st = stub->SubmitImage(&ctx, req, &t);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(st.error_message(), "height must be between 16 and 2048");
  }
  {
    grpc::ClientContext ctx;
    v1::SubmitImageRequest req;
    req.set_prompt("x");
    v1::Task t;
    EXPECT_EQ(stub->SubmitImage(&ctx, req, &t).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    v1::SubmitImageRequest req;
    req.set_workflow_json("[1,2]");
    v1::Task t;
    EXPECT_EQ(stub->SubmitImage(&ctx, req, &t).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  EXPECT_EQ(CountTasks(server), 0);
  auto missing = Http("GET", server.rest() + "/v1/index.php?endpoint=task_status&task_id=nope",
                      "", {kKeyHeader});
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Http("GET", server.rest() + "/uploads/../../etc/passwd").status, 404);
}

// One length-delimited field, written by hand: protobuf's serializer would
// refuse invalid UTF-8 in a string field, a hostile client does not.
std::string WireString(int field, const std::string& bytes) {
  std::string out;
  out.push_back(static_cast<char>(field << 3 | 2));
  out.push_back(static_cast<char>(bytes.size()));  // < 128 here
  return out + bytes;
}

// A unary call with a hand-made request body; returns the status.
grpc::Status RawCall(const Server& server, const std::string& method,
                     const std::string& body, bool with_key = true) {
  auto channel = grpc::CreateChannel(server.grpc_addr(),
                                     grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  if (with_key) ctx.AddMetadata("x-api-key", Server::kKey);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Slice slice(body);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/mediagw.v1.MediaService/" + method,
                 grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status st) { done.set_value(std::move(st)); });
  return done.get_future().get();  // the context's deadline bounds it
}

TEST_F(E2eTest, GrpcStringsThatAreNotUtf8AreRefusedByFieldAndStoreNothing) {
  Simulator sim(dir_);
  Server server(dir_, sim.url());
  server.Start();
  const std::string bad = "a cat in a caf\xC3";  // cut inside U+00E9
  auto st = RawCall(server, "SubmitImage",
                    WireString(8, "default") + WireString(1, bad));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "prompt: not valid UTF-8");
  st = RawCall(server, "SubmitImage",
               WireString(1, "x") + WireString(11, "\xED\xA0\x80"));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "idempotency_key: not valid UTF-8");
  st = RawCall(server, "SubmitVideo",
               WireString(1, "x") + WireString(2, "\xC0\xAF"));
  EXPECT_EQ(st.error_message(), "image: not valid UTF-8");
  st = RawCall(server, "GetTask", WireString(1, "\xFF"));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "id: not valid UTF-8");
  st = RawCall(server, "ListTasks", WireString(2, "\x80"));
  EXPECT_EQ(st.error_message(), "page_token: not valid UTF-8");
  st = RawCall(server, "SubmitImage", "\x0a\x7f" "short");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "malformed request");
  // The key is checked before the body is looked at.
  st = RawCall(server, "SubmitImage", WireString(1, bad), /*with_key=*/false);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CountTasks(server), 0);
  // A well-formed hand-made request goes through the same path.
  st = RawCall(server, "SubmitImage",
               WireString(1, "caf\xC3\xA9") + std::string("\x18\x20\x20\x20"));
  EXPECT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(CountTasks(server), 1);
}

TEST_F(E2eTest, CancelDeletesPendingPromptAndInterruptsRunningOne) {
  Simulator sim(dir_, /*step_ms=*/200);
  Server server(dir_, sim.url());
  server.Start();
  std::string first = SubmitRest(server, R"({"prompt": "long one", "steps": 40, "width": 64, "height": 64})");
  std::string second = SubmitRest(server, R"({"prompt": "waiting one", "steps": 40, "width": 64, "height": 64})");
  ASSERT_TRUE(WaitFor([&] { return Get(server, first).state() == v1::TASK_STATE_RUNNING; },
                      absl::Seconds(30)));
  ASSERT_TRUE(WaitFor([&] { return Get(server, second).state() == v1::TASK_STATE_QUEUED; },
                      absl::Seconds(30)));
  auto stub = server.Stub();
  for (const auto& id : {second, first}) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    v1::CancelTaskRequest req;
    req.set_id(id);
    v1::Task t;
    ASSERT_TRUE(stub->CancelTask(&ctx, req, &t).ok());
    EXPECT_EQ(t.state(), v1::TASK_STATE_CANCELED);
  }
  // Both left the simulator's queue: the pending one deleted, the running one interrupted.
  auto queue = Http("GET", sim.url() + "/queue");
  EXPECT_EQ(queue.body.find(first), std::string::npos) << queue.body;
  EXPECT_EQ(queue.body.find(second), std::string::npos) << queue.body;
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    v1::CancelTaskRequest req;
    req.set_id(first);
    v1::Task t;
    EXPECT_EQ(stub->CancelTask(&ctx, req, &t).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }
  EXPECT_EQ(std::string(Status(server, first).data()["status"].GetString()), "cancelled");
}

TEST_F(E2eTest, TaskPastItsDeadlineFailsWithClearError) {
  Simulator sim(dir_, /*step_ms=*/500);
  ServerOptions opts;
  opts.deadline_seconds = 2;
  Server server(dir_, sim.url(), opts);
  server.Start();
  std::string id = SubmitRest(server, R"({"prompt": "never in time", "steps": 40})");
  ASSERT_TRUE(WaitFor([&] { return Get(server, id).state() == v1::TASK_STATE_TIMED_OUT; },
                      absl::Seconds(20)));
  Json j = Status(server, id);
  EXPECT_EQ(std::string(j.data()["status"].GetString()), "failed");
  EXPECT_NE(std::string(j.data()["error"].GetString()).find("deadline"), std::string::npos);
}

TEST_F(E2eTest, OtherCallersCannotSeeATask) {
  Simulator sim(dir_);
  Server server(dir_, sim.url());
  server.Start();
  std::string id = SubmitRest(server, R"({"prompt": "private"})");
  auto r = Http("GET", server.rest() + "/v1/index.php?endpoint=task_status&task_id=" + id, "",
                {std::string("Authorization: Token ") + Server::kOtherKey});
  EXPECT_EQ(r.status, 404);
}

TEST_F(E2eTest, HealthAndReadiness) {
  Simulator sim(dir_);
  Server server(dir_, sim.url());
  server.Start();
  EXPECT_EQ(Http("GET", server.rest() + "/healthz").body, R"({"status":"ok"})");
  EXPECT_EQ(Http("GET", server.rest() + "/readyz").status, 200);
}

TEST_F(E2eTest, GrpcHealthAndReflectionAreServed) {
  Simulator sim(dir_);
  Server server(dir_, sim.url());
  server.Start();
  auto channel = grpc::CreateChannel(server.grpc_addr(),
                                     grpc::InsecureChannelCredentials());
  {
    auto health = grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    ASSERT_TRUE(health->Check(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }
  {
    auto refl = grpc::reflection::v1alpha::ServerReflection::NewStub(channel);
    grpc::ClientContext ctx;
    auto stream = refl->ServerReflectionInfo(&ctx);
    grpc::reflection::v1alpha::ServerReflectionRequest req;
    req.set_list_services("");
    ASSERT_TRUE(stream->Write(req));
    stream->WritesDone();
    grpc::reflection::v1alpha::ServerReflectionResponse resp;
    ASSERT_TRUE(stream->Read(&resp));
    std::set<std::string> names;
    for (const auto& s : resp.list_services_response().service()) {
      names.insert(s.name());
    }
    EXPECT_TRUE(names.count("mediagw.v1.MediaService")) << resp.DebugString();
    EXPECT_TRUE(names.count("grpc.health.v1.Health"));
    while (stream->Read(&resp)) {
    }
    EXPECT_TRUE(stream->Finish().ok());
  }
}

TEST_F(E2eTest, ListTasksPagesAndFiltersByState) {
  Simulator sim(dir_, /*step_ms=*/5);
  Server server(dir_, sim.url());
  server.Start();
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(SubmitRest(server, absl::StrCat(R"({"prompt": "list )", i,
                                                  R"(", "steps": 1, "width": 32, "height": 32})")));
  }
  for (const auto& id : ids) {
    ASSERT_TRUE(WaitFor([&] { return Get(server, id).state() == v1::TASK_STATE_SUCCEEDED; },
                        absl::Seconds(30)));
  }
  auto stub = server.Stub();
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    v1::ListTasksRequest req;
    req.set_page_size(2);
    req.set_page_token(token);
    req.add_states(v1::TASK_STATE_SUCCEEDED);
    v1::ListTasksResponse resp;
    ASSERT_TRUE(stub->ListTasks(&ctx, req, &resp).ok());
    EXPECT_LE(resp.tasks_size(), 2);
    for (const auto& t : resp.tasks()) seen.insert(t.id());
    token = resp.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(seen, std::set<std::string>(ids.begin(), ids.end()));
  EXPECT_EQ(pages, 3);
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    v1::ListTasksRequest req;
    req.add_states(v1::TASK_STATE_FAILED);
    v1::ListTasksResponse resp;
    ASSERT_TRUE(stub->ListTasks(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.tasks_size(), 0);
  }
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    v1::ListTasksRequest req;
    req.set_page_token("not-a-token");
    v1::ListTasksResponse resp;
    EXPECT_EQ(stub->ListTasks(&ctx, req, &resp).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
}

TEST_F(E2eTest, IdempotencyKeyReturnsTheFirstTask) {
  Simulator sim(dir_);
  Server server(dir_, sim.url());
  server.Start();
  auto url = server.rest() + "/v1/index.php?endpoint=image_generation";
  auto a = Http("POST", url, R"({"prompt": "once"})", {kKeyHeader, "Idempotency-Key: k-1"});
  auto b = Http("POST", url, R"({"prompt": "once"})", {kKeyHeader, "Idempotency-Key: k-1"});
  ASSERT_EQ(a.status, 200);
  ASSERT_EQ(b.status, 200);
  EXPECT_EQ(std::string(Json(a.body).data()["id"].GetString()),
            std::string(Json(b.body).data()["id"].GetString()));
  EXPECT_EQ(CountTasks(server), 1);
}

}  // namespace
}  // namespace mediagw::e2e
