#!/usr/bin/env python3
"""The golden set: what dfuscope and its Wireshark plugin print today, for
every capture the project has, kept so that a change in any output is seen.

usage: golden.py [DFUSCOPE] check|update [--plugin DFUSCOPE.SO|--no-plugin] [--jobs N]

  check   (ctest: integration.golden) run every item and compare it with the
          stored one; print a unified diff of the first differences; fail on
          any difference, any missing item and any extra stored item.
  update  run every item and rewrite the set (files no longer produced are
          removed). Only with a reason in the commit message (README.md).
          DFS_UPDATE_GOLDEN=1 turns `check` into `update`, so that
          `DFS_UPDATE_GOLDEN=1 ctest -R integration.golden` rewrites the set.

DFUSCOPE defaults to $DFS_BUILD_DIR/cli/dfuscope, the plugin to
$DFS_BUILD_DIR/dissector/dfuscope.so ($DFS_BUILD_DIR defaults to build/ in
the source tree). tshark and the plugin are required: a missing one fails the
check (scripts/test installs everything).

The captures (see README.md for the layout of the set):
  fixtures/             fixtures/captures/*.pcap, *.pcapng
  real/                 tests/data/real/*.pcap, *.pcapng (captures made by
                        others: usbmon, USBPcap, USB_DARWIN)
  real/packetry/        tests/data/real/packetry/*.pcap, *.pcapng (packet-level
                        captures of Packetry's test suite)
  malformed/            tests/malformed/*.pcap, *.pcapng
Every item of a capture is one file GROUP/CAPTURE/VIEW.txt (VIEW.txt.xz when
large, see COMPRESS_OVER), holding the command, its exit status, standard
error and standard output (and, for extract, the file it wrote).

Normalisations (nothing else is changed in what the programs print):
  - None for the names of the captures: dfuscope runs in the source tree,
    and captures are named relative to it (fixtures/captures/x.pcapng,
    tests/data/real/x.pcap), so the names it prints do not depend on where
    the tree is.
  - extract writes into a fresh temporary directory; its path, which
    extract prints, is recorded as $TMP.
  - tshark reads a copy of the capture in its own temporary HOME (it runs as
    the user nobody when run as root: tests/integration/wsplugin.py); the
    copy's path, which tshark prints in its messages, is recorded as the
    capture's path in the source tree, and the HOME as $HOME.
"""

import concurrent.futures
import difflib
import hashlib
import lzma
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
import wsplugin  # noqa: E402

CAPTURE_EXTS = (".pcap", ".pcapng")
# a stored item larger than this is kept xz-compressed (README.md)
COMPRESS_OVER = 256 * 1024
# how many differences to show as a diff, and how many diff lines for each
SHOW_DIFFS = 5
DIFF_LINES = 80
TIMEOUT = 300

# the views whose output is all they do (everything but extract): item name,
# arguments before the capture
PLAIN_VIEWS = [
    ("decode", ["decode"]),
    ("decode-json", ["decode", "--json"]),
    ("decode-urbs", ["decode", "--urbs"]),
    ("decode-urbs-json", ["decode", "--urbs", "--json"]),
    ("decode-dfu", ["decode", "--dfu"]),
    ("decode-dfu-json", ["decode", "--dfu", "--json"]),
    ("descriptors", ["descriptors"]),
    ("descriptors-json", ["descriptors", "--json"]),
    ("diagnose", ["diagnose"]),
    ("diagnose-json", ["diagnose", "--json"]),
    ("diagnose-color", ["diagnose", "--color", "always"]),
    ("report", ["report"]),
    ("script-from", ["script-from"]),
    ("script-from-standard", ["script-from", "--standard"]),
]
# extract: the formats, by the output file's extension (the default way to
# choose one); bin is always run, ihex and srec when bin wrote a file
EXTRACT_FORMATS = [("bin", "image.bin"), ("hex", "image.hex"), ("srec", "image.srec")]
EXTRACT_DIRECTIONS = ["download", "upload"]
# tshark: the frame, the packet-list summary, the expert infos (the plugin
# adds one per finding), then every dfuscope.* field
TSHARK_FIRST = ["frame.number", "_ws.col.Info", "_ws.expert.message", "_ws.expert.severity",
                "_ws.expert.group"]


class Fatal(Exception):
    pass


# ---- the captures ------------------------------------------------------------------------

class Capture:
    def __init__(self, group, path, arg, cwd=SRC):
        self.group = group      # directory of its items in the set
        self.path = path        # where it is (absolute)
        self.arg = arg          # how dfuscope is given it: relative to cwd
        self.cwd = cwd          # the source tree, or a stand-in (find_captures)
        self.name = os.path.basename(path)

    @property
    def key(self):
        return self.group + "/" + self.name


