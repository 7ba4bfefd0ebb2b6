#include "tests/tools/sim/sim_test_client.h"

#include <curl/curl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/tools/sim/test_json_codec.h"

namespace mediagw::sim::testing {
namespace {

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

}  // namespace

HttpResult HttpCall(absl::string_view method, absl::string_view url,
                    absl::string_view body, absl::string_view content_type,
                    absl::Duration timeout) {
  HttpResult result;
  CURL* curl = curl_easy_init();
  const std::string url_s(url), method_s(method), body_s(body);
  curl_easy_setopt(curl, CURLOPT_URL, url_s.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method_s.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(timeout)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  struct curl_slist* headers = nullptr;
  const std::string ct = absl::StrCat("Content-Type: ", content_type);
  if (method != "GET" && method != "DELETE") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body_s.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE,
                     static_cast<long>(body_s.size()));
    headers = curl_slist_append(headers, ct.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  }
  const absl::Time start = absl::Now();
  CURLcode code = curl_easy_perform(curl);
  result.elapsed = absl::Now() - start;
  result.transport_ok = code == CURLE_OK;
  if (!result.transport_ok) result.error = curl_easy_strerror(code);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  char* type = nullptr;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
  if (type != nullptr) result.content_type = type;
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return result;
}

struct WsClient::Impl {
  boost::asio::io_context ioc;
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws{ioc};
};

WsClient::WsClient() : impl_(std::make_unique<Impl>()) {}

WsClient::~WsClient() {
  boost::beast::error_code ec;
  impl_->ws.next_layer().close(ec);
}

bool WsClient::Connect(int port, absl::string_view target) {
  namespace net = boost::asio;
  boost::beast::error_code ec;
  net::ip::tcp::endpoint ep(net::ip::make_address("127.0.0.1"),
                            static_cast<unsigned short>(port));
  impl_->ws.next_layer().connect(ep, ec);
  if (ec) return false;
  impl_->ws.handshake(absl::StrCat("127.0.0.1:", port), std::string(target),
                      ec);
  return !ec;
}

std::optional<std::string> WsClient::Read(absl::Duration timeout) {
  boost::beast::flat_buffer buffer;
  bool done = false;
  boost::beast::error_code result;
  impl_->ws.async_read(buffer, [&](boost::beast::error_code ec, size_t) {
    result = ec;
    done = true;
  });
  impl_->ioc.restart();
  impl_->ioc.run_for(std::chrono::milliseconds(
      absl::ToInt64Milliseconds(timeout)));
  if (!done) {
    boost::beast::error_code ignored;
    impl_->ws.next_layer().cancel(ignored);
    impl_->ioc.restart();
    impl_->ioc.run();
    return std::nullopt;
  }
  if (result) return std::nullopt;
  return boost::beast::buffers_to_string(buffer.data());
}

std::optional<std::string> WsClient::ReadUntilType(
    absl::string_view type, absl::Duration timeout,
    std::vector<std::string>* seen) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return std::nullopt;
    std::optional<std::string> frame = Read(left);
    if (!frame.has_value()) return std::nullopt;
    if (seen != nullptr) seen->push_back(*frame);
    if (JsonString(*frame, "/type") == std::string(type)) return frame;
  }
}

}  // namespace mediagw::sim::testing
