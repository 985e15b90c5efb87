// The evaluation schema, embedded from migrations/ at build time.
#pragma once

#include <vector>

#include "common/db/migrations.h"

namespace peixun::evaluation {
const std::vector<db::Migration>& Migrations();
}  // namespace peixun::evaluation
