#include "common/server/claims.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace peixun::server {

absl::StatusOr<ClaimRegister::Kept> ClaimRegister::Look(
    const std::string& key, const std::function<absl::StatusOr<Kept>()>& lookup) const {
  const absl::Time now = absl::Now();
  std::optional<Kept> stale;
  {
    absl::MutexLock lock(&mu_);
    auto it = kept_.find(key);
    if (it != kept_.end()) {
      if (it->second.until > now) return it->second;
      if (it->second.status.ok()) stale = it->second;
    }
  }
  absl::StatusOr<Kept> fresh = lookup();
  if (!fresh.ok()) {
    // The source cannot answer: a claim known before still counts, an unseen one cannot.
    if (stale.has_value()) return *stale;
    return fresh.status();
  }
  fresh->until = now + (fresh->status.ok() ? kKeepKnown : kKeepUnknown);
  absl::MutexLock lock(&mu_);
  if (kept_.size() >= kMaxKept) kept_.clear();
  kept_[key] = *fresh;
  return fresh;
}

absl::Status ClaimRegister::Check(const auth::Caller& caller) const {
  using auth::Role;
  const bool city_claim = caller.role == Role::kCityAdmin;
  const bool county_claim = caller.role == Role::kCountyAdmin ||
                            caller.role == Role::kTrainingSchool ||
                            caller.role == Role::kSchoolAdmin ||
                            (caller.role == Role::kExpert && !caller.region_code.empty());
  if ((city_claim || county_claim) && lookups_.region_level) {
    absl::StatusOr<Kept> region =
        Look("region/" + caller.region_code, [&]() -> absl::StatusOr<Kept> {
          Kept kept;
          absl::StatusOr<RegionLevel> level = lookups_.region_level(caller.region_code);
          if (level.ok()) {
            kept.level = *level;
          } else if (absl::IsNotFound(level.status())) {
            kept.status = level.status();
          } else {
            return absl::UnavailableError(absl::StrCat(
                "cannot check the token's region claim now: ", level.status().message()));
          }
          return kept;
        });
    if (!region.ok()) return region.status();
    if (!region->status.ok()) {
      return absl::UnauthenticatedError(
          absl::StrCat("the token's region ", caller.region_code, " is not in the region data"));
    }
    // 济源 (R-1a) is a city-level unit that is its own county-level unit: the region data says
    // so, not its code.
    const bool right_level =
        region->level == RegionLevel::kCountyLevelCity ||
        region->level == (city_claim ? RegionLevel::kCity : RegionLevel::kCounty);
    if (!right_level) {
      return absl::UnauthenticatedError(absl::StrCat("the token's region ", caller.region_code,
                                                     " is not a ", city_claim ? "city" : "county",
                                                     "-level unit"));
    }
  }
  if (caller.role == Role::kHost && lookups_.host_registered) {
    absl::StatusOr<Kept> host = Look("host/" + caller.host, [&]() -> absl::StatusOr<Kept> {
      Kept kept;
      absl::Status registered = lookups_.host_registered(caller.host);
      if (absl::IsNotFound(registered)) {
        kept.status = registered;
      } else if (!registered.ok()) {
        return absl::UnavailableError(
            absl::StrCat("cannot check the token's host claim now: ", registered.message()));
      }
      return kept;
    });
    if (!host.ok()) return host.status();
    if (!host->status.ok()) {
      return absl::UnauthenticatedError(
          absl::StrCat("the token's host ", caller.host, " is not a registered host"));
    }
  }
  return absl::OkStatus();
}

}  // namespace peixun::server
