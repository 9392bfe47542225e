#!/bin/sh
# The Debian package's generated files, from the built binary itself (cmake/packaging.cmake):
#   OUT/man/*.1.gz      help2man over `opencapf --help` and each subcommand's --help, two levels
#                       deep (opencapf.1, opencapf-serve.1, opencapf-device-set.1, ...)
#   OUT/opencapf.toml   the configuration `opencapf init` writes (every setting, its default, a
#                       comment): the conffile /etc/opencapf/opencapf.toml
#   OUT/changelog.gz    packaging/changelog, compressed as Debian policy asks
# Usage: generate_files.sh OPENCAPF PACKAGING_DIR OUT_DIR
set -eu
opencapf=$1
src=$2
out=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
version=$("$opencapf" --version | awk '{ print $NF }')

# The subcommand names listed in a --help text's Subcommands section.
subcommands_of() {
  awk '/^Subcommands:/ { on = 1; next } /^[A-Z]/ { on = 0 } on && /^  [a-z]/ { print $1 }' "$1"
}
# man_page NAME DESCRIPTION WORDS...: NAME.1.gz for `opencapf WORDS...`.
man_page() {
  name=$1
  description=$2
  shift 2
  printf '#!/bin/sh\nexec "%s" %s "$@"\n' "$opencapf" "$*" >"$tmp/$name"
  chmod +x "$tmp/$name"
  help2man --no-info --version-string="$version" --section=1 --name="$description" \
    --output="$tmp/man/$name.1" "$tmp/$name"
  gzip -9n "$tmp/man/$name.1"
}
# description_of HELP_FILE NAME: the one-line description NAME has in HELP_FILE's list.
description_of() {
  awk -v name="$2" '/^Subcommands:/ { on = 1; next } on && $1 == name {
    $1 = ""; sub(/^ +/, ""); print; exit }' "$1"
}

mkdir -p "$tmp/man"
"$opencapf" --help >"$tmp/help"
man_page opencapf "CAPF server for Cisco IP phones"
for sub in $(subcommands_of "$tmp/help"); do
  man_page "opencapf-$sub" "$(description_of "$tmp/help" "$sub")" "$sub"
  "$opencapf" "$sub" --help >"$tmp/help-$sub"
  for leaf in $(subcommands_of "$tmp/help-$sub"); do
    man_page "opencapf-$sub-$leaf" "$(description_of "$tmp/help-$sub" "$leaf")" "$sub" "$leaf"
  done
done

"$opencapf" init --data "$tmp/data" >/dev/null
mkdir -p "$out"
rm -rf "$out/man"
mv "$tmp/man" "$out/man"
cp "$tmp/data/opencapf.toml" "$out/opencapf.toml"
chmod 0644 "$out/opencapf.toml"
gzip -9nc "$src/changelog" >"$out/changelog.gz"
