// Who may do what: one table of role × method × scope (ARCHITECTURE.md "Identity and access";
// DOMAIN.md ). Handlers::Handle admits a call only when the caller's role has a scope
// for the method; a handler then asks the caller's Access whether that scope covers the
// resource it reads or changes. No handler writes a scope check of its own, and a method with no
// entry is refused to everyone.
#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/auth/identity.h"

namespace peixun::auth {

// How much of a method's resources a role reaches.
enum class Scope {
  kNone,     // nothing: the call is refused
  kAll,      // every resource
  kOwnCity,  // resources in the caller's city: counties whose real parent it is (济源 is its own)
  kOwnCounty,  // resources in the caller's county
  kOwnSchool,  // the caller's school (a school admin's subject) and what belongs to it
  kOwnHost,    // the caller's host's projects, and their enrollments' trainees
  kAssigned,   // the counties an expert is assigned to
  kSelf,       // the caller's own: a teacher's record, an expert's assignments
};

absl::string_view ScopeName(Scope scope);

// Every role, in the policy table's column order.
inline constexpr Role kAllRoles[] = {Role::kProvinceAdmin,  Role::kCityAdmin,   Role::kCountyAdmin,
                                     Role::kTrainingSchool, Role::kSchoolAdmin, Role::kHost,
                                     Role::kExpert,         Role::kTeacher,     Role::kViewer,
                                     Role::kService};

// What a scope check needs to know of a resource. A handler fills what applies to it; a field
// left empty never matches.
struct Resource {
  std::string name;       // for messages, e.g. "teachers/t1" or "regions/410225"
  std::string county;     // code of its county-level unit, e.g. "410225"
  std::string city;       // code of that county's city (its parent in the region data)
  std::string school;     // "regions/{county}/schools/{school}" it belongs to (R-32)
  std::string host;       // "hosts/{host}" whose project it belongs to
  std::string teacher;    // "teachers/{teacher}" it is about
  std::string expert;     // subject of the expert it belongs to (assignments, score sheets)
  bool assigned = false;  // the calling expert is assigned to its county
};

struct Permission {
  Role role;
  Scope scope;
};

struct MethodPolicy {
  std::string method;  // full name, e.g. "peixun.enrollment.v1.EnrollmentService.ListTeachers"
  absl::string_view action;  // what it does, for messages: "list teachers"
  // Its answers carry teachers' personal data: its reads are personal-data reads.
  bool personal_data;
  std::vector<Permission> permissions;
};

// A caller admitted to one method, with the scope its role has there.
// Service callers are peixun services with subjects "services/{name}" (their own key pairs);
// what a service may do beyond the aggregates every caller reads is named here, once.
bool IsService(const Caller& caller, absl::string_view name);

struct Access : Caller {
  Scope scope = Scope::kNone;
  const MethodPolicy* policy = nullptr;

  // Whether the scope reaches `resource`.
  bool Covers(const Resource& resource) const;
  // PERMISSION_DENIED naming the role, the action and the resource unless Covers.
  absl::Status Check(const Resource& resource) const;
};

class AccessPolicy {
 public:
  // The table every peixun service uses.
  static const AccessPolicy& Default();

  explicit AccessPolicy(std::vector<MethodPolicy> methods);

  // nullptr when the method has no entry.
  const MethodPolicy* Find(absl::string_view method) const;
  // The caller admitted to `method` (full name); PERMISSION_DENIED naming the role and the
  // action when its role has no scope there, or when the method has no entry.
  absl::StatusOr<Access> Admit(const Caller& caller, absl::string_view method) const;
  // The role's scope for `method` (kNone when refused or unknown).
  Scope ScopeOf(Role role, absl::string_view method) const;
  const std::vector<MethodPolicy>& methods() const { return methods_; }
  // The table as Markdown, a row per method and a column per role (docs/security.md).
  std::string Markdown() const;

 private:
  std::vector<MethodPolicy> methods_;
  absl::flat_hash_map<std::string, size_t> index_;
};

}  // namespace peixun::auth
