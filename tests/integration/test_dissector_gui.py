#!/usr/bin/env python3
"""Screenshot test: Wireshark (Qt) under Xvfb opens a capture with the dfuscope
plugin loaded, shows only the frames with dfuscope fields (-Y dfuscope) with a
column of finding ids, selects the frame of the most severe finding, expands
the dfuscope tree, and the screen is saved as a PNG.

usage: test_dissector_gui.py DFUSCOPE PLUGIN CAPTURE [OUT.png]

The image goes to OUT.png (default: wireshark-dfuscope.png in the build
folder's tests/artifacts). With DFS_UPDATE_SCREENSHOT=1 it is also copied to
docs/images/wireshark-dfuscope.png for the README: look at it before
committing. scripts/test installs Xvfb, Wireshark (Qt), xwd and xdotool, so
when one is missing, Xvfb does not start, or Wireshark exits or shows no
window, the test says why and fails.

Checks: Wireshark's window appears; the last row of the packet details (the
dfuscope tree, which only exists when the plugin is loaded) can be selected
and expanded, and expanding it changes the pane; the image is not blank. What
the image shows is reviewed by eye before it goes into docs/images/."""
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tools  # noqa: E402
import wsplugin  # noqa: E402
import xwdpng  # noqa: E402

W, H = 1600, 1000
WINDOW_WAIT = 420
TOOLS = ["xvfb-run", "Xvfb", "wireshark", "xwd", "xdotool"]


# ---- inside Xvfb, as the user that runs Wireshark --------------------------------

def screen(path):
    with open(path, "wb") as f:
        subprocess.run(["xwd", "-root", "-silent"], stdout=f, check=True)
    with open(path, "rb") as f:
        return xwdpng.Image(f.read())


def coloured(p):
    r, g, b = p
    return max(r, g, b) - min(r, g, b) > 40


def band_rows(img, x, y0, y1):
    """y ranges of coloured (selected or highlighted) rows in column x."""
    bands, start = [], None
    for y in range(y0, y1):
        c = coloured(img.pixel(x, y))
        if c and start is None:
            start = y
        elif not c and start is not None:
            bands.append((start, y))
            start = None
    if start is not None:
        bands.append((start, y1))
    return bands


def settle(work, limit=60):
    """Wait until the screen stops changing (Wireshark has loaded and drawn),
    at most `limit` seconds. Returns the last screen."""
    path = os.path.join(work, "settle.xwd")
    last = None
    end = time.time() + limit
    while True:
        cur = screen(path)
        if (last is not None and cur.data == last.data) or time.time() > end:
            return cur
        last = cur
        time.sleep(1.5)


def xdo(*args):
    subprocess.run(["xdotool"] + [str(a) for a in args], check=False)


