#!/usr/bin/env bash
# Every C++ file the build compiles passes the checks of the root .clang-tidy (Debian 12's
# clang-tidy), headers of the repository included. Takes the build directory, whose
# compile_commands.json says how each file is compiled. On a finding: lists each once and says
# how to run the same check on one file.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?usage: clang_tidy_test.sh BUILD_DIR}
command -v run-clang-tidy > /dev/null || { echo "clang-tidy is missing: run tools/setup" >&2; exit 1; }
[ -f "$build/compile_commands.json" ] || { echo "no $build/compile_commands.json" >&2; exit 1; }
sources="^$root/(common|services|tools|tests)/"
count=$(/usr/bin/python3 -c '
import json, re, sys
entries = json.load(open(sys.argv[1]))
print(sum(1 for e in entries if re.match(sys.argv[2], e["file"])))' "$build/compile_commands.json" "$sources")
[ "$count" -gt 50 ] || { echo "expected the repository's C++ files, found $count" >&2; exit 1; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
run-clang-tidy -p "$build" -j "$(nproc)" -quiet -header-filter="$sources" "$sources" > "$log" 2>&1 ||
  status=$?
findings=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^/.*: (warning|error): ' | sort -u || true)
if [ "$status" -ne 0 ] || [ -n "$findings" ]; then
  if [ -n "$findings" ]; then
    echo "$findings" | sed "s|^$root/||" >&2
    echo "clang-tidy: $(echo "$findings" | wc -l) findings" >&2
  else
    tail -50 "$log" >&2
  fi
  echo "one file: clang-tidy -p $build FILE" >&2
  exit 1
fi
echo "clang-tidy: $count files pass the checks of .clang-tidy ($(clang-tidy --version | grep -o 'version [0-9.]*'))"