def captures_in(d):
    return sorted(f for f in os.listdir(d)
                  if f.endswith(CAPTURE_EXTS) and os.path.isfile(os.path.join(d, f)))


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def find_captures(stage):
    """The captures (stage, a temporary directory, is not needed for them)."""
    del stage
    caps = []
    for group, rel in (("fixtures", "fixtures/captures"), ("real", "tests/data/real"),
                       ("real/packetry", "tests/data/real/packetry"),
                       ("malformed", "tests/malformed")):
        for f in captures_in(os.path.join(SRC, rel)):
            caps.append(Capture(group, os.path.join(SRC, rel, f), rel + "/" + f))
    return caps


# ---- recording -------------------------------------------------------------------------

def lines_header(label, data):
    n = data.count(b"\n")
    what = f"{n} line" + ("" if n == 1 else "s")
    if data and not data.endswith(b"\n"):
        what += " and an unterminated last line"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", "backslashreplace")
        what += "; not UTF-8, bytes outside UTF-8 written as \\xNN"
    out = f"--- {label}: {what}\n" + text
    if data and not data.endswith(b"\n"):
        out += "\n"
    return out


def hexdump(data):
    out = []
    for i in range(0, len(data), 16):
        chunk = data[i:i + 16]
        out.append(f"{i:08x}  {chunk.hex(' ')}\n")
    return "".join(out)


def render(argv, rc, out, err, subs, files=None):
    """One item as text: the command, exit status, standard error, standard
    output, and the files written (name -> bytes, None when not written)."""
    def norm(b):
        for old, new in subs:
            b = b.replace(old.encode(), new.encode())
        return b
    cmd = " ".join(argv)
    for old, new in subs:
        cmd = cmd.replace(old, new)
    text = f"$ {cmd}\nexit {rc}\n"
    text += lines_header("stderr", norm(err))
    text += lines_header("stdout", norm(out))
    for name, data in (files or {}).items():
        if data is None:
            text += f"--- file {name}: not written\n"
        elif name.endswith(".bin"):
            text += f"--- file {name}: {len(data)} bytes (hex)\n" + hexdump(data)
        else:
            text += lines_header("file " + name, norm(data))
    return text


def run(argv, cwd):
    p = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=TIMEOUT)
    return p.returncode, p.stdout, p.stderr


def job_plain(dfuscope, cap, view, args):
    rc, out, err = run([dfuscope] + args + [cap.arg], cap.cwd)
    return [(f"{cap.key}/{view}", render(["dfuscope"] + args + [cap.arg], rc, out, err, []))]


def job_extract(dfuscope, cap, direction):
    items = []
    for fmt, fname in EXTRACT_FORMATS:
        with tempfile.TemporaryDirectory(prefix="dfs-golden-") as tmp:
            dst = os.path.join(tmp, fname)
            cmd = ["extract", "--direction", direction, cap.arg, "-o", dst]
            rc, out, err = run([dfuscope] + cmd, cap.cwd)
            data = None
            if os.path.exists(dst):
                with open(dst, "rb") as f:
                    data = f.read()
            items.append((f"{cap.key}/extract-{direction}-{fmt}",
                          render(["dfuscope"] + cmd, rc, out, err, [(tmp, "$TMP")],
                                 {fname: data})))
        if fmt == "bin" and data is None:
            break  # nothing extracted: the other formats say the same
    return items


