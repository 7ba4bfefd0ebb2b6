// In-memory files of the simulated ComfyUI server: generated outputs
// ("output", "temp") and uploads ("input"), addressed like ComfyUI's /view:
// (type, subfolder, filename). Names are never touched on disk, so a
// hostile filename can only miss.
//
// Thread-safe; no callbacks.
#ifndef MEDIAGW_TOOLS_SIM_FILE_STORE_H_
#define MEDIAGW_TOOLS_SIM_FILE_STORE_H_

#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace mediagw::sim {

struct StoredFile {
  std::string content_type;
  std::string bytes;
};

class FileStore {
 public:
  void Put(absl::string_view type, absl::string_view subfolder,
           absl::string_view filename, StoredFile file);
  std::optional<StoredFile> Get(absl::string_view type,
                                absl::string_view subfolder,
                                absl::string_view filename) const;
  bool Exists(absl::string_view type, absl::string_view subfolder,
              absl::string_view filename) const;
  void Erase(absl::string_view type, absl::string_view subfolder,
             absl::string_view filename);

  // Stores an upload under `filename`, or, when that exists and
  // !overwrite, under "stem (1).ext", "stem (2).ext", ... like ComfyUI.
  // Returns the name used.
  std::string PutUnique(absl::string_view type, absl::string_view subfolder,
                        absl::string_view filename, bool overwrite,
                        StoredFile file);

  // ComfyUI's SaveImage counter: 1, 2, ... per (subfolder, prefix).
  int NextCounter(absl::string_view subfolder, absl::string_view prefix);

 private:
  using Key = std::tuple<std::string, std::string, std::string>;
  static Key MakeKey(absl::string_view type, absl::string_view subfolder,
                     absl::string_view filename);

  mutable absl::Mutex mu_;
  std::map<Key, StoredFile> files_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, int> counters_
      ABSL_GUARDED_BY(mu_);
};

// True for names ComfyUI would refuse as escaping its folders: absolute
// paths, ".." components, backslashes, NUL bytes.
bool IsUnsafeRelativePath(absl::string_view path);

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_FILE_STORE_H_
