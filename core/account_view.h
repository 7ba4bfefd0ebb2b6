// A caller's read of its own account (docs/ACCOUNTS.md): what
// MediaService.GetAccount and the legacy `endpoint=balance` answer.
// Implementation: accounts/account_view_adapter.h.
#ifndef MEDIAGW_CORE_ACCOUNT_VIEW_H_
#define MEDIAGW_CORE_ACCOUNT_VIEW_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "mediagw/v1/media.pb.h"

namespace mediagw {

class AccountView {
 public:
  using Callback = std::function<void(absl::StatusOr<v1::Account>)>;
  virtual ~AccountView() = default;

  // The account `account_id` (Caller::owner()): balance, held, unlimited,
  // its limits and its non-terminal tasks now. NOT_FOUND when there is no
  // such account, UNAVAILABLE when the store cannot be read. Thread-safe
  // and never blocks the calling thread: `done` runs once, later, on a
  // worker thread (never inline), so it may be called from a gRPC reaction
  // or an HTTP server thread.
  virtual void AccountOf(const std::string& account_id, Callback done) = 0;
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_ACCOUNT_VIEW_H_
