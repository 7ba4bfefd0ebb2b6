// BlobStore on a local directory: one file per blob, flat namespace.
//
// Put writes a temporary file in the same directory, fsyncs it, renames it
// over the final name and fsyncs the directory, so readers see either the
// old or the new blob, never a torn one, and an acknowledged Put survives a
// crash. Temporary files are named ".tmp-XXXXXX"; valid names never start
// with '.', so they cannot collide. A crash mid-Put may leave such a file.
//
// Names: 1..200 characters from [A-Za-z0-9._-], not starting with '.' and
// not containing "..". Anything else is INVALID_ARGUMENT.
//
// Thread-safety: all methods are thread-safe; concurrent Puts of one name
// end with one of the written values. Calls block on disk I/O.
#ifndef MEDIAGW_STORE_BLOB_LOCAL_BLOB_STORE_H_
#define MEDIAGW_STORE_BLOB_LOCAL_BLOB_STORE_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/blob_store.h"

namespace mediagw {

// True if `name` is acceptable as a blob name (see above).
bool IsValidBlobName(absl::string_view name);

class LocalBlobStore : public BlobStore {
 public:
  // Creates `root` (and parents) if needed. UNAVAILABLE if it cannot be
  // created or is not a directory.
  static absl::StatusOr<std::unique_ptr<LocalBlobStore>> Open(
      const std::string& root);

  // INVALID_ARGUMENT for a bad name; UNAVAILABLE on I/O errors, and when
  // the disk or quota is full with reason kDiskFull (common/status_mapping).
  absl::Status Put(const std::string& name, absl::string_view data) override;
  // INVALID_ARGUMENT for a bad name; NOT_FOUND if absent; UNAVAILABLE on I/O
  // errors.
  absl::StatusOr<std::string> Get(const std::string& name) override;
  // The open file descriptor keeps the version opened: a Put meanwhile
  // replaces the name, not the file being read. INVALID_ARGUMENT for a bad
  // name; NOT_FOUND if absent or not a regular file; UNAVAILABLE on I/O
  // errors.
  absl::StatusOr<std::unique_ptr<BlobReader>> OpenRead(
      const std::string& name) override;
  // INVALID_ARGUMENT for a bad name; UNAVAILABLE on I/O errors. Readers that
  // already opened the file keep reading it.
  absl::Status Delete(const std::string& name) override;

  // Absolute path of an existing blob, for callers that stream the file
  // themselves (e.g. sendfile). The file is replaced, never modified in
  // place, so an open descriptor keeps reading one consistent version.
  // INVALID_ARGUMENT for a bad name; NOT_FOUND if absent.
  absl::StatusOr<std::string> PathFor(const std::string& name) const;

  const std::string& root() const { return root_; }

  // Removes the temporary files (".tmp-*") a crash mid-Put left behind;
  // returns how many. Call it at start, before anything Puts: a Put running
  // meanwhile would lose its temporary file and fail. UNAVAILABLE if the
  // directory cannot be listed (files that cannot be removed are skipped).
  absl::StatusOr<int> RemoveTemporaries();

 private:
  explicit LocalBlobStore(std::string root) : root_(std::move(root)) {}

  const std::string root_;
};

// The status for a failed file operation: ENOENT NOT_FOUND, ENOSPC/EDQUOT
// UNAVAILABLE with reason kDiskFull, anything else UNAVAILABLE. The
// message names `what`, `path` and the error.
absl::Status BlobErrnoStatus(int err, absl::string_view what,
                             absl::string_view path);

}  // namespace mediagw

#endif  // MEDIAGW_STORE_BLOB_LOCAL_BLOB_STORE_H_
