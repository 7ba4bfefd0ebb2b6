#include "tools/sim/png_render.h"

#include <gtest/gtest.h>

#include "tests/tools/sim/png_test_util.h"

namespace mediagw::sim {
namespace {

using testing::DecodePng;

TEST(PngRenderTest, DecodesToRequestedSize) {
  for (auto [w, h] : {std::pair{64, 48}, std::pair{1, 1}, std::pair{513, 7}}) {
    absl::StatusOr<std::string> png = RenderPng(w, h, 42, "a cat");
    ASSERT_TRUE(png.ok()) << png.status();
    auto decoded = DecodePng(*png);
    ASSERT_TRUE(decoded.ok);
    EXPECT_EQ(decoded.width, w);
    EXPECT_EQ(decoded.height, h);
  }
}

TEST(PngRenderTest, SameInputsGiveIdenticalBytes) {
  auto a = RenderPng(128, 96, 7, "a red fox");
  auto b = RenderPng(128, 96, 7, "a red fox");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST(PngRenderTest, DifferentSeedPromptOrIndexDiffer) {
  auto base = RenderPng(128, 96, 7, "a red fox");
  auto seed = RenderPng(128, 96, 8, "a red fox");
  auto prompt = RenderPng(128, 96, 7, "a blue fox");
  auto index = RenderPng(128, 96, 7, "a red fox", 1);
  ASSERT_TRUE(base.ok() && seed.ok() && prompt.ok() && index.ok());
  EXPECT_NE(DecodePng(*base).rgb, DecodePng(*seed).rgb);
  EXPECT_NE(DecodePng(*base).rgb, DecodePng(*prompt).rgb);
  EXPECT_NE(DecodePng(*base).rgb, DecodePng(*index).rgb);
}

TEST(PngRenderTest, RejectsBadSizes) {
  EXPECT_EQ(RenderPng(0, 10, 1, "x").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RenderPng(10, -1, 1, "x").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RenderPng(kMaxSide + 1, 1, 1, "x").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RenderPng(8192, 8192, 1, "x").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mediagw::sim