def inner(capture, frame, out_png, work):
    log = open(os.path.join(work, "wireshark.log"), "w")
    cols = ('gui.column.format:"No.","%m","Time","%t","Protocol","%p","Length","%L",'
            '"Info","%i","Finding","%Cus:dfuscope.finding:0:R"')
    # the test reads a file: no capture interfaces are listed at start-up (that
    # runs dumpcap, whose wait depends on the machine's interfaces and D-Bus)
    ws = subprocess.Popen(["wireshark", "-r", capture, "-Y", "dfuscope", "-g", str(frame),
                           "-o", "capture.no_interface_load:TRUE",
                           "-o", "capture.no_extcap:TRUE",
                           "-o", "gui.layout_content_3:NONE", "-o", cols],
                          stdout=log, stderr=subprocess.STDOUT)
    try:
        # the main window, titled with the capture's name once the file is
        # loaded (the splash screen, titled "Wireshark", comes and goes before).
        # The first start on a machine (font and icon caches) can take minutes:
        # wait while Wireshark runs, at most WINDOW_WAIT seconds
        title = re.escape(os.path.basename(capture))
        wids, end = [], time.time() + WINDOW_WAIT
        while not wids and ws.poll() is None and time.time() < end:
            res = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", title],
                                 capture_output=True, text=True)
            wids = res.stdout.split()
            if not wids:
                time.sleep(1)
        if ws.poll() is not None:
            print(f"FAIL: Wireshark exited with status {ws.returncode} (see wireshark.log)")
            return 1
        if not wids:
            names = subprocess.run(["xdotool", "search", "--name", "."], capture_output=True,
                                   text=True).stdout.split()
            titles = [subprocess.run(["xdotool", "getwindowname", w], capture_output=True,
                                     text=True).stdout.strip() for w in names[:20]]
            shot = os.path.join(work, "timeout.xwd")
            screen(shot)
            xwdpng.convert(shot, out_png)
            print(f"FAIL: Wireshark's window did not appear within {WINDOW_WAIT} s "
                  f"(see wireshark.log); windows on the screen: {titles or 'none'}; "
                  f"screen: {out_png}")
            return 1
        wid = wids[0]
        settle(work)
        xdo("windowsize", wid, W, H)
        xdo("windowmove", wid, 0, 0)
        settle(work)
        xdo("windowfocus", "--sync", wid)
        # focus the details pane (display filter -> packet list -> details) and
        # select its last top-level item: the dfuscope tree (a postdissector)
        xdo("key", "Tab")
        time.sleep(0.3)
        xdo("key", "Tab")
        time.sleep(0.3)
        xdo("key", "End")
        settle(work)
        before_path = os.path.join(work, "before.xwd")
        before = screen(before_path)
        bands = [b for b in band_rows(before, W - 200, H // 3, H - 40) if b[1] - b[0] >= 8]
        if not bands:
            xwdpng.convert(before_path, out_png)
            print(f"FAIL: no selected row in the packet details pane (screen: {out_png})")
            return 1
        y = (bands[-1][0] + bands[-1][1]) // 2
        # expand: a double click opens the tree, Shift+Right its subtrees
        xdo("mousemove", 200, y, "click", "--repeat", 2, "--delay", 80, 1)
        settle(work)
        xdo("key", "shift+Right")
        settle(work)
        path = os.path.join(work, "shot.xwd")
        after = screen(path)
        w, h = after.w, after.h
        colours = xwdpng.convert(path, out_png)
        changed = sum(1 for yy in range(y, h - 40, 4) if after.row(yy) != before.row(yy))
        print(f"screenshot {w}x{h}, {len(colours)} colours sampled, details pane changed on "
              f"{changed} sampled rows below the dfuscope row")
        if len(colours) < 8:
            print("FAIL: the screen is blank")
            return 1
        if changed < 10:
            print("FAIL: expanding the dfuscope tree changed nothing")
            return 1
        return 0
    finally:
        ws.terminate()
        try:
            ws.wait(10)
        except subprocess.TimeoutExpired:
            ws.kill()


# ---- outside: set up and run the inner part under Xvfb ---------------------------

def worst_frame(dfuscope, capture):
    """The frame of the most severe finding the CLI reports."""
    res = subprocess.run([dfuscope, "diagnose", "--json", capture], capture_output=True,
                         text=True)
    doc = json.loads(res.stdout)
    rank = {"error": 0, "warning": 1, "note": 2}
    fs = sorted(doc["findings"], key=lambda f: (rank.get(f["severity"], 3), f["frame"]))
    return fs[0]["frame"] if fs else 1


def outer(argv):
    dfuscope, plugin, capture = argv[1], argv[2], argv[3]
    build = os.environ.get("DFS_BUILD_DIR", ".")
    out = argv[4] if len(argv) > 4 else os.path.join(build, "tests", "artifacts",
                                                      "wireshark-dfuscope.png")
    tools.require(*TOOLS)
    frame = worst_frame(dfuscope, capture)
    with wsplugin.Env(plugin) as env:
        cap = env.capture(capture)
        work = os.path.join(env.home, "gui")
        os.makedirs(work, mode=0o700)
        png = os.path.join(work, "wireshark-dfuscope.png")
        if env.root:
            shutil.chown(work, "nobody", "nogroup")
        for f in ("test_dissector_gui.py", "xwdpng.py", "wsplugin.py", "tools.py"):
            shutil.copy(os.path.join(HERE, f), work)
        cmd = ["xvfb-run", "-a", "-s", f"-screen 0 {W}x{H}x24", "python3",
               os.path.join(work, "test_dissector_gui.py"), "--inner", cap, str(frame), png,
               work]
        res = env.run(cmd, check=False, timeout=600,
                      env={"QT_QPA_PLATFORM": "xcb", "XDG_RUNTIME_DIR": work})
        print(res.stdout.strip())
        logf = os.path.join(work, "wireshark.log")
        if res.returncode != 0:
            if os.path.exists(png):
                os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
                shutil.copy(png, out)
                print(f"screen at the failure: {out}")
            if os.path.exists(logf):
                print("wireshark.log:\n" + open(logf).read()[-3000:])
            print(res.stderr.strip()[-3000:])
            if "xvfb-run: error" in res.stderr or "Xvfb failed" in res.stderr:
                tools.fail("Xvfb could not start: " + res.stderr.strip()[-300:])
            sys.exit(1)
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        shutil.copy(png, out)
        print(f"ok   Wireshark with the plugin on {os.path.basename(capture)}, frame {frame}: "
              f"{out}")
        if os.environ.get("DFS_UPDATE_SCREENSHOT") == "1":
            src = os.environ.get("DFS_SOURCE_DIR", os.path.join(HERE, "..", ".."))
            dst = os.path.join(src, "docs", "images", "wireshark-dfuscope.png")
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy(png, dst)
            print(f"     copied to {dst}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--inner":
        sys.exit(inner(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]))
    if len(sys.argv) < 4:
        print(__doc__)
        sys.exit(2)
    outer(sys.argv)
