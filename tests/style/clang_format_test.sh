#!/usr/bin/env bash
# Every C++ file of the repository is as clang-format (Debian 12's, with the root .clang-format)
# writes it. On a difference: names the files and says how to fix them.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
command -v clang-format > /dev/null || { echo "clang-format is missing: run tools/setup" >&2; exit 1; }
mapfile -t files < <(git ls-files '*.cc' '*.h')
[ "${#files[@]}" -gt 100 ] || { echo "expected the repository's C++ files, found ${#files[@]}" >&2; exit 1; }
differ=()
for f in "${files[@]}"; do
  clang-format --dry-run -Werror "$f" > /dev/null 2>&1 || differ+=("$f")
done
if [ "${#differ[@]}" -gt 0 ]; then
  printf 'not formatted: %s\n' "${differ[@]}" >&2
  echo "fix with: git ls-files '*.cc' '*.h' | xargs clang-format -i" >&2
  exit 1
fi
echo "clang-format: ${#files[@]} files as formatted ($(clang-format --version))"
