"""Hostile tool logs for the malformed corpus (gen.py writes them with the
captures): real logs of tests/data/logs/ with one thing broken on purpose,
each NAME.txt with its NAME.expect. The line numbers in the expected output
are computed here from where the damage was planted and from the lines of the
clean log that prove each finding, not copied from dfuscope's output."""

import os

HERE = os.path.dirname(os.path.abspath(__file__))
LOGS = os.path.join(HERE, "..", "data", "logs")
# dfu-util 0.11 refusing the seed's upload: one finding,
# dfuse.address-outside-layout, citing the "Setting Alternate Interface #1"
# and "Page at 0x1fff7870 is not readable" lines
G0 = os.path.join(LOGS, "dfu-util-0.11", "g0-upload-not-readable.txt")
MAX_LINE = 4096   # DFS_LOG_MAX_LINE
OUTSIDE = ("warning dfuse.address-outside-layout  Access outside the memory layout of the "
           "alternate setting")
UNREADABLE = "note    log.unreadable-lines  Lines of the log could not be read"

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def g0_lines():
    return open(G0, "rb").read().split(b"\n")


def line_of(lines, needle):
    """1-based number of the first line holding needle."""
    return next(i + 1 for i, ln in enumerate(lines) if needle in ln)


def cites(numbers):
    numbers = sorted(numbers)
    if len(numbers) == 1:
        return "        line %d" % numbers[0]
    return "        lines " + ", ".join(str(n) for n in numbers)


def outside(lines):
    """The outside-layout finding's header and its lines in this text."""
    return [OUTSIDE, cites([line_of(lines, b"Setting Alternate Interface #1"),
                            line_of(lines, b"Page at 0x1fff7870 is not readable")])]


def unreadable(bad_lines, binary, cut):
    return [UNREADABLE, cites(bad_lines),
            "        %d line%s of bytes no tool prints (binary data) skipped, %d line%s longer "
            "than %d bytes cut; the rest of the log was read." % (
                binary, "" if binary == 1 else "s", cut, "" if cut == 1 else "s", MAX_LINE)]


@case
def log_binary_lines(base):
    lines = g0_lines()
    controls = bytes(c for c in range(32) if c != 10)  # no line end inside
    junk = [controls * 3, b"\x00\x01\x02PK\x03\x04" + bytes(range(128, 160)),
            bytes(range(1, 9)) * 8]
    at = 10
    out = lines[:at] + junk + lines[at:]
    return "log-binary-lines.txt", b"\n".join(out), dict(
        what=["dfu-util 0.11's refused upload (tests/data/logs/dfu-util-0.11/"
              "g0-upload-not-readable.txt) with three lines of binary bytes pasted after "
              "line %d, within the first 4096 bytes." % at,
              "Still read as a log: the binary lines are skipped and cited, the finding "
              "around them is made."],
        args=["diagnose", "FILE"], exit=0, stderr=[],
        stdout=outside(out) + unreadable([at + 1, at + 2, at + 3], 3, 0))


@case
def log_huge_line(base):
    lines = g0_lines()
    at = 4
    out = lines[:at] + [b"Found DFU: [" + b"A" * 100000 + b"]"] + lines[at:]
    return "log-huge-line.txt", b"\n".join(out), dict(
        what=["The same log with a line of 100013 bytes (a \"Found DFU: [\" line) as line "
              "%d." % (at + 1),
              "The line is cut at %d bytes and cited; the rest is read." % MAX_LINE],
        args=["diagnose", "FILE"], exit=0, stderr=[],
        stdout=outside(out) + unreadable([at + 1], 0, 1))


@case
def log_terminal_escapes(base):
    lines = g0_lines()
    out = [b"\x1b]0;dfu-util\x07" + lines[0]] + [
        b"\x1b[1;31m" + ln + b"\x1b[0m\x1b[K" if ln else ln for ln in lines[1:]]
    return "log-terminal-escapes.txt", b"\n".join(out), dict(
        what=["The same log as a terminal shows it: every line in colour (CSI sequences), "
              "the first behind a window-title sequence (OSC ... BEL)."],
        args=["diagnose", "FILE"], exit=0, stderr=[],
        stdout=outside(lines))


@case
def log_carriage_returns(base):
    lines = g0_lines()
    at = line_of(lines, b"Memory segment at")
    # a progress bar redrawn with carriage returns over what the line ends with
    bar = b"".join(b"Upload\t[%-25s] %3d%%\r" % (b"=" * (i // 4), i) for i in range(0, 101, 10))
    out = lines[:at] + [bar + lines[at]] + lines[at + 1:]
    return "log-carriage-returns.txt", b"\n".join(out), dict(
        what=["The same log with a progress bar redrawn 11 times with carriage returns in "
              "front of the text of line %d (what a terminal shows last)." % (at + 1)],
        args=["diagnose", "FILE"], exit=0, stderr=[],
        stdout=outside(lines))


@case
def log_half_lsusb(base):
    text = open(os.path.join(LOGS, "lsusb-stm32g0c1.txt"), "rb").read()
    cut = text.index(b"bAlternateSetting       1")
    half = text[:cut + 12]
    lines = half.split(b"\n")
    cfg = line_of(lines, b"Configuration Descriptor:")
    total = int(next(ln for ln in lines if b"wTotalLength" in ln).split()[1], 16)
    # the configuration and each interface descriptor begun: 9 bytes each
    given = 9 * (1 + sum(1 for ln in lines if b"Interface Descriptor:" in ln))
    last = len(lines) - 1  # the last whole line; the cut one is not understood
    return "log-half-lsusb.txt", half, dict(
        what=["lsusb -v of the seed's bootloader (tests/data/logs/lsusb-stm32g0c1.txt) cut "
              "in the middle of the second alternate setting's bAlternateSetting line: "
              "half a block, no functional descriptor, no \"Device Status:\".",
              "The cut is said; the missing functional descriptor is not judged (no "
              "desc.functional-missing: the device did not leave it out, the paste did)."],
        args=["diagnose", "FILE"], exit=0, stderr=[],
        stdout=["note    log.unreadable-lines  Lines of the log could not be read",
                cites([cfg, last]),
                "        The lsusb -v configuration 1 from line %d gives %d of the %d bytes its "
                "wTotalLength says (it ends at line %d): the block was cut. What it holds is "
                "kept; what is missing is not judged." % (cfg, given, total, last)])


@case
def log_unknown_tool(base):
    data = (b"avrdude: AVR device initialized and ready to accept instructions\n"
            b"avrdude: Device signature = 0x1e950f (probably m328p)\n"
            b"avrdude: erasing chip\n"
            b"avrdude done.  Thank you.\n")
    return "log-unknown-tool.txt", data, dict(
        what=["The log of a tool dfuscope does not read (avrdude, 4 lines)."],
        args=["diagnose", "FILE"], exit=2,
        stderr=["dfuscope diagnose: FILE: not a pcap or pcapng capture, and its text (4 lines) "
                "holds no output of a tool dfuscope reads (lsusb -v, dfu-util, "
                "STM32CubeProgrammer, fwupd; see docs/logs.md)"])
