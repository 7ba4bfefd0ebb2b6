#include "store/blob/local_blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/metrics.h"
#include "common/status_mapping.h"

namespace mediagw {

absl::Status BlobErrnoStatus(int err, absl::string_view what,
                             absl::string_view path) {
  std::string msg = absl::StrCat(what, " ", path, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(msg);
    case ENOSPC:
    case EDQUOT:
      // Not RESOURCE_EXHAUSTED, which callers read as "slow down".
      return WithReason(absl::UnavailableError(msg), Reason::kDiskFull);
    default:
      return absl::UnavailableError(msg);
  }
}

namespace {

absl::Status ErrnoStatus(int err, absl::string_view what,
                         absl::string_view path) {
  return BlobErrnoStatus(err, what, path);
}

constexpr size_t kMaxNameLength = 200;

std::atomic<int64_t>* WrittenBytes() {
  static std::atomic<int64_t>* const written = GlobalMetrics().Counter(
      "mediagw_blob_written_bytes_total",
      "Bytes of blobs (task outputs, input images) written to the blob store");
  return written;
}

absl::Status CheckName(absl::string_view name) {
  if (!IsValidBlobName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid blob name '", name.substr(0, 64), "'"));
  }
  return absl::OkStatus();
}

absl::Status WriteAll(int fd, absl::string_view data, absl::string_view path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// The rename is only durable once the directory entry itself is on disk.
absl::Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "open", dir);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoStatus(err, "fsync", dir);
  return absl::OkStatus();
}

class FileBlobReader : public BlobReader {
 public:
  FileBlobReader(int fd, std::string path, uint64_t size, absl::Time modified)
      : fd_(fd), path_(std::move(path)), size_(size), modified_(modified) {}
  ~FileBlobReader() override { ::close(fd_); }
  FileBlobReader(const FileBlobReader&) = delete;
  FileBlobReader& operator=(const FileBlobReader&) = delete;

  uint64_t size() const override { return size_; }
  absl::Time modified() const override { return modified_; }

  absl::StatusOr<std::string> Read(uint64_t offset, size_t max) override {
    if (offset >= size_) return std::string();
    const uint64_t want = std::min<uint64_t>(max, size_ - offset);
    std::string out(static_cast<size_t>(want), '\0');
    size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done,
                                static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "read", path_);
      }
      // Blobs are replaced, never truncated in place: an early end can only
      // come from outside interference; the caller sees a short read.
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    out.resize(done);
    return out;
  }

 private:
  const int fd_;
  const std::string path_;
  const uint64_t size_;
  const absl::Time modified_;
};

}  // namespace

bool IsValidBlobName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  if (name.front() == '.' || absl::StrContains(name, "..")) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
        c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::unique_ptr<LocalBlobStore>> LocalBlobStore::Open(
    const std::string& root) {
  WrittenBytes();  // /metrics lists the family before the first blob
  if (root.empty()) return absl::InvalidArgumentError("blob root is empty");
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create blob root ", root, ": ", ec.message()));
  }
  if (!std::filesystem::is_directory(root, ec)) {
    return absl::UnavailableError(
        absl::StrCat("blob root ", root, " is not a directory"));
  }
  std::string absolute = std::filesystem::absolute(root, ec).string();
  if (ec) absolute = root;
  return std::unique_ptr<LocalBlobStore>(new LocalBlobStore(absolute));
}

absl::Status LocalBlobStore::Put(const std::string& name,
                                 absl::string_view data) {
  if (absl::Status s = CheckName(name); !s.ok()) return s;
  std::string final_path = absl::StrCat(root_, "/", name);
  std::string tmp = absl::StrCat(root_, "/.tmp-XXXXXX");
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "create temporary in", root_);

  absl::Status s = WriteAll(fd, data, tmp);
  // mkostemp creates 0600; blobs are served to other readers too.
  if (s.ok() && ::fchmod(fd, 0644) != 0) s = ErrnoStatus(errno, "chmod", tmp);
  if (s.ok() && ::fsync(fd) != 0) s = ErrnoStatus(errno, "fsync", tmp);
  if (::close(fd) != 0 && s.ok()) s = ErrnoStatus(errno, "close", tmp);
  if (s.ok() && ::rename(tmp.c_str(), final_path.c_str()) != 0) {
    s = ErrnoStatus(errno, "rename to", final_path);
  }
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  WrittenBytes()->fetch_add(static_cast<int64_t>(data.size()),
                            std::memory_order_relaxed);
  return SyncDir(root_);
}

absl::StatusOr<std::string> LocalBlobStore::Get(const std::string& name) {
  if (absl::Status s = CheckName(name); !s.ok()) return s;
  std::string path = absl::StrCat(root_, "/", name);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus(err, "stat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::NotFoundError(absl::StrCat(path, " is not a regular file"));
  }
  std::string out;
  out.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return ErrnoStatus(err, "read", path);
    }
    // Blobs are replaced by rename, never truncated in place, so an early
    // EOF can only come from outside interference; return what was read.
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(done);
  return out;
}

absl::StatusOr<std::unique_ptr<BlobReader>> LocalBlobStore::OpenRead(
    const std::string& name) {
  if (absl::Status s = CheckName(name); !s.ok()) return s;
  std::string path = absl::StrCat(root_, "/", name);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoStatus(err, "stat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::NotFoundError(absl::StrCat(path, " is not a regular file"));
  }
  const absl::Time modified = absl::TimeFromTimespec(st.st_mtim);
  return std::unique_ptr<BlobReader>(std::make_unique<FileBlobReader>(
      fd, std::move(path), static_cast<uint64_t>(st.st_size), modified));
}

absl::Status LocalBlobStore::Delete(const std::string& name) {
  if (absl::Status s = CheckName(name); !s.ok()) return s;
  std::string path = absl::StrCat(root_, "/", name);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, "unlink", path);
  }
  return absl::OkStatus();
}

absl::StatusOr<int> LocalBlobStore::RemoveTemporaries() {
  std::error_code ec;
  std::filesystem::directory_iterator it(root_, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot list ", root_, ": ", ec.message()));
  }
  int removed = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!absl::StartsWith(name, ".tmp-")) continue;
    if (::unlink(it->path().c_str()) == 0) ++removed;
  }
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot list ", root_, ": ", ec.message()));
  }
  return removed;
}

absl::StatusOr<std::string> LocalBlobStore::PathFor(
    const std::string& name) const {
  if (absl::Status s = CheckName(name); !s.ok()) return s;
  std::string path = absl::StrCat(root_, "/", name);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus(errno, "stat", path);
  if (!S_ISREG(st.st_mode)) {
    return absl::NotFoundError(absl::StrCat(path, " is not a regular file"));
  }
  return path;
}

}  // namespace mediagw
