// Small status propagation macros; Abseil 20220623 ships none.
#ifndef MEDIAGW_COMMON_STATUS_MACROS_H_
#define MEDIAGW_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define MG_CONCAT_INNER_(a, b) a##b
#define MG_CONCAT_(a, b) MG_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define MG_RETURN_IF_ERROR(expr)                    \
  do {                                              \
    ::absl::Status mg_status_ = (expr);             \
    if (!mg_status_.ok()) return mg_status_;        \
  } while (0)

// `MG_ASSIGN_OR_RETURN(auto x, Foo());` assigns the value of a StatusOr or
// returns its status.
#define MG_ASSIGN_OR_RETURN(lhs, expr) \
  MG_ASSIGN_OR_RETURN_IMPL_(MG_CONCAT_(mg_statusor_, __LINE__), lhs, expr)
#define MG_ASSIGN_OR_RETURN_IMPL_(var, lhs, expr) \
  auto var = (expr);                              \
  if (!var.ok()) return std::move(var).status();  \
  lhs = std::move(var).value()

#endif  // MEDIAGW_COMMON_STATUS_MACROS_H_
