#!/usr/bin/env python3
"""cmake --install puts a complete dfuscope under the prefix, and nothing
anywhere else; a program builds against the installed library with
pkg-config and reads a capture with it.

Twice: `cmake --install BUILD --prefix TMP/prefix`, and
`DESTDIR=TMP/dest cmake --install BUILD --prefix /opt/dfuscope-test-N` (a
staging area, as packagers use; its dfuscope runs from there, a prefix moved
after installation). Each time:
  - every file cmake --install wrote (install_manifest.txt) is under the
    prefix (DESTDIR), the prefix outside DESTDIR was not created, and
    Wireshark's own plugin folder did not change (files written outside are
    removed again, and the test fails);
  - the program, its emulation helper, the library (shared with its soname,
    static, the public headers of what it contains and nothing else,
    dfuscope.pc), the man pages of every command, the finding pages, README,
    LICENSE and the Wireshark plugin are where they belong;
  - the installed dfuscope diagnoses the seed capture, runs a command under
    `emulate` (helper found relative to itself) and finds its plugin
    (`wireshark-install --print`);
  - libdfuscope.so needs only libc and exports exactly the DFS_API functions
    of the installed headers (readelf, nm); each header compiles on its own;
  - docs/examples/findings.c builds with `pkg-config --cflags --libs
    dfuscope` (PKG_CONFIG_PATH into the prefix; PKG_CONFIG_SYSROOT_DIR for
    DESTDIR), once against the shared and once against the static library,
    and prints the findings `dfuscope diagnose --json` reports for the seed
    capture.

usage: install_tree.py BUILD_DIR
Environment (tests/install/CMakeLists.txt): DFS_SOURCE_DIR, DFS_CC, DFS_VERSION,
DFS_SOVERSION, DFS_BINDIR, DFS_LIBDIR, DFS_LIBEXECDIR, DFS_INCLUDEDIR, DFS_MANDIR,
DFS_DOCDIR, DFS_HAVE_HELPER, DFS_HAVE_MANPAGES, DFS_WIRESHARK_MM (empty without
the plugin), DFS_WIRESHARK_SYSTEM_DIR, DFS_PUBLIC_HEADERS, DFS_COMMANDS,
DFS_SANITIZE."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid

E = os.environ
SRC = E["DFS_SOURCE_DIR"]
SEED = os.path.join(SRC, "fixtures", "captures", "seed-cubeprogrammer-ob-write.pcapng")
EXAMPLE = os.path.join(SRC, "docs", "examples", "findings.c")
VERSION = E["DFS_VERSION"]
SOVERSION = E["DFS_SOVERSION"]
SANITIZE = E.get("DFS_SANITIZE") == "ON"
failures = []


def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
        if detail:
            print("     " + str(detail).strip().replace("\n", "\n     "))
    return cond


def run(args, env=None, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=300, env=env, **kw)


def need_tools():
    missing = [t for t in ("cmake", "pkg-config", "readelf", "nm", E["DFS_CC"])
               if shutil.which(t) is None]
    if missing:
        print("FAIL: not installed: " + ", ".join(missing))
        sys.exit(1)


def snapshot(folder):
    """name -> (size, mtime) of the files in folder (empty when it does not exist)."""
    try:
        return {n: (os.stat(os.path.join(folder, n)).st_size,
                    os.stat(os.path.join(folder, n)).st_mtime_ns) for n in os.listdir(folder)}
    except FileNotFoundError:
        return {}


def cmake_install(build, prefix, destdir):
    env = dict(E)
    env.pop("DESTDIR", None)
    if destdir:
        env["DESTDIR"] = destdir
    wsdir = E.get("DFS_WIRESHARK_SYSTEM_DIR", "")
    before = snapshot(wsdir) if wsdir else {}
    manifest = os.path.join(build, "install_manifest.txt")
    if os.path.exists(manifest):
        os.remove(manifest)
    r = run(["cmake", "--install", build, "--prefix", prefix], env=env)
    root = (destdir or "") + prefix
    label = f"DESTDIR={destdir} --prefix {prefix}" if destdir else f"--prefix {prefix}"
    if not check(r.returncode == 0, f"cmake --install {label}", r.stdout[-2000:] + r.stderr):
        return r, root
    files = open(manifest).read().split("\n") if os.path.exists(manifest) else []
    # (the manifest names the files without DESTDIR)
    files = [f for f in files if f]
    outside = [f for f in files if not f.startswith(prefix + "/")]
    check(files and not outside, f"{len(files)} files installed, all under {root}",
          "written outside: " + " ".join(outside))
    if destdir:
        absent = [f for f in files if not os.path.lexists(destdir + f)]
        check(not absent, "each of them is in DESTDIR", " ".join(absent))
    else:
        for f in outside:  # do not leave them behind
            if os.path.isfile(f) or os.path.islink(f):
                os.remove(f)
    if destdir:
        check(not os.path.exists(prefix), f"nothing created at {prefix} outside DESTDIR")
        if os.path.isdir(prefix) and prefix.startswith("/opt/dfuscope-test-"):
            shutil.rmtree(prefix)
    if wsdir:
        check(snapshot(wsdir) == before, f"Wireshark's own plugin folder {wsdir} unchanged")
    return r, root


def exists(path, what, kind="file"):
    ok = os.path.isdir(path) if kind == "dir" else os.path.isfile(path)
    return check(ok and (kind != "exe" or os.access(path, os.X_OK)), f"{what}: {path}")


def api_declarations(incdir, headers):
    """Names of the functions the installed headers declare with DFS_API."""
    names = set()
    for h in headers:
        text = open(os.path.join(incdir, h)).read()
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        text = re.sub(r"^\s*#.*$", " ", text, flags=re.M)
        for decl in re.findall(r"\bDFS_API\b([^;{]*?)\(", text):
            m = re.search(r"(\w+)\s*$", decl)
            if m:
                names.add(m.group(1))
    return names


def needed(path):
    out = run(["readelf", "-d", path]).stdout
    return (re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out),
            re.findall(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", out))


def findings_of_cli(dfuscope):
    r = run([dfuscope, "diagnose", "--json", SEED])
    try:
        data = json.loads(r.stdout)
    except ValueError:
        return None
    return sorted(f"{f['severity']} {f['id']} {f['frame']}" for f in data["findings"])


def check_tree(build, root, destdir, tmp):
    bindir = os.path.join(root, E["DFS_BINDIR"])
    libdir = os.path.join(root, E["DFS_LIBDIR"])
    incdir = os.path.join(root, E["DFS_INCLUDEDIR"], "dfuscope")
    dfuscope = os.path.join(bindir, "dfuscope")
    where = "staged" if destdir else "installed"

    # ---- what is where
    exists(dfuscope, "the program", "exe")
    exists(os.path.join(root, E["DFS_LIBEXECDIR"], "dfuscope", "dfuscope-capture"),
           "the capture helper", "exe")
    if E.get("DFS_HAVE_HELPER") == "ON":
        exists(os.path.join(root, E["DFS_LIBEXECDIR"], "dfuscope", "dfuscope-emulate"),
               "the emulation helper", "exe")
    real = os.path.join(libdir, f"libdfuscope.so.{VERSION}")
    exists(real, "the shared library")
    for link, target in ((f"libdfuscope.so.{SOVERSION}", f"libdfuscope.so.{VERSION}"),
                         ("libdfuscope.so", f"libdfuscope.so.{SOVERSION}")):
        path = os.path.join(libdir, link)
        check(os.path.islink(path) and os.readlink(path) == target, f"{link} -> {target}")
    exists(os.path.join(libdir, "libdfuscope.a"), "the static library")
    exists(os.path.join(libdir, "pkgconfig", "dfuscope.pc"), "dfuscope.pc")
    headers = E["DFS_PUBLIC_HEADERS"].split(";")
    got = sorted(os.listdir(incdir)) if os.path.isdir(incdir) else []
    check(got == sorted(headers), f"headers in {incdir}: exactly {' '.join(sorted(headers))}",
          f"found: {' '.join(got)}")
    docdir = os.path.join(root, E["DFS_DOCDIR"])
    want_pages = sorted(f for f in os.listdir(os.path.join(SRC, "docs", "findings"))
                        if f.endswith(".md"))
    got_pages = sorted(os.listdir(os.path.join(docdir, "findings"))) \
        if os.path.isdir(os.path.join(docdir, "findings")) else []
    check(got_pages == want_pages, f"{len(want_pages)} finding pages in {docdir}/findings",
          f"missing: {sorted(set(want_pages) - set(got_pages))} "
          f"extra: {sorted(set(got_pages) - set(want_pages))}")
    for f in ("README.md", "LICENSE"):
        exists(os.path.join(docdir, f), f)
    if E.get("DFS_HAVE_MANPAGES") == "ON":
        mandir = os.path.join(root, E["DFS_MANDIR"], "man1")
        for page in ["dfuscope"] + ["dfuscope-" + c for c in E["DFS_COMMANDS"].split(";")]:
            exists(os.path.join(mandir, page + ".1"), f"man page {page}(1)")
    mm = E.get("DFS_WIRESHARK_MM", "")
    plugin = os.path.join(root, "lib", "wireshark", "plugins", mm, "epan", "dfuscope.so")
    if mm:
        exists(plugin, "the Wireshark plugin")

    # ---- the installed program works from where it is
    r = run([dfuscope, "--version"])
    check(r.stdout.strip() == f"dfuscope {VERSION}", f"{where} dfuscope --version", r.stdout)
    r = run([dfuscope, "diagnose", SEED])
    check(r.returncode == 1 and "error: Option-byte write reset the device "
          "(dfuse.option-bytes-reset at frame 245)" in r.stdout,
          f"{where} dfuscope diagnose: the seed's finding, exit 1", r.stdout[:400] + r.stderr)
    if E.get("DFS_HAVE_HELPER") == "ON":
        env = dict(E)
        env.pop("DFS_EMULATE_HELPER", None)
        r = run([dfuscope, "emulate", "dfu11-device", "--", "sh", "-c", "exit 3"], env=env)
        check(r.returncode == 3, f"{where} dfuscope emulate finds its helper (the command's "
              "exit status 3)", r.stderr)
    if mm:
        r = run([dfuscope, "wireshark-install", "--print"])
        check(r.returncode == 0 and f"plugin {plugin}\n" in r.stdout,
              f"{where} dfuscope wireshark-install finds the plugin beside it", r.stdout + r.stderr)

    # ---- the library
    libs, soname = needed(real)
    check(soname == [f"libdfuscope.so.{SOVERSION}"], f"soname libdfuscope.so.{SOVERSION}", soname)
    extra = [l for l in libs if not re.fullmatch(r"libc\.so\.\d+", l) and
             not (SANITIZE and re.match(r"lib(asan|ubsan)\.so", l))]
    check(libs and not extra, "libdfuscope.so needs only libc", libs)
    declared = api_declarations(incdir, headers)
    symbols = set(re.findall(r"^\S+\s+[TDBRW]\s+(\S+)$",
                             run(["nm", "-D", "--defined-only", real]).stdout, re.M))
    symbols = {s.split("@")[0] for s in symbols}
    if SANITIZE:  # the sanitizer runtimes add their own
        symbols = {s for s in symbols if s.startswith("dfs_")}
    check(len(declared) > 40 and symbols == declared,
          f"libdfuscope.so exports exactly the {len(declared)} DFS_API functions of its headers",
          f"exported, not declared: {sorted(symbols - declared)}; "
          f"declared, not exported: {sorted(declared - symbols)}")
    cc = E["DFS_CC"]
    for h in headers:
        r = run([cc, "-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-fsyntax-only",
                 "-I" + os.path.dirname(incdir), "-x", "c", "-"],
                input=f"#include <dfuscope/{h}>\nint main(void) {{ return 0; }}\n")
        check(r.returncode == 0, f"<dfuscope/{h}> compiles on its own", r.stderr)

    # ---- a program built with pkg-config against the installed prefix
    env = dict(E, PKG_CONFIG_PATH=os.path.join(libdir, "pkgconfig"))
    env.pop("PKG_CONFIG_LIBDIR", None)
    if destdir:
        env["PKG_CONFIG_SYSROOT_DIR"] = destdir
    r = run(["pkg-config", "--modversion", "dfuscope"], env=env)
    check(r.stdout.strip() == VERSION, f"pkg-config --modversion dfuscope: {VERSION}", r.stderr)
    r = run(["pkg-config", "--cflags", "--libs", "dfuscope"], env=env)
    flags = r.stdout.split()
    check(r.returncode == 0 and f"-I{os.path.dirname(incdir)}" in flags and f"-L{libdir}" in flags
          and "-ldfuscope" in flags, f"pkg-config --cflags --libs dfuscope: {r.stdout.strip()}",
          r.stderr)
    san = ["-fsanitize=address,undefined"] if SANITIZE else []
    want = findings_of_cli(dfuscope)
    check(want and "error dfuse.option-bytes-reset 245" in want,
          "dfuscope diagnose --json lists the seed's findings", want)
    cflags = run(["pkg-config", "--cflags", "dfuscope"], env=env).stdout.split()
    for kind, link in (("shared", flags), ("static", cflags + [os.path.join(libdir, "libdfuscope.a")])):
        exe = os.path.join(tmp, f"findings-{kind}{'-staged' if destdir else ''}")
        r = run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror", *san, EXAMPLE, *link, "-o", exe])
        if not check(r.returncode == 0, f"docs/examples/findings.c builds ({kind})", r.stderr):
            continue
        libs, _ = needed(exe)
        uses_so = f"libdfuscope.so.{SOVERSION}" in libs
        check(uses_so == (kind == "shared"), f"the {kind} build {'needs' if uses_so else 'does not need'}"
              " libdfuscope.so", libs)
        renv = dict(E, LD_LIBRARY_PATH=libdir)
        if SANITIZE:
            renv["ASAN_OPTIONS"] = "detect_leaks=1"
        r = run([exe, SEED], env=renv)
        got = sorted(l for l in r.stdout.splitlines() if l)
        check(r.returncode == 0 and got == want,
              f"the {kind} example prints the findings dfuscope diagnose reports ({len(want or [])})",
              f"exit {r.returncode}\nexample: {got}\ndiagnose: {want}\n{r.stderr}")


def main():
    need_tools()
    build = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="dfs-install-")
    try:
        prefix = os.path.join(tmp, "prefix")
        r, root = cmake_install(build, prefix, None)
        if r.returncode == 0:
            check("Wireshark plugin: " + os.path.join(
                root, "lib/wireshark/plugins", E.get("DFS_WIRESHARK_MM", ""), "epan",
                "dfuscope.so") in r.stdout or not E.get("DFS_WIRESHARK_MM"),
                "cmake --install prints where the plugin went", r.stdout[-600:])
            check_tree(build, root, None, tmp)
        destdir = os.path.join(tmp, "dest")
        staged = "/opt/dfuscope-test-" + uuid.uuid4().hex[:12]
        r, root = cmake_install(build, staged, destdir)
        if r.returncode == 0:
            check_tree(build, root, destdir, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok" if not failures else f"{len(failures)} FAILED: " + "; ".join(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
