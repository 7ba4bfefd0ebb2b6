// End-to-end shutdown and disk-full tests against the real binaries.
//
// Drain: on SIGTERM the server stops accepting at once, lets requests in
// flight finish (shown with raw sockets that send their request half before
// the signal and the rest after it), ends open StreamTask streams with a
// final event and OK, and exits 0 within the grace period; a stream whose
// peer reads nothing (a raw HTTP/2 client that grants the server no flow
// control window) is cut at the end of the grace and the process still
// exits.
//
// Disk full: storage.sqlite_max_page_count caps the database file the way a
// full disk does (SQLite answers SQLITE_FULL to a write that needs a new
// page, as it does on ENOSPC) without the rights a tmpfs mount would need.
// The test fills the file to the cap from a connection of its own (a
// `filler` table; a cap is per connection, so the test's own has none), and
// "space returns" when it drops that table, which frees its pages for the
// server's writes: the way an operator freeing disk space looks to SQLite.
// A cap blocks new pages only, so a rewrite within a page the database
// already has may still succeed (a real full disk can also refuse those; the
// locked-database test in faults_e2e_test covers every write failing).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "core/state_machine.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "store/sqlite/sqlite_db.h"
#include "tests/integration/e2e/harness.h"

namespace mediagw::e2e {
namespace {

// "http://127.0.0.1:PORT" or "127.0.0.1:PORT" -> PORT, or 0.
int PortOf(absl::string_view address) {
  absl::ConsumePrefix(&address, "http://");
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == absl::string_view::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    return 0;
  }
  return port;
}

// A blocking TCP connection to 127.0.0.1:port; closed on destruction.
class RawConn {
 public:
  explicit RawConn(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~RawConn() {
    if (fd_ >= 0) close(fd_);
  }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool Send(absl::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Up to `want` bytes (fewer at EOF or when `timeout` passes).
  std::string Read(size_t want, absl::Duration timeout) {
    std::string out;
    const absl::Time end = absl::Now() + timeout;
    while (out.size() < want) {
      const int64_t left = absl::ToInt64Milliseconds(end - absl::Now());
      if (left <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left)) <= 0) break;
      char buf[4096];
      const ssize_t n =
          recv(fd_, buf, std::min(sizeof(buf), want - out.size()), 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  // Everything until the peer closes (or `timeout` passes).
  std::string ReadToEnd(absl::Duration timeout) {
    return Read(size_t{1} << 20, timeout);
  }

 private:
  int fd_ = -1;
};

class DrainE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override {
    if (!HasFailure()) std::system(("rm -rf " + dir_).c_str());
  }
  std::string dir_;
};

// An HTTP request in flight (its body still coming when the signal
// arrives), a readiness probe in flight and an open StreamTask all get
// their answers; new connections are refused; the process exits 0 within
// the grace period plus a margin for the dispatcher and store to stop.
TEST_F(DrainE2eTest, InFlightRequestsAndStreamsFinishAndNewWorkIsRefused) {
  Simulator sim(dir_, /*step_ms=*/1000);  // 30 steps: far past the drain
  ServerOptions o;
  o.shutdown_grace_ms = 8000;
  Server server(dir_, sim.url(), o);
  server.Start();
  const std::string watched =
      SubmitLegacy(server, R"({"prompt": "watched while draining", "steps": 30})");
  ASSERT_FALSE(watched.empty());
  const int http_port = PortOf(server.rest());
  ASSERT_GT(http_port, 0);

  auto stub = server.Stub();
  grpc::ClientContext stream_ctx;
  stream_ctx.AddMetadata("x-api-key", Server::kKey);
  v1::StreamTaskRequest stream_req;
  stream_req.set_id(watched);
  auto reader = stub->StreamTask(&stream_ctx, stream_req);
  v1::TaskEvent ev;
  ASSERT_TRUE(reader->Read(&ev));  // the snapshot: the stream is open
  ASSERT_EQ(ev.task().id(), watched);

  // A submit whose body is half sent, and a readiness probe whose headers
  // are not finished, when the signal arrives.
  const std::string body = R"({"prompt": "sent across the signal"})";
  RawConn submit(http_port);
  ASSERT_TRUE(submit.connected());
  ASSERT_TRUE(submit.Send(absl::StrCat(
      "POST /v1/index.php?endpoint=image_generation HTTP/1.1\r\n"
      "Host: mediagw\r\nx-api-key: ",
      Server::kKey,
      "\r\nContent-Type: application/json\r\nContent-Length: ", body.size(),
      "\r\n\r\n", body.substr(0, 10))));
  RawConn probe(http_port);
  ASSERT_TRUE(probe.connected());
  ASSERT_TRUE(probe.Send("GET /readyz HTTP/1.1\r\nHost: mediagw\r\n"));
  RawConn idle(http_port);  // connected, nothing sent: nothing in flight
  ASSERT_TRUE(idle.connected());
  absl::SleepFor(absl::Milliseconds(200));  // the server has read the halves

  server.Signal(SIGTERM);

  // The open stream ends with the task as it is now, then OK, although
  // the task runs on (a watcher resumes on another instance).
  v1::Task last = ev.task();
  while (reader->Read(&ev)) last = ev.task();
  const grpc::Status stream_status = reader->Finish();
  EXPECT_TRUE(stream_status.ok()) << stream_status.error_message();
  EXPECT_EQ(last.id(), watched);
  EXPECT_FALSE(IsTerminal(last.state())) << last.state();

  // Nothing new is accepted: connections are refused, new gRPC calls fail.
  EXPECT_TRUE(WaitFor([&] { return !RawConn(http_port).connected(); },
                      absl::Seconds(5)));
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(2));
    v1::GetTaskRequest req;
    req.set_id(watched);
    v1::Task t;
    EXPECT_FALSE(server.Stub()->GetTask(&ctx, req, &t).ok());
  }
  // The idle connection was closed without an answer.
  EXPECT_EQ(idle.ReadToEnd(absl::Seconds(5)), "");

