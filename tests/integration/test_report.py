#!/usr/bin/env python3
"""dfuscope report: the page is well-formed, self-contained, and shows what
the capture holds.

Captures come from dfs-gencap (tests/tools/gencap.c): the seed's option-byte
write on the STM32G0C1 (the chip resets and does not come back, and a variant
where it comes back), clean DfuSe and DFU 1.1 downloads, a session with
faults, one with hostile device strings and a 10,000-transaction download;
plus the real dfu-util capture in tests/data/real. The expectations come from
other sources than the page: the scenario scripts, and `dfuscope decode --dfu
--json` / `dfuscope diagnose --json` for frame numbers and findings.

usage: test_report.py DFUSCOPE DFS_GENCAP"""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import htmlcheck  # noqa: E402

DFUSCOPE, GENCAP = sys.argv[1], sys.argv[2]
SRC = os.environ.get("DFS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.environ.get("DFS_TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "data"))
BUILD = os.environ.get("DFS_BUILD_DIR", tempfile.gettempdir())
WORK = os.path.join(BUILD, "test-artefacts", "report")
os.makedirs(WORK, exist_ok=True)

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL", what)
    return cond


def gencap(name):
    path = os.path.join(WORK, name + ".pcap")
    subprocess.run([GENCAP, name, path], check=True)
    return path


def report(cap, *args, out=None):
    out = out or os.path.splitext(cap)[0] + ".html"
    p = subprocess.run([DFUSCOPE, "report", *args, cap, "-o", out], capture_output=True, text=True)
    check(p.returncode == 0, f"report {cap} exits 0 (got {p.returncode}: {p.stderr.strip()})")
    text = open(out, encoding="utf-8").read() if os.path.exists(out) else ""
    return out, text


def prose(node):
    """The text of an element without that of its code blocks."""
    return "".join(c if isinstance(c, str) else
                   ("" if c.tag in ("pre", "code") else prose(c)) for c in node.children)


def parsed(text, name, **kw):
    root, problems = htmlcheck.parse(text, **kw)
    for pr in problems[:20]:
        print(f"  {name}: {pr}")
    check(not problems, f"{name}: well-formed and self-contained ({len(problems)} problems)")
    return root


