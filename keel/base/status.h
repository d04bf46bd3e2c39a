// Errors as values across module boundaries: absl::Status / absl::StatusOr<T>
// plus the two macros that keep call sites short.
//
//   KEEL_RETURN_IF_ERROR(store.Put(key, bytes));
//   KEEL_ASSIGN_OR_RETURN(Table table, ReadCsv(path));
//
// Only cli/ turns a Status into an exit code and only serve/ into an HTTP or
// gRPC code; everywhere else a failure travels as a value.
#ifndef KEEL_BASE_STATUS_H_
#define KEEL_BASE_STATUS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace keel {

using absl::Status;
using absl::StatusOr;

// Returns `status` with `context` and ": " put in front of its message, same
// code. An OK status is returned unchanged.
//   return Annotate(s, "keel.yaml");   // "keel.yaml: unknown key ..."
Status Annotate(const Status& status, std::string_view context);

}  // namespace keel

#define KEEL_STATUS_CONCAT_INNER_(a, b) a##b
#define KEEL_STATUS_CONCAT_(a, b) KEEL_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the enclosing
// function when it is not OK.
#define KEEL_RETURN_IF_ERROR(expr)                                  \
  do {                                                              \
    ::absl::Status keel_status_ = (expr);                           \
    if (ABSL_PREDICT_FALSE(!keel_status_.ok())) return keel_status_; \
  } while (0)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status from
// the enclosing function, otherwise moves the value into `lhs`, which may be
// a declaration (`auto x`, `Table t`) or an existing variable.
#define KEEL_ASSIGN_OR_RETURN(lhs, rexpr) \
  KEEL_ASSIGN_OR_RETURN_IMPL_(KEEL_STATUS_CONCAT_(keel_statusor_, __LINE__), lhs, rexpr)

#define KEEL_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr)   \
  auto statusor = (rexpr);                                  \
  if (ABSL_PREDICT_FALSE(!statusor.ok())) {                 \
    return std::move(statusor).status();                    \
  }                                                         \
  lhs = std::move(statusor).value()

#endif  // KEEL_BASE_STATUS_H_
