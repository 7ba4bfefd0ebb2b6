#include "tools/sim/multipart.h"

#include <gtest/gtest.h>

namespace mediagw::sim {
namespace {

const char kBody[] =
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"image\"; filename=\"cat.png\"\r\n"
    "Content-Type: image/png\r\n"
    "\r\n"
    "\x89PNG\r\n--not-a-boundary\r\n"
    "\r\n--XyZ\r\n"
    "Content-Disposition: form-data; name=\"overwrite\"\r\n"
    "\r\n"
    "true\r\n--XyZ--\r\n";

TEST(MultipartTest, ParsesFileAndFieldParts) {
  auto boundary =
      MultipartBoundary("multipart/form-data; boundary=\"XyZ\"");
  ASSERT_TRUE(boundary.ok());
  EXPECT_EQ(*boundary, "XyZ");
  auto parts = ParseMultipart(kBody, *boundary);
  ASSERT_TRUE(parts.ok()) << parts.status();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "image");
  EXPECT_EQ((*parts)[0].filename, "cat.png");
  EXPECT_EQ((*parts)[0].content_type, "image/png");
  EXPECT_EQ((*parts)[0].body, "\x89PNG\r\n--not-a-boundary\r\n");
  EXPECT_EQ((*parts)[1].name, "overwrite");
  EXPECT_FALSE((*parts)[1].filename.has_value());
  EXPECT_EQ((*parts)[1].body, "true");
}

TEST(MultipartTest, RejectsBadContentTypes) {
  EXPECT_FALSE(MultipartBoundary("application/json").ok());
  EXPECT_FALSE(MultipartBoundary("multipart/form-data").ok());
  EXPECT_FALSE(MultipartBoundary("multipart/form-data; boundary=").ok());
  EXPECT_FALSE(
      MultipartBoundary("multipart/form-data; boundary=" + std::string(71, 'a'))
          .ok());
}

TEST(MultipartTest, RejectsMalformedBodies) {
  for (const std::string& body : {
           std::string(""),
           std::string("garbage"),
           std::string("--XyZ\r\nContent-Disposition: form-data; "
                       "name=\"a\"\r\n\r\nvalue"),  // no closing delimiter
           std::string("--XyZ\r\nno-colon-header\r\n\r\nv\r\n--XyZ--"),
           std::string("--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n--XyZ--"),
           std::string("--XyZ\r\nContent-Disposition: attachment; "
                       "name=\"a\"\r\n\r\nv\r\n--XyZ--"),
           std::string("--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n"
                       "--XyZ--"),
           std::string("--XyZ\r\nContent-Disposition: form-data; "
                       "name=\"a\"\r\n--XyZ--"),
           std::string("--XyZjunk"),
           std::string("x--XyZ\r\nContent-Disposition: form-data; "
                       "name=\"a\"\r\n\r\nv\r\n--XyZ--"),
       }) {
    EXPECT_FALSE(ParseMultipart(body, "XyZ").ok()) << body;
  }
}

TEST(MultipartTest, LimitsPartCount) {
  std::string body;
  for (int i = 0; i < 5; ++i) {
    body += "--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx\r\n";
  }
  body += "--b--\r\n";
  EXPECT_TRUE(ParseMultipart(body, "b", 5).ok());
  EXPECT_FALSE(ParseMultipart(body, "b", 4).ok());
}

}  // namespace
}  // namespace mediagw::sim
