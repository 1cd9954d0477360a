#!/usr/bin/env python3
"""Check `dfuscope descriptors --json` against tshark's own decoding of the
GET_DESCRIPTOR replies in the same capture.

For every device dfuscope reports, the replies it built the device from
are found (the completions of its GET_DESCRIPTOR requests, from `dfuscope
decode --json`), and tshark's descriptor fields in those frames must equal
dfuscope's: the device descriptor (usb.bLength, usb.bcdUSB, usb.idVendor,
usb.idProduct, usb.bcdDevice, usb.bNumConfigurations...), the configuration
(usb.wTotalLength, usb.bNumInterfaces, usb.configuration.bmAttributes,
usb.bMaxPower...), every interface (usb.bInterfaceNumber,
usb.bAlternateSetting, usb.bInterfaceClass...), every endpoint
(usb.bEndpointAddress, usb.bmAttributes, usb.wMaxPacketSize,
usb.bInterval), every DFU functional descriptor (usbdfu.descriptor.*), the
bLength and bDescriptorType of every descriptor in the configuration, the
strings (usb.bString) and the LANGID (usb.wLANGID).

Which read dfuscope keeps when a device was asked more than once: the last
complete device descriptor, the first longest configuration, the last
longest string, the first LANGID list.

The comparison is then run again on doctored copies of dfuscope's output
(one value changed at a time) and must fail each time, so it cannot pass
by comparing nothing.

usage: descriptors_tshark.py DFUSCOPE CAPTURE..."""
import copy
import json
import subprocess
import sys

import tools

SEP = "\x1f"
DEVICE_FIELDS = ["bLength", "bcdUSB", "bDeviceClass", "bDeviceSubClass", "bDeviceProtocol",
                 "bMaxPacketSize0"]
DEVICE_FIELDS_18 = ["idVendor", "idProduct", "bcdDevice", "iManufacturer", "iProduct",
                    "iSerialNumber", "bNumConfigurations"]
CONFIG_FIELDS = {"wTotalLength": "usb.wTotalLength", "bNumInterfaces": "usb.bNumInterfaces",
                 "bConfigurationValue": "usb.bConfigurationValue",
                 "iConfiguration": "usb.iConfiguration",
                 "bmAttributes": "usb.configuration.bmAttributes", "bMaxPower": "usb.bMaxPower"}
IFACE_FIELDS = ["bInterfaceNumber", "bAlternateSetting", "bNumEndpoints", "bInterfaceClass",
                "bInterfaceSubClass", "bInterfaceProtocol", "iInterface"]
EP_FIELDS = {"bEndpointAddress": "usb.bEndpointAddress", "bmAttributes": "usb.bmAttributes",
             "wMaxPacketSize": "usb.wMaxPacketSize", "bInterval": "usb.bInterval"}
DFU = "usbdfu.descriptor."
DFU_BITS = [("bmAttributes.CanDownload", 0), ("bmAttributes.CanUpload", 1),
            ("bmAttributes.ManifestationTolerant", 2), ("bmAttributes.WillDetach", 3)]
TSHARK_FIELDS = (["frame.number", "usb.bLength", "usb.bDescriptorType", "usb.bString",
                  "usb.wLANGID"]
                 + ["usb." + f for f in DEVICE_FIELDS[1:] + DEVICE_FIELDS_18]
                 + list(CONFIG_FIELDS.values()) + ["usb." + f for f in IFACE_FIELDS]
                 + list(EP_FIELDS.values())
                 + [DFU + f for f in ("wDetachTimeOut", "wTransferSize", "bcdDFUVersion",
                                      "bmAttributes.reserved")]
                 + [DFU + b for b, _ in DFU_BITS])


def tshark(path):
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "occurrence=a",
           "-E", "aggregator=" + SEP, "-E", "separator=\t"]
    for f in TSHARK_FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = {}
    for line in out.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(TSHARK_FIELDS) - len(cols))
        rows[int(cols[0])] = {f: (c.split(SEP) if c != "" else [])
                              for f, c in zip(TSHARK_FIELDS, cols)}
    return rows


def ints(values):
    out = []
    for v in values:
        v = v.strip()
        out.append({"True": 1, "False": 0}.get(v, None) if v in ("True", "False")
                   else int(v, 0))
    return out


def dfuscope_json(dfuscope, args, path, lines):
    r = subprocess.run([dfuscope] + args + [path], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"dfuscope {' '.join(args)} {path}: exit {r.returncode}: {r.stderr}")
    if lines:
        return [json.loads(l) for l in r.stdout.splitlines()]
    return json.loads(r.stdout)