  // The requests in flight are answered, and their connections close.
  ASSERT_TRUE(probe.Send("\r\n"));
  const std::string probed = probe.ReadToEnd(absl::Seconds(5));
  EXPECT_TRUE(absl::StartsWith(probed, "HTTP/1.1 503")) << probed;
  EXPECT_TRUE(absl::StrContains(probed, "shutting down")) << probed;
  ASSERT_TRUE(submit.Send(body.substr(10)));
  const std::string answered = submit.ReadToEnd(absl::Seconds(5));
  EXPECT_TRUE(absl::StartsWith(answered, "HTTP/1.1 200")) << answered;
  EXPECT_TRUE(absl::StrContains(answered, "Connection: close")) << answered;
  EXPECT_TRUE(absl::StrContains(answered, R"("success":true)")) << answered;

  EXPECT_EQ(server.Wait(absl::Milliseconds(8000) + absl::Seconds(10)), 0);
}

// A minimal HTTP/2 client (prior knowledge, no TLS, no HPACK table, no
// Huffman): enough to open one gRPC call while granting the server no flow
// control window, so that it cannot send a byte of any message.
class StalledGrpcStream {
 public:
  StalledGrpcStream(int port, const std::string& path,
                    const std::string& message)
      : conn_(port) {
    if (!conn_.connected()) return;
    std::string settings;
    AppendSetting(&settings, 0x4, 0);  // SETTINGS_INITIAL_WINDOW_SIZE = 0
    std::string headers;
    for (const auto& [name, value] :
         std::vector<std::pair<std::string, std::string>>{
             {":method", "POST"},
             {":scheme", "http"},
             {":path", path},
             {":authority", absl::StrCat("127.0.0.1:", port)},
             {"content-type", "application/grpc"},
             {"te", "trailers"},
             {"x-api-key", Server::kKey}}) {
      // Literal header field without indexing, new name (RFC 7541 6.2.2).
      headers.push_back('\0');
      headers.push_back(static_cast<char>(name.size()));
      headers += name;
      headers.push_back(static_cast<char>(value.size()));
      headers += value;
    }
    std::string data(1, '\0');  // not compressed
    AppendU32(&data, static_cast<uint32_t>(message.size()));
    data += message;
    sent_ = conn_.Send(absl::StrCat("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                                    Frame(0x4, 0, 0, settings),
                                    Frame(0x1, 0x4, 1, headers),  // END_HEADERS
                                    Frame(0x0, 0x1, 1, data)));   // END_STREAM
  }

