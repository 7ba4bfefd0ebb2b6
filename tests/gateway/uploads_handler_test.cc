// UploadsHandler behind a real HttpServer, over a LocalBlobStore in a temp
// folder.
#include "gateway/uploads_handler.h"

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/thread_pool.h"
#include "gtest/gtest.h"
#include "net/http_server.h"
#include "store/blob/local_blob_store.h"
#include "tests/net/http_test_client.h"

namespace mediagw::gateway {
namespace {

namespace http = boost::beast::http;
using net::test_util::Client;
using net::test_util::Response;

std::string Pattern(size_t n) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>(i * 31 + 7);
  return out;
}

class UploadsHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "mediagw-uploads-XXXXXX")
            .string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto store = LocalBlobStore::Open(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    blobs_ = *std::move(store);
    handler_ = std::make_unique<UploadsHandler>(blobs_.get(), &pool_);
    server_ = net::test_util::StartServer(
        {},
        [this](net::ServerRequest req, std::shared_ptr<net::ResponseWriter> w) {
          handler_->Serve(req, std::move(w));
        });
  }
  void TearDown() override {
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // One request on a fresh connection; extra header lines end in "\r\n".
  Response Get(const std::string& target, const std::string& extra = "",
               const std::string& method = "GET") {
    Client client(server_->port());
    Response res;
    EXPECT_FALSE(client.Write(absl::StrCat(
        method, " ", target, " HTTP/1.1\r\nHost: x\r\n", extra, "\r\n")));
    EXPECT_FALSE(client.ReadResponse(&res));
    return res;
  }

  void Put(const std::string& name, const std::string& data) {
    ASSERT_TRUE(blobs_->Put(name, data).ok());
  }

  std::string dir_;
  ThreadPool pool_{2};
  std::unique_ptr<LocalBlobStore> blobs_;
  std::unique_ptr<UploadsHandler> handler_;
  std::unique_ptr<net::HttpServer> server_;
};

TEST_F(UploadsHandlerTest, ServesTheWholeBlobWithValidators) {
  const std::string data = Pattern(1000);
  Put("task-1.png", data);
  const Response res = Get("/uploads/task-1.png");
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), data);
  EXPECT_EQ(res[http::field::content_type], "image/png");
  EXPECT_EQ(res[http::field::content_length], "1000");
  EXPECT_EQ(res[http::field::accept_ranges], "bytes");
  EXPECT_EQ(res["x-content-type-options"], "nosniff");
  EXPECT_EQ(res[http::field::cache_control],
            "public, max-age=31536000, immutable");
  const std::string etag(res[http::field::etag]);
  EXPECT_TRUE(absl::StartsWith(etag, "\"3e8-")) << etag;
  EXPECT_TRUE(absl::EndsWith(etag, "\"")) << etag;
  const std::string modified(res[http::field::last_modified]);
  EXPECT_TRUE(absl::EndsWith(modified, " GMT")) << modified;
}

TEST_F(UploadsHandlerTest, PngFallsBackToTheStoredExtension) {
  Put("task-2.webp", "RIFFwebp");
  const Response res = Get("/uploads/task-2.png");
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "RIFFwebp");
  EXPECT_EQ(res[http::field::content_type], "image/webp");
  Put("clip.mp4", "mp4");
  EXPECT_EQ(Get("/uploads/clip.mp4")[http::field::content_type], "video/mp4");
}

TEST_F(UploadsHandlerTest, MissingBadNamesAndOtherMethods) {
  EXPECT_EQ(Get("/uploads/nothing.png").result_int(), 404);
  EXPECT_EQ(Get("/uploads/..%2Fetc%2Fpasswd").result_int(), 404);
  EXPECT_EQ(Get("/uploads/").result_int(), 404);
  Put("a.png", "x");
  const Response res = Get("/uploads/a.png", "Content-Length: 0\r\n", "POST");
  EXPECT_EQ(res.result_int(), 405);
  EXPECT_EQ(res[http::field::allow], "GET, HEAD");
}

TEST_F(UploadsHandlerTest, HeadSendsTheHeadersOnly) {
  Put("clip.mp4", Pattern(5000));
  Client client(server_->port());
  ASSERT_FALSE(
      client.Write("HEAD /uploads/clip.mp4 HTTP/1.1\r\nHost: x\r\n\r\n"
                   "GET /uploads/nothing HTTP/1.1\r\nHost: x\r\n\r\n"));
  // The second answer follows the first head at once: no body between.
  ASSERT_TRUE(client.ReadUntil("404 Not Found"));
  const std::string& raw = client.seen();
  EXPECT_TRUE(absl::StartsWith(raw, "HTTP/1.1 200 OK\r\n")) << raw;
  EXPECT_TRUE(absl::StrContains(raw, "Content-Length: 5000\r\n")) << raw;
  EXPECT_TRUE(absl::StrContains(raw, "ETag: ")) << raw;
  EXPECT_TRUE(absl::StrContains(raw, "\r\n\r\nHTTP/1.1 404 Not Found")) << raw;
}

