#!/usr/bin/env bash
# The contracts check of tools/contracts: the tree passes buf lint and buf breaking against the
# release, and a change that breaks the wire (a field's type) or the JSON (a field's name) is
# caught, naming the field.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/tools/contracts" check

work=$(mktemp -d /tmp/peixun-contracts-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
googleapis=/usr/share/gocode/src/github.com/gogo/googleapis
for change in 's/^  int32 seats = 12;/  int64 seats = 12;/' 's/^  string display_name = 3;/  string title = 3;/'; do
  rm -rf "$work/proto" && cp -r "$root/proto" "$work/proto"
  sed -i "$change" "$work/proto/peixun/catalog/v1/catalog.proto"
  if cmp -s "$root/proto/peixun/catalog/v1/catalog.proto" "$work/proto/peixun/catalog/v1/catalog.proto"; then
    echo "FAIL: the change '$change' matched nothing in catalog.proto" >&2
    exit 1
  fi
  (cd "$work/proto" && protoc -I. -I"$googleapis" --include_imports -o "$work/changed.binpb" peixun/*/v1/*.proto)
  if "$root/node_modules/.bin/buf" breaking "$work/changed.binpb" --against "$root/proto/released.binpb" \
      --config "$root/buf.yaml" > "$work/out.txt" 2>&1; then
    echo "FAIL: buf breaking let '$change' through" >&2
    exit 1
  fi
  grep -E 'seats|display_name|title' "$work/out.txt" | head -2
done
echo "contracts_test: ok"
