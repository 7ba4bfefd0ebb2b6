#include "common/host_port.h"

#include <string>

#include "gtest/gtest.h"

namespace mediagw {
namespace {

TEST(HostPortTest, ParsesNamesIpv4AndBracketedIpv6) {
  struct Case {
    const char* text;
    const char* host;
    int port;
  };
  for (const Case& c : {Case{"127.0.0.1:50051", "127.0.0.1", 50051},
                        Case{"0.0.0.0:0", "0.0.0.0", 0},
                        Case{"localhost:8080", "localhost", 8080},
                        Case{"[::1]:0", "::1", 0},
                        Case{"[::]:65535", "::", 65535},
                        Case{"[2001:db8::7]:443", "2001:db8::7", 443},
                        Case{"[::ffff:127.0.0.1]:80", "::ffff:127.0.0.1", 80}}) {
    SCOPED_TRACE(c.text);
    auto hp = ParseHostPort(c.text);
    ASSERT_TRUE(hp.ok()) << hp.status();
    EXPECT_EQ(hp->host, c.host);
    EXPECT_EQ(hp->port, c.port);
  }
}

TEST(HostPortTest, RefusesEverythingElseWithTheText) {
  for (const char* bad :
       {"", "nohost", ":80", "host:", "host:x", "host:70000", "host:-1",
        "host:+80", "host: 80", "host:80 ", "host:0x50", "host:999999999999",
        "::1:80", "::1", "[::1]", "[::1]80", "[::1]:", "[]:80", "[::1:80",
        "[localhost]:80", "[127.0.0.1]:80", "[::1]:80:1", "a:b:c"}) {
    SCOPED_TRACE(bad);
    auto hp = ParseHostPort(bad);
    ASSERT_FALSE(hp.ok());
    EXPECT_EQ(hp.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(hp.status().message(),
              std::string("'") + bad + "' is not host:port");
  }
}

TEST(HostPortTest, JoinBracketsIpv6Only) {
  EXPECT_EQ(JoinHostPort("127.0.0.1", 80), "127.0.0.1:80");
  EXPECT_EQ(JoinHostPort("localhost", 0), "localhost:0");
  EXPECT_EQ(JoinHostPort("::1", 8080), "[::1]:8080");
  auto back = ParseHostPort(JoinHostPort("2001:db8::7", 443));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->host, "2001:db8::7");
}

}  // namespace
}  // namespace mediagw
