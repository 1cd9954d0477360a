#!/usr/bin/env python3
"""Integration tests of the dfuscope Wireshark plugin, with the real tshark.

usage: test_dissector.py DFUSCOPE TEST PLUGIN CAPTURE...

TEST is one of:
  exports   the plugin exports exactly Wireshark's plugin entry points
  cli       tshark's dfuscope fields equal what `dfuscope decode --dfu --json`
            and `dfuscope diagnose --json` say, frame by frame
  cli-usb2  the same on packet-level USB 2.0 captures (link type 288, as a
            hardware analyzer records them): each capture rendered in pcap and
            pcapng by $DFS_USB2_RENDER (tests/tools/usb2_render.c); the fields
            sit on the frames of the SETUP packet and of the handshake that
            ends each transfer, as `decode` says; dfuscope.naks and
            dfuscope.nak_ms of each transfer the device held by NAKs are the
            CLI's and match the NAK packets tshark's usbll dissector shows
  passes    one pass (tshark) and two passes (tshark -2) give the same fields
            with the pre-pass (the default); without it (frame by frame), one
            pass shows exactly what was known when each frame was read
  random    sharkd asked for the frames in a random order (after its in-order
            load) shows the same fields as tshark -2
  install   `dfuscope wireshark-install` puts the plugin where tshark loads it,
            --uninstall removes it, and `cmake --install` (under DESTDIR) puts
            it in Wireshark's plugin folder for Wireshark's prefix, and in
            PREFIX/lib/wireshark/plugins/X.Y/epan for another
  damaged   captures with bytes changed in their usbmon records and cut short
            in the middle of a record: tshark (also -2, also under the
            sanitizers) neither crashes nor disagrees between its passes
  reread    the pre-pass is checked frame by frame: a file whose first frame
            matches but that is shorter (as if the capture grew) or differs at
            a frame makes the plugin say so at that frame and use the frames
            as Wireshark reads them from there on
  reload    sharkd loads the same file again (Wireshark dissects it again from
            the start; the plugin keeps what it read ahead): the same fields;
            then the file is changed in place (same size, a later frame
            changed) and loaded again: the fields of the changed file, read
            ahead again, with no reread warning
  nodfu     captures without DFU get no dfuscope field at all
  expert    -Y on a finding id selects exactly the frames the CLI names, and
            tshark -z expert lists every finding the CLI reports
See docs/wireshark.md for what is promised."""
import json
import os
from decimal import Decimal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wsplugin  # noqa: E402

# DFU 1.1 section 6.1.2 state names, as `dfuscope decode --dfu --json` spells them
STATES = {"appIDLE": 0, "appDETACH": 1, "dfuIDLE": 2, "dfuDNLOAD-SYNC": 3, "dfuDNBUSY": 4,
          "dfuDNLOAD-IDLE": 5, "dfuMANIFEST-SYNC": 6, "dfuMANIFEST": 7,
          "dfuMANIFEST-WAIT-RESET": 8, "dfuUPLOAD-IDLE": 9, "dfuERROR": 10}

FIELDS = ["dfuscope.request", "dfuscope.command", "dfuscope.address", "dfuscope.block",
          "dfuscope.length", "dfuscope.state", "dfuscope.status", "dfuscope.poll_timeout",
          "dfuscope.finding", "dfuscope.related_frame", "dfuscope.layout",
          "dfuscope.device.event"]
STREAM = ["-o", "dfuscope.prepass:FALSE"]

failures = []


def fail(msg):
    failures.append(msg)
    print("  FAIL " + msg)


def name(path):
    return os.path.basename(path)


# ---- exports ------------------------------------------------------------------

def test_exports(plugin):
    out = subprocess.run(["nm", "-D", "--defined-only", plugin], capture_output=True,
                         text=True, check=True).stdout
    syms = sorted(line.split()[-1] for line in out.splitlines() if line.strip())
    want = ["plugin_register", "plugin_version", "plugin_want_major", "plugin_want_minor"]
    if syms != want:
        fail(f"{plugin} exports {syms}, want exactly {want}")
    else:
        print(f"ok   {plugin} exports only {', '.join(want)}")


# ---- the CLI's view -------------------------------------------------------------

def cli_json_lines(dfuscope, args):
    res = subprocess.run([dfuscope] + args, capture_output=True, text=True)
    if res.returncode not in (0, 1):
        raise RuntimeError(f"dfuscope {' '.join(args)} exited {res.returncode}: "
                           f"{res.stderr.strip()}")
    return res


def cli_txns(dfuscope, capture):
    """The DFU transactions of `dfuscope decode --dfu --json`."""
    res = cli_json_lines(dfuscope, ["decode", "--dfu", "--json", capture])
    return [json.loads(line) for line in res.stdout.splitlines() if line.strip()]


