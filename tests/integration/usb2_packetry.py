#!/usr/bin/env python3
"""Packet-level USB 2.0 captures (link type 288) against two decoders that
are not dfuscope's: Packetry's own expected decodes, published with its
test captures (tests/data/real/packetry/*__reference.txt and
*__devices-reference.txt), and tshark's usbll dissector.

For every Packetry capture:
- transactions: the transactions dfuscope's packet parser puts together
  (dfs_usbll_dump, in Packetry's words) equal Packetry's, endpoint by
  endpoint, in order, with their data bytes and handshakes (Packetry's tree
  groups them by transfer, so the order across endpoints differs);
- packets: every packet of those transactions has the PID tshark's usbll.pid
  gives its frame, and the packets of a transaction are consecutive frames;
  the frames with a bad PID or CRC are exactly the frames tshark flags
  (usbll.invalid_pid, usbll.crc5.wrong, usbll.crc16.wrong) and dfuscope
  reports as capture.bad-packet;
- devices: every device Packetry lists (`Device N:` with a device
  descriptor) is in `dfuscope descriptors --json` with the same vendor and
  product ids, strings, configuration, interfaces and endpoints.

The DFU device of the hackrf capture (1fc9:000c) must be diagnosed as a DFU
device with its functional descriptor. Finally the comparison is run on a
doctored copy of Packetry's decode and must fail, so it cannot pass by
comparing nothing.

usage: usb2_packetry.py DFUSCOPE DFS_USBLL_DUMP"""
import json
import os
import re
import subprocess
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tools import fail, require  # noqa: E402

DATA = os.path.join(os.environ.get("DFS_TEST_DATA", "tests/data"), "real", "packetry")
DFUSCOPE = "dfuscope"
TREE = re.compile(r"^[\s│├└○─┼□]*")
TIMES = re.compile(r" \((\d+) times\)$")
ON = re.compile(r" on (\d+)\.(\d+)")

errors = []


def check(cond, msg):
    if not cond:
        errors.append(msg)
    return cond


def reference_transactions(lines):
    """Packetry's transaction lines by endpoint (address, endpoint), in order.

    Packetry words repetition in two ways: a transaction line "(N times)",
    and, for a run of identical transactions (polling answered by NAK), one
    transaction line whose packet lines say "(N times)": either counts N.
    A transaction that a low-speed keep-alive divides is a line with its
    data and a "Continuing ... transaction on A.E, ACK" line with the
    handshake: one transaction, worded here as Packetry words an undivided
    one."""
    items = []  # [text, count]
    for line in lines:
        text = TREE.sub("", line.rstrip("\n"))
        m = TIMES.search(text)
        n = int(m.group(1)) if m else 1
        if m:
            text = text[:m.start()]
        if re.search(r"transaction on \d+\.\d+", text):
            cont = re.match(r"Continuing (\w+) transaction on (\d+\.\d+), (\w+)$", text)
            if cont and items and ": " in items[-1][0]:
                head, _, data = items[-1][0].partition(": ")
                items[-1][0] = f"{head}, {cont.group(3)}: {data}"
                continue
            items.append([text, n])
        elif items and " packet" in text:
            items[-1][1] = max(items[-1][1], n)
    by_ep = defaultdict(list)
    for text, n in items:
        ep = ON.search(text)
        by_ep[(int(ep.group(1)), int(ep.group(2)))].extend([text] * n)
    return by_ep


def run_dump(dump, path):
    p = subprocess.run([dump, path], capture_output=True, text=True, check=False)
    if p.returncode != 0:
        fail(f"dfs_usbll_dump {path} exited {p.returncode}: {p.stderr}")
    txns, events = [], []
    for line in p.stdout.splitlines():
        frames, pids, text = line.split("\t")
        if pids == "event":
            events.append((int(frames), int(text)))
            continue
        first, last = (int(x) for x in frames.split("-"))
        txns.append((first, last, [int(x, 16) for x in pids.split(",")], text))
    findings = defaultdict(set)
    for line in p.stderr.splitlines():
        _, fid, frame = line.split()
        findings[fid].add(int(frame))
    return txns, events, findings


