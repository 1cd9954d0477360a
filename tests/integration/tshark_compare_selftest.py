#!/usr/bin/env python3
"""Prove that tshark_compare.py fails on a difference, so that its passing on
the real captures means something.

It runs the comparison with a wrapper in place of dfuscope: the wrapper runs
the real dfuscope and changes one thing in its `decode --urbs --json` output
(one field of one record, a record dropped or added, a broken line, an exit
status). Every field the comparator checks is changed once, and each change
must be reported, naming the frame and the field. The untouched wrapper must
pass, so the wrapper itself changes nothing; the script's exit status is
checked on the untouched and on one doctored output.

usage: tshark_compare_selftest.py DFUSCOPE
(captures from $DFS_TEST_DATA/real)"""
import functools
import os
import stat
import subprocess
import sys
import tempfile

import tools

HERE = os.path.dirname(os.path.abspath(__file__))

WRAPPER = r'''#!/usr/bin/env python3
# Runs dfuscope and doctors its output as $DOCTOR says:
#   FRAME:KEY:JSON  set KEY of the record of FRAME to JSON (added if absent)
#   FRAME:KEY:      remove KEY from that record
#   drop:FRAME      leave that record out
#   copy:FRAME:NEW  add a copy of that record as frame NEW
#   garble:FRAME    replace that record by a line that is not JSON
#   exit:N          exit with status N after printing everything
import os, re, subprocess, sys
real = os.environ["REAL_DFUSCOPE"]
res = subprocess.run([real] + sys.argv[1:], capture_output=True, text=True)
sys.stderr.write(res.stderr)
doctor = os.environ.get("DOCTOR", "")
parts = doctor.split(":", 2)
out = []
for line in res.stdout.splitlines():
    m = re.match(r'\{"frame":(\d+),', line)
    frame = m.group(1) if m else None
    if parts[0] == "drop" and frame == parts[1]:
        continue
    if parts[0] == "garble" and frame == parts[1]:
        out.append(line[: len(line) // 2])
        continue
    if parts[0] == "copy" and frame == parts[1]:
        out.append(line)
        out.append(line.replace('"frame":%s,' % frame, '"frame":%s,' % parts[2], 1))
        continue
    if len(parts) == 3 and parts[0].isdigit() and frame == parts[0]:
        key, value = parts[1], parts[2]
        pat = re.compile(r',"%s":("(?:[^"\\]|\\.)*"|[^,}]*)' % re.escape(key))
        if value == "":
            line = pat.sub("", line, count=1)
        elif pat.search(line):
            line = pat.sub(lambda _m: ',"%s":%s' % (key, value), line, count=1)
        else:
            line = line[:-1] + ',"%s":%s}' % (key, value)
    out.append(line)
sys.stdout.write("".join(l + "\n" for l in out))
if parts[0] == "exit":
    sys.exit(int(parts[1]))
sys.exit(res.returncode)
'''

