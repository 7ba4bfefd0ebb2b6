#include "server/fd_limits.h"

#include <sys/resource.h>

#include "gtest/gtest.h"

namespace mediagw {
namespace {

TEST(FdLimitsTest, SoftLimitIsRaisedToTheHardOne) {
  auto target = PlanFdLimit(1024, 65536, 10000 + kFdReserve);
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(*target, 65536u);
  // Already there: unchanged.
  target = PlanFdLimit(65536, 65536, 2048);
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(*target, 65536u);
}

TEST(FdLimitsTest, CapThatCannotFitIsRefusedWithTheNumbers) {
  auto target = PlanFdLimit(1024, 4096, 10000 + kFdReserve);
  ASSERT_FALSE(target.ok());
  EXPECT_EQ(target.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(target.status().message().find("11024"), absl::string_view::npos)
      << target.status();
  EXPECT_NE(target.status().message().find("4096"), absl::string_view::npos);
  // Exactly at the hard limit still fits.
  EXPECT_TRUE(PlanFdLimit(1024, 11024, 11024).ok());
}

TEST(FdLimitsTest, UnlimitedHardLimitAsksForWhatIsNeeded) {
  const uint64_t inf = static_cast<uint64_t>(RLIM_INFINITY);
  auto target = PlanFdLimit(1024, inf, 11024);
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(*target, 11024u);
  target = PlanFdLimit(20000, inf, 11024);
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(*target, 20000u);
}

TEST(FdLimitsTest, EnsureRaisesThisProcessOrRefuses) {
  struct rlimit before;
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &before), 0);
  if (before.rlim_max == RLIM_INFINITY || before.rlim_max < 2 * kFdReserve) {
    GTEST_SKIP() << "needs a finite hard limit of at least " << 2 * kFdReserve;
  }
  ASSERT_TRUE(EnsureFdLimit(before.rlim_max - kFdReserve).ok());
  struct rlimit after;
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &after), 0);
  EXPECT_EQ(after.rlim_cur, before.rlim_max);
  const absl::Status too_many = EnsureFdLimit(before.rlim_max);
  EXPECT_EQ(too_many.code(), absl::StatusCode::kFailedPrecondition) << too_many;
}

}  // namespace
}  // namespace mediagw
