#!/usr/bin/env python3
"""The listings the shell completions read from dfuscope (docs/completion.md).

1. `dfuscope --complete commands`: one line per command, NAME, OPERAND
   (file, model or none) and the summary, tab-separated: exactly the
   commands and summaries of `dfuscope --help`.
2. `dfuscope --complete options COMMAND` for every command (and without one
   for the program's own options): OPTION, VALUE and WORDS; every option
   listed is one the command's parser takes (given with a value where it
   needs one, followed by --help: never "unknown/unrecognized option" or a
   missing value), every word of a word or list option is a value the
   parser accepts, and the option every command's --help shows, --help, is
   listed with its short form.
3. `dfuscope emulate --list --names` lists the models `dfuscope emulate
   --list` describes, and with a model the names of the options it
   describes for that model.
4. Usage errors: exit status 2 and a message.

usage: completion_lists.py DFUSCOPE"""
import re
import subprocess
import sys

DFUSCOPE = sys.argv[1]
VALUES = {"-", "file", "dir", "text", "word", "list", "model-option"}
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)
    return cond


def run(*args):
    return subprocess.run([DFUSCOPE, *args], capture_output=True, text=True)


def parser_takes(cmd, opt, value):
    """Does cmd's parser take opt (with value, if not None)? --help after it
    makes the command stop there."""
    args = [cmd, opt] + ([value] if value is not None else []) + ["--help"]
    r = run(*args)
    bad = re.search(r"unrecognized option|unknown option|invalid option|needs a value|"
                    r"requires an argument", r.stderr)
    return r, not bad


def main():
    # 1. commands
    r = run("--complete", "commands")
    check(r.returncode == 0 and r.stderr == "", f"--complete commands: {r.returncode} {r.stderr}")
    rows = [line.split("\t") for line in r.stdout.splitlines()]
    check(all(len(x) == 3 for x in rows), f"--complete commands: not 3 fields: {rows}")
    commands = {x[0]: x for x in rows}
    check(all(x[1] in ("file", "model", "none") for x in rows), f"operands: {rows}")
    helptext = run("--help").stdout
    section = helptext.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    listed = [re.match(r"  (\S+) +(.*)", line).groups() for line in section.splitlines()]
    check([(x[0], x[2]) for x in rows] == listed,
          f"--complete commands differs from --help: {rows} / {listed}")
    check(commands.get("emulate", [None, None])[1] == "model", "emulate takes a model")
    check(commands.get("capture", [None, None])[1] == "none", "capture takes no operand")
    check(commands.get("diagnose", [None, None])[1] == "file", "diagnose takes a file")

    # 2. options
    r = run("--complete", "options")
    own = [line.split("\t") for line in r.stdout.splitlines()]
    check(r.returncode == 0 and {x[0] for x in own} == {"--help", "--version", "--complete",
                                                         "-h", "-V"},
          f"the program's own options: {own}")
    for cmd in commands:
        r = run("--complete", "options", cmd)
        if not check(r.returncode == 0 and r.stderr == "",
                     f"--complete options {cmd}: {r.returncode} {r.stderr}"):
            continue
        opts = [line.split("\t") for line in r.stdout.splitlines()]
        names = [x[0] for x in opts]
        check(len(names) == len(set(names)), f"{cmd}: an option listed twice: {names}")
        check("--help" in names and "-h" in names, f"{cmd}: --help or -h not listed: {names}")
        for row in opts:
            if not check(len(row) == 3, f"{cmd}: not 3 fields: {row}"):
                continue
            opt, value, words = row
            check(re.fullmatch(r"--[a-z][a-z0-9-]*|-[a-zA-Z]", opt), f"{cmd}: option {opt!r}")
            check(value in VALUES, f"{cmd} {opt}: value {value!r}")
            check(bool(words) == (value in ("word", "list")), f"{cmd} {opt}: words {words!r}")
            samples = {"-": [None], "word": words.split(), "list": words.split(),
                       "model-option": ["serial=X"]}.get(value, ["x"])
            for sample in samples:
                r, taken = parser_takes(cmd, opt, sample)
                check(taken, f"{cmd} {opt} {sample}: not taken: {r.stderr.strip()}")
                if value in ("-", "word", "list", "file", "dir", "model-option"):
                    check(r.returncode == 0 and r.stdout.startswith("Usage:"),
                          f"{cmd} {opt} {sample} --help: exit {r.returncode} {r.stderr}")
        if cmd == "run":
            suites = [x for x in opts if x[0] == "--suite"]
            check(suites and suites[0][1:] == ["list", "descriptors dfu11 dfuse all"],
                  f"run --suite: {suites}")
        if cmd == "emulate":
            check(["--option", "model-option", ""] in opts and
                  ["-o", "model-option", ""] in opts, f"emulate --option: {opts}")

    # 3. emulate's models and their options
    r = run("emulate", "--list")
    text = r.stdout
    described = [m for m in re.findall(r"^([a-z0-9][a-z0-9-]*)$", text, re.M)]
    r = run("emulate", "--list", "--names")
    models = r.stdout.split()
    check(r.returncode == 0 and models and models == described,
          f"emulate --list --names: {models}, --list describes {described}")
    for model in models:
        r = run("emulate", "--list", "--names", model)
        names = r.stdout.split()
        desc = run("emulate", "--list", model).stdout
        want = re.findall(r"^      ([a-z0-9-]+)=", desc, re.M)
        check(r.returncode == 0 and names and names == want,
              f"emulate --list --names {model}: {names}, described {want}")
        check(re.findall(r"^([a-z0-9][a-z0-9-]*)$", desc, re.M) == [model],
              f"emulate --list {model} describes {desc[:200]!r}")

    # 4. usage errors
    for args, msg in ((["--complete"], "--complete needs a value"),
                      (["--complete", "bogus"], "expected 'commands' or 'options"),
                      (["--complete", "commands", "x"], "expected 'commands' or 'options"),
                      (["--complete", "options", "nope"], "unknown command 'nope'"),
                      (["--bogus"], "unknown option '--bogus'"),
                      (["emulate", "--names"], "--names goes with --list"),
                      (["emulate", "--list", "--names", "nope"], "unknown model 'nope'"),
                      (["emulate", "--options", "x"], "unknown option '--options'"),
                      (["emulate", "--trace=1"], "unknown option '--trace=1'")):
        r = run(*args)
        check(r.returncode == 2 and msg in r.stderr and r.stdout == "",
              f"{args}: exit {r.returncode}, {r.stderr.strip()!r}")

    print("ok" if not failures else f"{len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
