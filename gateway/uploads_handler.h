// Serves stored outputs: GET and HEAD /uploads/<name>, streamed from the
// blob store in chunks, never read whole into memory.
//
//   - 405 (Allow: GET, HEAD) for other methods; 404 for a missing blob and a
//     bad name alike. The seed documents uploads/<task id>.png for every
//     image task, so a missing .png falls back to .jpg, .webp and .gif.
//   - Single ranges (Range: bytes=a-b, a-, -n) get 206 with Content-Range;
//     an unsatisfiable one gets 416 with Content-Range: bytes */<size>;
//     several ranges or a malformed header are ignored (200 with the whole
//     blob), as is a Range whose If-Range does not name the current ETag.
//   - ETag (strong, from size and modification time), Last-Modified,
//     If-None-Match -> 304, Accept-Ranges: bytes, X-Content-Type-Options:
//     nosniff, and a year-long immutable Cache-Control (names are unique).
//
// Threading: Serve runs on an HTTP server thread and never blocks: opening,
// stat and every chunk read run on `own_pool`, a small executor of the
// handler's own (never the pool that drives tasks), so slow disks or many
// readers cannot starve task work. Thread-safe.
#ifndef MEDIAGW_GATEWAY_UPLOADS_HANDLER_H_
#define MEDIAGW_GATEWAY_UPLOADS_HANDLER_H_

#include <memory>

#include "absl/strings/string_view.h"

#include "common/thread_pool.h"
#include "core/blob_store.h"
#include "gateway/route_table.h"
#include "net/http_server.h"

namespace mediagw::gateway {

class UploadsHandler {
 public:
  static constexpr absl::string_view kPathPrefix = "/uploads/";

  // `blobs` and `own_pool` must outlive the handler and every response it
  // started (shut the HTTP server down first).
  UploadsHandler(BlobStore* blobs, Executor* own_pool)
      : blobs_(blobs), pool_(own_pool) {}

  // GET and HEAD under /uploads/, errors in the legacy envelope (the links
  // are the legacy API's).
  void Register(RouteTable& table);

  // `request.path` starts with "/uploads/".
  void Serve(const net::ServerRequest& request,
             std::shared_ptr<net::ResponseWriter> writer);

 private:
  BlobStore* const blobs_;
  Executor* const pool_;
};

}  // namespace mediagw::gateway

#endif  // MEDIAGW_GATEWAY_UPLOADS_HANDLER_H_
