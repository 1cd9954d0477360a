#!/usr/bin/env bash
# The Debian packages on a machine that has never seen dfuscope:
#  1. scripts/package builds them from this source tree; lintian reports no
#     error (its warnings are printed);
#  2. in a fresh Debian 12 root (scripts/lib/freshroot.sh: debootstrap
#     --variant=minbase bookworm, cached), `apt-get install ./*.deb`
#     installs them with what they depend on, plus man-db and tshark;
#  3. there: dfuscope diagnose finds the seed's error in a fixture capture,
#     the program loads no glib (ldd), `man -w dfuscope` finds the page,
#     `dfuscope emulate` runs a command through the packaged helper,
#     `dfuscope wireshark-install --print` finds the packaged plugin, and
#     `tshark -G plugins`, run as a user who is not root, lists dfuscope,
#     whose fields then show the finding.
# Needs root (chroot, mount) and the tools scripts/test installs
# (debhelper, lintian, debootstrap): without them it fails, it does not skip.
# Prints how long each step took.
#   check_debs.sh WORKDIR
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
work=${1:?usage: check_debs.sh WORKDIR}
seed=$src/fixtures/captures/seed-cubeprogrammer-ob-write.pcapng
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }
t0=$(date +%s)
lap() { echo "     ($(($(date +%s) - t0)) s so far)"; }

[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (chroot and mount for the fresh root)"; exit 1; }
missing=()
for tool in dpkg-buildpackage dh lintian chroot mount tar; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
source "$src/scripts/lib/freshroot.sh"
[ -f "$FROOT_BASE" ] || command -v debootstrap >/dev/null || missing+=(debootstrap)
[ ${#missing[@]} -eq 0 ] ||
    { echo "FAIL: not installed: ${missing[*]} (scripts/test installs them)"; exit 1; }

rm -rf "$work"
mkdir -p "$work"
debs=$work/debs

# ---- 1. build, lintian
if "$src/scripts/package" "$debs" >"$work/package.log" 2>&1; then
    ok "scripts/package built $(ls "$debs"/*.deb | wc -l) packages"
else
    tail -n 30 "$work/package.log"
    fail "scripts/package (log: $work/package.log)"
fi
for p in dfuscope libdfuscope0.1 libdfuscope-dev dfuscope-wireshark; do
    compgen -G "$debs/${p}_*.deb" >/dev/null || fail "no package $p"
done
if [ -f "$debs/lintian.txt" ]; then
    errors=$(grep -c '^E: ' "$debs/lintian.txt")
    [ "$errors" = 0 ] && ok "lintian: no error" ||
        { grep '^E: ' "$debs/lintian.txt"; fail "lintian: $errors errors"; }
    grep -E '^(W|I|P): ' "$debs/lintian.txt" | sed 's/^/     lintian /'
else
    fail "lintian did not run"
fi
lap
[ $failures = 0 ] || { echo "$failures FAILED"; exit 1; }

# ---- 2. a fresh root, the packages installed there
froot_new || { echo "FAIL: cannot make a fresh root"; exit 1; }
root=$FROOT
trap 'froot_remove "$root"' EXIT
froot_mount "$root" || fail "mounting /proc, /sys, /dev in $root"
mkdir -p "$root/tmp/debs"
cp "$debs"/*.deb "$root/tmp/debs/"
cp "$seed" "$root/tmp/seed.pcapng"
chmod 644 "$root/tmp/seed.pcapng"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
if in_root apt-get update >"$work/apt.log" 2>&1 &&
    in_root sh -c 'cd /tmp/debs && apt-get install -y ./*.deb man-db tshark' \
        >>"$work/apt.log" 2>&1; then
    ok "apt-get install ./*.deb man-db tshark in a fresh Debian 12 root"
else
    tail -n 30 "$work/apt.log"
    fail "apt-get install in the fresh root (log: $work/apt.log)"
    echo "$failures FAILED"
    exit 1
fi
for p in dfuscope libdfuscope0.1 libdfuscope-dev dfuscope-wireshark umockdev; do
    in_root dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' &&
        ok "installed: $p" || fail "not installed: $p"
done
lap

# ---- 3. what a user does with them
out=$(in_root dfuscope --version 2>&1)
[ "$out" = "dfuscope $(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)" ] &&
    ok "dfuscope --version: $out" || fail "dfuscope --version: $out"
out=$(in_root dfuscope diagnose /tmp/seed.pcapng 2>&1)
rc=$?
if [ $rc = 1 ] && grep -q 'error: Option-byte write reset the device (dfuse.option-bytes-reset at frame 245)' <<<"$out"; then
    ok "dfuscope diagnose: the seed's option-byte reset, exit 1"
else
    fail "dfuscope diagnose: exit $rc: $(head -n 5 <<<"$out")"
fi
out=$(in_root ldd /usr/bin/dfuscope 2>&1)
grep -Eq 'glib|gobject|gio-|umockdev|libpcap' <<<"$out" &&
    fail "dfuscope loads glib, umockdev or libpcap: $out" ||
    ok "dfuscope loads no glib, umockdev or libpcap (ldd)"
# live capture through the packaged helper: under a system root without
# usbmon its answer is about usbmon, not about a missing helper
out=$(in_root env DFUSCOPE_SYSROOT=/tmp dfuscope capture -w /tmp/live.pcap 2>&1)
rc=$?
if [ $rc = 2 ] && grep -q usbmon <<<"$out" && ! grep -q helper <<<"$out"; then
    ok "dfuscope capture reaches the packaged capture helper"
else
    fail "dfuscope capture: exit $rc: $out"
fi
for page in dfuscope dfuscope-diagnose dfuscope-emulate; do
    out=$(in_root man -w "$page" 2>&1)
    [ "$out" = "/usr/share/man/man1/$page.1.gz" ] && ok "man -w $page: $out" ||
        fail "man -w $page: $out"
done
out=$(in_root dfuscope emulate dfu11-device -- sh -c 'exit 3' 2>&1)
rc=$?
[ $rc = 3 ] && ok "dfuscope emulate runs a command through the packaged helper" ||
    fail "dfuscope emulate: exit $rc (not the command's 3): $out"
plugin=$(in_root dfuscope wireshark-install --print 2>&1 | sed -n 's/^plugin //p')
[ -n "$plugin" ] && [ -f "$root$plugin" ] && ok "dfuscope wireshark-install finds $plugin" ||
    fail "dfuscope wireshark-install --print: $plugin"
in_root useradd -m dfstest || fail "useradd"
out=$(in_root runuser -u dfstest -- env HOME=/home/dfstest tshark -G plugins 2>&1)
if grep -q 'dfuscope\.so' <<<"$out"; then
    ok "tshark -G plugins as a user lists $(grep 'dfuscope\.so' <<<"$out" | awk '{print $1, $2}')"
else
    fail "tshark -G plugins as a user does not list dfuscope: $(head -n 20 <<<"$out")"
fi
out=$(in_root runuser -u dfstest -- env HOME=/home/dfstest tshark -r /tmp/seed.pcapng \
    -Y 'dfuscope.finding == "dfuse.option-bytes-reset"' -T fields -e frame.number 2>&1)
# (on every frame that proves it, as dfuscope diagnose lists them)
[ "$(echo $out)" = "242 243 244 245" ] &&
    ok "tshark as a user: dfuscope.finding dfuse.option-bytes-reset on frames 242-245" ||
    fail "tshark -Y dfuscope.finding: $out"

echo "the package test took $(($(date +%s) - t0)) s"
[ $failures = 0 ] && { echo ok; exit 0; }
echo "$failures FAILED"
exit 1
