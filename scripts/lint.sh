#!/usr/bin/env bash
# The habits a change is held to before it is committed:
#   - clang-format (.clang-format) over every C++ file of the repository (a few seconds);
#   - clang-tidy (.clang-tidy: naming and bug-prone checks) over the C++ files the change touches:
#     what is not committed yet and the commits since the upstream branch; with no upstream (CI's
#     clean clone) the last commit. A header counts through the .cc file of the same name.
# Usage: scripts/lint.sh [--all | FILE...]   (--all: clang-tidy over every .cc, ~30 min on 2 cores)
# Needs build/compile_commands.json (scripts/build.sh release). scripts/test.sh runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
mapfile -t unformatted < <(git ls-files '*.cc' '*.h' |
  xargs clang-format --dry-run 2>&1 | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: warning:.*/\1/p' | sort -u)
if ((${#unformatted[@]})); then
  echo "lint: not clang-formatted (run clang-format -i on them): ${unformatted[*]}" >&2
  status=1
fi

if [[ ${1:-} == --all ]]; then
  mapfile -t changed < <(git ls-files '*.cc')
elif (($#)); then
  changed=("$@")
else
  base=$(git rev-parse -q --verify '@{upstream}' 2>/dev/null || true)
  [[ -n $base ]] && base=$(git merge-base HEAD "$base")
  # Nothing since upstream (a clean clone): the last commit.
  [[ -z $base || $base == "$(git rev-parse HEAD)" ]] && base=$(git rev-parse -q --verify HEAD~1 || true)
  mapfile -t changed < <({ [[ -n $base ]] && git diff --name-only "$base"; \
    git ls-files --others --exclude-standard; } | sort -u)
fi
declare -A units=()
for file in "${changed[@]}"; do
  [[ -f $file ]] || continue
  case $file in
    tests/console/*) ;;
    *.cc) units[$file]=1 ;;
    *.h) [[ -f ${file%.h}.cc ]] && units[${file%.h}.cc]=1 ;;
  esac
done
if ((${#units[@]})); then
  echo "lint: clang-tidy over ${#units[@]} file(s)"
  # The build's flags are GCC's; clang is told to ignore the GCC-only warnings and that the
  # standard library has coroutines (Asio looks for them by compiler).
  printf '%s\n' "${!units[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy-14 -p build --quiet \
    --extra-arg=-Wno-unknown-warning-option --extra-arg=-DBOOST_ASIO_HAS_CO_AWAIT=1 \
    --extra-arg=-DBOOST_ASIO_HAS_STD_COROUTINE=1 2>/dev/null || status=1
fi
exit $status