def cli_diagnose(dfuscope, capture):
    res = cli_json_lines(dfuscope, ["diagnose", "--json", capture])
    return json.loads(res.stdout)


def cli_findings(dfuscope, capture):
    """The findings of `dfuscope diagnose --json` that the plugin shows: those
    about a DFU device (or a device of its re-enumeration chain), and those
    about the whole capture (device 0) when it has a DFU device
    (docs/wireshark.md, "Which findings")."""
    doc = cli_diagnose(dfuscope, capture)
    devices = doc.get("devices", [])
    lane = {d["instance"]: d.get("lane") or d["instance"] for d in devices}
    dfu_lanes = {lane[d["instance"]] for d in devices if d.get("dfu")}
    shown = []
    for f in doc["findings"]:
        dev = f.get("device") or 0
        if (dev == 0 and dfu_lanes) or (dev and lane.get(dev, dev) in dfu_lanes):
            shown.append(f)
    return shown


def finding_frames(f):
    frames = set(f.get("frames", []))
    if f.get("frame"):
        frames.add(f["frame"])
    return frames


# ---- tests --------------------------------------------------------------------

def expected_from_cli(dfuscope, capture):
    """{frame: {"request": set, "address": set, "state": set, "finding": set}}"""
    want = {}

    def add(frame, key, value):
        want.setdefault(frame, {}).setdefault(key, set()).add(value)

    for t in cli_txns(dfuscope, capture):
        frames = {t["frame"]}
        if t.get("reply_frame"):
            frames.add(t["reply_frame"])
        for fr in frames:
            add(fr, "request", t["request"])
            if t.get("address") is not None:
                add(fr, "address", int(str(t["address"]), 0))
            if t.get("state_after") is not None:
                add(fr, "state", STATES[t["state_after"]])
            elif t.get("bState") is not None:
                add(fr, "state", t["bState"])
    for f in cli_findings(dfuscope, capture):
        for fr in finding_frames(f):
            add(fr, "finding", f["id"])
    return want


def observed(rows):
    got = {}
    for fr, row in rows.items():
        d = {}
        if row["dfuscope.request"]:
            d["request"] = set(row["dfuscope.request"])
        if row["dfuscope.address"]:
            d["address"] = {int(v, 0) for v in row["dfuscope.address"]}
        if row["dfuscope.state"]:
            d["state"] = {int(v) for v in row["dfuscope.state"]}
        if row["dfuscope.finding"]:
            d["finding"] = set(row["dfuscope.finding"])
        if d:
            got[fr] = d
    return got


def test_cli(env, dfuscope, captures, need_requests=False):
    for cap in captures:
        want = expected_from_cli(dfuscope, cap)
        if need_requests and not any("request" in v for v in want.values()):
            fail(f"{name(cap)}: the CLI finds no DFU request: nothing to compare")
        # tshark as Wireshark reads the file, pre-pass (default) and frame by
        # frame with two passes: both must say what the CLI says
        for label, extra in (("pre-pass", []), ("frame by frame, -2", STREAM)):
            rows = env.fields(env.capture(cap), FIELDS, extra=extra,
                              two_pass=bool(extra))
            got = observed(rows)
            if extra:
                # frame by frame, what the decoder concludes only at the end of
                # the capture is not known; the pre-pass marks those findings
                want_here = strip_at_end(want, at_end_findings(env, cap))
            else:
                want_here = want
            diffs = diff_frames(want_here, got)
            if diffs:
                fail(f"{name(cap)} ({label}): tshark and the CLI differ on "
                     f"{len(diffs)} frames")
                for d in diffs[:20]:
                    print("       " + d)
            else:
                n_txn = sum(1 for v in want_here.values() if "request" in v)
                n_f = sum(1 for v in want_here.values() if "finding" in v)
                print(f"ok   {name(cap)} ({label}): {len(rows)} frames, {n_txn} with a DFU "
                      f"request, {n_f} with findings, as the CLI says")
        check_lost_explanations(env, dfuscope, cap)


def test_cli_usb2(env, dfuscope, captures):
    render = os.environ.get("DFS_USB2_RENDER", "")
    if not os.access(render, os.X_OK):
        wsplugin.fail(f"DFS_USB2_RENDER ({render!r}) is not the usb2 renderer")
    with tempfile.TemporaryDirectory() as tmp:
        rendered = []
        for cap in captures:
            for ext in ("pcap", "pcapng"):
                out = os.path.join(tmp, f"{os.path.basename(cap).split('.')[0]}-usb2.{ext}")
                subprocess.run([render, cap, out], check=True)
                with open(out, "rb") as f:
                    head = f.read(4096)
                # the link type (pcap header; pcapng: the interface block after
                # the section header), to be sure a packet capture is compared
                shb = int.from_bytes(head[4:8], "little")
                lt = int.from_bytes(head[20:24], "little") if ext == "pcap" else \
                    int.from_bytes(head[shb + 8:shb + 10], "little")
                if lt != 288:
                    fail(f"{out}: link type {lt}, not 288")
                rendered.append(out)
        test_cli(env, dfuscope, rendered, need_requests=True)
        held = sum(check_naks(env, dfuscope, cap) for cap in rendered)
        if not held:
            fail("no rendered capture has a request held by NAKs: dfuscope.naks and "
                 "dfuscope.nak_ms were never compared")


