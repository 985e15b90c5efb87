// Where the token claim checks (server::ClaimRegister) find regions and hosts: catalog's own
// tables inside catalog, catalog's GetRegion and GetHost from the other services.
#pragma once

#include <memory>
#include <string>

#include "common/auth/identity.h"
#include "common/db/pool.h"
#include "common/server/claims.h"
#include "common/util/clock.h"
#include "grpcpp/security/credentials.h"
#include "peixun/catalog/v1/catalog.pb.h"

namespace peixun::catalog {

// A catalog region's level as the claim checks name it (R-1a: a directly administered
// city-level unit is its own county-level unit).
server::RegionLevel LevelOf(const v1::Region& region);

// Lookups in catalog's own database.
server::ClaimLookups StoreClaimLookups(db::ConnectionPool& pool);

// Lookups through catalog at `target`, calling as service `caller` ("enrollment").
server::ClaimLookups CatalogClaimLookups(
    const std::string& caller, const std::string& target, auth::TokenSigner signer,
    const Clock& clock, std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);

}  // namespace peixun::catalog
