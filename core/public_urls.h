// Where callers and upstreams reach what mediagw serves over HTTP. The
// front end that owns those routes implements it (gateway/public_urls.h);
// the dispatcher only asks, so core knows no route.
//
// Thread-safe; implementations are immutable.
#ifndef MEDIAGW_CORE_PUBLIC_URLS_H_
#define MEDIAGW_CORE_PUBLIC_URLS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace mediagw {

class PublicUrls {
 public:
  virtual ~PublicUrls() = default;
  // A stored file (a task's output or input image), by blob name.
  virtual std::string Upload(absl::string_view blob_name) const = 0;
  // Where an upstream posts completion notices for a task.
  virtual std::string Callback(absl::string_view task_id) const = 0;
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_PUBLIC_URLS_H_
