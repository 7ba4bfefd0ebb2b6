// Fuzzes net/SafeFetcher's URL pre-check (curl's URL parser underneath) and
// the text form of IsForbiddenAddress. Properties: an accepted URL is short,
// free of spaces and controls, http(s) with a host and no user info; Send
// either refuses inline without touching the client, or hands the client
// the request with the fetch policy applied; an allowlist only ever widens
// what is accepted; the text and sockaddr forms of IsForbiddenAddress agree.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "net/safe_fetcher.h"
#include "tests/fuzz/fuzz_util.h"

namespace mediagw::fuzz {
namespace {

class RecordingClient : public HttpClient {
 public:
  void Send(HttpRequest request, HttpCallback done) override {
    ++calls;
    last = std::move(request);
    done(absl::UnavailableError("not sent"));
  }
  int calls = 0;
  HttpRequest last;
};

struct Fetchers {
  Fetchers() {
    net::SafeFetcher::Options open;
    open.allow_addresses = {"127.0.0.1", "::1", "169.254.169.254:80"};
    strict = *net::SafeFetcher::Create(&client, {});
    lenient = *net::SafeFetcher::Create(&client, open);
  }
  RecordingClient client;
  std::unique_ptr<net::SafeFetcher> strict;
  std::unique_ptr<net::SafeFetcher> lenient;
};

void CheckAddressForms(absl::string_view in) {
  const std::string text(in);
  sockaddr_in v4{};
  sockaddr_in6 v6{};
  if (text.find('\0') != std::string::npos) {
    FUZZ_CHECK(net::IsForbiddenAddress(in));
  } else if (inet_pton(AF_INET, text.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    FUZZ_CHECK(net::IsForbiddenAddress(reinterpret_cast<sockaddr*>(&v4),
                                       sizeof(v4)) ==
               net::IsForbiddenAddress(in));
  } else if (inet_pton(AF_INET6, text.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    FUZZ_CHECK(net::IsForbiddenAddress(reinterpret_cast<sockaddr*>(&v6),
                                       sizeof(v6)) ==
               net::IsForbiddenAddress(in));
  } else {
    FUZZ_CHECK(net::IsForbiddenAddress(in));
  }
}

}  // namespace
}  // namespace mediagw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  static fuzz::Fetchers* f = new fuzz::Fetchers();
  const absl::string_view url = fuzz::AsView(data, size);

  fuzz::CheckAddressForms(url);

  const absl::Status strict = f->strict->CheckUrl(url);
  const absl::Status lenient = f->lenient->CheckUrl(url);
  FUZZ_CHECK(strict.code() == absl::StatusCode::kOk ||
             strict.code() == absl::StatusCode::kInvalidArgument ||
             strict.code() == absl::StatusCode::kPermissionDenied);
  if (strict.ok()) FUZZ_CHECK(lenient.ok());
  if (!lenient.ok()) FUZZ_CHECK(lenient.code() == strict.code());

  if (strict.ok()) {
    FUZZ_CHECK(url.size() <= net::kMaxFetchUrlBytes);
    FUZZ_CHECK(absl::StartsWithIgnoreCase(url, "http://") ||
               absl::StartsWithIgnoreCase(url, "https://"));
    for (char c : url) FUZZ_CHECK(static_cast<unsigned char>(c) > 0x20);
    const absl::string_view rest = url.substr(url.find("://") + 3);
    const absl::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    FUZZ_CHECK(!authority.empty());
    FUZZ_CHECK(!absl::StrContains(authority, '@'));
  }

  const int calls_before = f->client.calls;
  bool ran = false;
  absl::Status seen;
  HttpRequest req;
  req.url = std::string(url);
  req.max_response_bytes = -1;
  f->strict->Send(std::move(req), [&](absl::StatusOr<HttpResponse> r) {
    ran = true;
    seen = r.status();
  });
  FUZZ_CHECK(ran);  // the recording client answers inline too
  if (strict.ok()) {
    FUZZ_CHECK(f->client.calls == calls_before + 1);
    const HttpRequest& sent = f->client.last;
    FUZZ_CHECK(sent.url == url);
    FUZZ_CHECK(static_cast<bool>(sent.connect_filter));
    FUZZ_CHECK(sent.http_only);
    FUZZ_CHECK(sent.max_redirects == 0);  // the fetcher follows them itself
    FUZZ_CHECK(sent.max_response_bytes == int64_t{64} << 20);
    FUZZ_CHECK(seen.code() == absl::StatusCode::kUnavailable);
  } else {
    FUZZ_CHECK(f->client.calls == calls_before);
    FUZZ_CHECK(seen == strict);
  }
  return 0;
}
