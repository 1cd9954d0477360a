#!/usr/bin/env python3
"""The manual pages (docs/CMakeLists.txt, docs/man/mkman.sh): one for
dfuscope and one for every command `dfuscope --help` lists, each rendering
without a warning from groff (-wall) and man (--warnings, what lintian
runs), and saying what the command's --help says: the page's NAME is the
command's line in `dfuscope --help`, its SYNOPSIS the Usage lines, every
option of --help is in OPTIONS, and EXIT STATUS is the --help's
"Exit status:" paragraph, word for word.

usage: manpages.py DFUSCOPE MANDIR"""
import os
import re
import shutil
import subprocess
import sys

failures = []


def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
        if detail:
            print("     " + str(detail).strip().replace("\n", "\n     "))
    return cond


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=120, **kw)


def words(text):
    return " ".join(text.split())


def render(page):
    """The page as plain text: ASCII, one very long line per paragraph, no
    hyphenation, no formatting characters."""
    r = run(["groff", "-man", "-Tascii", "-rLL=3000n", "-rHY=0", "-P-cbou", page])
    return r.stdout


def sections(text):
    out, name = {}, None
    for line in text.splitlines():
        if re.match(r"^[A-Z][A-Z ]+$", line):
            name = line.strip()
            out[name] = ""
        elif name:
            out[name] += line + "\n"
    return out


def main():
    dfuscope, mandir = sys.argv[1], sys.argv[2]
    missing = [t for t in ("groff", "man") if shutil.which(t) is None]
    if missing:
        print("FAIL: not installed: " + ", ".join(missing) + " (groff-base, man-db)")
        sys.exit(1)
    top = run([dfuscope, "--help"]).stdout
    block = top.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    commands = {}
    for line in block.splitlines():
        m = re.match(r"^  (\S+)\s+(\S.*)$", line)
        if m:
            commands[m.group(1)] = m.group(2)
    check(len(commands) >= 10, f"dfuscope --help lists {len(commands)} commands", block)
    pages = {"dfuscope": None, **{"dfuscope-" + c: c for c in commands}}
    got = sorted(f[:-2] for f in os.listdir(mandir) if f.endswith(".1"))
    check(got == sorted(pages), "one page for dfuscope and for each command",
          f"pages: {got}\nwanted: {sorted(pages)}")

    for page, cmd in sorted(pages.items()):
        path = os.path.join(mandir, page + ".1")
        if not os.path.exists(path):
            continue
        r = run(["groff", "-man", "-Tutf8", "-wall", "-z", path])
        check(r.returncode == 0 and not r.stderr, f"{page}(1): groff -wall says nothing", r.stderr)
        r = run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", path],
                env=dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8"))
        check(r.returncode == 0 and not r.stderr, f"{page}(1): man --warnings says nothing",
              r.stderr)
        r = run(["man", "-l", path], env=dict(os.environ, MANWIDTH="80", MANPAGER="cat",
                                                  PAGER="cat", LC_ALL="C.UTF-8"))
        check(r.returncode == 0 and page.upper() in r.stdout, f"{page}(1): man -l shows it",
              r.stderr)

        text = render(path)
        sec = sections(text)
        helptext = run([dfuscope, cmd, "--help"] if cmd else [dfuscope, "--help"]).stdout
        if cmd:
            check(words(sec.get("NAME", "")) == f"{page} - {commands[cmd]}",
                  f"{page}(1): NAME is the command's line in dfuscope --help",
                  sec.get("NAME"))
        usage = [l[len("Usage:"):] if l.startswith("Usage:") else l.split("or:", 1)[1]
                 for l in helptext.splitlines() if l.startswith("Usage:") or
                 re.match(r"^\s+or:\s", l)]
        syn = words(sec.get("SYNOPSIS", ""))
        check(usage and all(words(u) in syn for u in usage),
              f"{page}(1): SYNOPSIS has the Usage lines", f"{syn}\n{usage}")
        options = set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", helptext))
        body = text.split("DESCRIPTION", 1)[-1]
        absent = sorted(o for o in options if o not in body)
        check(not absent, f"{page}(1): all {len(options)} options of --help", absent)
        m = re.search(r"^Exit status: (.*?)(?:\n\n|\Z)", helptext, re.S | re.M)
        if m:
            check(words(sec.get("EXIT STATUS", "")) == words(m.group(1)),
                  f"{page}(1): EXIT STATUS is the --help's", f"{sec.get('EXIT STATUS')}\n"
                  f"--help: {m.group(1)}")
        else:
            check(False, f"{page}(1): its --help has an 'Exit status:' paragraph")
        for s in ("EXAMPLES", "SEE ALSO"):
            check(sec.get(s, "").strip(), f"{page}(1): has {s}")
    print("ok" if not failures else f"{len(failures)} FAILED")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
