#!/usr/bin/env python3
"""dfuscope loads only the C library and libusb-1.0; live capture's libpcap is
in the helper dfuscope-capture alone (cli/capture.h), the emulation's
umockdev and glib in the helper dfuscope-emulate alone (cli/emulate.h).
The oracle is readelf -d: the NEEDED entries of each built program.

usage: needed.py DFUSCOPE CAPTURE_HELPER [EMULATE_HELPER]
Environment: DFS_SANITIZE=ON allows the sanitizer runtimes (libasan,
libubsan) that such a build adds."""
import os
import re
import shutil
import subprocess
import sys

# libm is left out on purpose: loading it costs every command about 400 KiB
# (cli/report/numbers.c, bench/RESULTS.md); ld-linux is the C library's loader
ALLOWED = [r"libc\.so\.\d+", r"ld-linux[-\w.]*\.so\.\d+", r"libusb-1\.0\.so\.\d+"]
SANITIZERS = [r"libasan\.so\.\d+", r"libubsan\.so\.\d+", r"libclang_rt\.\S+\.so"]
FORBIDDEN = re.compile(r"glib|gio-|gobject|gmodule|gthread|umockdev|libpcap")


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
    capture_helper = sys.argv[2]
    helper = sys.argv[3] if len(sys.argv) > 3 else None
    allowed = ALLOWED + (SANITIZERS if os.environ.get("DFS_SANITIZE") == "ON" else [])
    ok = True
    libs = needed(dfuscope)
    for lib in libs:
        if FORBIDDEN.search(lib):
            print(f"FAIL: dfuscope needs {lib} (glib and umockdev belong in dfuscope-emulate, "
                  "libpcap in dfuscope-capture)")
            ok = False
        elif not any(re.fullmatch(a, lib) for a in allowed):
            print(f"FAIL: dfuscope needs {lib}, not in the allowed list (libc, libusb-1.0;"
                  " libm costs about 400 KiB of memory: see cli/report/numbers.c)")
            ok = False
    for want in (r"libusb-1\.0\.so\.\d+", r"libc\.so\.\d+"):
        if not any(re.fullmatch(want, lib) for lib in libs):
            print(f"FAIL: dfuscope does not need {want}: {libs}")
            ok = False
    print(f"dfuscope NEEDED: {' '.join(libs)}")
    clibs = needed(capture_helper)
    print(f"dfuscope-capture NEEDED: {' '.join(clibs)}")
    if not any(re.fullmatch(r"libpcap\.so\.[\d.]+", lib) for lib in clibs):
        print(f"FAIL: the capture helper does not need libpcap: {clibs}")
        ok = False
    for lib in clibs:
        if re.search(r"glib|gobject|umockdev|libusb", lib):
            print(f"FAIL: the capture helper needs {lib}: it captures, nothing else")
            ok = False
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
