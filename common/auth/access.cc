#include "common/auth/access.h"

#include "absl/strings/str_cat.h"

namespace peixun::auth {

absl::Status RequireRole(const Caller& caller, std::initializer_list<Role> roles,
                         absl::string_view action) {
  for (Role role : roles) {
    if (caller.role == role) return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("role ", RoleName(caller.role), " may not ", action));
}

}  // namespace peixun::auth
