#!/usr/bin/env bash
# Bulk import/export and reports with the real `opencapf` binary: a CSV with an error imports
# nothing and names the line, the fixed file imports, an export re-imports unchanged and exports
# identically, and both reports show the LSC a simulated phone installed.
# Usage: bulk_end_to_end.sh /path/to/opencapf
set -euo pipefail

OPENCAPF=${1:?usage: bulk_end_to_end.sh /path/to/opencapf}
source "$(dirname "$0")/lib.sh"

DATA=$WORK/data
export OPENCAPF_DATA=$DATA
PHONE=SEP001122334455

step "init"
"$OPENCAPF" init --subject "CN=CAPF-bulk,O=opencapf e2e,OU=Voice,C=NZ" --days 400 >"$WORK/init.txt"

step "a file with an error imports nothing and names the line and column"
printf '%s\r\n' \
  'device_name,operation,auth_mode,generate_auth_string,rsa_bits,deadline,description' \
  "$PHONE,install,null,,2048,2030-01-01T00:00:00Z,\"Lobby, ground floor\"" \
  'CSFJSMITH,install,string,true,1000,,Jabber' \
  'SEP0011223344AA,none,,,,,"spare, ""boxed"""' >"$WORK/devices.csv"
expect_exit 1 "$OPENCAPF" device import "$WORK/devices.csv"
contains "$WORK/out.txt" "line 3: rsa_bits: RSA key size 1000 is not supported: use 1024, 2048, 3072 or 4096"
contains "$WORK/out.txt" "nothing imported"
"$OPENCAPF" device list >"$WORK/list.txt"
contains "$WORK/list.txt" "0 device(s)"
expect_exit 1 "$OPENCAPF" device import "$WORK/devices.csv" --json
contains "$WORK/out.txt" '"applied": false'

step "--valid-only imports the good lines; the fixed file imports the rest"
cp "$WORK/devices.csv" "$WORK/partial.csv"
expect_exit 1 "$OPENCAPF" device import "$WORK/partial.csv" --valid-only
contains "$WORK/out.txt" "imported: 2 created, 0 updated, 0 unchanged, 1 line(s) with errors"
sed -i 's/,true,1000,/,true,2048,/' "$WORK/devices.csv"
expect_exit 0 "$OPENCAPF" device import "$WORK/devices.csv"
contains "$WORK/out.txt" "CSFJSMITH: authentication string "
contains "$WORK/out.txt" "imported: 1 created, 0 updated, 2 unchanged, 0 line(s) with errors"
"$OPENCAPF" device show SEP0011223344AA >"$WORK/show.txt"
contains "$WORK/show.txt" 'spare, "boxed"'

step "file-level errors: an unknown column, an unterminated quote, a missing file"
printf 'device_name,colour\nSEP001122334466,red\n' >"$WORK/bad.csv"
expect_exit 1 "$OPENCAPF" device import "$WORK/bad.csv"
contains "$WORK/out.txt" "line 1: unknown column 'colour'"
printf 'device_name,description\nSEP001122334466,"never closed\n' >"$WORK/bad.csv"
expect_exit 1 "$OPENCAPF" device import "$WORK/bad.csv"
contains "$WORK/out.txt" "line 2: a quoted field is never closed"
expect_exit 2 "$OPENCAPF" device import "$WORK/missing.csv"
expect_exit 2 "$OPENCAPF" device import

step "a phone installs an LSC"
start_server
expect_exit 0 phone $PHONE --state "$WORK/phone"
SERIAL=$(openssl x509 -in "$WORK/phone/lsc.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')

step "export, re-import unchanged, export again identically"
"$OPENCAPF" device export "$WORK/export.csv"
contains "$WORK/export.csv" "device_name,operation,auth_mode,auth_string_set,key_order,rsa_bits,ec_bits,deadline,description"
contains "$WORK/export.csv" "CSFJSMITH,install,string,true,rsa,2048,256,"
"$OPENCAPF" device export >"$WORK/export-stdout.csv"
cmp "$WORK/export.csv" "$WORK/export-stdout.csv" || fail "export to a file and to stdout differ"
expect_exit 0 "$OPENCAPF" device import "$WORK/export.csv"
contains "$WORK/out.txt" "imported: 0 created, 0 updated, 3 unchanged"
expect_exit 0 "$OPENCAPF" device import - <"$WORK/export.csv"
contains "$WORK/out.txt" "imported: 0 created, 0 updated, 3 unchanged"
"$OPENCAPF" device export - >"$WORK/export2.csv"
cmp "$WORK/export.csv" "$WORK/export2.csv" || fail "the re-imported devices export differently"
"$OPENCAPF" device show $PHONE >"$WORK/show.txt"
contains "$WORK/show.txt" "Upgrade Success"

step "unsafe names are refused with the allowed characters; formulas are guarded and round-trip"
expect_exit 2 "$OPENCAPF" device set ../../escaped --op install --auth null
contains "$WORK/out.txt" "use letters, digits, '.', '_' and '-'"
printf 'device_name,description\n=cmd,formula name\n' >"$WORK/unsafe.csv"
expect_exit 1 "$OPENCAPF" device import "$WORK/unsafe.csv"
contains "$WORK/out.txt" "line 2: device_name: device name '=cmd' has '='"
"$OPENCAPF" device set SEP0011223344AA --description '=HYPERLINK("http://evil","x")' >/dev/null
"$OPENCAPF" device export "$WORK/formula.csv"
contains "$WORK/formula.csv" "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\""
"$OPENCAPF" device set SEP0011223344AA --description 'changed' >/dev/null
expect_exit 0 "$OPENCAPF" device import "$WORK/formula.csv"
contains "$WORK/out.txt" "imported: 0 created, 1 updated, 2 unchanged"
"$OPENCAPF" device show SEP0011223344AA --json >"$WORK/show.json"
[ "$(jq -r .description "$WORK/show.json")" = '=HYPERLINK("http://evil","x")' ] ||
  fail "the formula description did not come back unchanged"

step "the CAPF report and the expiring-LSC report"
"$OPENCAPF" report capf --out "$WORK/capf-report.csv"
contains "$WORK/capf-report.csv" "device,operation,auth_mode,status,status_time,lsc_serial,lsc_issuer,lsc_expiry"
contains "$WORK/capf-report.csv" "$PHONE,none,null,Upgrade Success,"
contains "$WORK/capf-report.csv" "$SERIAL"
contains "$WORK/capf-report.csv" "CSFJSMITH,install,string,Operation Pending,"
"$OPENCAPF" report expiring --days 400 >"$WORK/expiring.csv"
contains "$WORK/expiring.csv" "device,lsc_serial,lsc_issuer,lsc_expiry,days_left,operation,status"
contains "$WORK/expiring.csv" "$PHONE,$SERIAL,"
"$OPENCAPF" report expiring --days 30 --out "$WORK/expiring30.csv"
[ "$(wc -l <"$WORK/expiring30.csv")" -eq 1 ] || fail "an LSC valid for a year is listed as expiring in 30 days"
expect_exit 2 "$OPENCAPF" report expiring --days -1
expect_exit 2 "$OPENCAPF" report expiring

kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || fail "the server exited non-zero on SIGTERM"
BACKGROUND_PIDS=()
echo "PASS"
