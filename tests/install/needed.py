#!/usr/bin/env python3
"""dfuscope loads only the C library, libpcap and libusb-1.0; the emulation's
umockdev and glib are in the helper dfuscope-emulate alone (cli/emulate.h).
The oracle is readelf -d: the NEEDED entries of each built program.

usage: needed.py DFUSCOPE [HELPER]
Environment: DFS_SANITIZE=ON allows the sanitizer runtimes (libasan,
libubsan) that such a build adds."""
import os
import re
import shutil
import subprocess
import sys

# libm is left out on purpose: loading it costs every command about 400 KiB
# (cli/report/numbers.c, bench/RESULTS.md); ld-linux is the C library's loader
ALLOWED = [r"libc\.so\.\d+", r"ld-linux[-\w.]*\.so\.\d+",
           r"libpcap\.so\.[\d.]+", r"libusb-1\.0\.so\.\d+"]
SANITIZERS = [r"libasan\.so\.\d+", r"libubsan\.so\.\d+", r"libclang_rt\.\S+\.so"]
FORBIDDEN = re.compile(r"glib|gio-|gobject|gmodule|gthread|umockdev")


def needed(path):
    if shutil.which("readelf") is None:
        print("FAIL: readelf is not installed (binutils)")
        sys.exit(1)
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, check=True).stdout
    libs = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)
    if not libs:
        print(f"FAIL: readelf -d {path} lists no NEEDED entry at all:\n{out}")
        sys.exit(1)
    return libs


def main():
    dfuscope = sys.argv[1]
    helper = sys.argv[2] if len(sys.argv) > 2 else None
    allowed = ALLOWED + (SANITIZERS if os.environ.get("DFS_SANITIZE") == "ON" else [])
    ok = True
    libs = needed(dfuscope)
    for lib in libs:
        if FORBIDDEN.search(lib):
            print(f"FAIL: dfuscope needs {lib} (glib and umockdev belong in dfuscope-emulate)")
            ok = False
        elif not any(re.fullmatch(a, lib) for a in allowed):
            print(f"FAIL: dfuscope needs {lib}, not in the allowed list (libc, libpcap, libusb-1.0;"
                  " libm costs about 400 KiB of memory: see cli/report/numbers.c)")
            ok = False
    for want in (r"libpcap\.so\.[\d.]+", r"libusb-1\.0\.so\.\d+", r"libc\.so\.\d+"):
        if not any(re.fullmatch(want, lib) for lib in libs):
            print(f"FAIL: dfuscope does not need {want}: {libs}")
            ok = False
    print(f"dfuscope NEEDED: {' '.join(libs)}")
    if helper:
        # the helper is where umockdev and glib went: the test can see them
        hlibs = needed(helper)
        print(f"dfuscope-emulate NEEDED: {' '.join(hlibs)}")
        for want in ("libumockdev", "libglib-2.0"):
            if not any(lib.startswith(want) for lib in hlibs):
                print(f"FAIL: the helper does not need {want}: {hlibs}")
                ok = False
    print("ok" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
