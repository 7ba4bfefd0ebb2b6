// Storage for task outputs (images, videos). Implementations: local disk
// (store/blob). Calls block on I/O: run them on a worker thread, never on the
// curl loop or in a gRPC reaction.
#ifndef MEDIAGW_CORE_BLOB_STORE_H_
#define MEDIAGW_CORE_BLOB_STORE_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace mediagw {

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // Atomically stores `data` under `name` (a flat file name such as
  // "<task_id>.png"); replaces an existing blob. INVALID_ARGUMENT for names
  // with '/', "..", or empty. Thread-safe.
  virtual absl::Status Put(const std::string& name, absl::string_view data) = 0;
  // NOT_FOUND if absent. Thread-safe.
  virtual absl::StatusOr<std::string> Get(const std::string& name) = 0;
  // Removes the blob; OK also when it was absent (removal is for cleaning
  // up, e.g. the outputs of a task that failed part way). INVALID_ARGUMENT
  // for a bad name. Thread-safe.
  virtual absl::Status Delete(const std::string& name) = 0;
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_BLOB_STORE_H_
