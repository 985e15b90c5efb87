// Regions as catalog's domain tests build them.
#pragma once

#include <string>

#include "peixun/catalog/v1/catalog.pb.h"

namespace peixun::catalog::domain {

inline v1::Region Region(const std::string& code, const std::string& name, v1::RegionLevel level,
                         const std::string& parent, bool directly_administered = false) {
  v1::Region region;
  region.set_name("regions/" + code);
  region.set_code(code);
  region.set_display_name(name);
  region.set_level(level);
  region.set_parent(parent);
  region.set_directly_administered(directly_administered);
  return region;
}

}  // namespace peixun::catalog::domain