def compare_transactions(name, ours, ref, findings=None):
    """A token nothing answered is no transaction in Packetry's decode; in
    dfuscope's it is one and a capture.half-transaction finding."""
    by_ep = defaultdict(list)
    unanswered = set()
    for first, last, pids, text in ours:
        if len(pids) == 1:
            unanswered.add(last)
            continue
        ep = ON.search(text)
        by_ep[(int(ep.group(1)), int(ep.group(2)))].append(text)
    ok = True
    for ep in sorted(set(by_ep) | set(ref)):
        a, b = by_ep.get(ep, []), ref.get(ep, [])
        if a == b:
            continue
        ok = False
        i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
        check(False, f"{name}: endpoint {ep[0]}.{ep[1]}: dfuscope has {len(a)} transactions, "
                     f"Packetry {len(b)}; first difference at #{i + 1}: dfuscope "
                     f"{a[i] if i < len(a) else '(none)'!r}, Packetry "
                     f"{b[i] if i < len(b) else '(none)'!r}")
    if findings is not None:
        half = findings.get("capture.half-transaction", set())
        check(unanswered <= half, f"{name}: unanswered tokens at frames {sorted(unanswered)}, "
                                  f"capture.half-transaction at {sorted(half)}")
    return ok


def tshark_packets(path):
    out = subprocess.run(
        ["tshark", "-n", "-r", path, "-T", "fields", "-E", "occurrence=f", "-e", "frame.number",
         "-e", "usbll.pid", "-e", "usbll.invalid_pid", "-e", "usbll.crc5.wrong",
         "-e", "usbll.crc16.wrong", "-e", "usbll.split_crc5.wrong", "-e", "_ws.expert.message"],
        capture_output=True, text=True, check=True).stdout
    pid, bad = {}, set()
    for line in out.splitlines():
        f = line.split("\t")
        frame = int(f[0])
        if f[1]:
            pid[frame] = int(f[1], 16)
        if any(f[2:6]) or "Wrong CRC" in f[6] or "Invalid" in f[6]:
            bad.add(frame)
    return pid, bad


def compare_tshark(name, path, txns, findings):
    pid, bad = tshark_packets(path)
    for first, last, pids, text in txns:
        # frames without a packet (Packetry's bus events) may sit inside
        frames = [f for f in range(first, last + 1) if f in pid]
        if not check(len(frames) == len(pids),
                     f"{name}: frames {first}-{last} ({text}) are not {len(pids)} consecutive "
                     "packets"):
            continue
        for f, p in zip(frames, pids):
            check(pid.get(f) == p, f"{name}: frame {f}: PID 0x{p:02X} in dfuscope's "
                                   f"transaction, tshark's usbll.pid {pid.get(f)}")
    ours = findings.get("capture.bad-packet", set())
    check(ours == bad, f"{name}: bad packets: dfuscope frames {sorted(ours)}, tshark "
                       f"{sorted(bad)}")


# Packetry's words for its bus events by code (packetry src/event.rs)
EVENT_WORDS = {
    1: "Capture stopped by request", 2: "Capture stopped due to full buffer",
    3: "Capture stopped due to an error", 4: "Capture started at High Speed (480 Mbps)",
    5: "Capture started at Full Speed (12 Mbps)", 6: "Capture started at Low Speed (1.5 Mbps)",
    7: "Capture started with automatic speed selection",
    8: "Speed changed to High Speed (480 Mbps)", 9: "Speed changed to Full Speed (12 Mbps)",
    10: "Speed changed to Low Speed (1.5 Mbps)", 11: "Speed changed to automatic selection",
    12: "SE0 line state detected", 13: "Chirp J state detected", 14: "Chirp K state detected",
    15: "Chirp SE1 state detected", 16: "Low Speed idle state detected",
    17: "Low Speed resume state detected", 18: "Full Speed idle state detected",
    19: "Full Speed resume state detected", 20: "Invalid SE1 line state detected",
    21: "VBUS voltage became invalid", 22: "VBUS voltage became valid",
    23: "Device attached at Low Speed", 24: "Device attached at Full Speed", 25: "Bus reset",
    26: "Device HS chirp validated", 27: "Host HS chirp validated", 28: "Bus entered suspend",
    29: "Resume signal detected", 30: "Low Speed keepalive detected",
}


