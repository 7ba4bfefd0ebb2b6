// SafeFetcher's pure parts: IsForbiddenAddress, the URL pre-check and option
// validation. No traffic: the wrapped client refuses to be used.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/safe_fetcher.h"

namespace mediagw::net {
namespace {

using ::testing::HasSubstr;

class UnusedClient : public HttpClient {
 public:
  void Send(HttpRequest request, HttpCallback done) override {
    ADD_FAILURE() << "unexpected request to " << request.url;
    done(absl::InternalError("unused"));
  }
};

// IPv4 or IPv6 text as a sockaddr, port 443.
struct Sock {
  explicit Sock(const std::string& ip) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    if (inet_pton(AF_INET, ip.c_str(), &in->sin_addr) == 1) {
      in->sin_family = AF_INET;
      in->sin_port = htons(443);
      len = sizeof(sockaddr_in);
    } else if (inet_pton(AF_INET6, ip.c_str(), &in6->sin6_addr) == 1) {
      in6->sin6_family = AF_INET6;
      in6->sin6_port = htons(443);
      len = sizeof(sockaddr_in6);
    } else {
      ADD_FAILURE() << "bad test address " << ip;
    }
  }
  const sockaddr* addr() const {
    return reinterpret_cast<const sockaddr*>(&storage);
  }
  sockaddr_storage storage{};
  size_t len = 0;
};

const std::vector<std::string>& ForbiddenAddresses() {
  static const auto* v = new std::vector<std::string>{
      // IPv4, with both edges of most ranges.
      "0.0.0.0", "0.255.255.255", "10.0.0.0", "10.255.255.255", "100.64.0.0",
      "100.127.255.255", "127.0.0.1", "127.255.255.254", "169.254.0.1",
      "169.254.169.254", "172.16.0.0", "172.31.255.255", "192.0.0.8",
      "192.0.2.1", "192.88.99.1", "192.168.0.1", "192.168.255.255",
      "198.18.0.0", "198.19.255.255", "198.51.100.7", "203.0.113.9",
      "224.0.0.1", "239.255.255.255", "240.0.0.1", "255.255.255.255",
      // IPv6.
      "::", "::1", "fc00::1", "fdff:ffff::1", "fe80::1", "febf::1", "fec0::1",
      "ff02::1", "100::", "100::ffff:ffff:ffff:ffff", "2001:db8::1",
      "2001::1", "64:ff9b:1::a00:1",
      // Embedded IPv4 that is itself forbidden.
      "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:169.254.169.254",
      "::ffff:10.1.2.3", "::127.0.0.1", "::10.0.0.1", "64:ff9b::7f00:1",
      "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "2002:a00:1::1",
      "2002:c0a8:101::"};
  return *v;
}

const std::vector<std::string>& AllowedAddresses() {
  static const auto* v = new std::vector<std::string>{
      "8.8.8.8", "1.1.1.1", "93.184.216.34", "11.0.0.1", "100.63.255.255",
      "100.128.0.0", "126.255.255.255", "128.0.0.1", "169.253.255.255",
      "169.255.0.0", "172.15.255.255", "172.32.0.0", "192.0.1.1",
      "192.88.98.1", "192.167.255.255", "192.169.0.0", "198.17.255.255",
      "198.20.0.0", "203.0.114.1", "223.255.255.255",
      "2606:4700:4700::1111", "2001:4860:4860::8888", "2a00:1450:4001::1",
      "::ffff:8.8.8.8", "::8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
      "2001:db9::1", "101::1", "fbff::1"};
  return *v;
}

TEST(IsForbiddenAddressTest, ForbiddenAsSockaddrAndText) {
  for (const std::string& ip : ForbiddenAddresses()) {
    Sock s(ip);
    EXPECT_TRUE(IsForbiddenAddress(s.addr(), s.len)) << ip;
    EXPECT_TRUE(IsForbiddenAddress(ip)) << ip;
  }
}

TEST(IsForbiddenAddressTest, PublicAddressesAreAllowed) {
  for (const std::string& ip : AllowedAddresses()) {
    Sock s(ip);
    EXPECT_FALSE(IsForbiddenAddress(s.addr(), s.len)) << ip;
    EXPECT_FALSE(IsForbiddenAddress(ip)) << ip;
  }
}

TEST(IsForbiddenAddressTest, MalformedInputIsForbidden) {
  Sock v4("8.8.8.8");
  EXPECT_TRUE(IsForbiddenAddress(v4.addr(), sizeof(sockaddr_in) - 1));
  Sock v6("2606:4700:4700::1111");
  EXPECT_TRUE(IsForbiddenAddress(v6.addr(), sizeof(sockaddr_in6) - 1));
  EXPECT_TRUE(IsForbiddenAddress(nullptr, 0));
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  EXPECT_TRUE(
      IsForbiddenAddress(reinterpret_cast<const sockaddr*>(&un), sizeof(un)));
  for (const char* text : {"", "example.com", "8.8.8.8:53", "[::1]", "8.8.8",
                           "0x08.8.8.8", "2606:4700:4700::1111%eth0"}) {
    EXPECT_TRUE(IsForbiddenAddress(absl::string_view(text))) << text;
  }
  EXPECT_TRUE(IsForbiddenAddress(absl::string_view("8.8.8.8\0x", 9)));
}

class CheckUrlTest : public ::testing::Test {
 protected:
  absl::Status Check(absl::string_view url) { return fetcher_->CheckUrl(url); }

