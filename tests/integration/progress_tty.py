#!/usr/bin/env python3
"""The progress line on a terminal (cli/progress.c), under a pseudo-terminal.

A 70 MB capture from bench/gen (the benchmark's generator, written in a
temporary directory and deleted at the end) is read by diagnose, decode,
report and extract with standard error on a pseudo-terminal (200 columns)
and standard output to a file. Checked:
  - each shows the line "dfuscope CMD: P%, R records/s, N findings - NAME",
    redrawn in place (carriage returns), at most every 250 ms, with P within
    0-100 and never going back, N never going down;
  - what the terminal shows at the end (the byte stream played on a simple
    screen model: carriage return, newline, printable characters) is exactly
    what standard error says on a pipe: the line was erased, and other
    messages (decode's summary, damaged records in the middle of the file)
    stand on lines of their own;
  - with standard error on a pipe, with --quiet / -q, for standard input and
    for a file under 64 MiB nothing of it appears, and standard output is
    byte for byte the same as on the terminal;
  - decode with its output on the same terminal shows no progress line;
  - on a 40-column terminal the line is cut to 39 columns;
  - `run` (the real command code with the in-process device, DFUSCOPE_FAKE)
    shows "dfuscope run: step N, ORIGIN: TEXT", with the time spent on a step
    that lasts over a second "(1 s)" (redrawn by its thread while the step
    waits), erased at the end; with its step lines on the same terminal the
    screen shows exactly those lines; nothing with --quiet or on a pipe.

usage: progress_tty.py DFUSCOPE BENCH_GEN DFUSCOPE_FAKE"""
import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import tempfile
import termios
import time