def compare_events(name, path, events, ref_lines):
    """The bus events in the order Packetry lists them, and in frames tshark
    shows as no packet. Low-speed keep-alives are left out: Packetry folds
    those that fall inside a transaction into it."""
    want = []
    for line in ref_lines:
        text = TREE.sub("", line.rstrip("\n"))
        m = TIMES.search(text)
        n = int(m.group(1)) if m else 1
        if m:
            text = text[:m.start()]
        if text in EVENT_WORDS.values() and text != EVENT_WORDS[30]:
            want.extend([text] * n)
    got = [EVENT_WORDS.get(code, f"code {code}") for _, code in events if code != 30]
    check(got == want, f"{name}: {len(got)} bus events, Packetry {len(want)}; first "
                       f"difference: " + next((f"#{i + 1} {a!r} / {b!r}" for i, (a, b) in
                                               enumerate(zip(got, want)) if a != b), "(length)"))
    pid, _ = tshark_packets(path)
    check(not any(f in pid for f, _ in events),
          f"{name}: a bus event sits in a frame tshark decodes as a packet")


def reference_devices(lines):
    """Packetry's devices: address -> the fields dfuscope must agree on."""
    devs, cur, iface = {}, None, None
    for line in lines:
        text = line.strip()
        m = re.match(r"Device (\d+):", text)
        if m:
            cur = devs.setdefault(int(m.group(1)), {"interfaces": [], "endpoints": []})
            continue
        if cur is None or ":" not in text:
            continue
        key, _, val = text.partition(": ")
        val = val.strip()
        num = re.match(r"(0x[0-9A-Fa-f]+|\d+)", val)
        if key in ("Vendor ID", "Product ID") and num:
            cur[key] = int(num.group(1), 16)
        elif key in ("Manufacturer string", "Product string", "Serial string"):
            s = re.search(r"'(.*)'", val)
            cur[key] = s.group(1) if s else None
        elif key in ("Total length", "Number of interfaces") and num:
            cur[key] = int(num.group(1), 0)
        elif key == "Interface number":
            iface = {"number": int(val)}
            cur["interfaces"].append(iface)
        elif iface is not None and key in ("Alternate setting", "Number of endpoints"):
            iface[key] = int(val)
        elif iface is not None and key in ("Class", "Subclass"):
            iface[key] = int(val.split(":")[0], 16)
        elif key == "Endpoint address":
            cur["endpoints"].append(int(val, 16))
    return {a: d for a, d in devs.items() if "Vendor ID" in d}


def compare_devices(name, path, ref):
    out = subprocess.run([DFUSCOPE, "descriptors", "--json", path], capture_output=True,
                         text=True, check=False)
    if not check(out.returncode == 0, f"{name}: descriptors exited {out.returncode}"):
        return None
    js = json.loads(out.stdout)
    ours = {d["device"]: d for d in js["devices"]}
    for addr, r in ref.items():
        d = ours.get(addr)
        if not check(d is not None, f"{name}: Packetry's device {addr} is not in dfuscope's"):
            continue
        dd = d["device_descriptor"]
        check(dd["idVendor"] == r["Vendor ID"] and dd["idProduct"] == r["Product ID"],
              f"{name}: device {addr}: {dd['idVendor']:04x}:{dd['idProduct']:04x}, Packetry "
              f"{r['Vendor ID']:04x}:{r['Product ID']:04x}")
        for key, field in (("Manufacturer string", "iManufacturer_string"),
                           ("Product string", "iProduct_string"),
                           ("Serial string", "iSerialNumber_string")):
            if key in r:
                check(dd.get(field) == r[key],
                      f"{name}: device {addr}: {field} {dd.get(field)!r}, Packetry {r[key]!r}")
        cfg = d.get("configuration") or {}
        for key, field in (("Total length", "wTotalLength"),
                           ("Number of interfaces", "bNumInterfaces")):
            if key in r:
                check(cfg.get(field) == r[key],
                      f"{name}: device {addr}: {field} {cfg.get(field)}, Packetry {r[key]}")
        ifs = cfg.get("interfaces", [])
        got = [(i["bInterfaceNumber"], i["bAlternateSetting"], i["bNumEndpoints"],
                i["bInterfaceClass"], i["bInterfaceSubClass"]) for i in ifs]
        want = [(i["number"], i.get("Alternate setting"), i.get("Number of endpoints"),
                 i.get("Class"), i.get("Subclass")) for i in r["interfaces"]]
        check(got == want, f"{name}: device {addr}: interfaces {got}, Packetry {want}")
        eps = [e["bEndpointAddress"] for i in ifs for e in i.get("descriptors", [])
               if e.get("type") == "endpoint"]
        check(eps == r["endpoints"], f"{name}: device {addr}: endpoints {eps}, Packetry "
                                     f"{r['endpoints']}")
    return js


