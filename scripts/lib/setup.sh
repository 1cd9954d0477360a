# Shared set-up for scripts/demo and scripts/test: install what is missing
# (Debian 12, as root or through sudo), then configure and build.
# Either script works on a fresh machine, in either order, and again after an
# interrupted or failed earlier run.
# shellcheck shell=bash

DFS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export DFS_ROOT

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# ensure_packages PKG...: apt-get install the packages that are not installed.
ensure_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || {
            echo "missing packages: ${missing[*]} (run as root, or install them)" >&2
            return 1
        }
        sudo=(sudo)
    fi
    log "installing ${missing[*]}"
    local out
    out=$(mktemp)
    # (an interrupted earlier install leaves packages unpacked but not
    # configured: finish it first, or apt-get refuses to go on)
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive dpkg --configure -a >"$out" 2>&1 ||
        ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update >>"$out" 2>&1 ||
        ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y --no-install-recommends "${missing[@]}" >>"$out" 2>&1; then
        tail -n 30 "$out" >&2
        echo "could not install: ${missing[*]} (apt-get's output above)" >&2
        rm -f "$out"
        return 1
    fi
    rm -f "$out"
}

# What the demo needs: a C compiler, CMake, and the two libraries the
# dfuscope program links (libpcap for live capture, libusb for `run`).
DEMO_PACKAGES=(build-essential cmake pkg-config libpcap-dev libusb-1.0-0-dev)

# Packages the Wireshark plugin's tests use: tshark and sharkd, Wireshark
# (Qt) under Xvfb for the screenshot, xwd and xdotool to take and drive it.
WIRESHARK_TEST_PACKAGES=(tshark wireshark-common wireshark-qt xvfb xauth x11-apps xdotool)

# What scripts/package needs to build the Debian packages (debian/control's
# Build-Depends, dpkg-buildpackage's debhelper) and to check them (lintian).
PACKAGE_PACKAGES=("${DEMO_PACKAGES[@]}" debhelper help2man libumockdev-dev libglib2.0-dev
    libwireshark-dev lintian)

# The Windows build (scripts/build-windows) and its test under Wine: the
# mingw-w64 cross-compiler and Debian's 64-bit Wine.
WINDOWS_TEST_PACKAGES=(gcc-mingw-w64-x86-64 wine wine64)

# What scripts/test builds and runs: everything above, cmocka and Python for
# the tests, clang (second compiler, libFuzzer), the emulation bridge
# (umockdev, glib), Wireshark's development files for the plugin, help2man
# for the man pages, the real tools the tests use as oracles (man and groff
# for the man pages; debootstrap for the packages' fresh root; GNU time for peak
# memory in integration.log-diagnosis; dfu-programmer, the host of the Atmel
# FLIP model; GNU cpio, which builds the ESP32 DFU archives of
# integration.extract-esp-archive; python3-usb, pyusb for the pydfu.py-like host
# fixtures/hosts/pydfu_like.py), and the two shells the completions are tested in (bash with
# bash-completion, zsh).
TEST_PACKAGES=("${DEMO_PACKAGES[@]}" python3 libcmocka-dev clang libclang-rt-14-dev
    umockdev libumockdev-dev libglib2.0-dev libwireshark-dev dfu-util dfu-programmer python3-usb
    usbutils srecord cpio fwupd chromium bash-completion zsh "${WIRESHARK_TEST_PACKAGES[@]}"
    help2man man-db groff-base "${PACKAGE_PACKAGES[@]}" debootstrap time
    "${WINDOWS_TEST_PACKAGES[@]}")

# have_build_system DIR: was DIR configured to the end (a generated build
# system, not only the CMakeCache.txt a failed configure leaves behind)?
have_build_system() {
    [ -f "$1/Makefile" ] || [ -f "$1/build.ninja" ]
}

# run_logged LOG CMD...: run CMD with its output in LOG; on failure show the
# end of LOG and where it is.
run_logged() {
    local logf=$1
    shift
    if ! "$@" >"$logf" 2>&1; then
        tail -n 40 "$logf" >&2
        echo "failed: $* (whole output: $logf)" >&2
        return 1
    fi
}

# configure DIR [CMAKE ARGS...]: configure DIR. A directory configured with
# another compiler is configured again from scratch (CMake cannot switch).
configure() {
    local dir=$1
    shift
    local cc=${CC:-}
    if [ -n "$cc" ] && [ -f "$dir/CMakeCache.txt" ]; then
        local cached
        cached=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$dir/CMakeCache.txt")
        case $cached in
            "" | */"$cc" | "$cc") ;;
            *) rm -rf "$dir/CMakeCache.txt" "$dir/CMakeFiles" ;;
        esac
    fi
    mkdir -p "$dir"
    log "configuring $dir"
    run_logged "$dir.configure.log" cmake -S "$DFS_ROOT" -B "$dir" "$@"
}

# build DIR: build everything in DIR.
build() {
    log "building $1"
    run_logged "$1.build.log" cmake --build "$1" --parallel "$(nproc)" -- --no-print-directory
}

# configure_build DIR [CMAKE ARGS...]: configure DIR when CMake ARGS are given
# or when it has no complete build system yet, then build it.
configure_build() {
    local dir=$1
    shift
    if [ $# -gt 0 ] || ! have_build_system "$dir"; then
        configure "$dir" "$@"
    fi
    build "$dir"
}
