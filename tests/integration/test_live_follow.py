#!/usr/bin/env python3
"""`dfuscope follow` end to end: a real capture fed slowly through a pipe (and
as a file that grows) gives, record for record, the same DFU transactions and
findings as `dfuscope decode --dfu` / `dfuscope diagnose` on the finished
file, and the findings appear while the input is still arriving, not only at
its end. Also: a pipe that ends inside a record, and Ctrl-C, which must leave
a complete, readable capture file and the diagnosis.

usage: test_live_follow.py DFUSCOPE"""
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

DATA = os.environ.get("DFS_TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "data"))
CAPTURE = os.path.join(DATA, "real", "stm32_dfu_install.pcap")
failures = []
PAUSE = 0.008  # between records: about 2.5 s for the 302 records


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def pcap_chunks(path):
    """The file header, then each record's bytes (classic pcap, either order)."""
    with open(path, "rb") as f:
        buf = f.read()
    e = "<" if buf[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    chunks, off = [buf[:24]], 24
    while off + 16 <= len(buf):
        caplen = struct.unpack_from(e + "I", buf, off + 8)[0]
        chunks.append(buf[off:off + 16 + caplen])
        off += 16 + caplen
    return chunks


class Feeder(threading.Thread):
    """Writes the chunks to a pipe or file, pausing between records, and
    notes how many records were out when each output line arrived."""

    def __init__(self, sink, chunks, pause, close=True):
        super().__init__(daemon=True)
        self.sink, self.chunks, self.pause, self.close = sink, chunks, pause, close
        self.written = 0
        self.done_at = None

    def run(self):
        for i, c in enumerate(self.chunks):
            self.sink.write(c)
            self.sink.flush()
            self.written = i  # records (the header is chunk 0)
            time.sleep(self.pause)
        self.done_at = time.monotonic()
        if self.close:
            self.sink.close()


def read_lines(proc, feeder):
    """[(line, records written when it arrived)]"""
    out = []
    for raw in proc.stdout:
        out.append((raw.decode("utf-8", "replace").rstrip("\n"), feeder.written))
    return out


def reference(dfuscope):
    txns = [json.loads(line) for line in subprocess.run(
        [dfuscope, "decode", "--dfu", "--json", CAPTURE], capture_output=True, text=True,
        check=True).stdout.splitlines()]
    diag_text = subprocess.run([dfuscope, "diagnose", "--color", "never", CAPTURE],
                               capture_output=True, text=True).stdout
    diag_json = json.loads(subprocess.run([dfuscope, "diagnose", "--json", CAPTURE],
                                          capture_output=True, text=True).stdout)
    return txns, diag_text, diag_json


def split_live(lines):
    """Live transaction lines, live finding lines, and the final diagnosis."""
    txn, found, rest = [], [], []
    in_diag = False
    for line, n in lines:
        if in_diag:
            rest.append(line)
        elif line.startswith(">> "):
            found.append((line, n))
        elif line == "":
            in_diag = True
        else:
            txn.append((line, n))
    return txn, found, "\n".join(rest) + "\n"


def compare_live(name, lines, n_records, txns, diag_text, diag_json, path_shown):
    txn, found, final = split_live(lines)
    got = [(int(l.split()[0]), l.split()[2]) for l, _ in txn]
    want = [(t["frame"], f"{t['bus']}.{t['device']}") for t in txns]
    check(got == want, f"{name}: {len(got)} live DFU transactions, the same frames and devices "
                       f"as decode --dfu ({len(want)})")
    got_f = sorted(l[3:] for l, _ in found)
    want_f = sorted(f"{f['severity']} {f['id']}: {f['explanation']}"
                    for f in diag_json["findings"])
    check(got_f == want_f, f"{name}: the {len(got_f)} live findings are diagnose's "
                           f"({len(want_f)})")
    early = [(l, n) for l, n in found if n < n_records - 1]
    check(bool(early), f"{name}: findings printed before the input ended (first after "
                       f"{found[0][1] if found else '-'} of {n_records} records)")
    first = next((n for l, n in found if "dfu.no-valid-application" in l), None)
    check(first is not None and first < n_records // 2,
          f"{name}: the opening errFIRMWARE finding (frames 11, 13) shown when {first} of "
          f"{n_records} records were out, not at the end")
    check(final == diag_text.replace(CAPTURE, path_shown),
          f"{name}: the diagnosis at the end is diagnose's")


def test_pipe(dfuscope, ref):
    chunks = pcap_chunks(CAPTURE)
    p = subprocess.Popen([dfuscope, "follow", "--no-status", "--color", "never", "-"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    feeder = Feeder(p.stdin, chunks, PAUSE)
    feeder.start()
    lines = read_lines(p, feeder)
    err = p.stderr.read().decode()
    p.wait()
    check(p.returncode == 0, f"follow -: exit 0 like diagnose (got {p.returncode}) {err[-200:]}")
    compare_live("follow - (slow pipe)", lines, len(chunks) - 1, *ref, "<stdin>")


def test_growing_file(dfuscope, ref, tmp):
    chunks = pcap_chunks(CAPTURE)
    path = os.path.join(tmp, "growing.pcap")
    f = open(path, "wb")
    # the writer has not even written the file header when follow starts
    p = subprocess.Popen([dfuscope, "follow", "--no-status", "--color", "never", "--idle", "1.5",
                          path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.3)
    feeder = Feeder(f, chunks, PAUSE)
    feeder.start()
    lines = read_lines(p, feeder)
    p.wait()
    check(p.returncode == 0, f"follow FILE (growing): exit 0 (got {p.returncode})")
    compare_live("follow FILE (growing)", lines, len(chunks) - 1, *ref, path)


def test_truncated_pipe(dfuscope, ref):
    data = b"".join(pcap_chunks(CAPTURE))[:-30]  # the last record cut short
    r = subprocess.run([dfuscope, "follow", "--no-status", "--color", "never", "-"],
                       input=data, capture_output=True)
    err = r.stderr.decode()
    check("frame 302" in err and "file ends inside the record" in err,
          f"follow - with a cut last record: says so, naming frame 302 ({err.strip()[:160]})")
    check(r.returncode == 0 and "302 records" in r.stdout.decode(),
          "follow - with a cut last record: its part is still decoded, exit 0")


def test_interrupt(dfuscope, tmp):
    """Ctrl-C while the input is still open: clean end, complete file."""
    chunks = pcap_chunks(CAPTURE)
    out = os.path.join(tmp, "interrupted.pcapng")
    p = subprocess.Popen([dfuscope, "capture", "--no-status", "--diagnose", "--color", "never",
                          "-r", "-", "-w", out], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    half = chunks[:151]
    for c in half:
        p.stdin.write(c)
    p.stdin.flush()
    time.sleep(2.0)  # let it take them in; the pipe stays open
    p.send_signal(signal.SIGINT)
    try:
        stdout, stderr = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        check(False, "capture -r - stops on SIGINT")
        return
    p.stdin.close() if not p.stdin.closed else None
    check(p.returncode in (0, 1), f"Ctrl-C: ends normally (exit {p.returncode}, not killed)")
    check(b"interrupted" in stderr, "Ctrl-C: the summary says it was interrupted")
    check(b"records (" in stdout and b"DFU transactions" in stdout,
          "Ctrl-C: the diagnosis is printed")
    r = subprocess.run([dfuscope, "decode", out], capture_output=True, text=True)
    summary = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
    check(r.returncode == 0 and "150 records" in summary and "0 damaged" in summary,
          f"Ctrl-C: the written file is complete and readable ({summary})")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    dfuscope = sys.argv[1]
    ref = reference(dfuscope)
    with tempfile.TemporaryDirectory() as tmp:
        test_pipe(dfuscope, ref)
        test_growing_file(dfuscope, ref, tmp)
        test_truncated_pipe(dfuscope, ref)
        test_interrupt(dfuscope, tmp)
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)


if __name__ == "__main__":
    main()
