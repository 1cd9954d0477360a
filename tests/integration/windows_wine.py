#!/usr/bin/env python3
"""dfuscope.exe under Wine against the Linux build (docs/windows.md).

  windows_wine.py DFUSCOPE

Cross-builds dfuscope.exe with scripts/build-windows (in BUILD/windows),
then runs it under Wine on every fixture capture, every real capture made
by others (tests/data/real, tests/data/seed) and every damaged file of
tests/malformed, and the Linux build on the same files with the same
relative paths: `diagnose --json`, `decode --json`, `extract` (the image
written, byte for byte) and, on the damaged files, `diagnose`'s text must
give the same standard output, standard error, exit status and files.
Then: the seed's diagnosis, a file name outside ASCII, a Linux-only
command's exit status 2, and the zip's contents.

All runs of the exe go through one Windows batch file in one Wine process
tree (one wineserver for the test): starting Wine costs most of a second,
a process inside it a fraction. Wine or mingw-w64 missing fails the test
(scripts/test installs them)."""
import os
import shutil
import subprocess
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tools import fail, require  # noqa: E402

LINUX = os.path.abspath(sys.argv[1])
SRC = os.environ["DFS_SOURCE_DIR"]
BUILD = os.environ["DFS_BUILD_DIR"]
WINDIR = os.path.join(BUILD, "windows")
WORK = os.path.join(BUILD, "windows-test")
LINUX_ONLY = ("capture", "run", "emulate", "follow", "script-from", "wireshark-install")
SEED = "fixtures/captures/seed-cubeprogrammer-ob-write.pcapng"


def captures():
    """(path relative to the source, kind) of every capture compared."""
    out = []
    for top, kind in (("fixtures/captures", "good"), ("tests/data/real", "good"),
                      ("tests/data/seed", "good"), ("tests/malformed", "damaged")):
        for dirpath, _, names in sorted(os.walk(os.path.join(SRC, top))):
            for n in sorted(names):
                if n.endswith((".pcap", ".pcapng")):
                    out.append((os.path.relpath(os.path.join(dirpath, n), SRC), kind))
    return out


def cases():
    """(name, argv after the program, file it writes or None)."""
    out = []
    for i, (path, kind) in enumerate(captures()):
        # from WORK/linux or WORK/windows: the same relative path on both
        rel = os.path.join("..", os.path.relpath(os.path.join(SRC, path), WORK))
        rel = rel.replace(os.sep, "/")
        out.append((f"{i}.diagnose-json", ["diagnose", "--json", rel], None))
        out.append((f"{i}.decode-json", ["decode", "--json", rel], None))
        if kind == "good":
            out.append((f"{i}.extract", ["extract", "-o", f"out/{i}.bin", rel], f"out/{i}.bin"))
        else:
            out.append((f"{i}.diagnose", ["diagnose", "--color", "always", rel], None))
    seed = os.path.join("..", os.path.relpath(os.path.join(SRC, SEED), WORK))
    out += [
        ("seed.diagnose", ["diagnose", seed], None),
        ("seed.extract-hex", ["extract", "-o", "out/seed.hex", seed], "out/seed.hex"),
        ("seed.descriptors", ["descriptors", seed], None),
        ("seed.report", ["report", "-o", "out/seed.html", seed], "out/seed.html"),
        ("seed.check-file", ["check-file", "--json", "--capture", seed, "out/seed.hex"], None),
        ("missing", ["diagnose", "no-such-capture.pcap"], None),
    ]
    return out


def win_path(p):
    """A Linux path as Wine's drive Z: sees it."""
    return "Z:" + os.path.abspath(p).replace("/", "\\")


def run_linux(all_cases):
    d = os.path.join(WORK, "linux")
    os.makedirs(os.path.join(d, "out"))
    for name, args, _ in all_cases:
        with open(os.path.join(d, name + ".stdout"), "wb") as o, \
                open(os.path.join(d, name + ".stderr"), "wb") as e:
            rc = subprocess.call([LINUX] + args, cwd=d, stdout=o, stderr=e,
                                 stdin=subprocess.DEVNULL)
        with open(os.path.join(d, name + ".rc"), "w") as f:
            f.write(f"{rc}\n")


