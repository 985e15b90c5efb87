// Where enrollment checks tokens' region and host claims (server::ClaimRegister): its own copy
// of catalog first, so that county admins and hosts keep working while catalog is down (the
// copy is what nominations are decided on too), and catalog for what the copy does not hold.
#pragma once

#include "common/db/pool.h"
#include "common/server/claims.h"

namespace peixun::enrollment {

// Regions from the copy (catalog when the copy does not hold the code); hosts from catalog
// (the copy's projects when catalog cannot answer).
server::ClaimLookups MirrorClaimLookups(db::ConnectionPool& pool,
                                        const server::ClaimLookups& catalog);

}  // namespace peixun::enrollment
