#!/usr/bin/env bash
# Database credentials of the local stack: a password per service user, the admin's apart,
# files readable by their owner only, and a service's password opening its own database only.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
export PEIXUN_DEVDB_DIR
PEIXUN_DEVDB_DIR=$(mktemp -d /tmp/peixun-credentials.XXXXXX)
trap '"$root/tools/devdb" stop > /dev/null 2>&1 || true; rm -rf "$PEIXUN_DEVDB_DIR"' EXIT
"$root/tools/devdb" start > /dev/null
dir=$PEIXUN_DEVDB_DIR
port=$(cat "$dir/port")
passed=0
failed=0
check() {  # check NAME COMMAND...: counts and reports one assertion
  local name=$1
  shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name"; fi
}
mode_is_0600() { [ "$(stat -c %a "$1")" = 600 ]; }
can_use() {  # can_use USER PASSWORD_FILE DATABASE
  mariadb --no-defaults -h127.0.0.1 -P"$port" -u"$1" -p"$(cat "$2")" -D"$3" -e 'SELECT 1' > /dev/null 2>&1
}
cannot_use() { ! can_use "$@"; }

for f in admin catalog enrollment evaluation funding; do
  check "$f.password is mode 0600" mode_is_0600 "$dir/$f.password"
done
check "env is mode 0600" mode_is_0600 "$dir/env"
check "the admin password is in no service's file and every password differs" \
  test "$(for f in "$dir"/*.password; do cat "$f"; echo; done | sort -u | wc -l)" = 5
check "env names no service password" bash -c "! grep -q PEIXUN_DB_PASSWORD= '$dir/env'"
for s in catalog enrollment evaluation funding; do
  check "peixun_$s opens its own database" can_use "peixun_$s" "$dir/$s.password" "peixun_$s"
done
check "catalog's user cannot open enrollment's database" cannot_use peixun_catalog "$dir/catalog.password" peixun_enrollment
check "catalog's password does not open enrollment's user" cannot_use peixun_enrollment "$dir/catalog.password" peixun_enrollment
check "a service password is not the admin's" cannot_use peixun_admin "$dir/funding.password" peixun_funding
# A second start keeps the passwords and the users still accept them.
before=$(cat "$dir/catalog.password")
"$root/tools/devdb" stop > /dev/null
"$root/tools/devdb" start > /dev/null
port=$(cat "$dir/port")
check "a restart keeps the passwords" test "$before" = "$(cat "$dir/catalog.password")"
check "peixun_catalog still opens its database" can_use peixun_catalog "$dir/catalog.password" peixun_catalog
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
