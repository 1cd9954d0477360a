"""What the helper-program tests share: a copy of dfuscope in a folder of its
own (so that it finds no helper beside it), commands run with the helper's
environment variable removed, and a tally of checks."""
import os
import shutil
import subprocess
import sys


class Checks:
    """Runs commands without the variable `helper_var` unless given, and
    counts what failed."""

    def __init__(self, helper_var):
        self.helper_var = helper_var
        self.failures = []

    def run(self, args, env=None):
        e = dict(os.environ)
        e.pop(self.helper_var, None)
        e.update(env or {})
        return subprocess.run(args, capture_output=True, text=True, timeout=120, env=e)

    def check(self, cond, what, r):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            self.failures.append(what)
            print(f"     exit {r.returncode}\n     stderr: {r.stderr.strip()}")

    def finish(self):
        print("ok" if not self.failures else f"{len(self.failures)} FAILED")
        sys.exit(1 if self.failures else 0)


def program_copy(dfuscope, tmp):
    """dfuscope copied to TMP/bin, where no helper lies beside it."""
    copy = os.path.join(tmp, "bin", "dfuscope")
    os.makedirs(os.path.dirname(copy))
    shutil.copy2(dfuscope, copy)
    return copy
