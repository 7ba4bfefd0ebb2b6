#include "common/access_log.h"

#include <cstdio>
#include <string>

#include "common/json.h"
#include "common/logging.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw {
namespace {

using ::testing::MatchesRegex;

TEST(RequestIdTest, SaneIdsAreKept) {
  EXPECT_EQ(RequestIdFrom("req-123_abc.XYZ:9"), "req-123_abc.XYZ:9");
  EXPECT_EQ(RequestIdFrom(std::string(128, 'a')), std::string(128, 'a'));
}

TEST(RequestIdTest, OthersAreReplacedByARandomOne) {
  for (const std::string& bad :
       {std::string(), std::string(129, 'a'), std::string("has space"),
        std::string("new\nline"), std::string("caf\xc3\xa9"),
        std::string("nul\0x", 5), std::string("tab\t")}) {
    EXPECT_FALSE(IsSaneRequestId(bad)) << bad;
    std::string id = RequestIdFrom(bad);
    EXPECT_THAT(id, MatchesRegex("[0-9a-f]{32}")) << bad;
  }
  EXPECT_NE(NewRequestId(), NewRequestId());
}

TEST(AccessLogTest, WritesOneJsonLineWithTheEntry) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  SetLogOutput(out);
  SetLogFormat(LogFormat::kJson);
  AccessLogEntry e;
  e.start = absl::FromUnixMillis(1714564800000);
  e.request_id = "r-1";
  e.surface = "grpc";
  e.route = "/mediagw.v1.MediaService/SubmitImage";
  e.key_name = "demo";
  e.status = 5;
  e.duration = absl::Milliseconds(1500);
  e.bytes_in = 10;
  e.bytes_out = 20;
  LogAccess(e);
  SetLogOutput(nullptr);
  SetLogFormat(LogFormat::kText);
  std::rewind(out);
  char buf[4096] = {0};
  size_t n = std::fread(buf, 1, sizeof(buf) - 1, out);
  std::fclose(out);
  std::string line(buf, n);
  ASSERT_EQ(line.find('\n'), line.size() - 1) << line;
  auto doc = json::ParseObject(line);
  ASSERT_TRUE(doc.ok()) << line;
  EXPECT_EQ(*json::GetString(*doc, "msg"), "access");
  EXPECT_EQ(*json::GetString(*doc, "request_id"), "r-1");
  EXPECT_EQ(*json::GetString(*doc, "surface"), "grpc");
  EXPECT_EQ(*json::GetString(*doc, "method"),
            "/mediagw.v1.MediaService/SubmitImage");
  EXPECT_EQ(*json::GetString(*doc, "key_name"), "demo");
  EXPECT_EQ(*json::GetInt(*doc, "status"), 5);
  EXPECT_EQ(*json::GetString(*doc, "code"), "NOT_FOUND");
  EXPECT_DOUBLE_EQ(*json::GetDouble(*doc, "duration_seconds"), 1.5);
  EXPECT_EQ(*json::GetInt(*doc, "bytes_in"), 10);
  EXPECT_EQ(*json::GetInt(*doc, "bytes_out"), 20);
  EXPECT_EQ(*json::GetString(*doc, "start"), "2024-05-01T12:00:00.000Z");
}

}  // namespace
}  // namespace mediagw
