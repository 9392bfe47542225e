#!/usr/bin/env bash
# The layers of docs/architecture.md §2, checked on the sources. Fails when
#   1. src/capf/protocol/ includes OpenSSL, Boost or Asio (the codec stays pure and fuzzable);
#   2. anything but a store implementation (src/capf/store/<backend>/) includes a database client
#      header (sqlite3.h, libpq-fe.h), or anything but the composition root (src/capf/daemon/)
#      includes a store implementation's header (capf/store/<backend>/);
#   3. src/capf/service/ picks a wire reason byte (protocol::reason): the service returns a
#      SessionEnd and server/session_errors.cc alone maps it to the wire;
#   4. a module includes a capf/<folder>/ header of a module it does not link, directly or through
#      the modules it links (the DEPS of each capf_module() in src/capf/**/CMakeLists.txt; the
#      simulated phone's link line in phone/CMakeLists.txt).
# Usage: layering_check.sh [SOURCE_DIR]   (default: the checkout this script is in)
set -euo pipefail

ROOT=${1:-"$(cd "$(dirname "$0")/../.." && pwd)"}
cd "$ROOT"
failures=0
problem() {
  echo "layering: $*" >&2
  failures=$((failures + 1))
}
# Lines `file:line:text` of the C++ files under the given folders that match an extended regex.
sources_matching() {
  local regex=$1
  shift
  find "$@" -type f \( -name '*.cc' -o -name '*.h' \) -print0 2>/dev/null |
    xargs -0 -r grep -HnE "$regex" -- || true
}

# ---- 1. protocol/ is pure ----
while IFS= read -r hit; do
  [[ -n $hit ]] && problem "$hit: protocol/ includes neither OpenSSL nor Boost/Asio"
done < <(sources_matching '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](openssl/|boost/|asio)' \
  src/capf/protocol)

# ---- 2. database headers stay in the store implementations ----
while IFS= read -r hit; do
  case $hit in
    src/capf/store/*/*) ;;  # a store implementation (src/capf/store/sqlite/, ...)
    *) [[ -n $hit ]] && problem "$hit: only a store implementation includes a database header" ;;
  esac
done < <(sources_matching '#[[:space:]]*include[[:space:]]*[<"](sqlite3|libpq-fe)[.]h' \
  src apps phone)
while IFS= read -r hit; do
  case $hit in
    src/capf/store/* | src/capf/daemon/*) ;;
    *) [[ -n $hit ]] && problem "$hit: only daemon/ names a store implementation" ;;
  esac
done < <(sources_matching '#[[:space:]]*include[[:space:]]*"capf/store/[a-z_]+/' src apps phone)

# ---- 3. the service speaks domain outcomes, not wire reasons ----
while IFS= read -r hit; do
  [[ -n $hit ]] && problem "$hit: service/ returns a SessionEnd; server/session_errors.cc picks the byte"
done < <(sources_matching 'protocol::reason|reason::k(NoAction|Success|Failure|UnknownDevice)' \
  src/capf/service)

# ---- 4. a module includes only the headers of the modules it links ----
# Every capf_module(NAME SOURCES ... DEPS ...) call, one per line: "NAME|DIR|SOURCES|DEPS".
declare -A deps=() owners=()
while IFS='|' read -r name dir sources links; do
  deps[$name]=$links
  for source in $sources; do
    [[ $source == /* || $source == '$'* ]] && continue  # generated in the build tree
    folder=$dir/$source
    folder=${folder%/*}
    [[ " ${owners[$folder]:-} " == *" $name "* ]] || owners[$folder]+=" $name"
  done
done < <(find src/capf -name CMakeLists.txt -print0 | xargs -0 awk '
  FNR == 1 { dir = FILENAME; sub(/\/CMakeLists.txt$/, "", dir) }
  { sub(/#.*/, "") }
  /capf_module\(/ { call = ""; inside = 1 }
  inside {
    call = call " " $0
    if (index($0, ")")) {
      inside = 0
      sub(/.*capf_module\(/, "", call); sub(/\).*/, "", call)
      n = split(call, word, /[ \t]+/); name = ""; part = ""; srcs = ""; links = ""
      for (i = 1; i <= n; i++) {
        if (word[i] == "") continue
        if (name == "") { name = word[i]; continue }
        if (word[i] == "SOURCES" || word[i] == "DEPS") { part = word[i]; continue }
        if (part == "SOURCES") srcs = srcs " " word[i]
        else if (word[i] ~ /^capf_/) links = links " " word[i]
      }
      print name "|" dir "|" srcs "|" links
    }
  }')
# The simulated phone is a plain library beside the modules: its link line is its DEPS.
deps[capf_phone]=$(awk '/target_link_libraries\(capf_phone/,/\)/' phone/CMakeLists.txt |
  grep -oE 'capf_[a-z_]+' | grep -v '^capf_phone$' | tr '\n' ' ')
owners[phone]=" capf_phone"

# The modules a module may use: itself and everything it links, transitively.
declare -A reach=()
reachable() {
  local name=$1
  if [[ -z ${reach[$name]:-} ]]; then
    local seen=" $name " queue=($name) next dep
    while ((${#queue[@]})); do
      next=${queue[0]}
      queue=("${queue[@]:1}")
      for dep in ${deps[$next]:-}; do
        [[ $seen == *" $dep "* ]] && continue
        seen+="$dep "
        queue+=("$dep")
      done
    done
    reach[$name]=$seen
  fi
  printf '%s' "${reach[$name]}"
}

# Known exceptions, " file=header ", each with the reason it stands and the way out. None today;
# keep it that way (a header that needs a module its own module does not link belongs beside its
# users).
exceptions=" "

# A file may include what any module built from its folder may use (src/capf/api/ holds two).
for folder in "${!owners[@]}"; do
  allowed=" "
  for owner in ${owners[$folder]}; do
    allowed+="$(reachable "$owner") "
  done
  while IFS=: read -r file line include; do
    [[ -z $file ]] && continue
    header=${include#*\"}
    header=${header%%\"*}
    header_folder=src/${header%/*}
    # A header of the file's own folder, or of a folder no module owns (tests/, generated): fine.
    [[ -z ${owners[$header_folder]:-} || $header_folder == "$folder" ]] && continue
    ok=0
    [[ $exceptions == *" $file=$header "* ]] && ok=1
    for owner in ${owners[$header_folder]}; do
      [[ $allowed == *" $owner "* ]] && ok=1
    done
    ((ok)) ||
      problem "$file:$line: includes $header, but${owners[$folder]} does not link${owners[$header_folder]}"
  done < <(find "$folder" -maxdepth 1 -type f \( -name '*.cc' -o -name '*.h' \) -print0 |
    xargs -0 -r grep -HnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"capf/' -- || true)
done

if ((failures)); then
  echo "layering: $failures problem(s); the layers are in docs/architecture.md §2" >&2
  exit 1
fi
echo "layering: ok (${#deps[@]} modules)"
