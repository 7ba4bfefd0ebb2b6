// The simulator's sample images (/samples), the stand-in for a public image
// host that video input URLs point at: sizes, formats, refusals and faults.
#include <string>

#include "gtest/gtest.h"
#include "tests/tools/sim/png_test_util.h"
#include "tests/tools/sim/sim_fixture.h"

namespace mediagw::sim::testing {
namespace {

using SampleRoutesTest = SimFixture;

TEST_F(SampleRoutesTest, PngOfTheAskedSize) {
  HttpResult r = Get("/samples/64x48.png");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "image/png");
  DecodedPng png = DecodePng(r.body);
  ASSERT_TRUE(png.ok);
  EXPECT_EQ(png.width, 64);
  EXPECT_EQ(png.height, 48);
  EXPECT_EQ(Get("/samples/64x48.png").body, r.body) << "deterministic";
}

TEST_F(SampleRoutesTest, JpegToo) {
  HttpResult r = Get("/samples/32x16.jpg");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "image/jpeg");
  ASSERT_GE(r.body.size(), 4u);
  EXPECT_EQ(r.body.substr(0, 3), std::string("\xff\xd8\xff"));
}

TEST_F(SampleRoutesTest, BadNamesAndMethodsAreRefused) {
  for (const char* path :
       {"/samples/64x48.gif", "/samples/64x48", "/samples/15x48.png",
        "/samples/64x2049.png", "/samples/+64x48.png", "/samples/64x48x2.png",
        "/samples/x48.png", "/samples/99999x48.png", "/samples/.png",
        "/samples/a/64x48.png"}) {
    HttpResult r = Get(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_NE(r.body.find("\"error\""), std::string::npos) << path;
  }
  EXPECT_EQ(Post("/samples/64x48.png", "").status, 405);
}

TEST_F(SampleRoutesTest, InjectedErrorsUseItsShape) {
  ASSERT_EQ(
      Post("/_sim/faults",
           R"({"mode":"http_status","status":503,"path_prefix":"/samples/"})")
          .status,
      200);
  HttpResult r = Get("/samples/64x48.png");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("\"error\""), std::string::npos) << r.body;
}

}  // namespace
}  // namespace mediagw::sim::testing
