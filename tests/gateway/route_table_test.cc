#include "gateway/route_table.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/gateway/recording_writer.h"

namespace mediagw::gateway {
namespace {

using testing_util::RecordingWriter;

std::string Tagged(absl::string_view tag, absl::string_view message) {
  return std::string(tag) + ":" + std::string(message);
}

Route Named(const std::string& name, const std::string& path, bool prefix) {
  Route r;
  r.name = name;
  r.path = path;
  r.prefix = prefix;
  r.methods = {"GET"};
  r.handler = [name](net::ServerRequest, std::shared_ptr<net::ResponseWriter> w) {
    SendJson(w, 200, name);
  };
  r.errors = [name](absl::string_view m) { return Tagged(name, m); };
  return r;
}

net::ServerResponse Dispatch(const RouteTable& table, const std::string& method,
                             const std::string& path,
                             const std::string& query = "") {
  net::ServerRequest req;
  req.method = method;
  req.path = path;
  req.query = query;
  auto w = std::make_shared<RecordingWriter>();
  table.Dispatch(std::move(req), w);
  return w->response().value_or(net::ServerResponse{});
}

class RouteTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    table_.Add(Named("files", "/files/", true));
    table_.Add(Named("deep", "/files/deep/", true));
    table_.Add(Named("exact", "/files/exact", false));
  }
  RouteTable table_{[](absl::string_view m) { return Tagged("none", m); }};
};

TEST_F(RouteTableTest, ExactBeatsPrefixAndLongerPrefixBeatsShorter) {
  EXPECT_EQ(Dispatch(table_, "GET", "/files/exact").body, "exact");
  EXPECT_EQ(Dispatch(table_, "GET", "/files/deep/x").body, "deep");
  EXPECT_EQ(Dispatch(table_, "GET", "/files/x").body, "files");
  auto none = Dispatch(table_, "GET", "/other");
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(none.body, "none:Not found");
}

TEST_F(RouteTableTest, RefusalsUseTheRoutesEnvelope) {
  auto wrong = Dispatch(table_, "POST", "/files/deep/x");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.body, "deep:Method not allowed");
  auto bad_query = Dispatch(table_, "GET", "/files/x", "name=%C0%AF");
  EXPECT_EQ(bad_query.status, 400);
  EXPECT_EQ(bad_query.body, "files:Query parameter 'name' is not valid UTF-8");
  auto bad_path = Dispatch(table_, "GET", "/files/\xFF");
  EXPECT_EQ(bad_path.status, 400);
  EXPECT_EQ(bad_path.body, "files:Request path is not valid UTF-8");
}

TEST_F(RouteTableTest, HeadChecksRunOnlyForTheirRouteAndMethod) {
  Route guarded = Named("guarded", "/guarded", false);
  guarded.check_head = [](const net::ServerRequest&) {
    net::ServerResponse r;
    r.status = 401;
    return std::optional<net::ServerResponse>(r);
  };
  table_.Add(std::move(guarded));
  net::ServerRequest head;
  head.method = "GET";
  head.path = "/guarded";
  ASSERT_TRUE(table_.CheckHead(head).has_value());
  EXPECT_EQ(table_.CheckHead(head)->status, 401);
  head.method = "POST";  // the 405 comes from Dispatch, after the body
  EXPECT_FALSE(table_.CheckHead(head).has_value());
  head.method = "GET";
  head.path = "/files/x";
  EXPECT_FALSE(table_.CheckHead(head).has_value());
}

}  // namespace
}  // namespace mediagw::gateway
