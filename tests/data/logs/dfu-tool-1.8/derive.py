#!/usr/bin/env python3
"""Derive dfu-tool -v logs (fwupd 1.8) from real fwupdtool 2.0.20 sessions.

dfu-tool was removed in fwupd 2.0 and Debian 12 now carries fwupd 2.0.20,
so no dfu-tool can be run here. Its dfu plugin logs the same lines as 2.0's
in the same order (plugins/dfu/ of tag 1.8.10 against 2.0.20); what differs
is the wrapping and a few words, all taken from the sources:

- dfu-tool -v sets G_MESSAGES_DEBUG=all and leaves GLib's own handler in
  place: "(dfu-tool:PID): FuPluginDfu-DEBUG: HH:MM:SS.mmm: message", a
  warning as "\\n(dfu-tool:PID): FuPluginDfu-WARNING **: ..." (checked
  against GLib 2.74's output);
- only the dfu plugin's g_debug/g_warning lines whose format string is in
  1.8.10's plugins/dfu/ are kept (FORMATS below); the packet dumps
  ("Message:") need FWUPD_DFU_VERBOSE in 1.8 and are left out;
- 1.8 writes "writing #%04x chunk of size %" G_GSIZE_FORMAT (decimal), and
  "sleeping for %ums…" with the ellipsis fwupdtool 2.0 turns into "...";
- the progress: "%s:\\t%u%%" with fwupd_status_to_string() (device-write);
- the USB errors are libgusb 0.3's "USB error on device %04x:%04x : %s [%i]"
  (Debian's libgusb2 0.3.10), 2.0's "failed to write chunk %u: " prefix does
  not exist in 1.8, and dfu-tool prints the error message alone at the end
  (g_print("%s\\n", error->message)), with no "failed to write-firmware: ",
  and "%u bytes successfully downloaded to device" after a good write (the
  size of image-2048-fwupd.dfu as fixtures/captures/generate.sh makes it);
- the percentages of the progress lines are fwupd 2.0's steps.

usage: derive.py (run in this folder; reads ../fwupd-2.0/)"""
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "fwupd-2.0")
PID = 24601

# g_debug/g_warning formats of plugins/dfu/ at fwupd 1.8.10 that these
# sessions print, as regular expressions
FORMATS = [r"STM-DFU support", r"DFU v1\.1( assumed)?", r"(forcing|using) DFU transfer size 0x[0-9a-f]{4} bytes",
           r"DFU transfer size invalid, using default", r"no UM0424 sector description in .*",
           r"no dnload-timeout, using default of \d+ms",
           r"refreshed status=[a-z-]+ and state=[a-z-]+ \(dnload=\d+\)", r"switching to DefuSe automatically",
           r"starting upload from 0x[0-9a-f]{8} \(0x[0-9a-f]{4}\)", r"using sector \d+ for read of [0-9a-f]+",
           r"setting DfuSe address to 0x[0-9a-f]+", r"sleeping for \d+ms\.\.\.", r"doing actual check status",
           r"got #[0-9a-f]{4} chunk @0x[0-9a-f]+ of size \d+", r"got #[0-9a-f]{4} chunk of size \d+",
           r"downloading to target: .*", r"downloading chunk at 0x[0-9a-f]+",
           r"writing #[0-9a-f]{4} chunk of size 0x[0-9a-f]+",
           r"waiting for FU_DFU_STATE_DFU_(DNBUSY|MANIFEST) to clear", r"marking sector .* to be erased",
           r"erasing sector at 0x[0-9a-f]+", r"setting address to 0x[0-9a-f]+"]
STATUS = {"Writing": "device-write", "Reading": "device-read", "Erasing": "device-erase",
          "Waiting": "device-busy", "Verifying": "device-verify", "Restarting": "device-restart"}

# out file: (fwupd 2.0 session, dfu-tool command, device, the last line of
# the 2.0 log with this text, where the update has failed (the rest is fwupd's clean-up, which
# dfu-tool does not do), dfu-tool's last line)
SESSIONS = {
    "dfuse-read-v.txt": ("dfuse-dump-vv.txt", "dfu-tool -v -d 0483:df11 read dump.dfu", "0483:df11",
                         "re-binding kernel driver", None),
    "dfu11-write-v.txt": ("dfu11-install-vv.txt", "dfu-tool -v write image-3000.dfu", "0483:df11",
                          "failed write-firmware", None),
    "dfuse-short-poll-write-v.txt": ("dfuse-short-poll-vv.txt", "dfu-tool -v write image-2048-fwupd.dfu",
                                     "0483:df11", "failed write-firmware", None),
    "dfuse-write-v.txt": ("dfuse-install-vv.txt", "dfu-tool -v write image-2048-fwupd.dfu", "0483:df11",
                          "FuEngine             attach ->",
                          "2357 bytes successfully downloaded to device"),
}
LINE = re.compile(r"^(\d\d:\d\d:\d\d\.\d\d\d) (\S+) +(.*)$")


def derive(src, cmd, dev, stop, last):
    lines = open(os.path.join(SRC, src), newline="").read().split("\n")
    out = [f"$ {cmd}"]
    probe_seen = set()
    started = False
    error = None
    end = max(i for i, ln in enumerate(lines) if stop in ln)
    for ln in lines[:end]:
        prog = re.match(r"^([A-Z][a-z]+)(…|\.\.\.): (\d+)%$", ln)
        if prog and started and prog.group(1) in STATUS:
            out.append(f"{STATUS[prog.group(1)]}:\t{prog.group(3)}%")
            continue
        m = LINE.match(ln)
        if not m or m.group(2) != "FuPluginDfu":
            continue
        t, msg = m.group(1), m.group(3).rstrip()
        if not any(re.fullmatch(f, msg) for f in FORMATS):
            continue
        if msg.startswith("refreshed"):
            started = True
        elif not started:
            # probed once by dfu-tool (fwupdtool probes at coldplug and again)
            if msg in probe_seen:
                continue
            probe_seen.add(msg)
        w = re.fullmatch(r"writing #([0-9a-f]{4}) chunk of size 0x([0-9a-f]+)", msg)
        if w:
            msg = f"writing #{w.group(1)} chunk of size {int(w.group(2), 16)}"
        msg = msg.replace("...", "…")
        if "invalid" in msg:
            out.append("")
            out.append(f"({cmd.split()[0]}:{PID}): FuPluginDfu-WARNING **: {t}: {msg}")
        else:
            out.append(f"({cmd.split()[0]}:{PID}): FuPluginDfu-DEBUG: {t}: {msg}")
    for ln in lines:
        if ln.startswith("failed to write-firmware: ") or ln.startswith("cannot upload data"):
            error = ln.removeprefix("failed to write-firmware: ")
    if last is None:
        error = re.sub(r"failed to write chunk \d+: ", "", error)
        error = error.replace("USB error: ", f"USB error on device {dev} : ")
        out.append(error)
    else:
        out.append(last)
    return "\n".join(out) + "\n"


def main():
    for name, args in SESSIONS.items():
        with open(os.path.join(HERE, name), "w") as f:
            f.write(derive(*args))
    with open(os.path.join(HERE, "no-device-v.txt"), "w") as f:
        # fu_dfu_tool_get_default_device(): "no device matches for %04x:%04x: "
        # before libgusb's "Failed to find device %04x:%04x"
        f.write("$ dfu-tool -v -d 1234:5678 read dump.dfu\n"
                "no device matches for 1234:5678: Failed to find device 1234:5678\n")


if __name__ == "__main__":
    main()