class Tshark:
    """tshark with the plugin under test, in a HOME of its own (wsplugin.Env)."""

    def __init__(self, plugin):
        if shutil.which("tshark") is None:
            raise Fatal("tshark is not installed (scripts/test installs it)")
        if not plugin or not os.path.isfile(plugin):
            raise Fatal(f"the Wireshark plugin {plugin or '(not built)'} does not exist: "
                        "configure with libwireshark-dev installed and build dfuscope_plugin")
        if os.geteuid() == 0 and shutil.which("runuser") is None:
            raise Fatal("running as root without runuser: cannot run tshark as a normal user")
        try:
            self.env = wsplugin.Env(plugin)
        except RuntimeError as e:  # tshark did not load the plugin
            raise Fatal(str(e))

    def close(self):
        self.env.close()

    def subs(self):
        return [(self.env.home, "$HOME")]

    def copy(self, cap):
        dst = os.path.join(self.env.data, cap.group, cap.name)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy(cap.path, dst)
        if self.env.root:  # tshark runs as nobody: it must read the copy
            p = dst
            while p != self.env.data:
                shutil.chown(p, "nobody", "nogroup")
                p = os.path.dirname(p)
        return dst

    def run(self, args):
        p = subprocess.run(self.env.command(["tshark"] + args), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=TIMEOUT)
        return p.returncode, p.stdout, p.stderr

    def fields(self):
        """The dfuscope rows of `tshark -G fields`, as an item, and the field names."""
        rc, out, err = self.run(["-G", "fields"])
        rows, names = [], []
        for line in out.decode("utf-8", "replace").splitlines():
            cols = line.split("\t")
            if len(cols) > 2 and ((cols[0] == "P" and cols[2] == "dfuscope") or
                                  (cols[0] == "F" and cols[2].startswith("dfuscope."))):
                rows.append(line + "\n")
                if cols[0] == "F":
                    names.append(cols[2])
        if rc != 0 or not names:
            raise Fatal(f"tshark -G fields exited {rc} with no dfuscope field:\n"
                        + err.decode("utf-8", "replace"))
        text = render(["tshark", "-G", "fields", "(the dfuscope rows)"], rc,
                      "".join(rows).encode(), err, self.subs())
        return ("plugin/tshark-fields", text), names

    def version(self):
        """The first line of tshark --version: TShark (Wireshark) 4.0.17 (...)."""
        rc, out, _ = self.run(["--version"])
        return out.decode("utf-8", "replace").splitlines()[0] if out else f"exit {rc}"


def job_tshark(ts, fields, cap):
    copy = ts.copy(cap)
    args = ["-n", "-r", copy, "-T", "fields", "-E", "header=y", "-E", "occurrence=a",
            "-E", "aggregator=|"]
    for f in TSHARK_FIRST + fields:
        args += ["-e", f]
    rc, out, err = ts.run(args)
    subs = [(copy, cap.arg)] + ts.subs()
    shown = ["tshark"] + [cap.arg if a == copy else a for a in args]
    return [(f"{cap.key}/tshark", render(shown, rc, out, err, subs))]


def inputs_item(caps, tshark_version):
    # only Wireshark's major.minor (the plugin's ABI): a patch release that
    # changes nothing passes; one that changes tshark's output shows there
    m = re.match(r"TShark \(Wireshark\) (\d+\.\d+)\.", tshark_version)
    lines = [f"tshark: Wireshark {m.group(1) if m else tshark_version}\n"]
    for c in caps:
        lines.append(f"{c.key}  {c.arg}  {os.path.getsize(c.path)} bytes  "
                     f"sha256 {sha256(c.path)}\n")
    return ("inputs", "The captures of the golden set (a change here explains the "
            "differences below it)\n" + "".join(lines))


def check_no_local_path(items, paths):
    """No item may hold a path of this machine (the set would differ in
    another checkout): one would need a normalisation here. Also looked for
    as the report (&#47;) and JSON (\\/) may escape it."""
    forms = []
    for p in paths:
        p = p.rstrip("/")
        forms += [p, p.replace("/", "&#47;"), p.replace("/", "\\/")]
    for name, text in items.items():
        for f in forms:
            if f in text:
                raise Fatal(f"{name} holds the local path {f}: normalise it (golden.py)")


def record(dfuscope, plugin, jobs, stage):
    """{item name: text} for every item."""
    caps = find_captures(stage)
    ts = Tshark(plugin)
    local = {SRC, os.path.realpath(SRC), os.path.join(tempfile.gettempdir(), "dfs-"), stage, ts.env.home}
    try:
        fields_item, fields = ts.fields()
        version = ts.version()
        print(version)
        items = dict([inputs_item(caps, version), fields_item])
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            futs = []
            for cap in caps:
                for view, args in PLAIN_VIEWS:
                    futs.append(pool.submit(job_plain, dfuscope, cap, view, args))
                for direction in EXTRACT_DIRECTIONS:
                    futs.append(pool.submit(job_extract, dfuscope, cap, direction))
                futs.append(pool.submit(job_tshark, ts, fields, cap))
            for fut in futs:
                for name, text in fut.result():
                    items[name] = text
    finally:
        ts.close()
    check_no_local_path(items, local)
    return items


# ---- the stored set ----------------------------------------------------------------------

STORED_DIRS = ["fixtures", "real", "malformed", "plugin"]
STORED_FILES = ["inputs.txt"]


def stored_names():
    """{item name: file path} of the set on disk."""
    names = {}
    paths = [os.path.join(HERE, f) for f in STORED_FILES if os.path.exists(os.path.join(HERE, f))]
    for d in STORED_DIRS:
        for dirpath, _, files in os.walk(os.path.join(HERE, d)):
            paths += [os.path.join(dirpath, f) for f in files]
    for p in paths:
        rel = os.path.relpath(p, HERE)
        for ext in (".txt.xz", ".txt"):
            if rel.endswith(ext):
                names[rel[:-len(ext)]] = p
                break
        else:
            names[rel] = p  # not an item: reported as extra
    return names


