// Gateway::CheckHead: submits without a valid key are refused from their
// headers alone, with the envelope the legacy handler would send.
#include <optional>

#include "common/crypto.h"
#include "core/auth.h"
#include "gateway/gateway.h"
#include "gateway/legacy_codec.h"
#include "gtest/gtest.h"

namespace mediagw::gateway {
namespace {

constexpr char kKey[] = "sk-good";

net::ServerRequest Head(const std::string& method, const std::string& query,
                        HttpHeaders headers = {}) {
  net::ServerRequest req;
  req.method = method;
  req.path = "/v1/index.php";
  req.query = query;
  req.target = req.path + "?" + query;
  req.headers = std::move(headers);
  return req;
}

class GatewayCheckHeadTest : public ::testing::Test {
 protected:
  Authenticator auth_{{{"backend", Sha256Hex(kKey)}}};
  UploadsHandler uploads_{nullptr, nullptr};  // never reached
  Gateway gateway_{Gateway::Deps{nullptr, &auth_, &uploads_, nullptr}};
};

TEST_F(GatewayCheckHeadTest, SubmitsWithoutAGoodKeyAreRefused) {
  for (const char* endpoint : {"image_generation", "video_generation"}) {
    SCOPED_TRACE(endpoint);
    const std::string query = std::string("endpoint=") + endpoint;
    auto missing = gateway_.CheckHead(Head("POST", query));
    ASSERT_TRUE(missing.has_value());
    EXPECT_EQ(missing->status, 401);
    EXPECT_EQ(missing->body, EncodeError("Missing API key"));

    auto wrong =
        gateway_.CheckHead(Head("POST", query, {{"x-api-key", "sk-bad"}}));
    ASSERT_TRUE(wrong.has_value());
    EXPECT_EQ(wrong->status, 401);
    EXPECT_EQ(wrong->body, EncodeError("Invalid API key"));

    EXPECT_FALSE(gateway_.CheckHead(Head("POST", query, {{"x-api-key", kKey}}))
                     .has_value());
    EXPECT_FALSE(gateway_
                     .CheckHead(Head("POST", query,
                                     {{"authorization", "Bearer sk-good"}}))
                     .has_value());
  }
}

TEST_F(GatewayCheckHeadTest, EverythingElseIsLeftToTheHandler) {
  // Status reads, unknown endpoints and other methods keep the handler's own
  // answers (400, 404, 405) and order of checks.
  EXPECT_FALSE(gateway_.CheckHead(Head("GET", "endpoint=task_status&task_id=x"))
                   .has_value());
  EXPECT_FALSE(gateway_.CheckHead(Head("POST", "endpoint=nope")).has_value());
  EXPECT_FALSE(gateway_.CheckHead(Head("POST", "")).has_value());
  EXPECT_FALSE(
      gateway_.CheckHead(Head("GET", "endpoint=image_generation")).has_value());
  net::ServerRequest callback;
  callback.method = "POST";
  callback.path = "/v1/callbacks/abc";
  EXPECT_FALSE(gateway_.CheckHead(callback).has_value());
}

}  // namespace
}  // namespace mediagw::gateway
