#include "gateway/route_table.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/access_log.h"
#include "common/status_mapping.h"
#include "common/utf8.h"
#include "gateway/observed_writer.h"

namespace mediagw::gateway {
namespace {

// Text from the request line and the headers we keep must be UTF-8 before
// any of it can reach a task, a log line or an error message.
absl::Status CheckRequestText(const net::ServerRequest& request) {
  if (!IsValidUtf8(request.path)) {
    return absl::InvalidArgumentError("Request path is not valid UTF-8");
  }
  for (const auto& [name, value] : request.QueryParams()) {
    if (!IsValidUtf8(name)) {
      return absl::InvalidArgumentError(
          "Query parameter name is not valid UTF-8");
    }
    if (!IsValidUtf8(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("Query parameter '", name, "' is not valid UTF-8"));
    }
  }
  if (!IsValidUtf8(request.Header("idempotency-key"))) {
    return absl::InvalidArgumentError("Idempotency-Key is not valid UTF-8");
  }
  return absl::OkStatus();
}

std::string ErrorFor(const Route& route, int http_status,
                     absl::string_view message) {
  return route.coded_errors ? route.coded_errors(http_status, message)
                            : route.errors(message);
}

bool Allows(const Route& route, absl::string_view method) {
  for (const std::string& m : route.methods) {
    if (m == method) return true;
  }
  return false;
}

}  // namespace

void SendJson(const std::shared_ptr<net::ResponseWriter>& writer, int status,
              std::string body, HttpHeaders headers) {
  net::ServerResponse resp;
  resp.status = status;
  resp.headers = std::move(headers);
  resp.body = std::move(body);
  writer->Send(std::move(resp));
}

HttpHeaders ErrorHeaders(const absl::Status& status) {
  HttpHeaders out;
  if (std::optional<absl::Duration> wait = RetryAfterOf(status)) {
    // Whole seconds, rounded up, never 0: "retry at once" would only
    // bring the same refusal back.
    const int64_t secs = std::max<int64_t>(
        1, absl::ToInt64Seconds(absl::Ceil(*wait, absl::Seconds(1))));
    out.emplace_back("retry-after", absl::StrCat(secs));
  }
  return out;
}

std::string FirstPathParam(absl::string_view pattern, absl::string_view path) {
  auto params = PathParams(pattern, path);
  return params && !params->empty() ? params->front() : std::string();
}

std::optional<std::vector<std::string>> PathParams(absl::string_view pattern,
                                                   absl::string_view path) {
  if (pattern.find('{') == absl::string_view::npos) return std::nullopt;
  std::vector<absl::string_view> want = absl::StrSplit(pattern, '/');
  std::vector<absl::string_view> got = absl::StrSplit(path, '/');
  if (want.size() != got.size()) return std::nullopt;
  std::vector<std::string> params;
  for (size_t i = 0; i < want.size(); ++i) {
    if (absl::StartsWith(want[i], "{") && absl::EndsWith(want[i], "}")) {
      if (got[i].empty()) return std::nullopt;
      params.emplace_back(got[i]);
    } else if (want[i] != got[i]) {
      return std::nullopt;
    }
  }
  return params;
}

void RouteTable::Add(Route route) { routes_.push_back(std::move(route)); }

std::vector<RouteEntry> RouteTable::Entries() const {
  std::vector<RouteEntry> out;
  for (const Route& r : routes_) {
    for (const std::string& m : r.methods) {
      out.push_back({m, r.doc_path.empty() ? r.path : r.doc_path, r.name});
    }
  }
  return out;
}

const Route* RouteTable::Find(absl::string_view path) const {
  const Route* best = nullptr;
  const Route* templated = nullptr;
  for (const Route& r : routes_) {
    if (!r.prefix) {
      if (r.path == path) return &r;
      if (templated == nullptr && PathParams(r.path, path)) templated = &r;
      continue;
    }
    if (absl::StartsWith(path, r.path) &&
        (best == nullptr || r.path.size() > best->path.size())) {
      best = &r;
    }
  }
  return templated != nullptr ? templated : best;
}

void RouteTable::Dispatch(net::ServerRequest request,
                          std::shared_ptr<net::ResponseWriter> writer) const {
  const Route* route = Find(request.path);
  // The id travels with the request (handlers read x-request-id) and back
  // to the caller; one not worth keeping is replaced by a fresh one.
  AccessLogEntry entry;
  entry.start = absl::Now();
  entry.request_id = RequestIdFrom(request.Header("x-request-id"));
  entry.surface = "http";
  entry.method = request.method;
  entry.route = route != nullptr ? route->name : "unmatched";
  entry.bytes_in = static_cast<int64_t>(request.body.size());
  entry.peer = request.remote;
  bool replaced = false;
  for (auto& [name, value] : request.headers) {
    if (name == "x-request-id") {
      value = entry.request_id;
      replaced = true;
    }
  }
  if (!replaced) request.headers.emplace_back("x-request-id", entry.request_id);
  writer = std::make_shared<ObservedWriter>(std::move(writer), std::move(entry));
  if (route == nullptr) {
    // The path itself may be what is not UTF-8; the 404 says nothing of it.
    SendJson(writer, 404, not_found_("Not found"));
    return;
  }
  if (!Allows(*route, request.method)) {
    net::ServerResponse resp;
    resp.status = 405;
    resp.headers.emplace_back("allow", absl::StrJoin(route->methods, ", "));
    resp.body = ErrorFor(*route, 405, "Method not allowed");
    writer->Send(std::move(resp));
    return;
  }
  if (absl::Status text = CheckRequestText(request); !text.ok()) {
    SendJson(writer, 400, ErrorFor(*route, 400, text.message()));
    return;
  }
  route->handler(std::move(request), std::move(writer));
}

std::optional<net::ServerResponse> RouteTable::CheckHead(
    const net::ServerRequest& head) const {
  const Route* route = Find(head.path);
  if (route == nullptr || !route->check_head || !Allows(*route, head.method)) {
    return std::nullopt;
  }
  return route->check_head(head);
}

}  // namespace mediagw::gateway