def read_stored(path):
    if path.endswith(".xz"):
        with lzma.open(path, "rb") as f:
            return f.read().decode("utf-8")
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def write_item(name, text):
    data = text.encode("utf-8")
    path = os.path.join(HERE, name + ".txt")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if len(data) > COMPRESS_OVER:
        # xz of the same text, written the same way each time (no name, no time)
        with open(path + ".xz", "wb") as f:
            f.write(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME))
        if os.path.exists(path):
            os.unlink(path)
    else:
        with open(path, "wb") as f:
            f.write(data)
        if os.path.exists(path + ".xz"):
            os.unlink(path + ".xz")


def show_diff(name, old, new):
    diff = list(difflib.unified_diff(old.splitlines(keepends=True),
                                     new.splitlines(keepends=True),
                                     "stored/" + name, "now/" + name, n=2))
    for line in diff[:DIFF_LINES]:
        sys.stdout.write(line if line.endswith("\n") else line + "\n\\ no newline\n")
    if len(diff) > DIFF_LINES:
        print(f"... ({len(diff) - DIFF_LINES} more diff lines)")


def check(items):
    stored = stored_names()
    missing = sorted(set(items) - set(stored))
    extra = sorted(set(stored) - set(items))
    differ = [n for n in sorted(set(items) & set(stored)) if read_stored(stored[n]) != items[n]]
    # a changed input explains everything after it: show it first
    if "inputs" in differ:
        differ.remove("inputs")
        differ.insert(0, "inputs")
    for n in differ[:SHOW_DIFFS]:
        print(f"DIFF {n}")
        show_diff(n, read_stored(stored[n]), items[n])
    for n in differ[SHOW_DIFFS:]:
        print(f"DIFF {n} (diff not shown)")
    for n in missing:
        print(f"MISSING {n}: produced now, not in the set")
    for n in extra:
        print(f"EXTRA {os.path.relpath(stored[n], HERE)}: in the set, not produced now")
    print(f"{len(items)} items: {len(differ)} differ, {len(missing)} missing from the set, "
          f"{len(extra)} extra in the set")
    if differ or missing or extra:
        print("If the change is intended: tests/golden/golden.py update, and say why in "
              "the commit message (tests/golden/README.md)")
        return 1
    return 0


def update(items):
    stored = stored_names()
    changed = sum(1 for n, t in items.items() if n not in stored or read_stored(stored[n]) != t)
    for n, t in sorted(items.items()):
        if n not in stored or read_stored(stored[n]) != t or \
                stored[n].endswith(".xz") != (len(t.encode("utf-8")) > COMPRESS_OVER):
            write_item(n, t)
    removed = 0
    for n in sorted(set(stored) - set(items)):
        os.unlink(stored[n])
        removed += 1
    for d in STORED_DIRS:
        for dirpath, dirnames, files in os.walk(os.path.join(HERE, d), topdown=False):
            if not os.listdir(dirpath):
                os.rmdir(dirpath)
    print(f"{len(items)} items: {changed} written, {removed} removed")
    return 0


def main(argv):
    args = argv[1:]
    build = os.environ.get("DFS_BUILD_DIR") or os.path.join(SRC, "build")
    dfuscope = os.path.join(build, "cli", "dfuscope")
    plugin = os.path.join(build, "dissector", "dfuscope.so")
    jobs = int(os.environ.get("DFS_GOLDEN_JOBS") or os.cpu_count() or 2)
    mode = None
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("check", "update"):
            mode = a
        elif a == "--plugin":
            i += 1
            plugin = args[i]
        elif a == "--no-plugin":  # not built: the check fails, saying so
            plugin = None
        elif a == "--jobs":
            i += 1
            jobs = int(args[i])
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            dfuscope = a
        i += 1
    if mode is None:
        print(__doc__)
        return 2
    if mode == "check" and os.environ.get("DFS_UPDATE_GOLDEN") == "1":
        mode = "update"
    dfuscope = os.path.abspath(dfuscope)
    if not os.access(dfuscope, os.X_OK):
        print(f"FAIL {dfuscope} is not an executable (build dfuscope first)")
        return 1
    start = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="dfs-golden-") as stage:
            items = record(dfuscope, plugin, jobs, stage)
    except Fatal as e:
        print(f"FAIL {e}")
        return 1
    print(f"recorded {len(items)} items in {time.monotonic() - start:.1f} s ({jobs} jobs)")
    return update(items) if mode == "update" else check(items)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
