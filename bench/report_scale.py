#!/usr/bin/env python3
"""How dfuscope report scales with the capture: the same DfuSe download of
340 and of 3,400 pages (about 10,000 and 100,000 DFU transactions), written
by dfs-gencap. Prints, for the larger capture over the smaller one, the
ratio of the capture sizes, of the report sizes and of dfuscope's peak
memory (maximum resident set). Bounded memory and output mean ratios near 1
while the capture grows tenfold.

usage: bench/report_scale.py BUILD_DIR   (after cmake --build BUILD_DIR)"""
import os
import subprocess
import sys
import tempfile


def run(cmd):
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}")
    return usage.ru_maxrss


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    gencap = os.path.join(build, "tests", "dfs_gencap")
    dfuscope = os.path.join(build, "cli", "dfuscope")
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        for pages in (340, 3400):
            cap = os.path.join(tmp, f"large{pages}.pcap")
            out = os.path.join(tmp, f"large{pages}.html")
            subprocess.run([gencap, "large", cap, str(pages)], check=True)
            rss = run([dfuscope, "report", cap, "-o", out])
            res[pages] = (os.path.getsize(cap), os.path.getsize(out), rss)
    (c1, o1, m1), (c2, o2, m2) = res[340], res[3400]
    print(f"capture size ratio       {c2 / c1:6.2f}")
    print(f"report size ratio        {o2 / o1:6.2f}")
    print(f"peak memory ratio        {m2 / m1:6.2f}")


if __name__ == "__main__":
    main()