def replies(controls, instance, dtype, index=None):
    """completions of GET_DESCRIPTOR(dtype[, index]) of one device, in order"""
    out = []
    for c in controls:
        if (c["instance"] == instance and c.get("bmRequestType") == 0x80
                and c.get("bRequest") == 6 and c["wValue"] >> 8 == dtype
                and (index is None or c["wValue"] & 0xff == index)
                and c["end"] == "completed" and c["status"] == 0 and c["complete_frame"]):
            out.append(c)
    return out


def walk(raw):
    """(bLength, bDescriptorType) of each descriptor in a configuration"""
    out, off = [], 0
    while off + 2 <= len(raw) and raw[off] >= 2 and off + raw[off] <= len(raw):
        out.append((raw[off], raw[off + 1]))
        off += raw[off]
    return out


class Checker:
    def __init__(self, path):
        self.path = path
        self.diffs = []
        self.compared = 0

    def eq(self, what, ours, theirs):
        self.compared += 1
        if ours != theirs:
            self.diffs.append(f"{what}: dfuscope {ours!r} tshark {theirs!r}")


def check_device(ck, dev, controls, rows):
    inst = dev["instance"]
    name = f"device {dev['bus']}.{dev['device']} (instance {inst})"
    dd = dev["device_descriptor"]
    if dd is not None:
        full = [c for c in replies(controls, inst, 1) if len(c["data"]) >= 36]
        part = [c for c in replies(controls, inst, 1) if len(c["data"]) >= 16]
        pick = full[-1] if dd["complete"] and full else (part[-1] if part else None)
        if pick is None:
            ck.diffs.append(f"{name}: no device descriptor reply found for it")
        else:
            t = rows[pick["complete_frame"]]
            frame = pick["complete_frame"]
            ck.eq(f"{name} frame {frame} bLength", dd["bLength"], ints(t["usb.bLength"])[:1][0])
            for f in DEVICE_FIELDS[1:] + (DEVICE_FIELDS_18 if dd["complete"] else []):
                ck.eq(f"{name} frame {frame} {f}", dd[f], (ints(t["usb." + f]) or [None])[0])
    cfg = dev["configuration"]
    if cfg is not None:
        cands = [c for c in replies(controls, inst, 2, 0)
                 if len(c["data"]) >= 18 and c["data"][2:4] == "02"]
        longest = max((len(c["data"]) for c in cands), default=0)
        pick = next((c for c in cands if len(c["data"]) == longest), None)
        if pick is None:
            ck.diffs.append(f"{name}: no configuration reply found for it")
            return
        frame = pick["complete_frame"]
        t = rows[frame]
        where = f"{name} frame {frame}"
        raw = bytes.fromhex(cfg["raw"])
        ck.eq(f"{where} configuration bytes", cfg["raw"], pick["data"])
        seq = walk(raw)
        ck.eq(f"{where} bLength of each descriptor", [s[0] for s in seq],
              ints(t["usb.bLength"])[:len(seq)])
        ck.eq(f"{where} bDescriptorType of each descriptor", [s[1] for s in seq],
              ints(t["usb.bDescriptorType"])[:len(seq)])
        for ours, field in CONFIG_FIELDS.items():
            if ours in cfg:
                ck.eq(f"{where} {ours}", cfg[ours], (ints(t[field]) or [None])[0])
        ifaces = cfg.get("interfaces", [])
        ck.eq(f"{where} interfaces", [[i[f] for f in IFACE_FIELDS] for i in ifaces],
              [list(x) for x in zip(*[ints(t["usb." + f]) for f in IFACE_FIELDS])])
        eps = [d for i in ifaces for d in i["descriptors"] if d["type"] == "endpoint"]
        ck.eq(f"{where} endpoints", [[e[f] for f in EP_FIELDS] for e in eps],
              [list(x) for x in zip(*[ints(t[f]) for f in EP_FIELDS.values()])])
        fds = [d for i in ifaces for d in i["descriptors"] if d["type"] == "dfu_functional"]
        theirs = []
        for k in range(len(t[DFU + "wTransferSize"])):
            attrs = sum(ints([t[DFU + b][k]])[0] << bit for b, bit in DFU_BITS)
            attrs |= ints([t[DFU + "bmAttributes.reserved"][k]])[0] << 4
            theirs.append([attrs, ints(t[DFU + "wDetachTimeOut"])[k],
                           ints(t[DFU + "wTransferSize"])[k],
                           (ints(t[DFU + "bcdDFUVersion"]) + [None] * 8)[k]])
        ck.eq(f"{where} DFU functional descriptors",
              [[d["bmAttributes"], d["wDetachTimeOut"], d["wTransferSize"], d["bcdDFUVersion"]]
               for d in fds], theirs)
    # strings, wherever dfuscope shows one
    strings = []
    if dd is not None:
        strings += [(dd.get(k), dd.get(k + "_string"))
                    for k in ("iManufacturer", "iProduct", "iSerialNumber")]
    if cfg is not None:
        strings.append((cfg.get("iConfiguration"), cfg.get("iConfiguration_string")))
        strings += [(i["iInterface"], i["iInterface_string"]) for i in cfg.get("interfaces", [])]
    for index, text in strings:
        if not index or text is None:
            continue
        reads = [c for c in replies(controls, inst, 3, index) if len(c["data"]) >= 4]
        if not reads:
            ck.diffs.append(f"{name}: string {index} shown but no reply found for it")
            continue
        longest = max(len(c["data"]) for c in reads)
        pick = [c for c in reads if len(c["data"]) == longest][-1]
        ck.eq(f"{name} frame {pick['complete_frame']} string {index}", text,
              (rows[pick["complete_frame"]]["usb.bString"] or [None])[0])
    if dev["langid"]:
        reads = [c for c in replies(controls, inst, 3, 0) if len(c["data"]) >= 8]
        if not reads:
            ck.diffs.append(f"{name}: LANGID shown but no reply found for it")
        else:
            frame = reads[0]["complete_frame"]
            ck.eq(f"{name} frame {frame} LANGID", dev["langid"],
                  (ints(rows[frame]["usb.wLANGID"]) or [None])[0])


