#!/usr/bin/env python3
"""`dfuscope emulate` without its helper: a dfuscope with no dfuscope-emulate
where it looks for it (a copy of the program in a folder of its own), or
with DFS_EMULATE_HELPER naming nothing, says what is missing and exits 125
(the emulate command's status for an emulation that could not be set up).
What needs no helper still works there: --help, --list and usage errors.
With DFS_EMULATE_HELPER naming the built helper, the copy runs a command.

usage: emulate_helper.py DFUSCOPE [HELPER]"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from helperless import Checks, program_copy  # noqa: E402


def main():
    dfuscope = sys.argv[1]
    helper = sys.argv[2] if len(sys.argv) > 2 else None
    c = Checks("DFS_EMULATE_HELPER")
    run, check = c.run, c.check

    with tempfile.TemporaryDirectory() as tmp:
        copy = program_copy(dfuscope, tmp)
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
    c.finish()


if __name__ == "__main__":
    main()
