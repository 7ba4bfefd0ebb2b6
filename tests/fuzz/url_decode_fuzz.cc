// Fuzzes net/url_decode PercentDecode and the query-string lookup built on
// it (ServerRequest::QueryParam). Properties: decoding never grows the
// text, a fully escaped string decodes back to the original bytes, and
// '+' handling only differs where the input has a '+'.
#include <cstddef>
#include <cstdint>
#include <string>

#include "net/http_server.h"
#include "net/url_decode.h"
#include "tests/fuzz/fuzz_util.h"

namespace mediagw::fuzz {
namespace {

std::string EscapeAll(absl::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : in) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back('%');
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

}  // namespace
}  // namespace mediagw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mediagw;  // NOLINT(build/namespaces)
  const absl::string_view in = fuzz::AsView(data, size);

  const std::string path = net::PercentDecode(in, /*plus_as_space=*/false);
  const std::string form = net::PercentDecode(in, /*plus_as_space=*/true);
  FUZZ_CHECK(path.size() <= in.size());
  FUZZ_CHECK(form.size() == path.size());
  if (in.find('+') == absl::string_view::npos) FUZZ_CHECK(form == path);
  FUZZ_CHECK(net::PercentDecode(fuzz::EscapeAll(in), true) == in);

  // The input as a query string; look up a few names the gateway uses and
  // the decoded first key, which must be found.
  net::ServerRequest request;
  request.query = std::string(in);
  for (absl::string_view name : {"endpoint", "task_id", "", "a b"}) {
    auto value = request.QueryParam(name);
    if (value) FUZZ_CHECK(value->size() <= in.size());
  }
  const absl::string_view first = in.substr(0, in.find('&'));
  if (!first.empty()) {
    const std::string key =
        net::PercentDecode(first.substr(0, first.find('=')), true);
    FUZZ_CHECK(request.QueryParam(key).has_value());
  }
  return 0;
}
