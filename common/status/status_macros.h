// Minimal RETURN_IF_ERROR / ASSIGN_OR_RETURN: Abseil 20220623 (Debian 12) has no
// status_macros.h of its own.
#ifndef BDTX_COMMON_STATUS_STATUS_MACROS_H_
#define BDTX_COMMON_STATUS_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define BDTX_STATUS_CONCAT_INNER_(a, b) a##b
#define BDTX_STATUS_CONCAT_(a, b) BDTX_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status); returns it from the enclosing function if not OK.
#define RETURN_IF_ERROR(expr)                    \
  do {                                           \
    ::absl::Status bdtx_status_ = (expr);        \
    if (!bdtx_status_.ok()) return bdtx_status_; \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, otherwise
// moves the value into `lhs` (which may be a declaration: `auto x`).
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  BDTX_ASSIGN_OR_RETURN_IMPL_(BDTX_STATUS_CONCAT_(bdtx_statusor_, __LINE__), lhs, rexpr)

#define BDTX_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr)  \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // BDTX_COMMON_STATUS_STATUS_MACROS_H_
