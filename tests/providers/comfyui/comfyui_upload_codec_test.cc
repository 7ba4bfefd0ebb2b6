#include "providers/comfyui/comfyui_upload_codec.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_mapping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw::comfyui {
namespace {

using ::testing::HasSubstr;

TEST(UploadFilenameTest, StablePerTaskWithExtensionFromTheType) {
  EXPECT_EQ(UploadFilename("t-1", "image/png", ""), "mediagw_t-1.png");
  EXPECT_EQ(UploadFilename("t-1", "image/png", ""),
            UploadFilename("t-1", "image/png", "t-1_input.png"));
  EXPECT_EQ(UploadFilename("t-1", "IMAGE/JPEG", ""), "mediagw_t-1.jpg");
  EXPECT_EQ(UploadFilename("t-1", "image/webp", ""), "mediagw_t-1.webp");
  EXPECT_EQ(UploadFilename("t-1", "image/gif", ""), "mediagw_t-1.gif");
  // No usable type: the stored name's extension, else png.
  EXPECT_EQ(UploadFilename("t-1", "", "t-1_input.JPG"), "mediagw_t-1.jpg");
  EXPECT_EQ(UploadFilename("t-1", "application/x", "noext"), "mediagw_t-1.png");
  EXPECT_EQ(UploadFilename("t-1", "", "a.p\"ng"), "mediagw_t-1.png");
  EXPECT_EQ(UploadFilename("t-1", "", "a.toolongext"), "mediagw_t-1.png");
}

TEST(UploadFilenameTest, HostileTaskIdsCannotEscape) {
  const std::string name = UploadFilename("../x\"/\r\ny", "image/png", "");
  EXPECT_EQ(name, "mediagw____x____y.png");
  for (char c : std::string("/\\\"\r\n")) {
    EXPECT_EQ(name.find(c), std::string::npos);
  }
}

TEST(UploadBodyTest, MultipartWithImageOverwriteSubfolderAndType) {
  ImageUpload up{"mediagw_t.png", "mediagw", "image/png", true};
  const std::string body = BuildUploadBody(up, "\x89PNG\r\nbytes", "BND");
  EXPECT_EQ(body,
            "--BND\r\nContent-Disposition: form-data; name=\"image\"; "
            "filename=\"mediagw_t.png\"\r\nContent-Type: image/png\r\n\r\n"
            "\x89PNG\r\nbytes\r\n"
            "--BND\r\nContent-Disposition: form-data; name=\"overwrite\"\r\n"
            "\r\ntrue\r\n"
            "--BND\r\nContent-Disposition: form-data; name=\"subfolder\"\r\n"
            "\r\nmediagw\r\n"
            "--BND\r\nContent-Disposition: form-data; name=\"type\"\r\n"
            "\r\ninput\r\n"
            "--BND--\r\n");
  EXPECT_EQ(UploadContentType("BND"), "multipart/form-data; boundary=BND");
  up.overwrite = false;
  up.mime_type.clear();
  const std::string other = BuildUploadBody(up, "x", "BND");
  EXPECT_THAT(other, HasSubstr("Content-Type: application/octet-stream"));
  EXPECT_THAT(other, HasSubstr("name=\"overwrite\"\r\n\r\nfalse\r\n"));
}

TEST(UploadBodyTest, BoundaryMustNotOccurInTheContent) {
  EXPECT_TRUE(BoundaryFits("abc", "mediagw-1"));
  EXPECT_FALSE(BoundaryFits("xx--mediagw-1yy", "mediagw-1"));
  EXPECT_FALSE(BoundaryFits("abc", ""));
  EXPECT_FALSE(BoundaryFits("abc", std::string(71, 'b')));
  EXPECT_TRUE(BoundaryFits("abc", std::string(70, 'b')));
}

TEST(UploadResponseTest, NameSubfolderAndType) {
  auto up = ParseUploadResponse(
      200,
      R"({"name": "mediagw_t.png", "subfolder": "mediagw", "type": "input"})");
  ASSERT_TRUE(up.ok()) << up.status();
  EXPECT_EQ(up->name, "mediagw_t.png");
  EXPECT_EQ(up->subfolder, "mediagw");
  EXPECT_EQ(up->type, "input");
  EXPECT_EQ(LoadImageValue(*up), "mediagw/mediagw_t.png");

  auto bare = ParseUploadResponse(200, R"({"name": "in (1).png"})");
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_EQ(bare->subfolder, "");
  EXPECT_EQ(bare->type, "input");
  EXPECT_EQ(LoadImageValue(*bare), "in (1).png");

  EXPECT_EQ(LoadImageValue({"a.png", "", "temp"}), "a.png [temp]");
  EXPECT_EQ(LoadImageValue({"a.png", "s", "output"}), "s/a.png [output]");
}

TEST(UploadResponseTest, MalformedRepliesAreRetryableErrors) {
  const char* cases[] = {
      "",
      "not json",
      "[]",
      "{\"name\": ",
      R"({})",
      R"({"name": 5})",
      R"({"name": ""})",
      R"({"name": "a.png", "subfolder": 1})",
      R"({"name": "a.png", "type": ["input"]})",
      "\xef\xbb\xbf{\"name\": \"a.png\"}",
  };
  for (const char* body : cases) {
    auto up = ParseUploadResponse(200, body);
    ASSERT_FALSE(up.ok()) << body;
    EXPECT_EQ(up.status().code(), absl::StatusCode::kUnavailable) << body;
    EXPECT_THAT(std::string(up.status().message()),
                HasSubstr("malformed upstream response"))
        << body;
  }
}

TEST(UploadResponseTest, HttpErrorsAreMapped) {
  auto server = ParseUploadResponse(500, "boom");
  EXPECT_EQ(server.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(IsRetryable(server.status()));
  auto refused = ParseUploadResponse(400, "400: Bad Request");
  ASSERT_FALSE(refused.ok());
  EXPECT_FALSE(IsRetryable(refused.status())) << refused.status();
  auto auth = ParseUploadResponse(403, "");
  EXPECT_EQ(auth.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace mediagw::comfyui