PID_IN, PID_NAK, PID_DATA = 0x69, 0x5A, (0xC3, 0x4B)


def check_naks(env, dfuscope, cap):
    """dfuscope.naks and dfuscope.nak_ms on the frames of each transfer the
    device held by NAKs: what `decode --dfu --json` says (naks, nak_ms), and
    what tshark's own USB 2.0 packet dissector shows between the transfer's
    SETUP and its last handshake: the NAK packets, and the time from the IN
    token the first NAK answered to the IN token the data answered. Frames
    of other transfers carry neither field. Returns how many transfers were
    held."""
    rows = env.fields(env.capture(cap), ["dfuscope.naks", "dfuscope.nak_ms", "usbll.pid",
                                         "frame.time_epoch"])
    want = {}
    for t in cli_txns(dfuscope, cap):
        if not t.get("naks"):
            continue
        for fr in (t["frame"], t["reply_frame"]):
            want[fr] = (t["naks"], t["nak_ms"])
        pk = [(int(rows[fr]["usbll.pid"][0], 0), Decimal(rows[fr]["frame.time_epoch"][0]))
              for fr in range(t["frame"], t["reply_frame"] + 1)
              if fr in rows and rows[fr]["usbll.pid"]]
        naks = [i for i, p in enumerate(pk) if p[0] == PID_NAK]
        data = next((i for i in range(naks[-1], len(pk)) if pk[i][0] in PID_DATA), None) \
            if naks else None
        if (len(naks) != t["naks"] or data is None or pk[naks[0] - 1][0] != PID_IN or
                pk[data - 1][0] != PID_IN):
            fail(f"{name(cap)}: frames {t['frame']}-{t['reply_frame']}: tshark shows "
                 f"{len(naks)} NAKs, dfuscope {t['naks']}")
            continue
        ms = float((pk[data - 1][1] - pk[naks[0] - 1][1]) * 1000)
        if abs(ms - t["nak_ms"]) > 0.0015:
            fail(f"{name(cap)}: frames {t['frame']}-{t['reply_frame']}: tshark times the "
                 f"NAKs {ms:.4f} ms, dfuscope {t['nak_ms']} ms")
    got = {fr: (int(r["dfuscope.naks"][0]), float(r["dfuscope.nak_ms"][0]))
           for fr, r in rows.items() if r["dfuscope.naks"] or r["dfuscope.nak_ms"]}
    bad = [fr for fr in sorted(set(want) | set(got))
           if fr not in want or fr not in got or got[fr][0] != want[fr][0] or
           abs(got[fr][1] - want[fr][1]) > 0.0005]
    if bad:
        fail(f"{name(cap)}: dfuscope.naks/nak_ms differ from the CLI at frames {bad[:10]}: "
             f"{[(got.get(fr), want.get(fr)) for fr in bad[:3]]}")
    else:
        print(f"ok   {name(cap)}: {len(want) // 2} transfers held by NAKs, dfuscope.naks and "
              f"dfuscope.nak_ms as the CLI and tshark's packets say")
    return len(want) // 2


LOST_RULES = ("dfuse.option-bytes-reset", "dfuse.leave-reset", "dfu.device-lost")


def check_lost_explanations(env, dfuscope, cap):
    """The rules about a device that went away count the silence until the
    capture's end time (a pcapng interface statistics block): the plugin
    reads it through wiretap, so its explanations are the CLI's, word for
    word (the seed's says the capture went on 10 s after the failure)."""
    want = {f["explanation"] for f in cli_findings(dfuscope, cap) if f["id"] in LOST_RULES}
    if not want:
        return
    res = env.tshark(["-r", env.capture(cap), "-T", "fields", "-E", "occurrence=a",
                      "-E", "aggregator=\x01", "-e", "dfuscope.finding.explanation"])
    got = {v for line in res.stdout.splitlines() for v in line.split("\x01") if v}
    missing = want - got
    if missing:
        fail(f"{name(cap)}: the plugin's explanation differs from the CLI's: "
             f"{sorted(missing)[0][-200:]}")
    else:
        print(f"ok   {name(cap)}: {len(want)} device-lost explanation(s) as the CLI says")


