#!/usr/bin/env bash
# layering_check.sh catches what it promises: on a copy of the sources it passes, then each
# deliberately wrong line below (one at a time) makes it fail with its own message.
# Usage: layering_check_test.sh [SOURCE_DIR]
set -euo pipefail

ROOT=${1:-"$(cd "$(dirname "$0")/../.." && pwd)"}
CHECK="$ROOT/tests/layering/layering_check.sh"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0

mkdir -p "$WORK/tree"
cp -r "$ROOT/src" "$ROOT/phone" "$WORK/tree/"
if ! "$CHECK" "$WORK/tree" >/dev/null 2>"$WORK/err"; then
  echo "layering_check_test: the unchanged sources fail:" >&2
  cat "$WORK/err" >&2
  exit 1
fi

# file | line appended to it | what the message must say
while IFS='|' read -r file line expected; do
  printf '%s\n' "$line" >>"$WORK/tree/$file"
  result=0
  "$CHECK" "$WORK/tree" >/dev/null 2>"$WORK/err" || result=$?
  cp "$ROOT/$file" "$WORK/tree/$file"
  if ((result == 0)); then
    echo "layering_check_test: not caught: '$line' in $file" >&2
    failures=$((failures + 1))
  elif ! grep -qF -- "$expected" "$WORK/err"; then
    echo "layering_check_test: '$line' in $file failed without '$expected':" >&2
    cat "$WORK/err" >&2
    failures=$((failures + 1))
  fi
done <<'CASES'
src/capf/protocol/message.cc|#include <openssl/evp.h>|protocol/ includes neither OpenSSL nor Boost/Asio
src/capf/protocol/frame_assembler.h|#include <boost/asio/buffer.hpp>|protocol/ includes neither OpenSSL nor Boost/Asio
src/capf/service/csv.cc|#include <sqlite3.h>|only a store implementation includes a database header
src/capf/api/router.cc|#include "libpq-fe.h"|only a store implementation includes a database header
src/capf/server/phone_session.cc|#include "capf/store/sqlite/sqlite_registry.h"|only daemon/ names a store implementation
src/capf/service/enrollment_outcomes.cc|  return protocol::reason::kFailure;|server/session_errors.cc picks the byte
src/capf/service/enrollment_service.cc|#include "capf/server/session_errors.h"|does not link capf_server
src/capf/store/device_store.cc|#include "capf/pki/certificate.h"|capf_store does not link capf_pki
src/capf/issuer/issuer.h|#include "capf/config/config.h"|capf_issuer does not link capf_config
phone/phone_state.cc|#include "capf/store/device_store.h"|capf_phone does not link capf_store
CASES

if ((failures)); then
  exit 1
fi
echo "layering_check_test: ok"