DFUSCOPE, GEN, FAKE = sys.argv[1], sys.argv[2], sys.argv[3]
SRC = os.environ.get("DFS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SMALL = os.path.join(SRC, "fixtures", "captures", "seed-cubeprogrammer-ob-write.pcapng")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)
    return cond


def run_tty(args, stdout_path=None, stdin=None, cols=200, env=None, stdout_tty=False):
    """Run args with standard error (and standard output if stdout_tty) on a
    new pseudo-terminal. Returns (exit code, bytes the terminal got, wall s)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    # as the terminal shows it: no newline translation to worry about
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.OPOST
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    t0 = time.monotonic()
    p = subprocess.Popen(args, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                         stdout=slave if stdout_tty else out, stderr=slave, env=env)
    os.close(slave)
    got = bytearray()
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every writer has closed the terminal
            break
        if not chunk:
            break
        got += chunk
    rc = p.wait()
    wall = time.monotonic() - t0
    os.close(master)
    if stdout_path:
        out.close()
    return rc, bytes(got), wall


def run_pipe(args, stdout_path=None, stdin=None, env=None):
    out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    r = subprocess.run(args, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                       stdout=out, stderr=subprocess.PIPE, env=env)
    if stdout_path:
        out.close()
    return r.returncode, r.stderr


def screen(data):
    """The lines a terminal shows after data (carriage return, newline and
    printable characters; no escape sequence is expected), right-trimmed."""
    lines, col = [[]], 0
    for ch in data.decode("utf-8", "replace"):
        if ch == "\r":
            col = 0
        elif ch == "\n":
            lines.append([])
            col = 0
        else:
            line = lines[-1]
            line.extend(" " * (col - len(line)))
            if col < len(line):
                line[col] = ch
            else:
                line.append(ch)
            col += 1
    text = ["".join(l).rstrip() for l in lines]
    while text and not text[-1]:
        text.pop()
    return text


def draws(data, pattern):
    """The texts drawn by carriage return (segments between two), those that
    match pattern, as match objects; and every non-blank segment."""
    segs = [s.decode("utf-8", "replace") for s in data.split(b"\r")]
    segs = [s.split("\n")[-1].rstrip() for s in segs]
    drawn = [s for s in segs if s.strip()]
    return [m for m in (re.fullmatch(pattern, s) for s in drawn) if m], drawn


def same_file(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def capture_line(cmd, name):
    return (rf"dfuscope {cmd}: (\d+)%, (\d+(?:\.\d+)?[kM]?) records/s, (\d+) findings? - "
            + re.escape(name))


def check_capture_progress(cmd, extra, big, tmp, has_output_arg):
    """One command on the big capture: terminal, pipe, --quiet, -q."""
    name = os.path.basename(big)
    outs = {}

    def args(variant, opts):
        out = os.path.join(tmp, f"{cmd}-{variant}.out")
        a = [DFUSCOPE, cmd] + opts + extra + [big]
        if has_output_arg:
            a += ["-o", out]
        outs[variant] = out
        return a, (None if has_output_arg else out)

    a, so = args("tty", [])
    rc, data, wall = run_tty(a, stdout_path=so)
    a, so = args("pipe", [])
    rc_pipe, err_pipe = run_pipe(a, stdout_path=so)
    check(rc == rc_pipe, f"{cmd}: exit {rc} on a terminal, {rc_pipe} on a pipe")
    lines, drawn = draws(data, capture_line(cmd, name))
    if check(lines, f"{cmd}: no progress line on the terminal: {data[:300]!r}"):
        pcts = [int(m.group(1)) for m in lines]
        found = [int(m.group(3)) for m in lines]
        check(all(0 <= p <= 100 for p in pcts) and pcts == sorted(pcts),
              f"{cmd}: percentages {pcts}")
        check(found == sorted(found), f"{cmd}: findings counts {found}")
        # at most one every 250 ms (the first one is drawn at once)
        check(len(lines) <= 2 + wall / 0.25,
              f"{cmd}: {len(lines)} updates in {wall:.2f} s")
    def norm(lines, variant):  # extract names its output file
        return [l.replace(outs[variant], "OUT") for l in lines]

    # what stays on the screen is what a pipe gets: the line was erased
    want = norm(err_pipe.decode("utf-8", "replace").splitlines(), "pipe")
    got = norm(screen(data), "tty")
    check(got == want, f"{cmd}: the terminal shows {got!r}, standard error on a pipe "
                       f"{want!r}")
    check(b"records/s" not in err_pipe and b"\r" not in err_pipe,
          f"{cmd}: progress on a pipe: {err_pipe[:200]!r}")
    for variant, opt in (("quiet", "--quiet"), ("q", "-q")):
        a, so = args(variant, [opt])
        rc_q, data_q, _ = run_tty(a, stdout_path=so)
        check(rc_q == rc, f"{cmd} {opt}: exit {rc_q}")
        check(b"records/s" not in data_q and b"\r" not in data_q,
              f"{cmd} {opt}: progress shown: {data_q[:200]!r}")
        got = norm(screen(data_q), variant)
        check(got == want, f"{cmd} {opt}: the terminal shows {got!r}")
    for variant in ("pipe", "quiet", "q"):
        check(same_file(outs["tty"], outs[variant]),
              f"{cmd}: the output on a terminal differs from the output with {variant}")
    return want


def corrupt_middle(src, dst):
    """Copy src (classic pcap) with the record header in its middle made
    impossible (caplen 0xffffffff): a damaged record the reader reports and
    skips."""
    with open(src, "rb") as f:
        data = bytearray(f.read())
    little = data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1")
    fmt = "<I" if little else ">I"
    off = 24
    while off < len(data) // 2:
        caplen = struct.unpack_from(fmt, data, off + 8)[0]
        off += 16 + caplen
    struct.pack_into(fmt, data, off + 8, 0xFFFFFFFF)
    with open(dst, "wb") as f:
        f.write(data)


def check_run(tmp):
    script = os.path.join(tmp, "wait.dfu")
    with open(script, "w") as f:
        f.write("getstatus\nwait 1500ms\ngetstate expect state=dfuIDLE\n")
    env = dict(os.environ, DFS_FAKE_REALTIME="1")
    env.pop("DFS_FAKE_FAULTS", None)
    env.pop("DFS_FAKE_MODEL", None)
    pattern = r"dfuscope run: step (\d+), ([^ ]+): (.+?)( \((\d+) s\))?"
    out_tty = os.path.join(tmp, "run-tty.out")
    rc, data, _ = run_tty([FAKE, "run", script], stdout_path=out_tty, env=env)
    check(rc == 0, f"run: exit {rc}")
    lines, drawn = draws(data, pattern)
    check(len(lines) == len(drawn), f"run: other text drawn: {drawn}")
    if check(lines, f"run: no progress line: {data[:300]!r}"):
        steps = [int(m.group(1)) for m in lines]
        check(steps == sorted(steps), f"run: steps {steps}")
        waits = [m for m in lines if m.group(2) == f"{script}:2"]
        check(waits and waits[0].group(3) == "wait 1500ms", f"run: {[m.group(0) for m in lines]}")
        check(any(m.group(5) == "1" for m in waits),
              f"run: the 1.5 s wait is not shown with its time: {[m.group(0) for m in lines]}")
    check(screen(data) == [], f"run: the terminal shows {screen(data)!r}")
    for opt in ("--quiet", "-q"):
        rc_q, data_q, _ = run_tty([FAKE, "run", opt, script], env=env)
        check(rc_q == 0 and data_q == b"", f"run {opt}: exit {rc_q}, terminal got {data_q!r}")
    rc_p, err_p = run_pipe([FAKE, "run", script], env=env)
    check(rc_p == 0 and err_p == b"", f"run on a pipe: exit {rc_p}, {err_p!r}")
    # virtual time: the step lines are the same from run to run
    env.pop("DFS_FAKE_REALTIME")
    out_pipe = os.path.join(tmp, "run-pipe.out")
    run_pipe([FAKE, "run", script], stdout_path=out_pipe, env=env)
    run_tty([FAKE, "run", script], stdout_path=out_tty, env=env)
    check(same_file(out_tty, out_pipe), "run: output differs with standard error on a terminal")
    # step lines and the progress line on one terminal: only the step lines stay
    rc, data, _ = run_tty([FAKE, "run", script], env=env, stdout_tty=True)
    with open(out_pipe, encoding="utf-8") as f:
        want = f.read().splitlines()
    check(screen(data) == want, f"run: one terminal shows {screen(data)!r}, expected {want!r}")


def main():
    with tempfile.TemporaryDirectory(prefix="dfs-progress-") as tmp:
        big = os.path.join(tmp, "big.pcap")
        subprocess.run([GEN, "70", big], check=True, capture_output=True)
        size = os.path.getsize(big)
        check(size > 64 << 20, f"the capture is {size} bytes, not over 64 MiB")

        check_capture_progress("diagnose", [], big, tmp, False)
        decode_err = check_capture_progress("decode", ["--dfu"], big, tmp, False)
        check(len(decode_err) == 1 and "records" in decode_err[0],
              f"decode's summary on standard error: {decode_err}")
        check_capture_progress("report", [], big, tmp, True)
        check_capture_progress("extract", [], big, tmp, True)

        # decode with its output on the same terminal: no line running through it
        rc, data, _ = run_tty([DFUSCOPE, "decode", "--dfu", "--device", "1.2", big],
                              stdout_tty=True)
        check(b"records/s" not in data, "decode with output on the terminal shows progress")

        # standard input, and a file under 64 MiB: nothing
        with open(big, "rb") as f:
            rc, data, _ = run_tty([DFUSCOPE, "diagnose", "-"], stdin=f)
        check(rc in (0, 1) and b"records/s" not in data and b"\r" not in data,
              f"diagnose of standard input: exit {rc}, {data[:200]!r}")
        rc, data, _ = run_tty([DFUSCOPE, "diagnose", SMALL])
        check(rc in (0, 1) and b"records/s" not in data and b"\r" not in data,
              f"diagnose of a small file: exit {rc}, {data[:200]!r}")

        # a narrow terminal: cut to its width less one
        rc, data, _ = run_tty([DFUSCOPE, "diagnose", big], cols=40)
        _, drawn = draws(data, "")
        check(drawn and all(len(s) <= 39 for s in drawn) and
              drawn[0].startswith("dfuscope diagnose: "),
              f"on 40 columns: {drawn}")

        # two passes (--device VID:PID): each says which
        rc, data, _ = run_tty([DFUSCOPE, "diagnose", "--device", "0483:df11", big])
        lines, _ = draws(data, r"dfuscope diagnose: \d+% \(pass ([12]) of 2\), .* - big\.pcap")
        passes = [m.group(1) for m in lines]
        check("1" in passes and "2" in passes and passes == sorted(passes),
              f"two passes: {passes}")
        check(screen(data) == [], f"two passes: the terminal shows {screen(data)!r}")

        # a damaged record in the middle: its message stands on a line of its own
        bad = os.path.join(tmp, "damaged.pcap")
        corrupt_middle(big, bad)
        os.remove(big)
        rc, data, _ = run_tty([DFUSCOPE, "diagnose", bad], stdout_path=os.path.join(tmp, "d1"))
        rc_p, err = run_pipe([DFUSCOPE, "diagnose", bad], stdout_path=os.path.join(tmp, "d2"))
        want = err.decode("utf-8", "replace").splitlines()
        check(any("frame" in l for l in want), f"no damaged record reported: {want}")
        check(screen(data) == want, f"damaged: the terminal shows {screen(data)!r}, "
                                    f"a pipe {want!r}")
        lines, _ = draws(data, capture_line("diagnose", "damaged.pcap"))
        check(lines, "damaged: no progress line")
        check(same_file(os.path.join(tmp, "d1"), os.path.join(tmp, "d2")),
              "damaged: the diagnosis differs on a terminal")
        os.remove(bad)

        check_run(tmp)
    print("ok" if not failures else f"{len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