def at_end_findings(env, capture):
    """{(frame, id)} of the findings the pre-pass says were concluded at the
    end of the capture (dfuscope.finding.at_end)."""
    rows = env.fields(env.capture(capture), ["dfuscope.finding", "dfuscope.finding.at_end"])
    out = set()
    for fr, r in rows.items():
        ids, ends = r["dfuscope.finding"], r["dfuscope.finding.at_end"]
        if len(ids) != len(ends):
            raise RuntimeError(f"frame {fr}: {len(ids)} findings, {len(ends)} at_end values")
        out.update((fr, i) for i, e in zip(ids, ends) if e in ("1", "True"))
    return out


def strip_at_end(want, at_end):
    out = {}
    for fr, d in want.items():
        d = {k: set(v) for k, v in d.items()}
        if "finding" in d:
            d["finding"] = {i for i in d["finding"] if (fr, i) not in at_end}
            if not d["finding"]:
                del d["finding"]
        if d:
            out[fr] = d
    return out


def diff_frames(want, got):
    diffs = []
    for fr in sorted(set(want) | set(got)):
        w, g = want.get(fr, {}), got.get(fr, {})
        if w != g:
            diffs.append(f"frame {fr}: CLI {fmt(w)} tshark {fmt(g)}")
    return diffs


def fmt(d):
    return "{" + ", ".join(f"{k}={sorted(v, key=str)}" for k, v in sorted(d.items())) + "}"


TXN_FIELDS = ["dfuscope.request", "dfuscope.command", "dfuscope.address", "dfuscope.block",
              "dfuscope.length", "dfuscope.state", "dfuscope.status", "dfuscope.poll_timeout"]


def test_passes(env, dfuscope, captures):
    for cap in captures:
        c = env.capture(cap)
        one = env.fields(c, FIELDS)
        two = env.fields(c, FIELDS, two_pass=True)
        if one != two:
            bad = [fr for fr in sorted(set(one) | set(two)) if one.get(fr) != two.get(fr)]
            fail(f"{name(cap)}: one pass and -2 differ on frames {bad[:20]}")
            for fr in bad[:5]:
                print(f"       frame {fr}: one {one.get(fr)}\n       frame {fr}: two "
                      f"{two.get(fr)}")
        else:
            n = sum(1 for r in one.values() if any(r.values()))
            print(f"ok   {name(cap)}: one pass == -2 with the pre-pass ({n} frames with "
                  f"dfuscope fields)")
        check_frame_by_frame(env, dfuscope, cap)


def check_frame_by_frame(env, dfuscope, cap):
    """Without the pre-pass, one pass shows what was known when each frame was
    read: a transaction on its reply frame (its request frame only on later
    passes), a finding on the frames it names from the frame where the decoder
    concluded it on (so a suffix of them); -2 shows everything else too."""
    c = env.capture(cap)
    s1 = env.fields(c, FIELDS, extra=STREAM)
    s2 = env.fields(c, FIELDS, extra=STREAM, two_pass=True)
    bad = []
    for t in cli_txns(dfuscope, cap):
        q, r = t["frame"], t.get("reply_frame") or t["frame"]
        for f in TXN_FIELDS:
            if s1[r][f] != s2[r][f]:
                bad.append(f"reply frame {r} {f}: one pass {s1[r][f]}, -2 {s2[r][f]}")
        if not s1[r]["dfuscope.request"]:
            bad.append(f"reply frame {r}: no dfuscope.request in one pass")
        if q != r and s1[q]["dfuscope.request"]:
            bad.append(f"request frame {q}: dfuscope.request {s1[q]['dfuscope.request']} in "
                       f"one pass, before its reply {r} was read")
        if q != r and s2[q]["dfuscope.request"] != s2[r]["dfuscope.request"]:
            bad.append(f"request frame {q}: -2 shows {s2[q]['dfuscope.request']}, its reply "
                       f"{s2[r]['dfuscope.request']}")
    frames1, frames2 = {}, {}
    for fr in s2:
        for i in s1.get(fr, {}).get("dfuscope.finding", []):
            frames1.setdefault(i, set()).add(fr)
        for i in s2[fr]["dfuscope.finding"]:
            frames2.setdefault(i, set()).add(fr)
    # per finding (an id may be reported several times, e.g. once per device
    # instance): in one pass it shows on a suffix of the frames it names
    occurrences = {}
    for f in cli_findings(dfuscope, cap):
        occurrences.setdefault(f["id"], []).append(finding_frames(f))
    for i, f2 in frames2.items():
        f1 = frames1.get(i, set())
        groups = occurrences.get(i) or [f2]
        explained = set()
        for g in groups:
            g1 = f1 & g
            suffix = {fr for fr in g & f2 if g1 and fr >= min(g1)}
            if g1 != suffix:
                bad.append(f"finding {i}: one pass on {sorted(g1)}, -2 on {sorted(g & f2)}")
            explained |= g1
        if not f1 <= explained:
            bad.append(f"finding {i}: one pass on {sorted(f1 - explained)}, which it does not "
                       f"name")
    for i in set(frames1) - set(frames2):
        bad.append(f"finding {i} in one pass only")
    for fr in sorted(s1):
        for f in FIELDS:
            if not set(s1[fr][f]) <= set(s2.get(fr, {}).get(f, [])):
                bad.append(f"frame {fr} {f}: one pass {s1[fr][f]}, -2 {s2[fr][f]}")
    if bad:
        fail(f"{name(cap)}: frame by frame, one pass and -2 disagree:")
        for b in bad[:15]:
            print("       " + b)
    else:
        print(f"ok   {name(cap)}: frame by frame, one pass shows what was known at each "
              f"frame, -2 the rest")


