#include "gateway/route_table.h"

#include <memory>
#include <string>
#include <vector>

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

TEST_F(RouteTableTest, TemplatesMatchOneSegmentPerParameter) {
  table_.Add(Named("task", "/files/{id}/meta", false));
  EXPECT_EQ(Dispatch(table_, "GET", "/files/abc/meta").body, "task");
  // Exact paths still win; an empty or a split segment is no match, and
  // the prefix route takes it.
  EXPECT_EQ(Dispatch(table_, "GET", "/files/exact").body, "exact");
  EXPECT_EQ(Dispatch(table_, "GET", "/files//meta").body, "files");
  EXPECT_EQ(Dispatch(table_, "GET", "/files/a/b/meta").body, "files");
  // A template beats a prefix that also matches.
  table_.Add(Named("deep_meta", "/files/deep/{id}", false));
  EXPECT_EQ(Dispatch(table_, "GET", "/files/deep/x").body, "deep_meta");
}

TEST(PathParamsTest, ReadsEachParameterInOrder) {
  auto p = PathParams("/v1/tasks/{id}/x/{n}", "/v1/tasks/t-1/x/2");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, (std::vector<std::string>{"t-1", "2"}));
  EXPECT_FALSE(PathParams("/v1/tasks/{id}", "/v1/tasks/").has_value());
  EXPECT_FALSE(PathParams("/v1/tasks/{id}", "/v1/tasks/a/b").has_value());
  EXPECT_FALSE(PathParams("/v1/tasks", "/v1/tasks").has_value());
}

TEST_F(RouteTableTest, EntriesListEveryMethodWithTheDocumentedPath) {
  Route r = Named("files_doc", "/docs/", true);
  r.methods = {"GET", "HEAD"};
  r.doc_path = "/docs/{name}";
  table_.Add(std::move(r));
  std::vector<std::string> got;
  for (const RouteEntry& e : table_.Entries()) {
    got.push_back(e.method + " " + e.path + " " + e.name);
  }
  EXPECT_EQ(got, (std::vector<std::string>{
                     "GET /files/ files", "GET /files/deep/ deep",
                     "GET /files/exact exact", "GET /docs/{name} files_doc",
                     "HEAD /docs/{name} files_doc"}));
}

TEST_F(RouteTableTest, CodedErrorsGetTheHttpStatus) {
  Route r = Named("coded", "/coded", false);
  r.coded_errors = [](int status, absl::string_view m) {
    return std::to_string(status) + ":" + std::string(m);
  };
  table_.Add(std::move(r));
  auto resp = Dispatch(table_, "POST", "/coded");
  EXPECT_EQ(resp.status, 405);
  EXPECT_EQ(resp.body, "405:Method not allowed");
}

}  // namespace
}  // namespace mediagw::gateway