TEST_F(UploadsHandlerTest, SingleRangesGet206) {
  const std::string data = Pattern(10000);
  Put("v.mp4", data);
  struct Case {
    std::string range;
    size_t start;
    size_t length;
  };
  for (const Case& c :
       {Case{"bytes=0-99", 0, 100}, Case{"bytes=9990-", 9990, 10},
        Case{"bytes=-300", 9700, 300}, Case{"bytes=5000-999999", 5000, 5000},
        Case{"bytes=-20000", 0, 10000}, Case{"BYTES= 7-7", 7, 1}}) {
    SCOPED_TRACE(c.range);
    const Response res =
        Get("/uploads/v.mp4", absl::StrCat("Range: ", c.range, "\r\n"));
    EXPECT_EQ(res.result_int(), 206);
    EXPECT_EQ(res.body(), data.substr(c.start, c.length));
    EXPECT_EQ(
        res[http::field::content_range],
        absl::StrCat("bytes ", c.start, "-", c.start + c.length - 1, "/10000"));
    EXPECT_EQ(res[http::field::content_type], "video/mp4");
  }
}

TEST_F(UploadsHandlerTest, UnsatisfiableRangeGets416AndBadOnesAreIgnored) {
  const std::string data = Pattern(100);
  Put("v.mp4", data);
  for (const char* range : {"bytes=100-", "bytes=500-600", "bytes=-0"}) {
    SCOPED_TRACE(range);
    const Response res =
        Get("/uploads/v.mp4", absl::StrCat("Range: ", range, "\r\n"));
    EXPECT_EQ(res.result_int(), 416);
    EXPECT_EQ(res[http::field::content_range], "bytes */100");
  }
  for (const char* range : {"bytes=0-1,5-6", "bytes=9-3", "items=0-1",
                            "bytes=abc", "bytes=-", "bytes=1-2-3"}) {
    SCOPED_TRACE(range);
    const Response res =
        Get("/uploads/v.mp4", absl::StrCat("Range: ", range, "\r\n"));
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), data);
  }
}

TEST_F(UploadsHandlerTest, IfNoneMatchGets304AndIfRangeGuardsTheRange) {
  const std::string data = Pattern(100);
  Put("a.png", data);
  const std::string etag(Get("/uploads/a.png")[http::field::etag]);
  ASSERT_FALSE(etag.empty());
  for (const std::string& inm :
       {etag, absl::StrCat("W/", etag), absl::StrCat("\"x\", ", etag),
        std::string("*")}) {
    SCOPED_TRACE(inm);
    const Response res =
        Get("/uploads/a.png", absl::StrCat("If-None-Match: ", inm, "\r\n"));
    EXPECT_EQ(res.result_int(), 304);
    EXPECT_TRUE(res.body().empty());
    EXPECT_EQ(res[http::field::etag], etag);
  }
  EXPECT_EQ(Get("/uploads/a.png", "If-None-Match: \"other\"\r\n").result_int(),
            200);
  // If-Range with the current tag: the range; with another: everything.
  EXPECT_EQ(Get("/uploads/a.png",
                absl::StrCat("Range: bytes=0-9\r\nIf-Range: ", etag, "\r\n"))
                .result_int(),
            206);
  const Response stale =
      Get("/uploads/a.png", "Range: bytes=0-9\r\nIf-Range: \"old\"\r\n");
  EXPECT_EQ(stale.result_int(), 200);
  EXPECT_EQ(stale.body(), data);
  // A replaced blob gets a new tag.
  Put("a.png", Pattern(101));
  EXPECT_NE(Get("/uploads/a.png")[http::field::etag], etag);
}

TEST_F(UploadsHandlerTest, LargeBlobIsStreamedIntact) {
  // Under the test client's 8 MB response limit, many chunks long.
  const std::string data = Pattern((4 << 20) + 12345);
  Put("big.mp4", data);
  const Response res = Get("/uploads/big.mp4");
  EXPECT_EQ(res.result_int(), 200);
  ASSERT_EQ(res.body().size(), data.size());
  EXPECT_TRUE(res.body() == data);
}

}  // namespace
}  // namespace mediagw::gateway
