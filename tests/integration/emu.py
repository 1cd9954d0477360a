"""Helpers of the integration tests of `dfuscope emulate`: run a command
against an emulated device, and a tiny runner that reports each check.

The tests run with the dfuscope binary as argv[1] and DFS_SOURCE_DIR /
DFS_BUILD_DIR in the environment (tests/CMakeLists.txt, dfs_py_test)."""
import os
import subprocess
import sys
import tempfile
import traceback

import tools

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
    """Fail unless the programs are installed (scripts/test installs them)."""
    tools.require(*programs)


def need_bridge():
    """The tests that need the bridge are registered only in builds with it
    (tests/CMakeLists.txt): a dfuscope that cannot emulate fails them."""
    r = subprocess.run([dfuscope(), "emulate", "dfu11-device", "--", "true"],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        tools.fail("dfuscope emulate dfu11-device -- true exited %d: %s"
                   % (r.returncode, r.stderr.strip()))


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
