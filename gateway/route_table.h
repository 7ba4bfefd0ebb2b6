// The REST gateway's one route table. Each surface (legacy index.php,
// uploads, upstream callbacks, health and metrics, and any later one)
// registers its routes with its own error envelope; the table matches the
// path and method, checks the request's text (path, query parameters,
// Idempotency-Key) is UTF-8, and hands the request to the route's handler.
// Every request gets a request id (its sane `x-request-id`, or a new one),
// set in the request's headers for the handler and returned in the
// response's; every answer is logged and counted under the route's name
// (gateway/observed_writer.h).
// It knows no surface: everything surface-specific comes in with the route.
//
// Threading: Add before the server starts; Dispatch and CheckHead run on
// HTTP server threads concurrently and never block.
#ifndef MEDIAGW_GATEWAY_ROUTE_TABLE_H_
#define MEDIAGW_GATEWAY_ROUTE_TABLE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "net/http_server.h"

namespace mediagw::gateway {

// A surface's error body for `message` (its own envelope, e.g. legacy
// {"success":false,"data":null,"error":...}).
using ErrorBody = std::function<std::string(absl::string_view message)>;

struct Route {
  std::string name;  // for logs and metrics, e.g. "legacy"
  std::string path;  // exact, or a prefix when `prefix`
  bool prefix = false;
  std::vector<std::string> methods;  // allowed; others get 405 + Allow
  net::HttpHandler handler;
  // Runs on the request's head before its body is read (net::HeadCheck):
  // a response refuses the request unread. Optional.
  net::HeadCheck check_head;
  ErrorBody errors;
};

class RouteTable {
 public:
  // `not_found` writes the 404 body for paths no route claims.
  explicit RouteTable(ErrorBody not_found) : not_found_(std::move(not_found)) {}

  // Exact paths win over prefixes; of two prefixes the longer wins.
  void Add(Route route);

  // The route for `path`, or nullptr.
  const Route* Find(absl::string_view path) const;

  // Answers 404, 405 or 400 (text that is not UTF-8) in the matching
  // route's envelope, or calls its handler.
  void Dispatch(net::ServerRequest request,
                std::shared_ptr<net::ResponseWriter> writer) const;

  // The matching route's head check, if it has one and the method is
  // allowed; nullopt lets the request through to Dispatch.
  std::optional<net::ServerResponse> CheckHead(
      const net::ServerRequest& head) const;

 private:
  ErrorBody not_found_;
  std::vector<Route> routes_;
};

// A JSON response with `body`.
void SendJson(const std::shared_ptr<net::ResponseWriter>& writer, int status,
              std::string body);

}  // namespace mediagw::gateway

#endif  // MEDIAGW_GATEWAY_ROUTE_TABLE_H_
