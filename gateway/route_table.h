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

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "net/http_server.h"

namespace mediagw::gateway {

// A surface's error body for `message` (its own envelope, e.g. legacy
// {"success":false,"data":null,"error":...}).
using ErrorBody = std::function<std::string(absl::string_view message)>;
// The same for an envelope that carries the HTTP status too.
using CodedErrorBody =
    std::function<std::string(int http_status, absl::string_view message)>;

struct Route {
  std::string name;  // for logs and metrics, e.g. "legacy"
  // Exact, or a prefix when `prefix`. An exact path may hold `{param}`
  // segments, each matching one non-empty path segment (no '/'), e.g.
  // "/v1/tasks/{id}/events"; PathParams reads them back.
  std::string path;
  bool prefix = false;
  std::vector<std::string> methods;  // allowed; others get 405 + Allow
  net::HttpHandler handler;
  // Runs on the request's head before its body is read (net::HeadCheck):
  // a response refuses the request unread. Optional.
  net::HeadCheck check_head;
  ErrorBody errors;
  // The path as docs/openapi.yaml writes it, when it is not `path`: a
  // prefix route names its tail as a parameter, e.g. "/uploads/{name}".
  std::string doc_path{};
  // When set, used instead of `errors` for the table's own answers.
  CodedErrorBody coded_errors{};
};

// One (method, path) pair a route table serves, the path as documented.
struct RouteEntry {
  std::string method;
  std::string path;
  std::string name;  // the route's name
};

// The values of `pattern`'s `{param}` segments in `path`, in order; nullopt
// when `path` does not match `pattern` (also for a pattern without any).
std::optional<std::vector<std::string>> PathParams(absl::string_view pattern,
                                                   absl::string_view path);
// The first of them (e.g. the {id} of "/v1/tasks/{id}"), or "" when `path`
// does not match.
std::string FirstPathParam(absl::string_view pattern, absl::string_view path);

class RouteTable {
 public:
  // `not_found` writes the 404 body for paths no route claims.
  explicit RouteTable(ErrorBody not_found) : not_found_(std::move(not_found)) {}

  // Exact paths win over templates, templates (first added first) over
  // prefixes; of two prefixes the longer wins.
  void Add(Route route);

  // Every (method, path) pair, in the order routes were added.
  std::vector<RouteEntry> Entries() const;

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

// A JSON response with `body` (and `headers`).
void SendJson(const std::shared_ptr<net::ResponseWriter>& writer, int status,
              std::string body, HttpHeaders headers = {});

// The headers an error answer carries on every surface: `Retry-After`
// (whole seconds) when `status` has a Retry-After attached
// (common/status_mapping RetryAfterOf), e.g. a caller over its limits.
HttpHeaders ErrorHeaders(const absl::Status& status);

}  // namespace mediagw::gateway

#endif  // MEDIAGW_GATEWAY_ROUTE_TABLE_H_