  UnusedClient client_;
  std::unique_ptr<SafeFetcher> fetcher_ =
      *SafeFetcher::Create(&client_, SafeFetcher::Options());
};

TEST_F(CheckUrlTest, AcceptsPublicHttpUrls) {
  for (const char* url :
       {"http://example.com/a.png", "https://example.com:8443/x?y=1#z",
        "HTTPS://EXAMPLE.COM/", "http://8.8.8.8/", "http://[2606:4700::1]/",
        "http://example.com/path@with-at", "http://example.com/?q=a@b"}) {
    EXPECT_TRUE(Check(url).ok()) << url << ": " << Check(url);
  }
  const std::string long_ok =
      absl::StrCat("http://example.com/", std::string(8000, 'a'));
  EXPECT_TRUE(Check(long_ok).ok()) << Check(long_ok);
}

TEST_F(CheckUrlTest, MalformedUrlsAreInvalidArgument) {
  const std::vector<std::string> bad = {
      "",
      "example.com/a.png",
      "127.0.0.1",
      "//example.com/a.png",
      "http://",
      "http:///a.png",
      "http://:80/",
      "http://[::1",
      "http://[::1]x/",
      "http://[zz::1]/",
      "http://exa mple.com/",
      "http://example.com/a b",
      " http://example.com/",
      "http://example.com/\r\nHost: evil",
      std::string("http://example.com/\0x", 21),
      "http://example.com:99999/",
      "http://example.com:-1/",
      "javascript:alert(1)",
      "data:image/png;base64,iVBORw0KGgo=",
      "mailto:a@example.com",
      absl::StrCat("http://example.com/", std::string(9000, 'a')),
      absl::StrCat("http://", std::string(300, 'a'), "@example.com/"),
  };
  for (const std::string& url : bad) {
    absl::Status s = Check(url);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument)
        << "\"" << url.substr(0, 60) << "\": " << s;
    EXPECT_FALSE(s.message().empty());
  }
}

TEST_F(CheckUrlTest, MessagesSayWhatIsWrong) {
  EXPECT_THAT(Check("ftp://example.com/").message(),
              HasSubstr("scheme \"ftp\" is not allowed"));
  EXPECT_THAT(Check("http://u:p@example.com/").message(),
              HasSubstr("user info"));
  EXPECT_THAT(Check("").message(), HasSubstr("empty"));
  EXPECT_THAT(Check(absl::StrCat("http://x/", std::string(9000, 'a')))
                  .message(),
              HasSubstr("longer than 8192"));
  absl::Status s = Check("http://0x7f.1:8080/");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "address not allowed");  // the host is not echoed
}

TEST(SafeFetcherCreateTest, RejectsBadOptions) {
  UnusedClient client;
  EXPECT_EQ(SafeFetcher::Create(nullptr, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto with = [&](auto change) {
    SafeFetcher::Options o;
    change(o);
    return SafeFetcher::Create(&client, o).status();
  };
  EXPECT_FALSE(with([](auto& o) { o.max_bytes = 0; }).ok());
  EXPECT_FALSE(with([](auto& o) { o.timeout = absl::ZeroDuration(); }).ok());
  EXPECT_FALSE(with([](auto& o) { o.max_redirects = -1; }).ok());
  EXPECT_FALSE(with([](auto& o) { o.allowed_content_types = {""}; }).ok());
  for (const char* entry :
       {"", "localhost", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
        "127.0.0.1:8a", "127.0.0.1:+80", "[::1", "[::1]x", "[::1]:",
        "[127.0.0.1]:80", "::1%lo", "1.2.3", "1.2.3.4:80:90"}) {
    absl::Status s = with([&](auto& o) { o.allow_addresses = {entry}; });
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << entry;
    EXPECT_THAT(s.message(), HasSubstr("allow_addresses")) << entry;
  }
  for (const char* entry : {"127.0.0.1", "127.0.0.1:43211", "::1", "[::1]",
                            "[::1]:8188", "::ffff:127.0.0.1", "10.0.0.5:80"}) {
    EXPECT_TRUE(with([&](auto& o) { o.allow_addresses = {entry}; }).ok())
        << entry;
  }
}

TEST(SafeFetcherCreateTest, AllowlistShapesTheConnectFilter) {
  UnusedClient client;
  SafeFetcher::Options o;
  o.allow_addresses = {"127.0.0.1:8080", "::1", "10.0.0.5"};
  auto fetcher = *SafeFetcher::Create(&client, o);
  auto filter = fetcher->ConnectFilter();
  auto allows = [&](const std::string& ip, int port) {
    Sock s(ip);
    reinterpret_cast<sockaddr_in*>(&s.storage)->sin_port =
        htons(static_cast<uint16_t>(port));  // same offset in sockaddr_in6
    return filter(s.addr(), s.len);
  };
  EXPECT_TRUE(allows("127.0.0.1", 8080));
  EXPECT_FALSE(allows("127.0.0.1", 8081));
  EXPECT_TRUE(allows("::ffff:127.0.0.1", 8080));  // mapped matches IPv4
  EXPECT_TRUE(allows("::1", 1));
  EXPECT_TRUE(allows("::1", 65535));
  EXPECT_TRUE(allows("10.0.0.5", 443));
  EXPECT_FALSE(allows("10.0.0.6", 443));
  EXPECT_FALSE(allows("169.254.169.254", 80));
  EXPECT_TRUE(allows("8.8.8.8", 53));  // not banned at all
  EXPECT_TRUE(fetcher->CheckUrl("http://127.0.0.1:8080/x").ok());
  EXPECT_EQ(fetcher->CheckUrl("http://127.0.0.1:8081/x").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(fetcher->CheckUrl("http://[::1]:9/x").ok());
}

}  // namespace
}  // namespace mediagw::net
