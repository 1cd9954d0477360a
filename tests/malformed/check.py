#!/usr/bin/env python3
"""The malformed-capture corpus test: check.py DFUSCOPE

For every NAME.expect beside this script (written by gen.py with NAME.pcap or
NAME.pcapng), run dfuscope as the file says and check
  - the exit status,
  - standard error, every line exactly (FILE stands for the path),
  - the lines that must appear on standard output,
  - that every record not touched ("good:") is decoded exactly as in the
    clean capture: `dfuscope decode --urbs --json`, object by object (the
    pairing fields link_frame and instance are left out: they depend on the
    neighbours).
Then, made here and not kept in git: the capture cut at every byte of one
record (pcap and pcapng), one record cut to every length with the rest of
the file intact, and 100000 submits that never complete (the outstanding-URB
limit). First of all it checks that gen.py still writes the files that are
in git, byte for byte.
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen  # noqa: E402

CONTEXT_KEYS = {"link_frame", "instance"}
MMAPPED_KEYS = {"interval", "start_frame", "xfer_flags", "ndesc"}

failures = []


def fail(name, msg):
    failures.append("%s: %s" % (name, msg))


def run(dfuscope, args, path):
    argv = [dfuscope] + [path if a == "FILE" else a for a in args]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace").replace(path, "FILE")
    return p.returncode, out, err


def urbs(dfuscope, path, drop=()):
    """frame -> decoded record (JSON object) of `decode --urbs --json`."""
    rc, out, _ = run(dfuscope, ["decode", "--urbs", "--json", "FILE"], path)
    recs = {}
    for line in out.splitlines():
        o = json.loads(line)
        for k in CONTEXT_KEYS | set(drop):
            o.pop(k, None)
        recs[o.pop("frame")] = o
    return rc, recs


def parse_expect(path):
    exp = {"stderr": [], "stdout": [], "good": [], "what": []}
    section = None
    for line in open(path, encoding="utf-8").read().splitlines():
        if line.startswith("  ") and section in ("stderr", "stdout"):
            exp[section].append(line[2:])
            continue
        if line.startswith("      ") and section == "what":
            exp["what"].append(line.strip())
            continue
        key, _, value = line.partition(":")
        section = key
        value = value.strip()
        if key == "what":
            exp["what"].append(value)
        elif key == "args":
            exp["args"] = value.split()
        elif key == "exit":
            exp["exit"] = int(value)
        elif key == "good":
            exp["good"] = [tuple(int(x) for x in p.split("=")) for p in value.split()]
        elif key == "portable":
            exp["portable"] = True
        elif key == "base":
            exp["base"] = value
        elif key == "sparse":
            exp["sparse"] = True
        elif key == "ignore":
            exp["ignore"] = value.split()
        elif key not in ("stderr", "stdout"):
            raise ValueError("%s: unknown key %r" % (path, key))
    return exp


other_refs = {}


def check_case(dfuscope, name, path, exp, ref):
    rc, out, err = run(dfuscope, exp["args"], path)
    if rc != exp["exit"]:
        fail(name, "exit status %d, expected %d" % (rc, exp["exit"]))
    got = err.splitlines()
    if got != exp["stderr"]:
        fail(name, "standard error differs:\n  expected:\n    %s\n  got:\n    %s"
             % ("\n    ".join(exp["stderr"]), "\n    ".join(got)))
    lines = set(out.splitlines())
    for want in exp["stdout"]:
        if want not in lines:
            fail(name, "missing on standard output: %r" % want)
    if not exp["good"]:
        return
    drop = set(MMAPPED_KEYS if exp.get("portable") else ()) | set(exp.get("ignore", ()))
    _, recs = urbs(dfuscope, path, drop)
    if exp.get("base"):
        # a clean capture of its own, of another link type than base.pcap's
        if exp["base"] not in other_refs:
            other_refs[exp["base"]] = urbs(dfuscope, os.path.join(HERE, exp["base"]))[1]
        ref = other_refs[exp["base"]]
    ref_recs = ref if not drop else {
        f: {k: v for k, v in o.items() if k not in drop} for f, o in ref.items()}
    for frame, base_frame in exp["good"]:
        if exp.get("sparse") and base_frame not in ref_recs:
            # packet-level captures: a URB only where a transfer starts or
            # ends; none may appear where the clean capture has none
            if frame in recs:
                fail(name, "frame %d decoded as %s; frame %d of the clean capture is not a "
                     "transfer's" % (frame, recs[frame], base_frame))
            continue
        if frame not in recs:
            fail(name, "good frame %d (frame %d of the clean capture) not decoded"
                 % (frame, base_frame))
        elif recs[frame] != ref_recs[base_frame]:
            fail(name, "good frame %d decoded differently from frame %d of the clean capture:"
                 "\n  %s\n  %s" % (frame, base_frame, recs[frame], ref_recs[base_frame]))


def check_committed(tmp):
    """gen.py still writes what is in git."""
    out = os.path.join(tmp, "regen")
    gen.main(["gen.py", out])
    mine = sorted(f for f in os.listdir(out))
    theirs = sorted(f for f in os.listdir(HERE)
                    if f.endswith((".pcap", ".pcapng", ".expect"))
                    or (f.startswith("log-") and f.endswith(".txt")))
    if mine != theirs:
        fail("corpus", "gen.py writes %s but the directory has %s"
             % (sorted(set(mine) ^ set(theirs)), "these"))
    for f in mine:
        if f in theirs and open(os.path.join(out, f), "rb").read() != \
                open(os.path.join(HERE, f), "rb").read():
            fail("corpus", "%s differs from what gen.py writes (run tests/malformed/gen.py)" % f)


# ---- made at test time ---------------------------------------------------------------


def cut_at_every_byte(dfuscope, tmp, base, ref):
    k = 12  # the configuration descriptor completion: header and 32 data bytes
    rec = base[k - 1]
    whole = gen.pcap_record(rec)
    head = gen.pcap(base[:k - 1])
    path = os.path.join(tmp, "cut.pcap")
    for c in range(len(whole)):
        with open(path, "wb") as f:
            f.write(head + whole[:c])
        name = "pcap cut %d bytes into frame %d" % (c, k)
        if c == 0:
            err = [gen.summary(k - 1, gen.controls(base[:k - 1]))]
        elif c < 16:
            err = ["FILE: frame %d: file ends inside the record header (%d of 16 bytes)"
                   % (k, c), gen.summary(k - 1, gen.controls(base[:k - 1]), damaged=1)]
        else:
            x = c - 16
            err = ["FILE: frame %d: file ends inside the record: %d captured bytes announced, "
                   "%d present" % (k, len(rec.data), x)]
            if x < 64:
                err += ["FILE: frame %d: record of %d bytes is shorter than the 64-byte usbmon "
                        "header; record skipped [capture.record-short]" % (k, x),
                        gen.summary(k, gen.controls(base[:k - 1]), skipped=1, damaged=1)]
            else:
                err += ["FILE: frame %d: usbmon header announces %d data bytes (len_cap) but "
                        "the record holds %d; decoding what is there "
                        "[capture.record-truncated]" % (k, rec.len_cap, x - 64),
                        gen.summary(k, gen.controls(base[:k]), damaged=2)]
        check_case(dfuscope, name, path, dict(args=["decode", "--urbs", "--json", "FILE"],
                                              exit=0, stderr=err, stdout=[],
                                              good=[(f, f) for f in range(1, k)]), ref)

    # the same in a pcapng file: a cut block is not delivered at all
    whole = gen.ng_epb(rec)
    head = gen.ng_shb() + gen.ng_idb(gen.LT_USB_LINUX_MMAPPED) + \
        b"".join(gen.ng_epb(r) for r in base[:k - 1])
    path = os.path.join(tmp, "cut.pcapng")
    for c in range(len(whole)):
        with open(path, "wb") as f:
            f.write(head + whole[:c])
        name = "pcapng cut %d bytes into frame %d" % (c, k)
        err = []
        if 0 < c < 12:
            err = ["FILE: frame %d: file ends inside a block header (%d of 12 bytes)" % (k, c)]
        elif c >= 12:
            err = ["FILE: frame %d: file ends inside a block of type 0x00000006 (%d of %d "
                   "bytes)" % (k, c, len(whole))]
        err.append(gen.summary(k - 1, gen.controls(base[:k - 1]), damaged=1 if c else 0))
        check_case(dfuscope, name, path, dict(args=["decode", "--urbs", "--json", "FILE"],
                                              exit=0, stderr=err, stdout=[],
                                              good=[(f, f) for f in range(1, k)]), ref)


def record_cut_to_every_length(dfuscope, tmp, base, ref):
    """Frame 12 captured short (caplen < its length), the rest intact."""
    k = 12
    rec = base[k - 1]
    path = os.path.join(tmp, "short.pcap")
    for c in range(len(rec.data) + 1):
        recs = list(base)
        recs[k - 1] = rec.copy(data=rec.data[:c])
        with open(path, "wb") as f:
            f.write(gen.pcap(recs))
        name = "frame %d captured to %d of %d bytes" % (k, c, len(rec.data))
        if c < 64:
            err = ["FILE: frame %d: record of %d bytes is shorter than the 64-byte usbmon "
                   "header; record skipped [capture.record-short]" % (k, c),
                   gen.summary(47, gen.controls(base), skipped=1)]
        elif c < len(rec.data):
            err = ["FILE: frame %d: usbmon header announces %d data bytes (len_cap) but the "
                   "record holds %d; decoding what is there [capture.record-truncated]"
                   % (k, rec.len_cap, c - 64), gen.summary(47, gen.controls(base), damaged=1)]
        else:
            err = [gen.summary(47, gen.controls(base))]
        good = [(f, f) for f in range(1, 48) if f != k or c == len(rec.data)]
        check_case(dfuscope, name, path, dict(args=["decode", "--urbs", "--json", "FILE"],
                                              exit=0, stderr=err, stdout=[], good=good), ref)


def outstanding_100k(dfuscope, tmp, base):
    path = gen.write_big(tmp, base)
    n, limit = 100000, 4096
    err = ["FILE: frame %d: %d URBs are outstanding (the limit); the oldest, submitted at "
           "frame %d, is dropped and its completion will not be paired [capture.limit-reached]"
           % (limit + i, limit, i) for i in range(1, 21)]
    err.append("FILE: %d more records had this problem after the first 20 reported (the first "
               "at frame %d, the last at frame %d) [capture.limit-reached]"
               % (n - limit - 20, limit + 1, n))
    err.append(gen.summary(n, n))
    rc, out, got = run(dfuscope, ["decode", "FILE"], path)
    name = "outstanding-100k.pcap"
    if rc != 0:
        fail(name, "exit status %d" % rc)
    if got.splitlines() != err:
        fail(name, "standard error differs:\n  expected:\n    %s\n  got:\n    %s"
             % ("\n    ".join(err), "\n    ".join(got.splitlines())))
    lines = out.splitlines()
    if len(lines) != n or not all(l.endswith("-> no completion in the capture") for l in lines):
        fail(name, "expected %d transfers without completion, got %d lines" % (n, len(lines)))
    os.unlink(path)


def main(argv):
    dfuscope = argv[1]
    base = gen.read_base()
    with tempfile.TemporaryDirectory() as tmp:
        check_committed(tmp)
        _, ref = urbs(dfuscope, os.path.join(HERE, "base.pcap"))
        assert len(ref) == 47
        names = sorted(f[:-7] for f in os.listdir(HERE) if f.endswith(".expect"))
        for stem in names:
            path = [os.path.join(HERE, stem + ext) for ext in (".pcap", ".pcapng", ".txt")
                    if os.path.exists(os.path.join(HERE, stem + ext))][0]
            exp = parse_expect(os.path.join(HERE, stem + ".expect"))
            check_case(dfuscope, os.path.basename(path), path, exp, ref)
        cut_at_every_byte(dfuscope, tmp, base, ref)
        record_cut_to_every_length(dfuscope, tmp, base, ref)
        outstanding_100k(dfuscope, tmp, base)
    for f in failures:
        print("FAIL " + f)
    print("%d files in the corpus, %d failures" % (len(names), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
