"""Running tshark and Wireshark with the dfuscope plugin, for the plugin's
integration tests.

Wireshark ignores personal plugin folders (and WIRESHARK_PLUGIN_DIR) when run
as root, so as root the tools run as the unprivileged user `nobody`, with a
fresh HOME whose personal plugin folder holds the plugin under test:
    $HOME/.local/lib/wireshark/plugins/X.Y/epan/dfuscope.so
Captures are copied into that HOME so that `nobody` can read them. A normal
user runs the tools directly with the same HOME.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tools import SKIP, fail, require, skip  # noqa: E402,F401


def tshark_version():
    out = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout
    m = re.search(r"TShark \(Wireshark\) (\d+)\.(\d+)", out)
    if not m:
        raise RuntimeError("cannot tell the tshark version from: " + out[:200])
    return f"{m.group(1)}.{m.group(2)}"


class Env:
    """A HOME with the plugin installed, and a way to run tools there."""

    def __init__(self, plugin, keep=False):
        require("tshark")
        if not os.path.isfile(plugin):
            raise RuntimeError(f"plugin {plugin} does not exist")
        self.root = os.geteuid() == 0
        if self.root:
            require("runuser")  # Wireshark loads no personal plugins as root
        self.home = tempfile.mkdtemp(prefix="dfs-ws-")
        self.keep = keep
        self.version = tshark_version()
        self.plugdir = os.path.join(self.home, ".local/lib/wireshark/plugins", self.version,
                                    "epan")
        os.makedirs(self.plugdir)
        shutil.copy(plugin, os.path.join(self.plugdir, "dfuscope.so"))
        self.data = os.path.join(self.home, "data")
        os.makedirs(self.data)
        # no extcap helpers: they are not under test, slow start-up, and stall
        # under a preloaded sanitizer runtime
        self.extcap = os.path.join(self.home, "extcap")
        os.makedirs(self.extcap)
        if self.root:
            for dirpath, dirnames, filenames in os.walk(self.home):
                for n in dirnames + filenames:
                    shutil.chown(os.path.join(dirpath, n), "nobody", "nogroup")
            shutil.chown(self.home, "nobody", "nogroup")
            os.chmod(self.home, 0o755)
        self._check_loaded()

    def close(self):
        if not self.keep:
            shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def capture(self, path):
        """A copy of a capture file that the tools can read."""
        dst = os.path.join(self.data, os.path.basename(path))
        if not os.path.exists(dst):
            shutil.copy(path, dst)
            if self.root:
                shutil.chown(dst, "nobody", "nogroup")
        return dst

    def command(self, argv, env=None):
        base = {"HOME": self.home, "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "WIRESHARK_EXTCAP_DIR": self.extcap}
        preload = os.environ.get("DFS_PLUGIN_PRELOAD")
        if preload:
            # a plugin built with the sanitizers needs their runtime loaded first;
            # Wireshark's own allocations at exit are not ours to report
            base["LD_PRELOAD"] = preload
            base["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=1"
            base["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
        if env:
            base.update(env)
        envargs = [f"{k}={v}" for k, v in base.items()]
        if self.root:
            return ["runuser", "-u", "nobody", "--", "env", "-i"] + envargs + argv
        return ["env", "-i"] + envargs + argv

    def run(self, argv, env=None, check=True, timeout=600, **kw):
        res = subprocess.run(self.command(argv, env), capture_output=True, text=True,
                             timeout=timeout, **kw)
        if check and res.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited {res.returncode}:\n{res.stderr}")
        return res

    def tshark(self, args, **kw):
        return self.run(["tshark", "-n"] + args, **kw)

    def _check_loaded(self):
        want = os.path.join(self.plugdir, "dfuscope.so")
        out = self.run(["tshark", "-G", "plugins"], timeout=120).stdout
        if want not in out:
            raise RuntimeError(f"tshark did not load {want}; tshark -G plugins says:\n{out}")

    def fields(self, capture, fields, extra=(), two_pass=False, cut_short_ok=False):
        """{frame: {field: [values]}} for every frame, from -T fields.
        cut_short_ok: accept tshark's exit 2 for a file cut short."""
        args = ["-r", capture, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
                "-E", "aggregator=|", "-e", "frame.number"]
        for f in fields:
            args += ["-e", f]
        if two_pass:
            args.insert(0, "-2")
        res = self.tshark(list(extra) + args, check=not cut_short_ok)
        if res.returncode != 0 and not (res.returncode == 2 and "cut short" in res.stderr):
            raise RuntimeError(f"tshark {' '.join(args)} exited {res.returncode}:\n"
                               f"{res.stderr}")
        out = res.stdout
        rows = {}
        for line in out.splitlines():
            cols = line.split("\t")
            cols += [""] * (len(fields) + 1 - len(cols))
            rows[int(cols[0])] = {f: (c.split("|") if c else []) for f, c in
                                  zip(fields, cols[1:])}
        return rows
