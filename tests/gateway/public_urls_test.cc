#include "gateway/public_urls.h"

#include "gtest/gtest.h"

namespace mediagw::gateway {
namespace {

TEST(GatewayUrlsTest, NamesTheGatewaysOwnRoutes) {
  const GatewayUrls urls("https://media.example.com");
  EXPECT_EQ(urls.Upload("t-1_2.png"),
            "https://media.example.com/uploads/t-1_2.png");
  EXPECT_EQ(urls.Callback("t-1"),
            "https://media.example.com/v1/callbacks/t-1");
}

}  // namespace
}  // namespace mediagw::gateway