RANDOM_FIELDS = ["dfuscope.request", "dfuscope.command", "dfuscope.address", "dfuscope.state",
                 "dfuscope.status", "dfuscope.finding", "dfuscope.related_frame"]


def sharkd_frames(env, capture, frames, prepass=True):
    """{frame: {field: [values]}} from sharkd's trees, frames asked in the
    given order."""
    reqs = [{"jsonrpc": "2.0", "id": 1, "method": "load", "params": {"file": capture}}]
    if not prepass:
        reqs.insert(0, {"jsonrpc": "2.0", "id": 100000000, "method": "setconf",
                        "params": {"name": "dfuscope.prepass", "value": "FALSE"}})
    for i, fr in enumerate(frames):
        reqs.append({"jsonrpc": "2.0", "id": i + 2, "method": "frame",
                     "params": {"frame": fr, "proto": True}})
    text = "".join(json.dumps(r) + "\n" for r in reqs)
    res = env.run(["sharkd", "-"], input=text)
    out = {}

    def walk(nodes, acc):
        for n in nodes:
            f = n.get("f", "")
            if " == " in f and f.split(" == ")[0] in RANDOM_FIELDS:
                k, v = f.split(" == ", 1)
                acc.setdefault(k, []).append(v.strip('"'))
            walk(n.get("n", []), acc)

    for line in res.stdout.splitlines():
        if not line.startswith("{"):
            continue
        d = json.loads(line)
        if d.get("id") == 100000000:
            if "error" in d:
                raise RuntimeError(f"sharkd setconf failed: {line}")
            continue
        if d.get("id", 0) == 1:
            if d.get("result", {}).get("status") != "OK":
                raise RuntimeError(f"sharkd could not load {capture}: {line}")
            continue
        acc = {}
        walk(d.get("result", {}).get("tree", []), acc)
        out[frames[d["id"] - 2]] = acc
    return out


def norm(field, values):
    if field in ("dfuscope.address", "dfuscope.state", "dfuscope.status",
                 "dfuscope.related_frame"):
        return sorted(int(v, 0) for v in values)
    return sorted(values)


def test_random(env, dfuscope, captures):
    import random
    wsplugin.require("sharkd")
    rng = random.Random(6)
    for cap in captures:
        c = env.capture(cap)
        for prepass in (True, False):
            label = "pre-pass" if prepass else "frame by frame"
            two = env.fields(c, RANDOM_FIELDS, two_pass=True, extra=[] if prepass else STREAM)
            frames = sorted(two)
            rng.shuffle(frames)
            got = sharkd_frames(env, c, frames, prepass)
            bad = []
            for fr in frames:
                for f in RANDOM_FIELDS:
                    a, b = norm(f, two[fr][f]), norm(f, got.get(fr, {}).get(f, []))
                    if a != b:
                        bad.append(f"frame {fr} {f}: tshark -2 {a}, sharkd {b}")
            n = sum(1 for r in two.values() if any(r.values()))
            if bad:
                fail(f"{name(cap)} ({label}): frames in random order differ from tshark -2:")
                for b in bad[:15]:
                    print("       " + b)
            elif not n and (cli_txns(dfuscope, cap) or cli_findings(dfuscope, cap)):
                fail(f"{name(cap)} ({label}): no dfuscope fields at all")
            elif not n:
                # (fwupd-get-devices: enumeration and strings only; the plugin
                # marks no frame, as `dfuscope decode --dfu` and `diagnose`
                # say nothing of them, so there is no order to compare)
                print(f"ok   {name(cap)} ({label}): no DFU transaction and no finding, "
                      f"no dfuscope field, as tshark -2")
            else:
                print(f"ok   {name(cap)} ({label}): {len(frames)} frames in random order, {n} "
                      f"with dfuscope fields, as tshark -2")