def check_hackrf(path, js):
    dev = [d for d in js["devices"] if d["device_descriptor"]["idVendor"] == 0x1FC9 and
           d["device_descriptor"]["idProduct"] == 0x000C]
    if not check(len(dev) == 1, "hackrf: no single 1fc9:000c device"):
        return
    fd = [x for i in dev[0]["configuration"]["interfaces"] for x in i["descriptors"]
          if x["type"] == "dfu_functional"]
    check(len(fd) == 1 and fd[0]["bLength"] == 9 and fd[0]["wTransferSize"] == 2048 and
          fd[0]["bmAttributes"] == 9,
          f"hackrf: DFU functional descriptor {fd}, want 9 bytes, bmAttributes 9, "
          "wTransferSize 2048 (Packetry: class descriptor 0x21, 9 bytes)")
    out = subprocess.run([DFUSCOPE, "diagnose", path], capture_output=True, text=True,
                         check=False).stdout
    check("1fc9:000c" in out and "DFU 1.1 run-time interface 0, wTransferSize 2048" in out,
          f"hackrf: diagnose does not list the DFU device:\n{out}")


def main():
    global DFUSCOPE
    if len(sys.argv) != 3:
        fail(__doc__)
    require("tshark")
    DFUSCOPE, dump = sys.argv[1], sys.argv[2]
    names = sorted(f[:-len("__reference.txt")] for f in os.listdir(DATA)
                   if f.endswith("__reference.txt"))
    if not names:
        fail(f"no Packetry reference decodes in {DATA}")
    for name in names:
        cap = [f for f in os.listdir(DATA) if f.startswith(name + "__capture.")][0]
        path = os.path.join(DATA, cap)
        with open(os.path.join(DATA, name + "__reference.txt"), encoding="utf-8") as fp:
            ref_lines = fp.readlines()
        with open(os.path.join(DATA, name + "__devices-reference.txt"), encoding="utf-8") as fp:
            dev_lines = fp.readlines()
        txns, events, findings = run_dump(dump, path)
        ref = reference_transactions(ref_lines)
        compare_transactions(name, txns, ref, findings)
        compare_tshark(name, path, txns, findings)
        compare_events(name, path, events, ref_lines)
        js = compare_devices(name, path, reference_devices(dev_lines))
        if name == "hackrf-dfu-enum" and js:
            check_hackrf(path, js)
        print(f"{name}: {len(txns)} transactions, {len(events)} bus events, "
              f"{len(reference_devices(dev_lines))} devices")
        # a doctored copy of Packetry's decode must not compare equal
        if name == "hackrf-dfu-enum":
            doctored = [ln.replace("ACK: [12, 01", "ACK: [12, 02", 1) for ln in ref_lines]
            before = len(errors)
            same = compare_transactions(name + " (doctored)", txns,
                                        reference_transactions(doctored))
            del errors[before:]
            check(not same, "the comparison did not see a changed data byte")
    for e in errors:
        print("FAIL: " + e)
    if errors:
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
