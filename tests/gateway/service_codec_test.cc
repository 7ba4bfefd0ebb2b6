#include "gateway/service_codec.h"

#include "gtest/gtest.h"

namespace mediagw::gateway {
namespace {

TEST(ServiceCodecTest, StatusAndErrorAreQuoted) {
  EXPECT_EQ(EncodeServiceStatus("ok"), R"({"status":"ok"})");
  EXPECT_EQ(EncodeServiceStatus("a\"b"), R"({"status":"a\"b"})");
  EXPECT_EQ(EncodeServiceError("bad\nsig"), R"({"error":"bad\nsig"})");
}

}  // namespace
}  // namespace mediagw::gateway