  // Reads frames, acknowledging the server's SETTINGS and PINGs, until the
  // response HEADERS of the call arrive without END_STREAM: the call is
  // open and its first message is held by flow control.
  bool WaitOpen(absl::Duration timeout) {
    const absl::Time end = absl::Now() + timeout;
    while (sent_ && absl::Now() < end) {
      const std::string head = conn_.Read(9, end - absl::Now());
      if (head.size() < 9) return false;
      const uint32_t length = (uint8_t(head[0]) << 16) |
                              (uint8_t(head[1]) << 8) | uint8_t(head[2]);
      const uint8_t type = uint8_t(head[3]);
      const uint8_t flags = uint8_t(head[4]);
      const uint32_t stream = ((uint8_t(head[5]) & 0x7f) << 24) |
                              (uint8_t(head[6]) << 16) |
                              (uint8_t(head[7]) << 8) | uint8_t(head[8]);
      const std::string payload = conn_.Read(length, end - absl::Now());
      if (payload.size() < length) return false;
      if (type == 0x4 && (flags & 0x1) == 0) {
        conn_.Send(Frame(0x4, 0x1, 0, ""));  // SETTINGS ACK
      } else if (type == 0x6 && (flags & 0x1) == 0) {
        conn_.Send(Frame(0x6, 0x1, 0, payload));  // PING ACK
      } else if (type == 0x1 && stream == 1) {
        return (flags & 0x1) == 0;  // END_STREAM would be an error answer
      } else if (type == 0x3 || type == 0x7) {
        return false;  // RST_STREAM, GOAWAY
      }
    }
    return false;
  }

 private:
  static void AppendU32(std::string* out, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      out->push_back(static_cast<char>((v >> shift) & 0xff));
    }
  }
  static void AppendSetting(std::string* out, uint16_t id, uint32_t value) {
    out->push_back(static_cast<char>(id >> 8));
    out->push_back(static_cast<char>(id & 0xff));
    AppendU32(out, value);
  }
  static std::string Frame(uint8_t type, uint8_t flags, uint32_t stream,
                           const std::string& payload) {
    std::string f;
    const uint32_t n = static_cast<uint32_t>(payload.size());
    f.push_back(static_cast<char>((n >> 16) & 0xff));
    f.push_back(static_cast<char>((n >> 8) & 0xff));
    f.push_back(static_cast<char>(n & 0xff));
    f.push_back(static_cast<char>(type));
    f.push_back(static_cast<char>(flags));
    AppendU32(&f, stream);
    return f + payload;
  }

  RawConn conn_;
  bool sent_ = false;
};

// A stream that cannot take its final event is still open when the grace
// ends: it is cut then, and the process still exits 0.
TEST_F(DrainE2eTest, AStreamStillOpenAfterTheGraceIsCut) {
  Simulator sim(dir_, /*step_ms=*/200);
  ServerOptions o;
  o.shutdown_grace_ms = 5000;
  Server server(dir_, sim.url(), o);
  server.Start();
  const std::string id =
      SubmitLegacy(server, R"({"prompt": "never read", "steps": 30})");
  ASSERT_FALSE(id.empty());
  v1::StreamTaskRequest req;
  req.set_id(id);
  StalledGrpcStream stalled(PortOf(server.grpc_addr()),
                            "/mediagw.v1.MediaService/StreamTask",
                            req.SerializeAsString());
  ASSERT_TRUE(stalled.WaitOpen(absl::Seconds(10)));

  server.Signal(SIGTERM);
  // Held by the stream for the grace period: still there well into it...
  EXPECT_EQ(server.Wait(absl::Milliseconds(3000)), -1000);
  // ...and gone once it is over, cleanly.
  EXPECT_EQ(server.Wait(absl::Seconds(2) + absl::Seconds(10)), 0);
}

