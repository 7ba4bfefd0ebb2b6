// Internal to net/CurlMultiClient: the state of one request in flight and the
// per-handle set-up and result mapping. Everything here runs on the client's
// loop thread; nothing is thread-safe on its own.
#ifndef MEDIAGW_NET_CURL_TRANSFER_H_
#define MEDIAGW_NET_CURL_TRANSFER_H_

#include <curl/curl.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/http_client.h"

namespace mediagw::net::internal {

// Owns the request (and so its connect_filter) for as long as curl may call
// back into it: from Configure until the easy handle is reset.
struct CurlTransfer {
  HttpRequest request;
  HttpCallback done;
  curl_slist* header_list = nullptr;
  curl_slist* connect_to_list = nullptr;
  HttpResponse response;
  bool body_too_large = false;
  // Since the last response (i.e. within the current redirect hop): "ip:port"
  // of the last address connect_filter refused, or "", and whether it
  // allowed any.
  std::string refused_address;
  bool allowed_address = false;
  // The request was (being) written on the current connection.
  bool request_sent = false;
  char error[CURL_ERROR_SIZE] = {0};

  CurlTransfer() = default;
  CurlTransfer(const CurlTransfer&) = delete;
  CurlTransfer& operator=(const CurlTransfer&) = delete;
  ~CurlTransfer() {
    curl_slist_free_all(header_list);
    curl_slist_free_all(connect_to_list);
  }
};

// Applies `t->request` to a freshly reset easy handle; the handle keeps
// pointers into `t`. INVALID_ARGUMENT for a bad method, URL or header;
// INTERNAL when curl rejects an option.
absl::Status Configure(CURL* easy, CurlTransfer* t);

// The outcome of a finished transfer: the response (moved out of `t`) when
// `code` is CURLE_OK, else the mapped error (see curl_multi_client.h).
absl::StatusOr<HttpResponse> TakeResult(CURL* easy, CURLcode code,
                                        CurlTransfer* t);

}  // namespace mediagw::net::internal

#endif  // MEDIAGW_NET_CURL_TRANSFER_H_