def compare(desc, controls, rows, path):
    ck = Checker(path)
    for dev in desc["devices"]:
        check_device(ck, dev, controls, rows)
    return ck


def doctored(desc):
    """copies of desc with one descriptor value changed, and what changed"""
    for di, dev in enumerate(desc["devices"]):
        dd = dev["device_descriptor"]
        if dd:
            for f in ("bLength", "bcdUSB", "bMaxPacketSize0", "idVendor", "idProduct",
                      "bcdDevice", "bNumConfigurations"):
                if f in dd:
                    d = copy.deepcopy(desc)
                    d["devices"][di]["device_descriptor"][f] ^= 1
                    yield f"device {di} {f}", d
            for f in ("iManufacturer_string", "iProduct_string", "iSerialNumber_string"):
                if dd.get(f):
                    d = copy.deepcopy(desc)
                    d["devices"][di]["device_descriptor"][f] = dd[f][:-1]
                    yield f"device {di} {f}", d
        cfg = dev["configuration"]
        if cfg:
            for f in ("wTotalLength", "bNumInterfaces", "bmAttributes", "bMaxPower"):
                d = copy.deepcopy(desc)
                d["devices"][di]["configuration"][f] ^= 1
                yield f"device {di} {f}", d
            for ii, iface in enumerate(cfg["interfaces"]):
                for f in ("bInterfaceNumber", "bAlternateSetting", "bInterfaceClass",
                          "bInterfaceProtocol"):
                    d = copy.deepcopy(desc)
                    d["devices"][di]["configuration"]["interfaces"][ii][f] ^= 1
                    yield f"device {di} interface {ii} {f}", d
                for ei, e in enumerate(iface["descriptors"]):
                    keys = {"endpoint": ("bEndpointAddress", "bmAttributes", "wMaxPacketSize",
                                         "bInterval"),
                            "dfu_functional": ("bmAttributes", "wTransferSize",
                                               "wDetachTimeOut")}.get(e["type"], ())
                    for f in keys:
                        d = copy.deepcopy(desc)
                        d["devices"][di]["configuration"]["interfaces"][ii]["descriptors"][ei][
                            f] ^= 1
                        yield f"device {di} interface {ii} descriptor {ei} {f}", d
                if iface["iInterface_string"]:
                    d = copy.deepcopy(desc)
                    d["devices"][di]["configuration"]["interfaces"][ii][
                        "iInterface_string"] += "x"
                    yield f"device {di} interface {ii} string", d
        if dev["langid"]:
            d = copy.deepcopy(desc)
            d["devices"][di]["langid"] ^= 1
            yield f"device {di} langid", d


def main():
    tools.require("tshark")
    dfuscope, paths = sys.argv[1], sys.argv[2:]
    failed = False
    for p in paths:
        desc = dfuscope_json(dfuscope, ["descriptors", "--json"], p, False)
        controls = dfuscope_json(dfuscope, ["decode", "--json"], p, True)
        rows = tshark(p)
        ck = compare(desc, controls, rows, p)
        if ck.diffs:
            failed = True
            print(f"FAIL {p}: {len(ck.diffs)} differences")
            for d in ck.diffs[:40]:
                print("  " + d)
            continue
        caught = missed = 0
        for what, d in doctored(desc):
            if compare(d, controls, rows, p).diffs:
                caught += 1
            else:
                missed += 1
                failed = True
                print(f"FAIL {p}: a changed {what} went unnoticed")
        print(f"ok   {p}: {ck.compared} values agree with tshark; {caught} changed values "
              f"caught")
        if ck.compared == 0 and desc["devices"]:
            print(f"FAIL {p}: devices but nothing compared")
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
