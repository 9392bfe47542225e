#!/usr/bin/env bash
# The checkout carries its own map and protocol description (docs/architecture.md, docs/protocol.md,
# docs/spec/): nothing in it may point outside it. Fails when
#   1. a tracked file (git ls-files; tests/console/node_modules left out) names the old sibling
#      folder of design notes, its absolute path, or the design page that lived there, and
#   2. a relative Markdown link in docs/ or README.md leads to a file that does not exist, or out
#      of the checkout.
# Usage: no_outside_links.sh [SOURCE_DIR]   (default: the checkout this script is in)
set -euo pipefail

ROOT=${1:-"$(cd "$(dirname "$0")/../.." && pwd)"}
cd "$ROOT"
ROOT=$(pwd -P)
failures=0
problem() {
  echo "no_outside_links: $*" >&2
  failures=$((failures + 1))
}

# ---- 1. references to files outside the checkout ----
# The patterns are written so that they do not match this script itself.
outside='[.][.]/shared|/work[/]shared|DESIGN[.]md'

# -I skips binary files (seed corpora, screenshots).
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  hits=$(git -C "$ROOT" grep -InE "$outside" -- . ':(exclude)tests/console/node_modules' || true)
else
  # A source tree without git (a release tarball): every file but build output and npm's.
  hits=$(find . -type f ! -path './.git/*' ! -path './build*' \
    ! -path './tests/console/node_modules/*' -print0 | xargs -0 -r grep -HInE "$outside" -- || true)
fi
while IFS= read -r hit; do
  [ -n "$hit" ] || continue
  rest=${hit#*:}
  problem "${hit%%:*}:${rest%%:*}: points outside the checkout: ${rest#*:}"
done <<<"$hits"

# ---- 2. relative Markdown links ----
# Links are [text](target) and [label]: target. Fenced code blocks and `inline code` are skipped;
# targets with a scheme (https:, mailto:) and pure #anchors are not files.
markdown_targets() {
  awk '
    /^[[:space:]]*(```|~~~)/ { fenced = !fenced; next }
    fenced { next }
    {
      line = $0
      gsub(/`[^`]*`/, "", line)
      if (match(line, /^[[:space:]]*\[[^]]+\]:[[:space:]]+[^[:space:]]+/)) {
        ref = substr(line, RSTART, RLENGTH)
        sub(/^[[:space:]]*\[[^]]+\]:[[:space:]]+/, "", ref)
        print NR "\t" ref
      }
      while (match(line, /\]\([^)[:space:]]+/)) {
        print NR "\t" substr(line, RSTART + 2, RLENGTH - 2)
        line = substr(line, RSTART + RLENGTH)
      }
    }' "$1"
}

markdown_files=(README.md)
while IFS= read -r -d '' md; do
  markdown_files+=("$md")
done < <(find docs -type f -name '*.md' -print0 | sort -z)

for md in "${markdown_files[@]}"; do
  [ -f "$md" ] || continue
  dir=$(dirname "$md")
  while IFS=$'\t' read -r line target; do
    target=${target#<}
    target=${target%>}
    case "$target" in
      '' | '#'* | *://* | mailto:* | tel:*) continue ;;
    esac
    path=${target%%#*}
    path=${path%%\?*}
    [ -n "$path" ] || continue
    case "$path" in
      /*)
        problem "$md:$line: absolute link $target: use a path relative to $md"
        continue
        ;;
    esac
    if [ ! -e "$dir/$path" ]; then
      problem "$md:$line: link to $target: no such file ($dir/$path)"
      continue
    fi
    resolved=$(cd "$(dirname "$dir/$path")" && pwd -P)
    case "$resolved/" in
      "$ROOT"/*) ;;
      *) problem "$md:$line: link to $target leaves the checkout ($resolved)" ;;
    esac
  done < <(markdown_targets "$md")
done

if [ "$failures" -ne 0 ]; then
  echo "no_outside_links: $failures problem(s); the in-repo pages are docs/architecture.md," \
    "docs/protocol.md and docs/spec/" >&2
  exit 1
fi
echo "no_outside_links: ok"