# (capture, DOCTOR, text the comparator must print)
# nuttx-adb.pcapng: frame 1 is a GET_DESCRIPTOR(DEVICE) submit, frame 2 its
# completion with 18 bytes. usbrevue-handset.pcap frame 22 is an
# isochronous submit with 10 descriptors.
NUTTX = "nuttx-adb.pcapng"
HANDSET = "usbrevue-handset.pcap"
CASES = [
    (NUTTX, "2:time:1737511279.265903001", "frame 2: time:"),
    (NUTTX, '2:urb_id:"0xffff9689a8b2cc01"', "frame 2: urb_id:"),
    (NUTTX, '2:type:"E"', "frame 2: type:"),
    (NUTTX, '2:xfer:"bulk"', "frame 2: xfer:"),
    (NUTTX, "2:bus:2", "frame 2: bus:"),
    (NUTTX, "2:device:36", "frame 2: device:"),
    (NUTTX, "2:endpoint:0", "frame 2: endpoint:"),
    (NUTTX, "1:flag_setup:45", "frame 1: flag_setup:"),
    (NUTTX, "2:flag_data:60", "frame 2: flag_data:"),
    (NUTTX, "2:status:-32", "frame 2: status:"),
    (NUTTX, "2:length:17", "frame 2: length:"),
    (NUTTX, "2:data_length:17", "frame 2: data_length:"),
    (NUTTX, "2:link_frame:3", "frame 2: link_frame:"),
    (NUTTX, "2:link_frame:", "frame 2: link_frame:"),
    (NUTTX, "1:link_frame:1", "frame 1: link_frame:"),
    (NUTTX, '1:setup:"8007000100001200"', "frame 1: usb.setup.bRequest:"),
    (NUTTX, '1:setup:"8006000200001200"', "frame 1: setup:"),
    (NUTTX, '1:setup:"8006000101001200"', "frame 1: setup:"),
    (NUTTX, "1:setup:", "frame 1: setup:"),
    (NUTTX, '1:setup:"8006000100001300"', "frame 1: usb.setup.wLength:"),
    (NUTTX, '1:setup:"0006000100001200"', "frame 1: usb.bmRequestType:"),
    (NUTTX, "1:interval:1", "frame 1: interval:"),
    (NUTTX, "1:start_frame:-1", "frame 1: start_frame:"),
    (NUTTX, "1:xfer_flags:0", "frame 1: xfer_flags:"),
    (NUTTX, "1:ndesc:1", "frame 1: ndesc:"),
    (NUTTX, "1:interval:", "frame 1: mmapped fields present:"),
    (NUTTX, '2:data:"120100020000004dd118114e010101020301"', "frame 2: data:"),
    (NUTTX, "2:captured:17", "frame 2: captured:"),
    (HANDSET, "22:iso_error_count:1", "frame 22: iso_error_count:"),
    (HANDSET, "22:iso_numdesc:9", "frame 22: iso_numdesc:"),
    (NUTTX, "drop:5", "frame sets differ: missing [5] extra []"),
    (NUTTX, "copy:5:9999", "frame sets differ: missing [] extra [9999]"),
    (NUTTX, "garble:3", "output line 3 is not JSON"),
    (NUTTX, "exit:2", "dfuscope exited 2"),
]


def run(compare, wrapper, capture, doctor):
    env = dict(os.environ, DOCTOR=doctor)
    return subprocess.run([sys.executable, compare, wrapper, capture], capture_output=True,
                          text=True, env=env)


def main():
    tools.require("tshark")
    dfuscope = os.path.abspath(sys.argv[1])
    data = os.path.join(os.environ["DFS_TEST_DATA"], "real")
    compare = os.path.join(HERE, "tshark_compare.py")
    sys.path.insert(0, HERE)
    import tshark_compare as tc
    # tshark's view of a capture does not change between cases: read it once
    tc.tshark_rows = functools.lru_cache(maxsize=None)(tc.tshark_rows)
    tc.tshark_raw = functools.lru_cache(maxsize=None)(tc.tshark_raw)
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        wrapper = os.path.join(tmp, "doctored-dfuscope")
        with open(wrapper, "w") as f:
            f.write(WRAPPER.replace("/usr/bin/env python3", sys.executable, 1))
        os.chmod(wrapper, os.stat(wrapper).st_mode | stat.S_IEXEC)
        os.environ["REAL_DFUSCOPE"] = dfuscope
        # the whole script, exit status included: untouched passes, doctored fails
        for cap, doctor, want_rc in ((NUTTX, "", 0), (HANDSET, "", 0), (NUTTX, "2:status:-32", 1)):
            r = run(compare, wrapper, os.path.join(data, cap), doctor)
            if r.returncode != want_rc:
                failures.append(f"tshark_compare.py with DOCTOR={doctor!r} on {cap}: exit "
                                f"{r.returncode}, want {want_rc}:\n{r.stdout}{r.stderr}")
        for cap, doctor, want in CASES:
            os.environ["DOCTOR"] = doctor
            diffs = tc.compare(wrapper, os.path.join(data, cap))
            if not any(want in d for d in diffs):
                failures.append(f"DOCTOR={doctor} on {cap}: want {want!r}, got {diffs[:5]}")
            else:
                print(f"ok   {doctor}: {want}")
        os.environ["DOCTOR"] = ""
    if failures:
        for f in failures:
            print("FAIL " + f)
        sys.exit(1)
    print(f"all {len(CASES)} doctored outputs were caught")


if __name__ == "__main__":
    main()
