#!/usr/bin/env python3
"""Every finding in the table (include/dfuscope/findings.h) has its page
docs/findings/<id>.md with the four sections, and there is no page for an id
that does not exist.

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
    for p in sorted(pages - set(ids)):
        print(f"page for an unknown finding: docs/findings/{p}.md")
        ok = False
    if ok:
        print(f"ok   {len(ids)} findings, each with its page")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
