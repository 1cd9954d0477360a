"""Helpers of the integration tests of `dfuscope emulate`: run a command
against an emulated device, and a tiny runner that reports each check.

The tests run with the dfuscope binary as argv[1] and DFS_SOURCE_DIR /
DFS_BUILD_DIR in the environment (tests/CMakeLists.txt, dfs_py_test)."""
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

SKIP = 77

SOURCE_DIR = os.environ.get("DFS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD_DIR = os.environ.get("DFS_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
HOSTS_DIR = os.path.join(BUILD_DIR, "fixtures")
SEED_DIR = os.path.join(SOURCE_DIR, "tests", "data", "seed")
CAPTURES_DIR = os.path.join(SOURCE_DIR, "fixtures", "captures")


def dfuscope():
    return os.path.abspath(sys.argv[1])


def host(name):
    return os.path.join(HOSTS_DIR, name)


def emulate(model, command, options=(), pcap=None, cwd=None, timeout=120, extra=()):
    """Run `dfuscope emulate MODEL ... -- COMMAND` and return the
    CompletedProcess (stdout and stderr as text)."""
    args = [dfuscope(), "emulate", model]
    for o in options:
        args += ["--option", o]
    if pcap:
        args += ["--pcap", pcap]
    args += list(extra)
    args += ["--"] + list(command)
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def pattern(n, seed=1):
    """n deterministic bytes that look like data."""
    x, out = seed, bytearray()
    for _ in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        out.append(x >> 16 & 0xFF)
    return bytes(out)


def need(*programs):
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        print("SKIP: not installed: " + ", ".join(missing) + " (scripts/test installs them)")
        sys.exit(SKIP)


def need_bridge():
    r = subprocess.run([dfuscope(), "emulate", "dfu11-device", "--", "true"],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0 and "without the emulation bridge" in r.stderr:
        print("SKIP: dfuscope was built without umockdev (" + r.stderr.strip() + ")")
        sys.exit(SKIP)


def run_checks(checks):
    """Run each check (a function), print ok/FAIL, exit 0 or 1."""
    failed = 0
    for check in checks:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                check(tmp)
                print(f"ok   {check.__name__}")
            except Exception:  # report every failing check, not only the first
                failed += 1
                print(f"FAIL {check.__name__}")
                traceback.print_exc(file=sys.stdout)
    sys.exit(1 if failed else 0)


def assert_in(needle, haystack, what=""):
    if needle not in haystack:
        raise AssertionError(f"{what}: {needle!r} not in:\n{haystack}")