// While the database is full, submits on both surfaces get 503 /
// UNAVAILABLE saying so, the service is not ready but alive, and once space
// returns new submits succeed and the tasks that were in flight finish.
TEST_F(DrainE2eTest, AFullDatabaseRefusesSubmitsUntilSpaceReturns) {
  Simulator sim(dir_, /*step_ms=*/40);
  ServerOptions o;
  o.poll_interval_ms = 50;
  o.sqlite_max_page_count = 200;  // 800 KiB; the schema takes a few pages
  Server server(dir_, sim.url(), o);
  server.Start();
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(SubmitLegacy(
        server, absl::StrCat(R"({"prompt": "in flight )", i,
                             R"(", "steps": 30, "width": 64, "height": 64})")));
    ASSERT_FALSE(ids.back().empty());
  }

  auto db = store::SqliteDb::Open(dir_ + "/data/mediagw.db",
                                  /*read_only=*/false);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->Exec("PRAGMA busy_timeout = 10000").ok());
  ASSERT_TRUE((*db)->Exec("CREATE TABLE filler(b BLOB)").ok());
  for (int i = 0; i < 400; ++i) {
    auto pages = (*db)->QueryText("PRAGMA page_count");
    ASSERT_TRUE(pages.ok()) << pages.status();
    if (std::stoll(*pages) >= 200) break;
    ASSERT_TRUE((*db)->Exec("INSERT INTO filler VALUES(zeroblob(4000))").ok());
  }

  // Submits fill what room the last pages had, then are refused.
  HttpResult refused;
  for (int i = 0; i < 300 && refused.status != 503; ++i) {
    const std::string id = SubmitLegacy(
        server,
        absl::StrCat(R"({"prompt": "filling )", i,
                     R"(", "steps": 5, "width": 64, "height": 64})"),
        "image_generation", &refused);
    if (!id.empty()) {
      ids.push_back(id);  // stored: it runs like the others
      continue;
    }
    ASSERT_EQ(refused.status, 503) << refused.body;
  }
  ASSERT_EQ(refused.status, 503) << "the database never filled up";
  EXPECT_TRUE(absl::StrContains(refused.body, "the task store is full"))
      << refused.body;
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-api-key", Server::kKey);
    v1::SubmitImageRequest req;
    req.set_prompt("over gRPC while full");
    v1::Task t;
    const grpc::Status st = server.Stub()->SubmitImage(&ctx, req, &t);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE)
        << st.error_message();
    EXPECT_TRUE(absl::StrContains(st.error_message(), "the task store is full"))
        << st.error_message();
  }

  auto channel = grpc::CreateChannel(server.grpc_addr(),
                                     grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  auto status_of = [&](const std::string& service) {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    grpc::health::v1::HealthCheckResponse resp;
    EXPECT_TRUE(health->Check(&ctx, req, &resp).ok());
    return resp.status();
  };
  const auto kServing = grpc::health::v1::HealthCheckResponse::SERVING;
  EXPECT_TRUE(WaitFor(
      [&] { return Http("GET", server.rest() + "/readyz").status == 503; },
      absl::Seconds(5)));
  EXPECT_TRUE(WaitFor(
      [&] { return status_of("mediagw.v1.MediaService") != kServing; },
      absl::Seconds(5)));
  EXPECT_EQ(status_of(""), kServing);
  EXPECT_EQ(Http("GET", server.rest() + "/healthz").status, 200);

  ASSERT_TRUE((*db)->Exec("DROP TABLE filler").ok());  // space returns
  EXPECT_TRUE(WaitFor(
      [&] { return Http("GET", server.rest() + "/readyz").status == 200; },
      absl::Seconds(10)));
  EXPECT_TRUE(WaitFor(
      [&] { return status_of("mediagw.v1.MediaService") == kServing; },
      absl::Seconds(5)));
  const std::string after = SubmitLegacy(
      server, R"({"prompt": "after space returned", "width": 64, "height": 64})");
  ASSERT_FALSE(after.empty());
  ids.push_back(after);
  for (const std::string& id : ids) {
    const v1::Task t = WaitTerminal(server, id, absl::Seconds(60));
    EXPECT_EQ(t.state(), v1::TASK_STATE_SUCCEEDED)
        << id << ": " << t.error().message();
  }
}

}  // namespace
}  // namespace mediagw::e2e
