#!/usr/bin/env bash
# The Debian package, end to end: scripts/package.sh builds it; lintian finds no error; dpkg
# installs it into a fresh Debian 12 root made by mmdebstrap (the opencapf user, /var/lib/opencapf,
# the conffile), where the unit passes `systemd-analyze verify`; there, in private mount, PID and
# network namespaces (loopback only), the unit's ExecStart runs as the unit's User and a simulated
# phone gets its LSC; SIGHUP reloads, SIGTERM stops cleanly.
# The root, with the package's dependencies (and systemd and man-db, for the verify) installed, is
# cached as a tarball keyed by that package list (OPENCAPF_PACKAGE_CACHE, default
# BUILD_DIR/packaging-cache): only the first run downloads from the apt mirror; later runs are
# offline.
# Usage: package_end_to_end.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2
cache=${OPENCAPF_PACKAGE_CACHE:-$build/packaging-cache}
work=$(mktemp -d /tmp/opencapf-package.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

step "scripts/package.sh builds the .deb"
"$src/scripts/package.sh" "$work/out"
version=$(sed -n 's/^project(opencapf VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
deb=$work/out/opencapf_${version}_amd64.deb
[ -f "$deb" ] || fail "no $deb (found: $(ls "$work/out"))"

step "lintian: no errors"
lintian --fail-on error "$deb" >"$work/lintian.txt" 2>&1 ||
  { cat "$work/lintian.txt" >&2; fail "lintian reports errors"; }
cat "$work/lintian.txt"

step "contents"
dpkg-deb --contents "$deb" | awk '{ print $1, $2, $6 }' >"$work/contents.txt"
for want in "-rwxr-xr-x root/root ./usr/bin/opencapf" \
            "-rw-r--r-- root/root ./etc/opencapf/opencapf.toml" \
            "-rw-r--r-- root/root ./lib/systemd/system/opencapf.service" \
            "-rw-r--r-- root/root ./usr/share/man/man1/opencapf.1.gz" \
            "-rw-r--r-- root/root ./usr/share/man/man1/opencapf-serve.1.gz" \
            "-rw-r--r-- root/root ./usr/share/man/man1/opencapf-device-set.1.gz" \
            "-rw-r--r-- root/root ./usr/share/bash-completion/completions/opencapf"; do
  grep -qxF -- "$want" "$work/contents.txt" || { cat "$work/contents.txt" >&2; fail "missing: $want"; }
done
dpkg-deb --info "$deb" conffiles >"$work/conffiles"
grep -qx /etc/opencapf/opencapf.toml "$work/conffiles" || fail "opencapf.toml is not a conffile"
cmp <(dpkg-deb --fsys-tarfile "$deb" | tar -xO ./etc/opencapf/opencapf.toml) \
  "$build/packaging/opencapf.toml" || fail "the conffile is not the default configuration"

step "the Debian 12 root (cache: $cache)"
depends=$(dpkg-deb --field "$deb" Depends)
# "libc6 (>= 2.34), adduser, a | b" -> "libc6,adduser,a": the first of each alternative.
include=$(tr ',' '\n' <<<"$depends" | sed 's/|.*//; s/(.*)//; s/ //g' | paste -sd, -)
include+=,systemd,man-db  # systemd-analyze verify, and the man pages it checks
base=$cache/bookworm-$(sha256sum <<<"$include" | cut -c1-16).tar
if [ ! -f "$base" ]; then
  mkdir -p "$cache"
  rm -f "$cache"/bookworm-*.tar  # an older Depends line's root
  rm -rf "$cache"/*.part.tar
  # mmdebstrap picks its output format from the name: .tar is a tarball.
  timeout 600 mmdebstrap --quiet --variant=apt --include="$include" bookworm "${base%.tar}.part.tar"
  mv "${base%.tar}.part.tar" "$base"
fi
root=$work/root
mkdir "$root"
tar -C "$root" --exclude='./dev/*' -xf "$base"
cp "$deb" "$root/tmp/opencapf.deb"
cp "$src/tests/packaging/inside_root.sh" "$root/tmp/inside_root.sh"

step "install and serve inside the root (private network namespace: loopback only)"
unshare --mount --net --pid --fork --kill-child sh -e -c '
  ip link set lo up
  mount -t proc proc "$1/proc"
  mount --rbind /dev "$1/dev"
  exec timeout 300 chroot "$1" /bin/bash /tmp/inside_root.sh' sh "$root"
echo "package_end_to_end: ok"
