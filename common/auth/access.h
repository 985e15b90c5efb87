// Who may do what: small checks the handlers call after authenticating.
#pragma once

#include <initializer_list>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/auth/identity.h"

namespace peixun::auth {

// PERMISSION_DENIED naming the caller's role and the action, unless the role is listed.
absl::Status RequireRole(const Caller& caller, std::initializer_list<Role> roles,
                         absl::string_view action);

}  // namespace peixun::auth