def dfu_txns(cap):
    out = subprocess.run([DFUSCOPE, "decode", "--dfu", "--json", cap], capture_output=True,
                         text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def findings(cap):
    p = subprocess.run([DFUSCOPE, "diagnose", "--json", cap], capture_output=True, text=True)
    return json.loads(p.stdout)["findings"]


def svg(root, cls):
    return [n for n in root.find_all("svg") if cls in n.classes()]


# ---- the seed: option-byte write at 0x1FFF7870, the chip never comes back -------------

def test_seed():
    cap = gencap("seed")
    _, text = report(cap)
    root = parsed(text, "seed")
    fs = findings(cap)
    top = fs[0]
    check(top["id"] == "dfuse.option-bytes-reset", "seed: diagnose's top finding is the reset")
    verdict = root.find(id="verdict")
    check(verdict is not None and "sev-error" in verdict.classes(), "seed: verdict is an error")
    vt = verdict.text() if verdict else ""
    check("Option-byte write reset the device" in vt and f"frame {top['frame']}" in vt,
          f"seed: verdict names the finding and its frame: {vt[:200]!r}")
    # every finding of diagnose, with explanation, remedy, frames and doc link
    arts = root.find_all("article", cls="finding")
    check([a.attrs["data-id"] for a in arts] == [f["id"] for f in fs],
          "seed: the findings are diagnose's, in its order")
    for a, f in zip(arts, fs):
        check(f["explanation"] in a.find("p", cls="explanation").text(),
              f"seed: {f['id']} explanation shown")
        if f["remedy"]:
            check(f["remedy"] in a.find("p", cls="remedy").text(), f"seed: {f['id']} remedy shown")
        links = [x.text() for x in a.find("p", cls="frames").find_all("a", cls="frame")]
        check(links == [str(x) for x in f["frames"]], f"seed: {f['id']} links every frame {links}")
        check(f"docs/findings/{f['id']}.md" in a.find(cls="doclink").text(),
              f"seed: {f['id']} names its doc page")
        page = os.path.join(SRC, "docs", "findings", f["id"] + ".md")
        if os.path.exists(page):
            # the page travels with the report, and the link goes to it
            anchor = "doc-" + re.sub(r"[^a-z0-9-]", "-", f["id"])
            link = a.find(cls="doclink")
            check(link.attrs.get("href") == "#" + anchor, f"seed: {f['id']} links its embedded page")
            doc = root.find(id=anchor)
            first = open(page, encoding="utf-8").readline().lstrip("# ").strip()
            check(doc is not None and first in doc.text(), f"seed: {f['id']} page embedded")
    # the STALLs on the timeline: exactly the stalled requests decode reports
    stalls = {str(t["reply_frame"]) for t in dfu_txns(cap) if t["outcome"] == "stall"}
    tl = svg(root, "timeline")
    check(len(tl) == 1, "seed: one timeline")
    marks = {g.attrs["data-frame"] for g in tl[0].find_all("g", cls="ev-stall")}
    check(stalls and marks == stalls, f"seed: STALL marks at frames {sorted(marks)}, decode says {sorted(stalls)}")
    lost = tl[0].find_all("g", cls="ev-lost")
    check(len(lost) == 1 and lost[0].attrs["data-frame"] == str(top["frame"]),
          "seed: one 'device lost' mark, at the reset finding's frame")
    check(lost and "device lost" in lost[0].text(), "seed: the lost mark is labelled")
    check("not back after 10.0 s" in tl[0].text(), "seed: the lane says the device is not back")
    check("sr-only" not in text or all("sr-only" not in n.classes() for n in tl[0].iter()),
          "seed: no hidden text in the SVG")
    # a lane per device: the seed has one DFU device
    check(len(tl[0].find_all("g", cls="lane")) == 1, "seed: one lane")
    # the close-up ends in the loss, after the STALLs
    cu = svg(root, "closeup")
    check(len(cu) == 1, "seed: close-up present")
    if cu:
        steps = [g.attrs["data-frame"] for g in cu[0].find_all("g", cls="step")]
        check(str(min(int(s) - 1 for s in stalls)) in steps, "seed: close-up shows the stalled GETSTATUS")
        check(cu[0].find("g", cls="terminal") is not None and "LOST" in cu[0].find("g", cls="terminal").text(),
              "seed: close-up ends with the device lost")
        dn = [g for g in cu[0].find_all("g", cls="step") if "DNLOAD" in g.text()]
        check(dn and "0x1fff7870" in dn[-1].text(), "seed: close-up shows the DNLOAD at 0x1fff7870")
    # the memory map: the write at 0x1FFF7870 outside a layout that only covers flash
    mm = svg(root, "memmap")
    check(len(mm) == 1, "seed: one memory map")
    if mm:
        adv = [t.text() for g in mm[0].find_all("g", cls="adv") for t in g.find_all("title")]
        check(len(adv) == 3 and all("0x08000000" in a and "0x0807ffff" in a for a in adv),
              f"seed: three alternate settings advertise the flash only: {adv}")
        w = mm[0].find("g", cls="acc-write")
        marks = w.find_all("g", cls="xt") if w else []
        check(len(marks) == 1 and marks[0].attrs["data-addr"] == "0x1fff7870"
              and marks[0].attrs["data-len"] == "4", "seed: one write, 4 bytes at 0x1fff7870")
        check(marks and {"outside", "lost"} <= set(marks[0].classes()),
              "seed: the write is marked outside the layout and followed by the loss")
        check(marks and marks[0].find("rect", cls="mark") is not None, "seed: striped mark drawn")
        note = w.find("text", cls="note") if w else None
        check(note is not None and "0x1fff7870" in note.text() and "outside the layout" in note.text()
              and "lost" in note.text(), f"seed: the write is labelled: {note.text() if note else None!r}")
        reads = mm[0].find("g", cls="acc-read")
        raddr = sorted(g.attrs["data-addr"] for g in reads.find_all("g", cls="xt")) if reads else []
        check(raddr == ["0x1fff75e0", "0x1fff7800", "0x1fff7870"], f"seed: the reads {raddr}")
        check(all("outside" in g.classes() for g in reads.find_all("g", cls="xt")),
              "seed: every read is outside the layout")
        ob = mm[0].find("rect", cls="region-ob")
        check(ob is not None, "seed: the chip's option-byte area is drawn for comparison")
    # descriptors with the descriptor finding inline
    desc = root.find(id="descriptors")
    check(desc is not None and desc.find(cls="inline-finding") is not None
          and "Several alternate settings" in desc.find(cls="inline-finding").text(),
          "seed: the duplicate-layout finding sits in the descriptor tree")
    names = [q.text() for q in desc.find_all("q", cls="str")] if desc else []
    check(names.count("@Internal Flash /0x08000000/256*02Kg") == 3, "seed: the three alt names")
    # the transaction table: every DFU transaction, collapsible
    det = root.find("details", cls="txns")
    check(det is not None and "open" not in det.attrs, "seed: the table is collapsed")
    rows = det.find_all("tr", cls="dfu") if det else []
    check(len(rows) == len(dfu_txns(cap)), f"seed: {len(rows)} DFU rows in the table")


def test_seed_back():
    cap = gencap("seed-back")
    _, text = report(cap)
    root = parsed(text, "seed-back")
    tl = svg(root, "timeline")[0]
    lanes = tl.find_all("g", cls="lane")
    check(len(lanes) == 1, "seed-back: the re-enumerated device continues its lane")
    check("1.6 \u2192 1.7" in lanes[0].find("g", cls="lane-label").text(), "seed-back: lane named 1.6 -> 1.7")
    back = tl.find_all("g", cls="ev-back")
    check(len(back) == 1 and "back as 1.7" in back[0].text(), "seed-back: re-enumeration marked")
    check(len(tl.find_all("line", cls="absent")) == 1, "seed-back: the gap is marked")
    lost = tl.find("g", cls="ev-lost")
    check(lost is not None and "device reset" in lost.text(), "seed-back: labelled as a reset")


# ---- clean sessions ------------------------------------------------------------------------

def test_clean():
    cap = gencap("clean")
    _, text = report(cap)
    root = parsed(text, "clean")
    v = root.find(id="verdict")
    check(v is not None and "No problem found" in v.text() and "8 KiB written" in v.text(),
          f"clean: verdict {v.text() if v else None!r}")
    check(not root.find_all("article", cls="finding"), "clean: no findings")
    tl = svg(root, "timeline")[0]
    check(not tl.find_all(cls="ev-stall") and not tl.find_all(cls="ev-lost"), "clean: no STALL, no loss")
    ticks = tl.find_all("line", cls="tick")
    check(len(ticks) == len(dfu_txns(cap)), f"clean: one tick per DFU request ({len(ticks)})")
    mm = svg(root, "memmap")[0]
    check(not mm.find_all(cls="outside"), "clean: nothing outside the layout")
    w = [(g.attrs["data-addr"], g.attrs["data-len"]) for g in mm.find("g", cls="acc-write").find_all("g", cls="xt")]
    check(w == [("0x08000000", "8192")], f"clean: 8 KiB written at 0x08000000 in one extent: {w}")
    e = [g.attrs["data-len"] for g in mm.find("g", cls="acc-erase").find_all("g", cls="xt")]
    check(e == ["8192"], f"clean: four 2 KiB pages erased, merged: {e}")
    check(root.find("svg", cls="closeup") is None, "clean: no close-up without a problem")


def test_dfu11():
    cap = gencap("dfu11")
    _, text = report(cap)
    root = parsed(text, "dfu11")
    mm = svg(root, "memmap")[0]
    check("offsets in the firmware image" in mm.text(), "dfu11: DFU 1.1 map is in image offsets")
    w = [(g.attrs["data-addr"], g.attrs["data-len"]) for g in mm.find("g", cls="acc-write").find_all("g", cls="xt")]
    check(w == [("0x00000000", "868")], f"dfu11: 868 bytes written from offset 0: {w}")
    tl = svg(root, "timeline")[0]
    check(any(t.text() == "MANIFEST" for t in tl.find_all("text")), "dfu11: the manifestation band")


# ---- faults: early polls, a real STALL --------------------------------------------------------

def test_faults():
    cap = gencap("faults")
    _, text = report(cap)
    root = parsed(text, "faults")
    txns = dfu_txns(cap)
    early = [t for t in txns if t.get("poll_wait_ms") is not None and t["poll_wait_ms"] < t["poll_asked_ms"]]
    check(len(early) == 1, "faults: decode reports one early poll")
    tl = svg(root, "timeline")[0]
    marks = [g.attrs["data-frame"] for g in tl.find_all("g", cls="ev-early")]
    check(marks == [str(t["frame"]) for t in early], f"faults: early poll marked at {marks}")
    win = [g for g in tl.find_all("g", cls="early") if g.attrs.get("data-frame") == str(early[0]["frame"])]
    check(len(win) == 1, "faults: the bwPollTimeout window it did not wait out is drawn")
    if win:
        # the early GETSTATUS lies inside its window
        r = win[0].find("rect")
        x0, w = float(r.attrs["x"]), float(r.attrs["width"])
        tick = [a for a in tl.find_all("a") if a.attrs.get("href") == f"#f{early[0]['frame']}"]
        tx = float(tick[0].find("line").attrs["x1"]) if tick else -1
        check(x0 < tx < x0 + w, f"faults: the early poll ({tx}) falls inside its window ({x0}, {x0 + w})")
    check(tl.find("g", cls="ev-stall") is not None, "faults: STALL marked")
    check(not tl.find_all(cls="ev-lost"), "faults: the device stayed: no loss mark")
    check("dfu.getstatus-stall" in root.find(id="verdict").text() or
          "GETSTATUS stalled" in root.find(id="verdict").text(), "faults: verdict is the real rejection")


# ---- hostile device strings --------------------------------------------------------------------

PRODUCT = "<script>alert(1)</script>\"'&amp;\\x01\\x7f ]]> <!-- http://x"


def test_hostile():
    cap = gencap("hostile")
    _, text = report(cap)
    root = parsed(text, "hostile")
    scripts = root.find_all("script")
    check(len(scripts) == 1 and "alert" not in scripts[0].text(), "hostile: only the page's own script")
    check(not any(k.startswith("on") for n in root.iter() for k in n.attrs), "hostile: no event handler")
    check(not root.find_all("b"), "hostile: no markup from an alt name")
    prod = root.find("dd", cls="product")
    check(prod is not None and prod.text() == PRODUCT, f"hostile: product shown as text: {prod.text() if prod else None!r}")
    strs = [q.text() for q in root.find_all("q", cls="str")]
    check("@Internal Flash<img src=x onerror=alert(2)> /0x08000000/256*02Kg" in strs,
          "hostile: alt 0 name shown as text")
    check("<b>not a layout</b> //evil.example" in strs, "hostile: alt 2 name shown as text")
    check("</svg><script>" not in text and "<img" not in text, "hostile: nothing unescaped in the source")


def test_two():
    cap = gencap("two")
    _, text = report(cap)
    root = parsed(text, "two")
    tl = svg(root, "timeline")[0]
    lanes = tl.find_all("g", cls="lane")
    labels = [l.find("g", cls="lane-label").text() for l in lanes]
    check(len(lanes) == 2 and "1.6" in labels[0] and "1.9" in labels[1], f"two: a lane per device {labels}")
    per_dev = {}
    for t in dfu_txns(cap):
        per_dev[t["device"]] = per_dev.get(t["device"], 0) + 1
    ticks = [len(l.find_all("line", cls="tick")) for l in lanes]
    check(ticks == [per_dev[6], per_dev[9]], f"two: each lane has its device's requests {ticks} {per_dev}")
    maps = svg(root, "memmap")
    check(len(maps) == 2, "two: a memory map per device")
    check(len(root.find_all("div", cls="device")) == 2, "two: two device cards")


# ---- a 10,000-transaction session ------------------------------------------------------------

def test_large():
    cap = gencap("large")
    out, text = report(cap)
    size = os.path.getsize(out)
    check(size < 3 * 1024 * 1024, f"large: report of {size} bytes, under 3 MiB")
    root = parsed(text, "large")
    n = len(dfu_txns(cap))
    check(n > 10000, f"large: {n} DFU transactions")
    tl = svg(root, "timeline")[0]
    check("aggregated" in tl.classes(), "large: the timeline aggregates")
    bars = tl.find_all("rect")
    check(len(bars) < 3000, f"large: {len(bars)} rectangles on the timeline, not one per request")
    titles = [t.text() for r in tl.find_all("rect") for t in r.find_all("title") if "requests (" in t.text()]
    total = sum(int(re.search(r": (\d+) requests", t).group(1)) for t in titles)
    check(total == n, f"large: the columns account for every request ({total} of {n})")
    det = root.find("details", cls="txns")
    rows = det.find_all("tr", cls="dfu")
    check(1000 < len(rows) < 5000, f"large: the table keeps {len(rows)} rows, not all")
    gaps = det.find_all("tr", cls="gap")
    check(gaps and "rows not shown" in gaps[0].text(), "large: the rows left out are said")
    mm = svg(root, "memmap")[0]
    w = [(g.attrs["data-addr"], g.attrs["data-len"]) for g in mm.find("g", cls="acc-write").find_all("g", cls="xt")]
    check(w == [("0x08000000", str(340 * 2048))], f"large: one merged write extent {w}")


# ---- the real dfu-util capture ---------------------------------------------------------------------

def test_real():
    # every real capture gives a sound page, DFU or not
    for name in sorted(os.listdir(os.path.join(DATA, "real"))):
        if not name.endswith((".pcap", ".pcapng")):
            continue
        out = os.path.join(WORK, "real-" + name + ".html")
        _, text = report(os.path.join(DATA, "real", name), out=out)
        root = parsed(text, name)
        check(root.find(id="verdict") is not None, f"{name}: has a verdict")
    cap = os.path.join(DATA, "real", "stm32_dfu_install.pcap")
    out = os.path.join(WORK, "stm32_dfu_install.html")
    _, text = report(cap, out=out)
    root = parsed(text, "real")
    fs = findings(cap)
    arts = [a.attrs["data-id"] for a in root.find_all("article", cls="finding")]
    check(arts == [f["id"] for f in fs], "real: the findings are diagnose's")
    tl = svg(root, "timeline")[0]
    leave = tl.find("g", cls="ev-leave")
    check(leave is not None and "leave" in leave.text(), "real: the DfuSe leave is marked, not as a loss")
    check(not tl.find_all(cls="ev-lost"), "real: no loss")
    ticks = tl.find_all("line", cls="tick")
    check(len(ticks) == len(dfu_txns(cap)), "real: one tick per DFU request")


# ---- options and bad input ------------------------------------------------------------------------

def test_cli():
    cap = os.path.join(WORK, "seed-back.pcap")
    if not os.path.exists(cap):
        cap = gencap("seed-back")
    # standard output and standard input
    with open(cap, "rb") as f:
        p = subprocess.run([DFUSCOPE, "report", "-"], stdin=f, capture_output=True)
    check(p.returncode == 0 and p.stdout.startswith(b"<!DOCTYPE html>"), "cli: stdin to stdout")
    # --device: the hub has no DFU transactions
    _, text = report(cap, "--device", "1.1", out=os.path.join(WORK, "hub.html"))
    root = parsed(text, "device 1.1")
    check(root.find("svg", cls="timeline") is None and not root.find_all("article", cls="finding"),
          "cli: --device 1.1 keeps only the hub, which has no DFU")
    _, text = report(cap, "--device", "0483:df11", out=os.path.join(WORK, "dev.html"))
    root = parsed(text, "device 0483:df11")
    check(len(svg(root, "timeline")[0].find_all("g", cls="lane")) == 1, "cli: --device VID:PID keeps the lane")
    # --docs-base
    _, text = report(cap, "--docs-base", "../docs/findings/", out=os.path.join(WORK, "docs.html"))
    root = parsed(text, "docs-base", allowed_link_prefixes=("../docs/findings/",))
    links = [a.attrs["href"] for a in root.find_all("a", cls="doclink")]
    check(links and all(re.fullmatch(r"\.\./docs/findings/[a-z0-9.-]+\.md", h) for h in links),
          f"cli: --docs-base links {links[:2]}")
    # --all-docs: every finding's page, rendered from its Markdown
    _, text = report(cap, "--all-docs", out=os.path.join(WORK, "all-docs.html"))
    root = parsed(text, "all-docs")
    table = open(os.path.join(SRC, "include", "dfuscope", "findings.h")).read()
    ids = re.findall(r'X\(\s*\w+,\s*"([a-z0-9.-]+)"', table)
    pages = [i for i in ids if os.path.exists(os.path.join(SRC, "docs", "findings", i + ".md"))]
    docs = {d.attrs["id"]: d for d in root.find_all("details", cls="doc")}
    check(len(docs) == len(pages), f"cli: --all-docs embeds the {len(pages)} pages ({len(docs)})")
    for i in pages:
        d = docs.get("doc-" + re.sub(r"[^a-z0-9-]", "-", i))
        md = open(os.path.join(SRC, "docs", "findings", i + ".md"), encoding="utf-8").read()
        heads = [h.lstrip("#").strip() for h in md.splitlines() if h.startswith("## ")]
        shown = [h.text() for h in d.find_all("h4")] if d else []
        check(d is not None and shown == heads, f"cli: {i} page with its sections {shown}")
        # outside code blocks: an example of a command's output may hold "**"
        check(d is not None and "**" not in prose(d) and "```" not in prose(d),
              f"cli: {i} page has no Markdown left over")
    # errors
    p = subprocess.run([DFUSCOPE, "report", os.path.join(WORK, "missing.pcap"), "-o", os.path.join(WORK, "x.html")],
                       capture_output=True, text=True)
    check(p.returncode == 2 and "missing.pcap" in p.stderr, "cli: a missing file is exit 2, named")
    check(not os.path.exists(os.path.join(WORK, "x.html")), "cli: no report for a missing file")
    p = subprocess.run([DFUSCOPE, "report", cap, "-o", os.path.join(WORK, "no", "such", "dir.html")],
                       capture_output=True, text=True)
    check(p.returncode == 2 and "dir.html" in p.stderr, "cli: an unwritable output is exit 2, named")
    p = subprocess.run([DFUSCOPE, "report", "--bogus", cap], capture_output=True, text=True)
    check(p.returncode == 2, "cli: unknown option is exit 2")
    p = subprocess.run([DFUSCOPE, "report", "--help"], capture_output=True, text=True)
    check(p.returncode == 0 and "self-contained" in p.stdout, "cli: --help")
    # a damaged capture: cut in the middle of a record, the rest still reported
    data = open(cap, "rb").read()
    cut = os.path.join(WORK, "cut.pcap")
    open(cut, "wb").write(data[: len(data) * 2 // 3 + 7])
    out = os.path.join(WORK, "cut.html")
    p = subprocess.run([DFUSCOPE, "report", cut, "-o", out], capture_output=True, text=True)
    check(p.returncode == 0 and "cut.pcap" in p.stderr, f"cli: a cut capture is reported, and said: {p.stderr.strip()[:120]}")
    root = parsed(open(out, encoding="utf-8").read(), "cut")
    check(root.find("svg", cls="timeline") is not None, "cli: the cut capture still has its timeline")


def main():
    for t in (test_seed, test_seed_back, test_clean, test_dfu11, test_faults, test_hostile, test_two, test_large,
              test_real, test_cli):
        before = len(failures)
        t()
        print(("ok  " if len(failures) == before else "FAIL") + " " + t.__name__)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
