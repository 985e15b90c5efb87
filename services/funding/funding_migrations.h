// The funding schema, embedded from migrations/ at build time.
#pragma once

#include <vector>

#include "common/db/migrations.h"

namespace peixun::funding {
const std::vector<db::Migration>& Migrations();
}  // namespace peixun::funding
