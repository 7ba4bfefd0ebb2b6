#include "core/breaker_board.h"

#include "common/metrics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw {
namespace {

using ::testing::HasSubstr;

BreakerOptions Opts() {
  BreakerOptions o;
  o.failure_threshold = 2;
  o.base_cooldown = absl::Seconds(10);
  o.max_cooldown = absl::Seconds(60);
  return o;
}

const absl::Status kDown = absl::UnavailableError("HTTP 503");

TEST(BreakerBoardTest, ChannelBreakerGatesAndCountsInMetrics) {
  FakeClock clock;
  BreakerBoard board(Opts(), &clock);
  board.AddChannel("bb-a", "http://a.test");
  EXPECT_TRUE(board.AdmitChannel("bb-a"));
  board.RecordChannel("bb-a", kDown);
  board.RecordChannel("bb-a", kDown);
  EXPECT_FALSE(board.WouldAdmitChannel("bb-a"));
  EXPECT_FALSE(board.AdmitChannel("bb-a"));
  EXPECT_EQ(board.State("bb-a", "http://a.test"), BreakerState::kOpen);
  EXPECT_EQ(board.Ejections("bb-a", "http://a.test"), 1);
  const std::string text = GlobalMetrics().RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("mediagw_channel_breaker_state{channel=\"bb-a\","
                              "upstream=\"http://a.test\"} 1"));
  EXPECT_THAT(text, HasSubstr("mediagw_channel_ejections_total{channel="
                              "\"bb-a\",upstream=\"http://a.test\"} 1"));
  clock.Advance(absl::Seconds(10));
  EXPECT_TRUE(board.AdmitChannel("bb-a"));
  EXPECT_FALSE(board.AdmitChannel("bb-a"));
  EXPECT_THAT(GlobalMetrics().RenderPrometheus(),
              HasSubstr("mediagw_channel_breaker_state{channel=\"bb-a\","
                        "upstream=\"http://a.test\"} 2"));
  board.RecordChannel("bb-a", absl::OkStatus());
  EXPECT_TRUE(board.AdmitChannel("bb-a"));
  EXPECT_EQ(board.State("bb-a", "http://a.test"), BreakerState::kClosed);
}

TEST(BreakerBoardTest, ReleasedAdmissionFreesTheProbe) {
  FakeClock clock;
  BreakerBoard board(Opts(), &clock);
  board.AddChannel("bb-r", "r");
  board.RecordChannel("bb-r", kDown);
  board.RecordChannel("bb-r", kDown);
  clock.Advance(absl::Seconds(10));
  ASSERT_TRUE(board.AdmitChannel("bb-r"));
  board.ReleaseChannel("bb-r");
  EXPECT_TRUE(board.AdmitChannel("bb-r"));
}

TEST(BreakerBoardTest, PoolIsAvailableWhileAnyMemberIs) {
  FakeClock clock;
  BreakerBoard board(Opts(), &clock);
  board.AddPoolMember("bb-pool", "http://m1");
  board.AddPoolMember("bb-pool", "http://m2");
  // The dispatcher's outcomes do not touch a pool's members.
  board.RecordChannel("bb-pool", kDown);
  board.RecordChannel("bb-pool", kDown);
  EXPECT_EQ(board.State("bb-pool", "http://m1"), BreakerState::kClosed);
  board.RecordUpstream("bb-pool", "http://m1", kDown);
  board.RecordUpstream("bb-pool", "http://m1", kDown);
  EXPECT_FALSE(board.AdmitUpstream("bb-pool", "http://m1"));
  EXPECT_TRUE(board.AdmitUpstream("bb-pool", "http://m2"));
  EXPECT_TRUE(board.AdmitChannel("bb-pool"));
  board.RecordUpstream("bb-pool", "http://m2", kDown);
  board.RecordUpstream("bb-pool", "http://m2", kDown);
  EXPECT_FALSE(board.WouldAdmitChannel("bb-pool"));
  EXPECT_FALSE(board.AdmitChannel("bb-pool"));
  clock.Advance(absl::Seconds(10));
  EXPECT_TRUE(board.WouldAdmitChannel("bb-pool"));
}

TEST(BreakerBoardTest, UnknownChannelsAndMembersAreAlwaysAdmitted) {
  FakeClock clock;
  BreakerBoard board(Opts(), &clock);
  EXPECT_TRUE(board.AdmitChannel("nope"));
  board.RecordChannel("nope", kDown);
  board.RecordChannel("nope", kDown);
  EXPECT_TRUE(board.AdmitChannel("nope"));
  EXPECT_TRUE(board.AdmitUpstream("nope", "x"));
}

TEST(BreakerBoardTest, LabelValuesAreEscaped) {
  FakeClock clock;
  BreakerBoard board(Opts(), &clock);
  board.AddChannel("bb-\"q\"", "http://x/\\");
  EXPECT_THAT(GlobalMetrics().RenderPrometheus(),
              HasSubstr("{channel=\"bb-\\\"q\\\"\",upstream=\"http://x/\\\\\"}"));
}

}  // namespace
}  // namespace mediagw
