// Errors as values: constructors that name the field or the DOMAIN rule. Pure (no gRPC): the
// domain libraries use it; common/server/grpc_status.h turns these into grpc::Status.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace peixun {

// Both kinds carry, besides their message, a machine-readable detail (AIP-193) that clients
// read instead of parsing the message: a google.rpc.BadRequest naming the field, or a
// google.rpc.ErrorInfo naming the rule (reason "R_3", domain "peixun", metadata rule "R-3").

// INVALID_ARGUMENT naming the request field, e.g. FieldError("project.seats", "must be >= 1").
absl::Status FieldError(absl::string_view field, absl::string_view problem);

// FAILED_PRECONDITION naming the DOMAIN.md rule, e.g. RuleError("R-3", "city quota exceeded").
absl::Status RuleError(absl::string_view rule, absl::string_view problem);
// A rule broken with another code: ALREADY_EXISTS (R-13, the same project twice),
// PERMISSION_DENIED (R-7, another county's teacher), INVALID_ARGUMENT (input alone breaks it).
absl::Status RuleError(absl::StatusCode code, absl::string_view rule, absl::string_view problem);

// The rule id ("R-3") or the field ("project.seats") a status names; empty when it names none.
std::string RuleOf(const absl::Status& status);
std::string FieldOf(const absl::Status& status);

}  // namespace peixun

// Returns from the enclosing function when expr yields a non-OK absl::Status.
#define PEIXUN_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::absl::Status peixun_status_ = (expr);          \
    if (!peixun_status_.ok()) return peixun_status_; \
  } while (0)

#define PEIXUN_CONCAT_INNER(a, b) a##b
#define PEIXUN_CONCAT(a, b) PEIXUN_CONCAT_INNER(a, b)
// PEIXUN_ASSIGN_OR_RETURN(auto x, StatusOrCall()): assigns the value or returns the error.
#define PEIXUN_ASSIGN_OR_RETURN(lhs, expr) \
  PEIXUN_ASSIGN_OR_RETURN_IMPL(PEIXUN_CONCAT(peixun_or_, __LINE__), lhs, expr)
#define PEIXUN_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
