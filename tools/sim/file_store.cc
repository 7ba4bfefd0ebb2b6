#include "tools/sim/file_store.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mediagw::sim {

bool IsUnsafeRelativePath(absl::string_view path) {
  if (!path.empty() && path.front() == '/') return true;
  if (path.find('\\') != absl::string_view::npos) return true;
  if (path.find('\0') != absl::string_view::npos) return true;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part == "..") return true;
  }
  return false;
}

FileStore::Key FileStore::MakeKey(absl::string_view type,
                                  absl::string_view subfolder,
                                  absl::string_view filename) {
  return Key(std::string(type), std::string(subfolder), std::string(filename));
}

void FileStore::Put(absl::string_view type, absl::string_view subfolder,
                    absl::string_view filename, StoredFile file) {
  absl::MutexLock l(&mu_);
  files_[MakeKey(type, subfolder, filename)] = std::move(file);
}

std::optional<StoredFile> FileStore::Get(absl::string_view type,
                                         absl::string_view subfolder,
                                         absl::string_view filename) const {
  absl::MutexLock l(&mu_);
  auto it = files_.find(MakeKey(type, subfolder, filename));
  if (it == files_.end()) return std::nullopt;
  return it->second;
}

bool FileStore::Exists(absl::string_view type, absl::string_view subfolder,
                       absl::string_view filename) const {
  absl::MutexLock l(&mu_);
  return files_.count(MakeKey(type, subfolder, filename)) > 0;
}

void FileStore::Erase(absl::string_view type, absl::string_view subfolder,
                      absl::string_view filename) {
  absl::MutexLock l(&mu_);
  files_.erase(MakeKey(type, subfolder, filename));
}

std::string FileStore::PutUnique(absl::string_view type,
                                 absl::string_view subfolder,
                                 absl::string_view filename, bool overwrite,
                                 StoredFile file) {
  absl::MutexLock l(&mu_);
  std::string name(filename);
  if (!overwrite) {
    const size_t dot = filename.rfind('.');
    const absl::string_view stem =
        dot == absl::string_view::npos ? filename : filename.substr(0, dot);
    const absl::string_view ext =
        dot == absl::string_view::npos ? "" : filename.substr(dot);
    for (int i = 1; files_.count(MakeKey(type, subfolder, name)) > 0; ++i) {
      name = absl::StrCat(stem, " (", i, ")", ext);
    }
  }
  files_[MakeKey(type, subfolder, name)] = std::move(file);
  return name;
}

int FileStore::NextCounter(absl::string_view subfolder,
                           absl::string_view prefix) {
  absl::MutexLock l(&mu_);
  return ++counters_[{std::string(subfolder), std::string(prefix)}];
}

}  // namespace mediagw::sim
