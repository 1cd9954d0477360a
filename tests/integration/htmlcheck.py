"""A strict reading of the HTML dfuscope writes, with Python's html.parser.

parse(text) builds a small element tree and checks that the page is
well-formed the way dfuscope writes it (every element closed in order, void
elements never closed, self-closing syntax only inside <svg>, lists holding
list items, table rows inside table sections, no link inside a link, unique
ids, every "#id" link resolving) and self-contained (no external resource of
any kind: no src attributes, no <link>, <img>, <iframe>, <object>, <embed>,
no script with src, no url() but to a fragment, and neither "http:",
"https:" nor "//" anywhere in the source). It returns (root, problems)."""
import html.parser
import re

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}
FORBIDDEN = {"link", "img", "iframe", "object", "embed", "frame", "frameset", "base",
             "audio", "video", "source", "track", "portal"}


class Node:
    def __init__(self, tag, attrs, parent, line):
        self.tag = tag
        self.attrs = dict(attrs)
        self.parent = parent
        self.children = []
        self.line = line

    def classes(self):
        return (self.attrs.get("class") or "").split()

    def text(self):
        out = []
        for c in self.children:
            out.append(c if isinstance(c, str) else c.text())
        return "".join(out)

    def iter(self):
        for c in self.children:
            if isinstance(c, Node):
                yield c
                yield from c.iter()

    def find_all(self, tag=None, cls=None, **attrs):
        res = []
        for n in self.iter():
            if tag and n.tag != tag:
                continue
            if cls and cls not in n.classes():
                continue
            if any(n.attrs.get(k.replace("_", "-")) != v for k, v in attrs.items()):
                continue
            res.append(n)
        return res

    def find(self, tag=None, cls=None, **attrs):
        r = self.find_all(tag, cls, **attrs)
        return r[0] if r else None

    def ancestors(self):
        p = self.parent
        while p is not None:
            yield p
            p = p.parent


class _Parser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None, 0)
        self.stack = [self.root]
        self.problems = []
        self.doctype = False

    def _in_svg(self):
        return any(n.tag == "svg" for n in self.stack)

    def handle_decl(self, decl):
        if decl.lower() == "doctype html":
            self.doctype = True

    def handle_starttag(self, tag, attrs):
        line = self.getpos()[0]
        node = Node(tag, attrs, self.stack[-1], line)
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        line = self.getpos()[0]
        if tag not in VOID and not self._in_svg():
            self.problems.append(f"line {line}: <{tag}/> outside <svg> (HTML ignores the '/')")
        node = Node(tag, attrs, self.stack[-1], line)
        self.stack[-1].children.append(node)

    def handle_endtag(self, tag):
        line = self.getpos()[0]
        if tag in VOID:
            self.problems.append(f"line {line}: end tag for void element <{tag}>")
            return
        if len(self.stack) == 1 or self.stack[-1].tag != tag:
            open_tags = [n.tag for n in self.stack[1:]]
            self.problems.append(f"line {line}: </{tag}> but open elements are {open_tags[-4:]}")
            for i in range(len(self.stack) - 1, 0, -1):
                if self.stack[i].tag == tag:
                    del self.stack[i:]
                    break
            return
        self.stack.pop()

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(text, allowed_link_prefixes=()):
    p = _Parser()
    p.feed(text)
    p.close()
    problems = p.problems
    if not p.doctype:
        problems.append("no <!DOCTYPE html>")
    if len(p.stack) > 1:
        problems.append("unclosed at the end: " + str([n.tag for n in p.stack[1:]]))
    root = p.root
    low = text.lower()
    for bad in ("http:", "https:", "//"):
        i = low.find(bad)
        if i >= 0:
            problems.append(f"external reference {bad!r} at line {text.count(chr(10), 0, i) + 1}: "
                            f"{text[max(0, i - 40):i + 40]!r}")
    for m in re.finditer(r"url\(\s*([^)]*)\)", text):
        if not m.group(1).strip("'\" ").startswith("#"):
            problems.append(f"url() to something else than a fragment: {m.group(0)!r}")
    if "@import" in low:
        problems.append("@import in the page")
    ids = {}
    for n in root.iter():
        if n.tag in FORBIDDEN:
            problems.append(f"line {n.line}: <{n.tag}> element")
        for k, v in n.attrs.items():
            if k in ("src", "srcset", "xlink:href", "action", "formaction", "data", "poster",
                     "background", "ping") or k.startswith("on"):
                problems.append(f"line {n.line}: <{n.tag} {k}=...>")
        if "id" in n.attrs:
            if n.attrs["id"] in ids:
                problems.append(f"line {n.line}: duplicate id {n.attrs['id']!r}")
            ids[n.attrs["id"]] = n
        if n.tag in ("ul", "ol"):
            for c in n.children:
                if isinstance(c, Node) and c.tag != "li":
                    problems.append(f"line {c.line}: <{c.tag}> directly inside <{n.tag}>")
                elif isinstance(c, str) and c.strip():
                    problems.append(f"line {n.line}: text directly inside <{n.tag}>")
        if n.tag == "tr" and n.parent.tag not in ("thead", "tbody", "tfoot", "table"):
            problems.append(f"line {n.line}: <tr> inside <{n.parent.tag}>")
        if n.tag in ("td", "th") and n.parent.tag != "tr":
            problems.append(f"line {n.line}: <{n.tag}> inside <{n.parent.tag}>")
        if n.tag == "a" and any(a.tag == "a" for a in n.ancestors()):
            problems.append(f"line {n.line}: link inside a link")
        if n.tag == "script" and n.attrs:
            problems.append(f"line {n.line}: <script> with attributes {n.attrs}")
    for n in root.iter():
        href = n.attrs.get("href")
        if href is None:
            continue
        if href.startswith("#"):
            if href[1:] not in ids:
                problems.append(f"line {n.line}: link to #{href[1:]}, which does not exist")
        elif not any(href.startswith(p) for p in allowed_link_prefixes):
            problems.append(f"line {n.line}: link to {href!r}")
    return root, problems