def wine_env():
    env = dict(os.environ)
    env.update(WINEPREFIX=os.path.join(WINDIR, "wineprefix"), WINEDEBUG="-all",
               WINEDLLOVERRIDES="mscoree,mshtml=", DISPLAY="", LC_ALL="C.UTF-8")
    return env


def wine(args, env, cwd=None):
    """Run wine ARGS: (exit status, stdout, stderr). Through files, not
    pipes: the services Wine starts keep a pipe open after the program
    ends, and a reader would wait for them."""
    out, err = os.path.join(WORK, "wine.stdout"), os.path.join(WORK, "wine.stderr")
    with open(out, "wb") as o, open(err, "wb") as e:
        rc = subprocess.call(["wine"] + args, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                             stdout=o, stderr=e, timeout=1200)
    return rc, read(out), read(err)


def run_windows(exe, all_cases, env):
    d = os.path.join(WORK, "windows")
    os.makedirs(os.path.join(d, "out"))
    lines = ["@echo off", "cd /d " + win_path(d)]
    for name, args, _ in all_cases:
        run = f'"{win_path(exe)}" {" ".join(args)} > {name}.stdout 2> {name}.stderr'
        lines.append(run)
        # 9009 is cmd's own "not recognized as a command": under load Wine
        # now and then fails to start a program it started a moment before.
        # dfuscope never exits 9009 (its codes are below 128), so that one
        # status means the case never ran, and it is run once more.
        lines.append(f"if errorlevel 9009 if not errorlevel 9010 {run}")
        # (redirection first: "echo 2> f" would redirect standard error)
        lines.append(f">{name}.rc echo %ERRORLEVEL%")
    lines.append("exit /b 0")
    bat = os.path.join(WORK, "run.bat")
    with open(bat, "w", newline="\r\n") as f:
        f.write("\n".join(lines) + "\n")
    rc, out, err = wine(["cmd", "/c", win_path(bat)], env)
    if rc != 0:
        fail(f"wine cmd /c run.bat: exit {rc}\n{(out + err).decode(errors='replace')}")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def compare(all_cases):
    bad = []
    lin, win = os.path.join(WORK, "linux"), os.path.join(WORK, "windows")
    for name, args, written in all_cases:
        files = [name + ".stdout", name + ".stderr", name + ".rc"] + ([written] if written else [])
        for f in files:
            a, b = os.path.join(lin, f), os.path.join(win, f)
            if os.path.exists(a) != os.path.exists(b):
                bad.append(f"{' '.join(args)}: {f} written by "
                           f"{'Linux' if os.path.exists(a) else 'Windows'} only")
                continue
            if not os.path.exists(a):
                continue
            if f.endswith(".rc"):  # (cmd's echo adds a space and CR LF)
                if read(a).strip() != read(b).strip():
                    bad.append(f"{' '.join(args)}: exit {read(a).strip().decode()} on Linux, "
                               f"{read(b).strip().decode()} on Windows")
                continue
            if read(a) != read(b):
                la, lb = read(a).splitlines(), read(b).splitlines()
                line = next((i for i in range(min(len(la), len(lb))) if la[i] != lb[i]),
                            min(len(la), len(lb)))
                bad.append(f"{' '.join(args)}: {f} differs at line {line + 1}:\n"
                           f"  linux:   {la[line] if line < len(la) else '(end)'!r}\n"
                           f"  windows: {lb[line] if line < len(lb) else '(end)'!r}")
    return bad


