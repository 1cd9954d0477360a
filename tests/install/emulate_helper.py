#!/usr/bin/env python3
"""`dfuscope emulate` without its helper: a dfuscope with no dfuscope-emulate
where it looks for it (a copy of the program in a folder of its own), or
with DFS_EMULATE_HELPER naming nothing, says what is missing and exits 125
(the emulate command's status for an emulation that could not be set up).
What needs no helper still works there: --help, --list and usage errors.
With DFS_EMULATE_HELPER naming the built helper, the copy runs a command.

usage: emulate_helper.py DFUSCOPE [HELPER]"""
import os
import shutil
import subprocess
import sys
import tempfile


def run(args, env=None):
    e = dict(os.environ)
    e.pop("DFS_EMULATE_HELPER", None)
    e.update(env or {})
    return subprocess.run(args, capture_output=True, text=True, timeout=120, env=e)


def main():
    dfuscope = sys.argv[1]
    helper = sys.argv[2] if len(sys.argv) > 2 else None
    failures = []

    def check(cond, what, r):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failures.append(what)
            print(f"     exit {r.returncode}\n     stderr: {r.stderr.strip()}")

    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "bin", "dfuscope")
        os.makedirs(os.path.dirname(copy))
        shutil.copy2(dfuscope, copy)
        expected = os.path.join(tmp, "libexec", "dfuscope", "dfuscope-emulate")
        r = run([copy, "emulate", "dfu11-device", "--", "true"])
        check(r.returncode == 125 and expected in r.stderr and "dfuscope emulate:" in r.stderr,
              f"no helper: exit 125 naming {expected}", r)
        r = run([copy, "emulate", "dfu11-device", "--", "true"],
                {"DFS_EMULATE_HELPER": os.path.join(tmp, "nothing")})
        check(r.returncode == 125 and "DFS_EMULATE_HELPER=" + os.path.join(tmp, "nothing")
              in r.stderr, "DFS_EMULATE_HELPER naming nothing: exit 125", r)
        r = run([copy, "emulate", "--list"])
        check(r.returncode == 0 and "stm32g0c1-bootloader" in r.stdout,
              "--list without the helper", r)
        r = run([copy, "emulate", "--help"])
        check(r.returncode == 0 and "Usage:" in r.stdout, "--help without the helper", r)
        r = run([copy, "emulate", "nosuch", "--", "true"])
        check(r.returncode == 2 and "unknown model 'nosuch'" in r.stderr,
              "usage error without the helper: exit 2", r)
        if helper:
            r = run([copy, "emulate", "dfu11-device", "--", "sh", "-c", "exit 7"],
                    {"DFS_EMULATE_HELPER": os.path.abspath(helper)})
            check(r.returncode == 7, "DFS_EMULATE_HELPER runs the helper: the command's status", r)
    print("ok" if not failures else f"{len(failures)} FAILED")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