class Sharkd:
    """One sharkd session, asked one request at a time."""

    def __init__(self, env):
        self.p = subprocess.Popen(env.command(["sharkd", "-"]), stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  text=True)
        self.id = 0

    def call(self, method, params):
        self.id += 1
        self.p.stdin.write(json.dumps({"jsonrpc": "2.0", "id": self.id, "method": method,
                                       "params": params}) + "\n")
        self.p.stdin.flush()
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError(f"sharkd ended before answering {method}")
            if line.startswith("{"):
                d = json.loads(line)
                if d.get("id") == self.id:
                    return d

    def load_frames(self, capture, frames):
        """Load the capture, then {frame: ({field: [values]}, reread warned)}."""
        d = self.call("load", {"file": capture})
        if d.get("result", {}).get("status") != "OK":
            raise RuntimeError(f"sharkd could not load {capture}: {d}")
        out = {}
        for fr in frames:
            acc, reread = {}, []

            def walk(nodes):
                for n in nodes:
                    f = n.get("f", "")
                    if " == " in f and f.split(" == ")[0] in RANDOM_FIELDS:
                        k, v = f.split(" == ", 1)
                        acc.setdefault(k, []).append(v.strip('"'))
                    if f.startswith("dfuscope.expert.reread"):
                        reread.append(fr)
                    walk(n.get("n", []))

            walk(self.call("frame", {"frame": fr, "proto": True}).get("result", {})
                 .get("tree", []))
            out[fr] = (acc, bool(reread))
        return out

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=60)


def test_reload(env, captures):
    wsplugin.require("sharkd")
    import shutil
    for cap in captures:
        data = open(cap, "rb").read()
        if data[:4] not in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4"):
            continue
        recs = pcap_records(data)
        k = len(recs) // 2 + 1
        changed = bytearray(data)               # frame k's last byte changed
        o, n = recs[k - 1]
        changed[o + n - 1] ^= 0xFF
        p = os.path.join(env.data, f"reload-{name(cap)}")
        q = os.path.join(env.data, f"reload-changed-{name(cap)}")
        for path, content in ((p, data), (q, bytes(changed))):
            open(path, "wb").write(content)
            if env.root:
                shutil.chown(path, "nobody", "nogroup")
        want = {"same file": env.fields(p, RANDOM_FIELDS, two_pass=True),
                "changed": env.fields(q, RANDOM_FIELDS, two_pass=True)}
        frames = sorted(want["same file"])
        sd = Sharkd(env)
        try:
            got = {"first load": sd.load_frames(p, frames),
                   "same file": sd.load_frames(p, frames)}
            st = os.stat(p)
            with open(p, "r+b") as f:          # in place: same file, same size
                f.write(bytes(changed))
            os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1000000000))
            got["changed"] = sd.load_frames(p, frames)
        finally:
            sd.close()
        for label, rows in got.items():
            two = want["same file" if label == "first load" else label]
            bad = [f"frame {fr}: reread warning" for fr in frames if rows[fr][1]]
            for fr in frames:
                for f in RANDOM_FIELDS:
                    a, b = norm(f, two[fr][f]), norm(f, rows[fr][0].get(f, []))
                    if a != b:
                        bad.append(f"frame {fr} {f}: tshark -2 {a}, sharkd {b}")
            if bad:
                fail(f"{name(cap)} ({label}): sharkd differs from tshark -2:")
                for b in bad[:15]:
                    print("       " + b)
            else:
                n = sum(1 for r in two.values() if any(r.values()))
                print(f"ok   {name(cap)} ({label}): {len(frames)} frames, {n} with dfuscope "
                      f"fields, as tshark -2 on that file, no reread warning")


def shutil_which(prog):
    import shutil
    return shutil.which(prog)


def test_nodfu(env, captures):
    for cap in captures:
        c = env.capture(cap)
        res = env.tshark(["-r", c, "-Y", "dfuscope"])
        n = len([ln for ln in res.stdout.splitlines() if ln.strip()])
        rows = env.fields(c, FIELDS)
        with_fields = [fr for fr, r in rows.items() if any(r.values())]
        if n or with_fields:
            fail(f"{name(cap)}: {n} frames match 'dfuscope', fields on frames "
                 f"{with_fields[:20]}")
        else:
            print(f"ok   {name(cap)}: {len(rows)} frames, no dfuscope field")