def checks(exe, env):
    """What is not a comparison: the seed, a UTF-8 name, Linux-only commands."""
    bad = []
    win = os.path.join(WORK, "windows")
    seed = read(os.path.join(win, "seed.diagnose.stdout")).decode()
    if "dfuse.option-bytes-reset" not in seed or \
            read(os.path.join(win, "seed.diagnose.rc")).strip() != b"1":
        bad.append("diagnose on the seed capture: no dfuse.option-bytes-reset, or exit not 1")
    for name in ("diagnose-json", "decode-json"):
        if read(os.path.join(win, f"0.{name}.stdout"))[:1] != b"{":
            bad.append(f"{name}: the first capture gave no JSON")

    # a name outside ASCII, through Wine's UTF-8 command line
    uni = os.path.join(WORK, "séance-ø-дфу.pcapng")
    shutil.copyfile(os.path.join(SRC, SEED), uni)
    lin = subprocess.run([LINUX, "diagnose", "--json", os.path.basename(uni)], cwd=WORK,
                         capture_output=True)
    rc, out, err = wine([exe, "diagnose", "--json", os.path.basename(uni)], env, cwd=WORK)
    if (rc, out, err) != (lin.returncode, lin.stdout, lin.stderr) or lin.returncode != 1:
        bad.append(f"a UTF-8 file name: exit {rc} (linux {lin.returncode}), "
                   f"stderr {err[:300]!r}")

    for cmd in LINUX_ONLY:
        rc = read(os.path.join(win, f"linux-only.{cmd}.rc")).strip()
        err = read(os.path.join(win, f"linux-only.{cmd}.stderr"))
        if rc != b"2" or b"needs Linux" not in err:
            bad.append(f"dfuscope.exe {cmd}: exit {rc!r}, stderr {err[:200]!r} "
                       "(want 2 and 'needs Linux')")
    rc, out, _ = wine([exe, "--help"], env)
    for cmd in ("capture", "run", "emulate"):
        rows = [ln for ln in out.splitlines() if ln.startswith(f"  {cmd} ".encode())]
        if rc != 0 or len(rows) != 1 or b"(Linux only)" not in rows[0]:
            bad.append(f"dfuscope.exe --help does not mark {cmd} as Linux only")
    return bad


def main():
    require("wine", "x86_64-w64-mingw32-gcc")
    env = dict(os.environ, DFS_WERROR="ON")
    b = subprocess.run([os.path.join(SRC, "scripts", "build-windows"), WINDIR], env=env,
                       capture_output=True, text=True)
    if b.returncode != 0:
        fail(f"scripts/build-windows failed:\n{b.stderr[-4000:]}")
    exe, zip_path = b.stdout.split()[-2:]

    names = set(zipfile.ZipFile(zip_path).namelist())
    top = os.path.basename(zip_path)[:-4] + "/"
    want = ["dfuscope.exe", "README.md", "LICENSE", "docs/windows.md",
            "docs/findings/dfuse.option-bytes-reset.md"]
    gone = [w for w in want if top + w not in names]
    if gone:
        fail(f"{zip_path} lacks {', '.join(gone)}")

    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    all_cases = cases()
    # (on Windows only: on Linux, capture would start capturing)
    linux_only = [(f"linux-only.{cmd}", [cmd, "x"], None) for cmd in LINUX_ONLY]
    wenv = wine_env()
    os.makedirs(wenv["WINEPREFIX"], exist_ok=True)
    subprocess.run(["wineserver", "-p"], env=wenv, check=False)
    try:
        run_linux(all_cases)
        run_windows(exe, all_cases + linux_only, wenv)
        bad = compare(all_cases)
        bad += checks(exe, wenv)
    finally:
        subprocess.run(["wineserver", "-k"], env=wenv, check=False)
    n = len(captures())
    if bad:
        print(f"{len(bad)} differences between dfuscope.exe under Wine and the Linux build:")
        print("\n".join(bad[:40]))
        sys.exit(1)
    print(f"dfuscope.exe under Wine: {len(all_cases)} runs on {n} captures byte-identical to "
          "the Linux build; the seed, a UTF-8 file name, Linux-only commands, the zip: ok")


if __name__ == "__main__":
    main()
