"""What the integration tests need from the machine, and how they say so.

scripts/test installs every program the tests use (TEST_PACKAGES in
scripts/lib/setup.sh) and runs as root, so a program or a privilege that is
missing, or a tool that fails, fails the test that needs it: it is never
taken for a skip. A test skips only when it cannot run here by design (no
usbmon in the kernel, no DFU device on the bus, a build without the
feature): it says why and exits 77, which ctest reports as skipped (every
test is registered with SKIP_RETURN_CODE 77), never as passed.
"""
import shutil
import sys

SKIP = 77

# the Debian package of each program the tests run
PACKAGES = {
    "tshark": "tshark",
    "sharkd": "wireshark-common",
    "wireshark": "wireshark-qt",
    "srec_cat": "srecord",
    "dfu-util": "dfu-util",
    "lsusb": "usbutils",
    "chromium": "chromium",
    "xvfb-run": "xvfb",
    "Xvfb": "xvfb",
    "xwd": "x11-apps",
    "xdotool": "xdotool",
    "runuser": "util-linux",
}


def skip(msg):
    """A deliberate skip: ctest reports the test as skipped."""
    print("SKIP: " + msg)
    sys.exit(SKIP)


def fail(msg):
    """Something the test needs is missing or broken: the test fails."""
    print("FAIL: " + msg)
    sys.exit(1)


def missing(*programs):
    """The programs of the list that are not installed, with their packages."""
    return [f"{p} (package {PACKAGES.get(p, p)})" for p in programs if shutil.which(p) is None]


def require(*programs):
    """Fail the test unless every program is installed."""
    gone = missing(*programs)
    if gone:
        fail("not installed: " + ", ".join(gone) + "; scripts/test installs " +
             ("it" if len(gone) == 1 else "them"))
