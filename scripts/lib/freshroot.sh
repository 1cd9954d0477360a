# Fresh Debian 12 roots for the checks that must start from nothing: the
# README's commands (scripts/fresh-check) and the Debian packages
# (tests/package). Needs root (debootstrap, chroot, mount).
#
# The base root (debootstrap --variant=minbase bookworm) is built once and
# kept as a tarball in ${XDG_CACHE_HOME:-~/.cache}/dfuscope-fresh-check/;
# every root made from it is a folder of its own there, so that checks run
# side by side do not share one.
#   froot_base             build the base tarball when there is none
#   froot_new              a new root from it, with this machine's package
#                          sources; sets FROOT to its path
#   froot_mount ROOT       mount /proc, /sys and /dev in it
#   froot_remove ROOT      unmount and delete it
# Messages go to standard error; each returns non-zero on failure.
# shellcheck shell=bash

FROOT_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/dfuscope-fresh-check
FROOT_BASE=$FROOT_CACHE/bookworm-minbase.tar

froot_base() {
    [ -f "$FROOT_BASE" ] && return 0
    mkdir -p "$FROOT_CACHE" || return 1
    if ! command -v debootstrap >/dev/null; then
        echo "freshroot: installing debootstrap" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null ||
            { echo "freshroot: could not install debootstrap" >&2; return 1; }
    fi
    echo "freshroot: building the base root (once; log: $FROOT_CACHE/debootstrap.log)" >&2
    local tmp
    tmp=$(mktemp -d "$FROOT_CACHE/base.XXXXXX") || return 1
    # mktemp makes it 0700, and the tarball keeps the mode of its "./": a
    # root that only root can enter fails every command run as a user there
    chmod 755 "$tmp" || return 1
    # this machine's Debian mirror (one-line or deb822 sources), else the default
    local mirror
    mirror=$( (sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\(http[^ ]*\) bookworm main.*/\2/p' \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.list
        sed -n 's/^URIs: *\(http[^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/*.sources) \
        2>/dev/null | head -n 1)
    if ! debootstrap --variant=minbase bookworm "$tmp" ${mirror:+"$mirror"} \
        >"$FROOT_CACHE/debootstrap.log" 2>&1; then
        echo "freshroot: debootstrap failed (log: $FROOT_CACHE/debootstrap.log)" >&2
        rm -rf --one-file-system "$tmp"
        return 1
    fi
    tar -C "$tmp" -cf "$FROOT_BASE.$$.tmp" . && mv "$FROOT_BASE.$$.tmp" "$FROOT_BASE"
    local rc=$?
    rm -rf --one-file-system "$tmp"
    return $rc
}

froot_new() {
    froot_base || return 1
    FROOT=$(mktemp -d "$FROOT_CACHE/root.XXXXXX") || return 1
    tar -C "$FROOT" -xf "$FROOT_BASE" || { echo "freshroot: cannot unpack $FROOT_BASE" >&2; return 1; }
    # (a base made before the chmod above has a 0700 "./")
    chmod 755 "$FROOT" || return 1
    cp /etc/apt/sources.list "$FROOT/etc/apt/" 2>/dev/null
    cp /etc/apt/sources.list.d/* "$FROOT/etc/apt/sources.list.d/" 2>/dev/null
    cp /etc/apt/apt.conf.d/* "$FROOT/etc/apt/apt.conf.d/" 2>/dev/null
    cp /etc/resolv.conf "$FROOT/etc/resolv.conf" 2>/dev/null
    return 0
}

froot_mount() {
    mount -t proc proc "$1/proc" && mount --rbind /sys "$1/sys" && mount --make-rslave "$1/sys" &&
        mount --rbind /dev "$1/dev" && mount --make-rslave "$1/dev"
}

froot_unmount() {
    local m
    for m in dev sys proc; do
        mountpoint -q "$1/$m" 2>/dev/null && umount -R -l "$1/$m"
    done
    return 0
}

froot_remove() {
    [ -n "$1" ] && [ -d "$1" ] || return 0
    froot_unmount "$1"
    rm -rf --one-file-system "$1"
}
