#include "tools/sim/video_render.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "core/image_info.h"

namespace mediagw::sim {
namespace {

TEST(VideoRenderTest, ReadsBackWithRequestedSizeAndFrameCount) {
  for (auto [w, h, frames] : {std::tuple{64, 48, 16}, std::tuple{32, 32, 1},
                              std::tuple{130, 74, 5}}) {
    absl::StatusOr<std::string> mp4 = RenderMp4(w, h, frames, 42, "a cat");
    ASSERT_TRUE(mp4.ok()) << mp4.status();
    absl::StatusOr<VideoInfo> info = ProbeMp4(*mp4);
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_NE(info->format.find("mp4"), std::string::npos) << info->format;
    EXPECT_TRUE(info->codec == "h264" || info->codec == "mpeg4") << info->codec;
    EXPECT_EQ(info->width, w);
    EXPECT_EQ(info->height, h);
    EXPECT_EQ(info->frames, frames);
    EXPECT_DOUBLE_EQ(info->fps, 8);
  }
}

TEST(VideoRenderTest, SniffsAsMp4) {
  absl::StatusOr<std::string> mp4 = RenderMp4(96, 64, 4, 1, "x");
  ASSERT_TRUE(mp4.ok()) << mp4.status();
  MediaInfo info = SniffMedia(*mp4);
  EXPECT_EQ(info.mime_type, "video/mp4");
  EXPECT_EQ(info.extension, "mp4");
  EXPECT_EQ(info.width, 96);
  EXPECT_EQ(info.height, 64);
  EXPECT_LT(mp4->size(), 64u * 1024) << "a 4-frame clip should stay small";
}

TEST(VideoRenderTest, FrameRateIsHonoured) {
  absl::StatusOr<std::string> mp4 = RenderMp4(32, 32, 6, 1, "x", 24);
  ASSERT_TRUE(mp4.ok()) << mp4.status();
  absl::StatusOr<VideoInfo> info = ProbeMp4(*mp4);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_DOUBLE_EQ(info->fps, 24);
  EXPECT_EQ(info->frames, 6);
}

TEST(VideoRenderTest, SameInputsGiveIdenticalBytes) {
  auto a = RenderMp4(96, 64, 8, 7, "a red fox");
  auto b = RenderMp4(96, 64, 8, 7, "a red fox");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST(VideoRenderTest, DifferentSeedOrPromptDiffer) {
  auto base = RenderMp4(96, 64, 8, 7, "a red fox");
  auto seed = RenderMp4(96, 64, 8, 8, "a red fox");
  auto prompt = RenderMp4(96, 64, 8, 7, "a blue fox");
  ASSERT_TRUE(base.ok() && seed.ok() && prompt.ok());
  EXPECT_NE(*base, *seed);
  EXPECT_NE(*base, *prompt);
}

TEST(VideoRenderTest, RejectsBadArguments) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(RenderMp4(0, 64, 4, 1, "x").status().code(), kInvalid);
  EXPECT_EQ(RenderMp4(63, 64, 4, 1, "x").status().code(), kInvalid);
  EXPECT_EQ(RenderMp4(64, 65, 4, 1, "x").status().code(), kInvalid);
  EXPECT_EQ(RenderMp4(kMaxVideoSide + 2, 64, 4, 1, "x").status().code(),
            kInvalid);
  EXPECT_EQ(RenderMp4(64, 64, 0, 1, "x").status().code(), kInvalid);
  EXPECT_EQ(RenderMp4(64, 64, kMaxVideoFrames + 1, 1, "x").status().code(),
            kInvalid);
  EXPECT_EQ(RenderMp4(64, 64, 4, 1, "x", 0).status().code(), kInvalid);
}

TEST(VideoRenderTest, ProbeRejectsWhatIsNotAVideo) {
  EXPECT_FALSE(ProbeMp4("").ok());
  EXPECT_FALSE(ProbeMp4("not a video at all").ok());
  absl::StatusOr<std::string> mp4 = RenderMp4(32, 32, 4, 1, "x");
  ASSERT_TRUE(mp4.ok());
  // The moov box is at the end: without it nothing can be decoded.
  EXPECT_FALSE(
      ProbeMp4(absl::string_view(*mp4).substr(0, mp4->size() / 2)).ok());
}

}  // namespace
}  // namespace mediagw::sim
