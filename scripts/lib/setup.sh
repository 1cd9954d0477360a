# Shared set-up for scripts/demo and scripts/test: install what is missing
# (Debian 12, as root or through sudo), then configure and build.
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
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || {
            echo "missing packages: ${missing[*]} (run as root, or install them)" >&2
            return 1
        }
        sudo="sudo"
    fi
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq >/dev/null
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Packages needed to build dfuscope itself.
BUILD_PACKAGES=(build-essential cmake pkg-config python3 libpcap-dev libusb-1.0-0-dev
    libumockdev-dev libglib2.0-dev libwireshark-dev)

# Packages the Wireshark plugin's tests use: tshark and sharkd, Wireshark
# (Qt) under Xvfb for the screenshot, xwd and xdotool to take and drive it.
WIRESHARK_TEST_PACKAGES=(tshark wireshark-common wireshark-qt xvfb xauth x11-apps xdotool)

# configure_build DIR [CMAKE ARGS...]: configure (once) and build into DIR.
configure_build() {
    local dir=$1
    shift
    if [ ! -f "$dir/CMakeCache.txt" ]; then
        log "configuring $dir"
        cmake -S "$DFS_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    fi
    log "building $dir"
    cmake --build "$dir" --parallel "$(nproc)" -- --no-print-directory >/dev/null
}