def test_expert(env, dfuscope, captures):
    for cap in captures:
        c = env.capture(cap)
        findings = cli_findings(dfuscope, cap)
        by_id = {}
        for f in findings:
            by_id.setdefault(f["id"], set()).update(finding_frames(f))
        for fid, frames in sorted(by_id.items()):
            res = env.tshark(["-r", c, "-Y", f'dfuscope.finding == "{fid}"', "-T", "fields",
                              "-e", "frame.number"])
            got = {int(x) for x in res.stdout.split()}
            if got != frames:
                fail(f"{name(cap)}: -Y {fid} selects {sorted(got)}, the CLI names "
                     f"{sorted(frames)}")
            else:
                print(f"ok   {name(cap)}: -Y {fid} selects frames {sorted(got)}")
        res = env.tshark(["-r", c, "-q", "-z", "expert"])
        for f in findings:
            if f["title"] not in res.stdout:
                fail(f"{name(cap)}: tshark -z expert does not list {f['id']} "
                     f"({f['title']})")
        if findings:
            print(f"ok   {name(cap)}: -z expert lists all {len(findings)} findings")


def test_install(env, dfuscope, plugin):
    import filecmp
    home = env.home
    run_env = dict(os.environ, HOME=home)
    dst = os.path.join(home, ".local/lib/wireshark/plugins", env.version, "epan",
                       "dfuscope.so")
    os.remove(dst)  # the harness's own copy: install it with the command instead
    res = subprocess.run([dfuscope, "wireshark-install"], capture_output=True, text=True,
                         env=run_env)
    if res.returncode != 0 or not os.path.isfile(dst) or not filecmp.cmp(dst, plugin, False):
        fail(f"wireshark-install: exit {res.returncode}, {dst} "
             f"{'differs from the build' if os.path.isfile(dst) else 'missing'}: "
             f"{res.stdout}{res.stderr}")
        return
    if env.root:
        shutil_chown_tree(home)
    env._check_loaded()
    print(f"ok   dfuscope wireshark-install: {dst}, loaded by tshark")
    res = subprocess.run([dfuscope, "wireshark-install", "--uninstall"], capture_output=True,
                         text=True, env=run_env)
    if res.returncode != 0 or os.path.exists(dst):
        fail(f"wireshark-install --uninstall: exit {res.returncode}, {dst} still there")
    else:
        print("ok   dfuscope wireshark-install --uninstall removes it")
    build = os.environ.get("DFS_BUILD_DIR")
    if not build:
        return
    # cmake --install puts it under the prefix only: in Wireshark's own
    # folder when the prefix is Wireshark's, else in PREFIX/lib/wireshark/...
    pc = lambda var: subprocess.run(["pkg-config", f"--variable={var}", "wireshark"],
                                    capture_output=True, text=True).stdout.strip()
    plugdir, wsprefix = pc("plugindir"), pc("prefix").rstrip("/") or "/usr"
    for prefix, folder in ((wsprefix, os.path.join(plugdir, "epan")),
                           ("/usr/local", os.path.join("/usr/local/lib/wireshark/plugins",
                                                       env.version, "epan"))):
        destdir = os.path.join(home, "destdir" + prefix.replace("/", "-"))
        res = subprocess.run(["cmake", "--install", build, "--prefix", prefix,
                              "--component", "wireshark"], capture_output=True, text=True,
                             env=dict(os.environ, DESTDIR=destdir))
        want = destdir + os.path.join(folder, "dfuscope.so")
        if res.returncode != 0 or not os.path.isfile(want):
            fail(f"cmake --install --prefix {prefix}: exit {res.returncode}, {want} missing: "
                 f"{res.stdout[-500:]}{res.stderr[-500:]}")
        elif f"Wireshark plugin: {want}" not in res.stdout:
            fail(f"cmake --install --prefix {prefix} does not say where the plugin went: "
                 f"{res.stdout[-500:]}")
        else:
            print(f"ok   cmake --install --prefix {prefix} puts the plugin in {folder}")


