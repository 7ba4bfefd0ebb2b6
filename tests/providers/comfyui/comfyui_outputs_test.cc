// SelectOutputs: previews dropped when real outputs exist, videos first.
#include "providers/comfyui/comfyui_outputs.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw::comfyui {
namespace {

OutputFile File(std::string name, std::string type = "output",
                std::string format = "") {
  OutputFile f;
  f.node = "9";
  f.filename = std::move(name);
  f.type = std::move(type);
  f.format = std::move(format);
  return f;
}

std::vector<std::string> Names(const std::vector<OutputFile>& files) {
  std::vector<std::string> out;
  for (const OutputFile& f : files) out.push_back(f.filename);
  return out;
}

TEST(SelectOutputsTest, PreviewsAreDroppedWhenTheRunSavedFiles) {
  EXPECT_THAT(Names(SelectOutputs({File("p_0.png", "temp"), File("a.png"),
                                   File("in.png", "input"), File("b.png")})),
              ::testing::ElementsAre("a.png", "b.png"));
}

TEST(SelectOutputsTest, PreviewsAreKeptWhenTheyAreAllThereIs) {
  EXPECT_THAT(
      Names(SelectOutputs({File("p_0.png", "temp"), File("p_1.png", "temp")})),
      ::testing::ElementsAre("p_0.png", "p_1.png"));
}

TEST(SelectOutputsTest, VideosComeFirstInTheirOrder) {
  EXPECT_THAT(
      Names(SelectOutputs({File("frame.png"), File("clip.webm"),
                           File("still.jpg"),
                           File("v_00001", "output", "video/h264-mp4")})),
      ::testing::ElementsAre("clip.webm", "v_00001", "frame.png", "still.jpg"));
}

TEST(SelectOutputsTest, ImagesOnlyKeepTheirOrder) {
  EXPECT_THAT(Names(SelectOutputs({File("b.png"), File("a.gif")})),
              ::testing::ElementsAre("b.png", "a.gif"));
  EXPECT_TRUE(SelectOutputs({}).empty());
}

}  // namespace
}  // namespace mediagw::comfyui
