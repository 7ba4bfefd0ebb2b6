// Storage for task outputs (images, videos). Implementations: local disk
// (store/blob). Calls block on I/O: run them on a worker thread, never on the
// curl loop or in a gRPC reaction.
#ifndef MEDIAGW_CORE_BLOB_STORE_H_
#define MEDIAGW_CORE_BLOB_STORE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mediagw {

// One stored blob opened for reading: a fixed version of it, even if the
// blob is replaced meanwhile. Read blocks on I/O; thread-safe (positional
// reads share no cursor). Closes on destruction.
class BlobReader {
 public:
  virtual ~BlobReader() = default;
  virtual uint64_t size() const = 0;
  virtual absl::Time modified() const = 0;
  // At most `max` bytes from `offset`; fewer (maybe none) only at the end.
  // UNAVAILABLE on I/O errors.
  virtual absl::StatusOr<std::string> Read(uint64_t offset, size_t max) = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // Atomically stores `data` under `name` (a flat file name such as
  // "<task_id>.png"); replaces an existing blob. INVALID_ARGUMENT for names
  // with '/', "..", or empty. Thread-safe.
  virtual absl::Status Put(const std::string& name, absl::string_view data) = 0;
  // NOT_FOUND if absent. Thread-safe.
  virtual absl::StatusOr<std::string> Get(const std::string& name) = 0;
  // Opens a blob for streaming reads, without reading it. NOT_FOUND if
  // absent, INVALID_ARGUMENT for a bad name. Thread-safe.
  virtual absl::StatusOr<std::unique_ptr<BlobReader>> OpenRead(
      const std::string& name) = 0;
  // Removes the blob; OK also when it was absent (removal is for cleaning
  // up, e.g. the outputs of a task that failed part way). INVALID_ARGUMENT
  // for a bad name. Thread-safe.
  virtual absl::Status Delete(const std::string& name) = 0;
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_BLOB_STORE_H_
