#!/usr/bin/env python3
"""Every finding in the table (include/dfuscope/findings.h) has its page
docs/findings/<id>.md with the four sections, and there is no page for an id
that does not exist. Each page's "- Rule:" line names the functions that
decide it and the files they are in: every name exists in the file named
after it, so that a page cannot point at code that moved.

usage: findings_docs.py DFUSCOPE (unused; the source tree comes from
DFS_SOURCE_DIR)"""
import os
import re
import sys

SRC = os.environ.get("DFS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))


def ids_from_table():
    text = open(os.path.join(SRC, "include", "dfuscope", "findings.h")).read()
    # only the table itself: the comment above it shows the form X(ENUM, "id", ...)
    start = text.index("#define DFS_FINDING_MAP(X)")
    end = text.index("enum dfs_finding_code", start)
    return re.findall(r'X\(\s*\w+,\s*"([a-z0-9.-]+)"', text[start:end])


def rule_line_problems(page, text):
    """The "- Rule:" line: `name()` (or `table[]`, or a test's name) ... in
    `path`; each name must occur as a word in the file named after it."""
    m = re.search(r"^- Rule:(.*?)(?=^- |^#|\Z)", text, re.S | re.M)
    if not m:
        return [f"{page}: no '- Rule:' line in its Sources"]
    problems, pending = [], []
    for tok in re.findall(r"`([^`]+)`", m.group(1)):
        if "/" in tok and "." in tok:
            path = os.path.join(SRC, tok)
            if not os.path.isfile(path):
                problems.append(f"{page}: the rule line names {tok}, which does not exist")
            else:
                src = open(path, encoding="utf-8", errors="replace").read()
                for name in pending:
                    if not re.search(r"\b" + re.escape(name) + r"\b", src):
                        problems.append(f"{page}: the rule line names {name}() in {tok}, "
                                        "which has no such name")
            pending = []
            continue
        name = re.sub(r"(\(\)|\[\])$", "", tok)
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            pending.append(name)
    if pending:
        problems.append(f"{page}: the rule line names {', '.join(pending)} without a file")
    return problems


def main():
    ids = ids_from_table()
    assert len(ids) > 30, ids
    docdir = os.path.join(SRC, "docs", "findings")
    pages = {f[:-3] for f in os.listdir(docdir) if f.endswith(".md") and f != "README.md"}
    ok = True
    for i in ids:
        path = os.path.join(docdir, i + ".md")
        if not os.path.exists(path):
            print(f"missing page: docs/findings/{i}.md")
            ok = False
            continue
        text = open(path).read()
        if not text.startswith(f"# {i}"):
            print(f"{path}: must start with '# {i}'")
            ok = False
        for section in ("## What it means", "## Example", "## What to do", "## Sources"):
            if section not in text:
                print(f"{path}: no '{section}' section")
                ok = False
        for problem in rule_line_problems(f"docs/findings/{i}.md", text):
            print(problem)
            ok = False
    for p in sorted(pages - set(ids)):
        print(f"page for an unknown finding: docs/findings/{p}.md")
        ok = False
    if ok:
        print(f"ok   {len(ids)} findings, each with its page and a rule line that names "
              "functions that exist")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
