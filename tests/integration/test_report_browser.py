#!/usr/bin/env python3
"""dfuscope report in a real browser: headless Chromium (Debian package
`chromium`) opens the reports of the seed capture, a clean download, the
hostile-strings session and the 10,000-transaction session from disk (and
the bundled capture of the emulated seed, fixtures/captures/), dumps
the DOM it built, takes screenshots (light and dark scheme) and prints the
seed's report to PDF. Checked: the verdict, the findings, the STALL on the
timeline and the out-of-layout write on the memory map are in the rendered
DOM; the screenshots show the verdict banner in its colour and the page in
the dark scheme when the browser asks for it; the print has pages. The
screenshots and the PDF stay in BUILD/test-artefacts/report/browser/.

Chromium missing fails the test (scripts/test installs it).

usage: test_report_browser.py DFUSCOPE DFS_GENCAP"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(__file__))
import htmlcheck  # noqa: E402
import tools  # noqa: E402

DFUSCOPE, GENCAP = sys.argv[1], sys.argv[2]
BUILD = os.environ.get("DFS_BUILD_DIR", tempfile.gettempdir())
WORK = os.path.join(BUILD, "test-artefacts", "report", "browser")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if not CHROMIUM:
    tools.require("chromium")
os.makedirs(WORK, exist_ok=True)

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
    return cond


def chromium(url, *args, timeout=120):
    with tempfile.TemporaryDirectory(prefix="dfs-chromium-") as profile:
        cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--disable-extensions", "--hide-scrollbars",
               "--user-data-dir=" + profile, *args, url]
        p = subprocess.run(cmd, capture_output=True, timeout=timeout)
    return p


def make(name):
    cap = os.path.join(WORK, name + ".pcap")
    out = os.path.join(WORK, name + ".html")
    subprocess.run([GENCAP, name, cap], check=True)
    subprocess.run([DFUSCOPE, "report", cap, "-o", out], check=True)
    return "file://" + os.path.abspath(out)


def dom(url, name):
    start = time.monotonic()
    p = chromium(url, "--dump-dom")
    took = time.monotonic() - start
    text = p.stdout.decode("utf-8", "replace")
    open(os.path.join(WORK, name + ".dom.html"), "w", encoding="utf-8").write(text)
    check(p.returncode == 0 and "<svg" in text, f"{name}: chromium renders the page ({took:.1f} s)")
    root, _ = htmlcheck.parse(text)
    return root


def png_pixels(path, max_rows):
    """RGB(A) rows of a PNG (8-bit, non-interlaced), up to max_rows."""
    d = open(path, "rb").read()
    assert d[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    i, idat = 8, b""
    while i < len(d):
        n, = struct.unpack(">I", d[i:i + 4])
        t, c = d[i + 4:i + 8], d[i + 8:i + 8 + n]
        i += 12 + n
        if t == b"IHDR":
            w, h, depth, ctype, _, _, inter = struct.unpack(">IIBBBBB", c)
        elif t == b"IDAT":
            idat += c
    assert depth == 8 and inter == 0 and ctype in (2, 6)
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompressobj().decompress(idat, (w * bpp + 1) * min(h, max_rows))
    stride, prev, rows = w * bpp, bytearray(w * bpp), []
    for y in range(min(h, max_rows)):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], (prev[x - bpp] if x >= bpp else 0)
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[k:k + 3]) for k in range(0, stride, bpp)])
        prev = line
    return w, h, rows


def screenshot(url, name, height, *args):
    path = os.path.join(WORK, name + ".png")
    if os.path.exists(path):
        os.remove(path)
    chromium(url, "--screenshot=" + path, f"--window-size=1240,{height}", *args)
    ok = check(os.path.exists(path) and os.path.getsize(path) > 10000, f"{name}: screenshot {path}")
    return path if ok else None


def banner_colour(rows):
    """The most common colour of the verdict banner: rows 40-400 (below the
    outcome and host lines, which open the page), not white or near-white
    grey (the page, the outcome's panel), nor the dark or anti-aliased
    pixels of their text (the banners are light tints)."""
    count = {}
    for row in rows[40:400]:
        for px in row[60:1100]:
            if 180 < min(px) < 240:
                count[px] = count.get(px, 0) + 1
    return max(count, key=count.get) if count else None


def near(a, b, tol=6):
    return a is not None and all(abs(x - y) <= tol for x, y in zip(a, b))


def seed_dom(url, name):
    """The seed's report: verdict, findings, the STALLs and the lost device on
    the timeline, the write at 0x1FFF7870 outside the layout on the memory map."""
    root = dom(url, name)
    v = root.find(id="verdict")
    check(v is not None and "Option-byte write reset the device" in v.text(), name + ": verdict in the DOM")
    ids = [a.attrs.get("data-id") for a in root.find_all("article", cls="finding")]
    check(ids[:1] == ["dfuse.option-bytes-reset"] and "dfuse.address-outside-layout" in ids
          and "desc.duplicate-alt-layouts" in ids, f"{name}: findings in the DOM {ids}")
    tl = [s for s in root.find_all("svg") if "timeline" in s.classes()]
    stall = tl[0].find_all("g", cls="ev-stall") if tl else []
    check(len(stall) == 2 and all("STALL" in g.find("title").text() for g in stall),
          name + ": the STALLs on the timeline")
    check(tl and tl[0].find("g", cls="ev-lost") is not None, name + ": the device lost on the timeline")
    mm = [s for s in root.find_all("svg") if "memmap" in s.classes()]
    out = [g for g in (mm[0].find_all("g", cls="outside") if mm else []) if g.attrs.get("data-addr") == "0x1fff7870"]
    check(any("acc-write" in a.classes() for g in out for a in g.ancestors()),
          name + ": the write at 0x1fff7870 outside the layout on the memory map")


def main():
    seed, clean, hostile, large = make("seed"), make("clean"), make("hostile"), make("large")

    # ---- the DOM the browser built
    seed_dom(seed, "seed")
    # the same on the bundled capture of the emulated bootloader (scripts/demo)
    fixture = os.path.join(os.environ.get("DFS_SOURCE_DIR", "."), "fixtures", "captures",
                           "seed-cubeprogrammer-ob-write.pcapng")
    if os.path.exists(fixture):
        out = os.path.join(WORK, "seed-emulated.html")
        subprocess.run([DFUSCOPE, "report", fixture, "-o", out], check=True)
        url = "file://" + os.path.abspath(out)
        seed_dom(url, "seed-emulated")
        # the capture ran 10 s past its last record (its pcapng statistics say so)
        check("265 records over 10.3 s" in open(out, encoding="utf-8").read(),
              "seed-emulated: the timeline runs to the end of the capture, 10.3 s")
        screenshot(url, "seed-emulated", 1600)

    root = dom(clean, "clean")
    v = root.find(id="verdict")
    check(v is not None and "No problem found" in v.text(), "clean: verdict in the DOM")
    charts = [s for s in root.find_all("svg") if "chart" in s.classes()]
    check(len(charts) == 2 and not any(c.find_all("g", cls="ev-stall") or c.find_all("g", cls="outside")
                                       for c in charts),
          "clean: no STALL, nothing outside the layout")

    root = dom(hostile, "hostile")
    check(not root.find_all("img") and not root.find_all("b"), "hostile: no element from device strings")
    scripts = root.find_all("script")
    check(len(scripts) == 1 and "alert" not in scripts[0].text(), "hostile: no script from device strings")
    prod = root.find("dd", cls="product")
    check(prod is not None and prod.text().startswith("<script>alert(1)</script>"),
          "hostile: the product string is text")

    root = dom(large, "large")
    tl = [s for s in root.find_all("svg") if "timeline" in s.classes()]
    check(len(tl) == 1 and "aggregated" in tl[0].classes(), "large: the timeline renders, aggregated")

    # ---- what it looks like
    shot = screenshot(seed, "seed", 1600)
    if shot:
        w, h, rows = png_pixels(shot, 1600)
        check(near(banner_colour(rows), (0xfd, 0xe8, 0xe6)), f"seed: red verdict banner {banner_colour(rows)}")
        busy = sum(1 for row in rows for px in row if near(px, (0xf5, 0xcf, 0x7a), 3))
        region = sum(1 for row in rows for px in row if near(px, (0xdb, 0xe7, 0xf3), 3))
        check(busy > 1000, f"seed: the dfuDNBUSY bands are drawn ({busy} px)")
        check(region > 1000, f"seed: the advertised regions are drawn ({region} px)")
    shot = screenshot(clean, "clean", 900)
    if shot:
        w, h, rows = png_pixels(shot, 400)
        check(near(banner_colour(rows), (0xe3, 0xf4, 0xe7)), f"clean: green verdict banner {banner_colour(rows)}")
    shot = screenshot(seed, "seed-dark", 1600, "--force-dark-mode")
    if shot:
        w, h, rows = png_pixels(shot, 30)
        bg = rows[5][5]
        check(sum(bg) < 150, f"seed-dark: dark background {bg} when the browser prefers dark")
        light = png_pixels(os.path.join(WORK, "seed.png"), 30)[2][5][5]
        check(sum(light) > 700, f"seed: light background {light} by default")
    screenshot(large, "large", 1200)

    # ---- on paper
    pdf = os.path.join(WORK, "seed.pdf")
    if os.path.exists(pdf):
        os.remove(pdf)
    chromium(seed, "--print-to-pdf=" + pdf, "--no-pdf-header-footer")
    data = open(pdf, "rb").read() if os.path.exists(pdf) else b""
    pages = data.count(b"/Type /Page") - data.count(b"/Type /Pages")
    check(data.startswith(b"%PDF") and pages >= 2, f"seed: printed to {pages} PDF pages")

    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
