#include "services/catalog/region_directory.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/util/names.h"
#include "common/util/status.h"
#include "services/catalog/region_facts.h"

namespace peixun::catalog {

RegionDirectory::RegionDirectory(const std::string& caller, const std::string& target,
                                 auth::TokenSigner signer, const Clock& clock,
                                 std::shared_ptr<grpc::ChannelCredentials> credentials)
    : catalog_(caller, "catalog", target, std::move(signer), clock, std::move(credentials)) {}

absl::StatusOr<std::shared_ptr<const RegionDirectory::Reading>> RegionDirectory::Read(
    absl::Duration max_age) const {
  std::shared_ptr<const Reading> kept;
  {
    absl::MutexLock lock(&mu_);
    kept = reading_;
  }
  const absl::Time now = absl::Now();
  if (kept != nullptr && now - kept->at < max_age) return kept;
  auto fresh = std::make_shared<Reading>();
  fresh->at = now;
  absl::Status read =
      catalog_.ListAll(&v1::CatalogService::Stub::ListRegions, v1::ListRegionsRequest(),
                       "did not answer ListRegions", [&](const v1::ListRegionsResponse& page) {
                         for (const auto& region : page.regions())
                           fresh->by_code[region.code()] = FactsOf(region);
                         return absl::OkStatus();
                       });
  if (!read.ok()) {
    if (kept != nullptr) return kept;  // the last reading stands while catalog cannot answer
    return read;
  }
  absl::MutexLock lock(&mu_);
  reading_ = fresh;
  return std::shared_ptr<const Reading>(fresh);
}

template <typename T, typename Lookup>
absl::StatusOr<T> RegionDirectory::Look(const Lookup& lookup) const {
  PEIXUN_ASSIGN_OR_RETURN(std::shared_ptr<const Reading> reading, Read(kKeepFor));
  absl::StatusOr<T> answer = lookup(*reading);
  if (!absl::IsNotFound(answer.status())) return answer;
  PEIXUN_ASSIGN_OR_RETURN(reading, Read(kRereadUnknownAfter));
  return lookup(*reading);
}

absl::StatusOr<std::string> RegionDirectory::CityOf(const std::string& county_code) const {
  return Look<std::string>([&](const Reading& reading) -> absl::StatusOr<std::string> {
    auto it = reading.by_code.find(county_code);
    if (it == reading.by_code.end() || !it->second.county_unit) {
      return absl::NotFoundError(
          absl::StrCat("regions/", county_code, " is not a county-level unit of the catalog"));
    }
    return CityOfCountyUnit(it->second);
  });
}

absl::StatusOr<std::vector<std::string>> RegionDirectory::CountyUnitsOf(
    const std::string& city_code) const {
  return Look<std::vector<std::string>>(
      [&](const Reading& reading) -> absl::StatusOr<std::vector<std::string>> {
        auto it = reading.by_code.find(city_code);
        if (it == reading.by_code.end() || !it->second.city_level) {
          return absl::NotFoundError(
              absl::StrCat("regions/", city_code, " is not a city of the catalog"));
        }
        std::vector<std::string> out;
        for (const auto& [code, facts] : reading.by_code)
          if (InCity(facts, city_code)) out.push_back(code);
        return out;
      });
}

absl::StatusOr<std::vector<std::string>> RegionDirectory::CountyUnitsOfFilter(
    const std::string& value, absl::string_view field) const {
  PEIXUN_ASSIGN_OR_RETURN(const RegionName name, RegionName::ParseCity(value, field));
  absl::StatusOr<std::vector<std::string>> counties = CountyUnitsOf(name.code);
  if (absl::IsNotFound(counties.status())) return FieldError(field, counties.status().message());
  return counties;
}

}  // namespace peixun::catalog