def damaged_copies(path, outdir, n=6):
    """Copies of a classic pcap with bytes of the usbmon headers and data
    changed (a fixed seed: the same copies every run) and the last one cut in
    the middle of a record."""
    import random
    import struct
    data = open(path, "rb").read()
    if data[:4] not in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4",
                        b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"):
        return []
    end = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    recs, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        recs.append((off + 16, incl))
        off += 16 + incl
    rng = random.Random(1106)
    out = []
    for i in range(n):
        b = bytearray(data)
        for _ in range(40):
            start, incl = recs[rng.randrange(len(recs))]
            if incl:
                b[start + rng.randrange(incl)] = rng.randrange(256)
        if i == n - 1:
            start, incl = recs[len(recs) // 2]
            b = b[:start + incl // 2]
        p = os.path.join(outdir, f"damaged-{i}-{os.path.basename(path)}")
        open(p, "wb").write(bytes(b))
        out.append(p)
    return out


def test_damaged(env, captures):
    for cap in captures:
        for d in damaged_copies(cap, env.data):
            c = env.capture(d)
            for two in (False, True):
                args = (["-2"] if two else []) + ["-r", c, "-V", "-O", "dfuscope"]
                res = env.tshark(args, check=False)
                crashed = res.returncode < 0 or res.returncode > 2 or \
                    "AddressSanitizer" in res.stderr or "runtime error" in res.stderr
                if crashed:
                    fail(f"{name(d)}{' -2' if two else ''}: tshark exit {res.returncode}: "
                         f"{res.stderr[-1500:]}")
            one = env.fields(c, FIELDS, cut_short_ok=True)
            twop = env.fields(c, FIELDS, two_pass=True, cut_short_ok=True)
            if one != twop:
                fail(f"{name(d)}: one pass and -2 differ")
            else:
                n = sum(1 for r in one.values() if any(r.values()))
                print(f"ok   {name(d)}: {len(one)} frames, {n} with dfuscope fields, no crash, "
                      f"one pass == -2")


def pcap_records(data):
    end = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    import struct
    recs, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        recs.append((off, 16 + incl))
        off += 16 + incl
    return recs


def test_reread(env, captures):
    for cap in captures:
        data = open(cap, "rb").read()
        if data[:4] not in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4"):
            continue
        recs = pcap_records(data)
        c = env.capture(cap)
        stream2 = env.fields(c, FIELDS, extra=STREAM, two_pass=True)
        half = len(recs) // 2
        shorter = data[:recs[half][0]]          # frames 1..half
        k = half + 1
        changed = bytearray(data)               # frame k's last byte changed
        o, n = recs[k - 1]
        changed[o + n - 1] ^= 0xFF
        for label, other, at, everywhere in (("shorter", shorter, half + 1, True),
                                             ("changed", bytes(changed), k, False)):
            p = os.path.join(env.data, f"{label}-{name(cap)}")
            open(p, "wb").write(other)
            if env.root:
                import shutil
                shutil.chown(p, "nobody", "nogroup")
            # tshark reads the capture, with the other file open first (fd 3):
            # the pre-pass finds it first, since its frame 1 is the same
            def tshark_with(args):
                argv = ["sh", "-c", 'exec 3<"$0"; exec tshark -n "$@"', p] + args
                return env.run(argv, check=True)
            res = tshark_with(["-r", c, "-Y", "dfuscope.expert.reread", "-T", "fields",
                               "-e", "frame.number"])
            got = [int(x) for x in res.stdout.split()]
            if got != [at]:
                fail(f"{name(cap)} ({label}): reread warning on {got}, want [{at}]")
                continue
            args = ["-2", "-r", c, "-T", "fields", "-E", "separator=\t", "-E",
                    "occurrence=a", "-E", "aggregator=|", "-e", "frame.number"]
            for f in FIELDS:
                args += ["-e", f]
            rows = {}
            for line in tshark_with(args).stdout.splitlines():
                cols = line.split("\t")
                cols += [""] * (len(FIELDS) + 1 - len(cols))
                rows[int(cols[0])] = {f: (v.split("|") if v else []) for f, v in
                                      zip(FIELDS, cols[1:])}
            first = 1 if everywhere else at
            bad = [fr for fr in stream2 if fr >= first and rows.get(fr) != stream2[fr]]
            if bad:
                fail(f"{name(cap)} ({label}): frames {bad[:10]} differ from decoding frame "
                     f"by frame")
            else:
                print(f"ok   {name(cap)} ({label} file open first): warned at frame {at}, "
                      f"frames from {first} on as decoded frame by frame")


def shutil_chown_tree(top):
    import shutil
    for dirpath, dirnames, filenames in os.walk(top):
        for n in dirnames + filenames:
            shutil.chown(os.path.join(dirpath, n), "nobody", "nogroup")


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        sys.exit(2)
    dfuscope, test, plugin, captures = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    if test not in ("exports", "install") and not captures:
        wsplugin.fail(f"no captures to run '{test}' on (tests/CMakeLists.txt names them)")
    if test == "exports":
        test_exports(plugin)
    else:
        with wsplugin.Env(plugin) as env:
            if test == "cli":
                test_cli(env, dfuscope, captures)
            elif test == "cli-usb2":
                test_cli_usb2(env, dfuscope, captures)
            elif test == "passes":
                test_passes(env, dfuscope, captures)
            elif test == "random":
                test_random(env, dfuscope, captures)
            elif test == "install":
                test_install(env, dfuscope, plugin)
            elif test == "damaged":
                test_damaged(env, captures)
            elif test == "reread":
                test_reread(env, captures)
            elif test == "reload":
                test_reload(env, captures)
            elif test == "nodfu":
                test_nodfu(env, captures)
            elif test == "expert":
                test_expert(env, dfuscope, captures)
            else:
                print(f"unknown test {test}")
                sys.exit(2)
    if failures:
        print(f"{len(failures)} failed")
        sys.exit(1)


if __name__ == "__main__":
    main()
