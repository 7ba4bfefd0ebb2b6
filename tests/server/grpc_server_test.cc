// StartGrpcServer applies the GrpcLimits: observed from a real client over
// loopback against the built-in health service.
#include "server/grpc_server.h"

#include <chrono>
#include <memory>
#include <string>

#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"

namespace mediagw {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// The documented defaults (common/config fills them in the same way).
config::GrpcLimits Defaults() {
  config::GrpcLimits g;
  g.set_max_concurrent_streams(100);
  g.set_max_receive_message_bytes(16 << 20);
  g.set_memory_quota_bytes(uint64_t{1} << 30);
  g.set_max_threads(64);
  g.set_keepalive_time_ms(2 * 3600 * 1000);
  g.set_keepalive_timeout_ms(20000);
  g.set_min_ping_interval_ms(300000);
  g.set_max_ping_strikes(2);
  g.set_max_connection_idle_ms(30 * 60 * 1000);
  g.set_max_connection_age_grace_ms(30000);
  return g;
}

std::chrono::system_clock::time_point In(int ms) {
  return std::chrono::system_clock::now() + std::chrono::milliseconds(ms);
}

class GrpcServerTest : public ::testing::Test {
 protected:
  void Start(const config::GrpcLimits& limits) {
    auto running = StartGrpcServer("127.0.0.1:0", {}, limits);
    ASSERT_TRUE(running.ok()) << running.status();
    server_ = std::move(*running);
  }
  void TearDown() override {
    if (server_.server) server_.server->Shutdown(In(1000));
  }
  std::shared_ptr<grpc::Channel> Channel(
      const grpc::ChannelArguments& args = {}) {
    return grpc::CreateCustomChannel(
        "127.0.0.1:" + std::to_string(server_.port),
        grpc::InsecureChannelCredentials(), args);
  }
  grpc::Status Check(Health::Stub* stub, const std::string& service,
                     int deadline_ms = 5000) {
    grpc::ClientContext ctx;
    ctx.set_deadline(In(deadline_ms));
    HealthCheckRequest req;
    req.set_service(service);
    HealthCheckResponse resp;
    return stub->Check(&ctx, req, &resp);
  }

  RunningGrpcServer server_;
};

TEST_F(GrpcServerTest, MessagesOverTheReceiveLimitAreResourceExhausted) {
  auto limits = Defaults();
  limits.set_max_receive_message_bytes(1024);
  Start(limits);
  auto stub = Health::NewStub(Channel());
  EXPECT_TRUE(Check(stub.get(), "").ok());
  EXPECT_EQ(Check(stub.get(), std::string(200, 'a')).error_code(),
            grpc::StatusCode::NOT_FOUND);  // under the limit: answered
  EXPECT_EQ(Check(stub.get(), std::string(2048, 'a')).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// Opens Health/Watch on `stub` and reads its first message; the stream then
// stays open (the status never changes) until `ctx` ends it.
std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> OpenWatch(
    Health::Stub* stub, grpc::ClientContext* ctx) {
  HealthCheckRequest req;
  auto reader = stub->Watch(ctx, req);
  HealthCheckResponse first;
  EXPECT_TRUE(reader->Read(&first));
  EXPECT_EQ(first.status(), HealthCheckResponse::SERVING);
  return reader;
}

TEST_F(GrpcServerTest, CallsBeyondTheStreamCapWaitForAFreeStream) {
  auto limits = Defaults();
  limits.set_max_concurrent_streams(1);
  Start(limits);
  auto stub = Health::NewStub(Channel());
  ASSERT_TRUE(Check(stub.get(), "").ok());  // connected, settings known
  grpc::ClientContext watch_ctx;
  watch_ctx.set_deadline(In(30000));
  auto watch = OpenWatch(stub.get(), &watch_ctx);
  // The one stream is taken: the next call is held until its deadline.
  EXPECT_EQ(Check(stub.get(), "", /*deadline_ms=*/500).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  watch_ctx.TryCancel();
  HealthCheckResponse more;
  while (watch->Read(&more)) {
  }
  EXPECT_EQ(watch->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(Check(stub.get(), "").ok());
}

TEST_F(GrpcServerTest, TwoStreamsFitUnderACapOfTwo) {
  auto limits = Defaults();
  limits.set_max_concurrent_streams(2);
  Start(limits);
  auto stub = Health::NewStub(Channel());
  grpc::ClientContext watch_ctx;
  watch_ctx.set_deadline(In(30000));
  auto watch = OpenWatch(stub.get(), &watch_ctx);
  EXPECT_TRUE(Check(stub.get(), "", /*deadline_ms=*/5000).ok());
  watch_ctx.TryCancel();
  HealthCheckResponse more;
  while (watch->Read(&more)) {
  }
  watch->Finish();
}

// A client that pings every 20 ms while the server sends nothing.
grpc::ChannelArguments PingingClient() {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  return args;
}

// How a held-open Watch ends within `deadline_ms` on a pinging client.
grpc::StatusCode WatchEndUnderPings(Health::Stub* stub, int deadline_ms) {
  grpc::ClientContext ctx;
  ctx.set_deadline(In(deadline_ms));
  auto watch = OpenWatch(stub, &ctx);
  HealthCheckResponse more;
  while (watch->Read(&more)) {
  }
  return watch->Finish().error_code();
}

TEST_F(GrpcServerTest, PingAbuseGetsTheConnectionClosed) {
  auto limits = Defaults();
  limits.set_min_ping_interval_ms(60000);
  limits.set_max_ping_strikes(1);
  Start(limits);
  auto stub = Health::NewStub(Channel(PingingClient()));
  // GOAWAY (too_many_pings) after the second early ping: the open stream
  // is torn down long before its deadline.
  EXPECT_EQ(WatchEndUnderPings(stub.get(), 20000),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(GrpcServerTest, PingsWithinThePolicyKeepTheConnection) {
  auto limits = Defaults();
  limits.set_min_ping_interval_ms(1);
  limits.set_max_ping_strikes(1);
  Start(limits);
  auto stub = Health::NewStub(Channel(PingingClient()));
  EXPECT_EQ(WatchEndUnderPings(stub.get(), 1000),
            grpc::StatusCode::DEADLINE_EXCEEDED);
}

}  // namespace
}  // namespace mediagw
