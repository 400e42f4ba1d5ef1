#!/usr/bin/env python3
"""Import cycles between the files of a Rust crate.

    scripts/import-cycles.py [--report] [CRATE_DIR ...]

For each crate (default: every crates/*), the module tree is read from `mod NAME;`
declarations starting at src/lib.rs (else src/main.rs); each file is a node, and an edge
a -> b says that file a names something of file b: a `use` path or an inline path starting
with `crate::`, `super::`, `self::`, or with the name of a child module a declares. A path goes
to the file of the longest module prefix it names (an item re-exported from lib.rs is lib.rs's).
Test modules (`#[cfg(test)] mod NAME { ... }`) are left out: they are not what the crate is
built from. Every strongly connected group of two or more files is printed with the lines that
make one circle through it.

Exit status 1 when a crate has a cycle, 0 otherwise (`--report`: always 0).
Python 3 standard library only.
"""

import os
import re
import sys

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip(src):
    """The source with comments, string and char literals blanked (newlines kept)."""
    out = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif c == "r" and re.match(r'r#*"', src[i:i + 10]) and not re.match(r"\w", src[i - 1:i] or " "):
            m = re.match(r'r(#*)"', src[i:])
            end = '"' + m.group(1)
            j = src.find(end, i + len(m.group(0)))
            j = n if j < 0 else j + len(end)
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            j += 1
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif c == "'":
            m = re.match(r"'(\\.[^']*|[^\\'])'", src[i:])
            if m:
                out.append(" " * len(m.group(0)))
                i += len(m.group(0))
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def drop_test_modules(code):
    """Blanks `#[cfg(test)] mod name { ... }` blocks."""
    while True:
        m = re.search(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+" + IDENT + r"\s*\{", code)
        if not m:
            return code
        depth, j = 1, m.end()
        while j < len(code) and depth:
            depth += {"{": 1, "}": -1}.get(code[j], 0)
            j += 1
        code = code[:m.start()] + re.sub(r"[^\n]", " ", code[m.start():j]) + code[j:]


def child_files(path, name):
    base = os.path.dirname(path)
    stem = os.path.splitext(os.path.basename(path))[0]
    if stem not in ("mod", "lib", "main"):
        base = os.path.join(base, stem)
    for cand in (os.path.join(base, name + ".rs"), os.path.join(base, name, "mod.rs")):
        if os.path.isfile(cand):
            return cand
    return None


def expand_use(tree):
    """`a::{b, c::{d, e}}` -> [[a, b], [a, c, d], [a, c, e]] (aliases and globs dropped)."""
    tree = re.sub(r"\s+as\s+" + IDENT, "", tree)
    tree = re.sub(r"\s+", "", tree)

    def parse(s, i):
        paths, cur = [], []
        while i < len(s):
            if s[i] == "{":
                sub, i = parse(s, i + 1)
                paths.extend(cur + p for p in sub)
                cur = None
            elif s[i] == "}":
                if cur:
                    paths.append(cur)
                return paths, i + 1
            elif s[i] == ",":
                if cur:
                    paths.append(cur)
                cur, i = [], i + 1
                continue
            else:
                m = re.match(r"(::)?(" + IDENT + r"|\*)", s[i:])
                if not m:
                    i += 1
                    continue
                if cur is not None:
                    seg = m.group(2)
                    if seg != "*":
                        cur.append(seg)
                i += len(m.group(0))
                if s.startswith("::", i) and not s.startswith("::{", i):
                    i += 2
                elif s.startswith("::{", i):
                    i += 2
                continue
        if cur:
            paths.append(cur)
        return paths, i

    paths, _ = parse(tree, 0)
    return paths


class Crate:
    def __init__(self, src_dir):
        self.src = src_dir
        root = None
        for r in ("lib.rs", "main.rs"):
            if os.path.isfile(os.path.join(src_dir, r)):
                root = os.path.join(src_dir, r)
                break
        self.modules = {}  # tuple(path) -> file
        self.files = {}  # file -> tuple(path)
        self.code = {}
        self.lines = {}
        if root:
            self.load(root, ())

    def load(self, path, modpath):
        self.modules[modpath] = path
        self.files[path] = modpath
        with open(path, encoding="utf-8") as f:
            src = f.read()
        self.lines[path] = src.split("\n")
        code = drop_test_modules(strip(src))
        self.code[path] = code
        for m in re.finditer(r"(?m)^\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+(" + IDENT + r")\s*;", code):
            child = child_files(path, m.group(1))
            if child:
                self.load(child, modpath + (m.group(1),))

    def children(self, modpath):
        return {p[-1] for p in self.modules if len(p) == len(modpath) + 1 and p[:-1] == modpath}

    def resolve(self, modpath, segs):
        """The file a path names from module `modpath`, or None (another crate, std)."""
        if not segs:
            return None
        if segs[0] == "crate":
            cur, rest = (), segs[1:]
        elif segs[0] in ("super", "self"):
            cur, rest = modpath, segs
            while rest and rest[0] in ("super", "self"):
                if rest[0] == "super":
                    if not cur:
                        return None
                    cur = cur[:-1]
                rest = rest[1:]
        elif segs[0] in self.children(modpath):
            cur, rest = modpath, segs
        else:
            return None
        best = cur
        for s in rest:
            if cur + (s,) in self.modules:
                cur = cur + (s,)
                best = cur
            else:
                break
        return self.modules.get(best)

    def edges(self):
        """{(a, b): first line number in a} for every file a naming file b."""
        out = {}
        for path, code in self.code.items():
            modpath = self.files[path]

            def add(segs, pos):
                target = self.resolve(modpath, segs)
                if target and target != path:
                    line = code.count("\n", 0, pos) + 1
                    out.setdefault((path, target), line)

            for m in re.finditer(r"\buse\s+([^;]+);", code):
                for segs in expand_use(m.group(1)):
                    add(segs, m.start())
            kids = self.children(modpath)
            heads = ["crate", "super", "self"] + sorted(kids)
            pat = r"(?<![\w:])((?:" + "|".join(heads) + r")(?:\s*::\s*" + IDENT + r")+)"
            for m in re.finditer(pat, code):
                # skip the `use` statements already read and `mod x;` lines
                before = code[max(0, code.rfind(";", 0, m.start())):m.start()]
                if re.search(r"\buse\b", before):
                    continue
                add([s.strip() for s in m.group(1).split("::")], m.start())
        return out


def sccs(nodes, adj):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in adj.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(comp)

    sys.setrecursionlimit(10000)
    for v in nodes:
        if v not in index:
            visit(v)
    return out


def one_cycle(comp, adj):
    """A shortest circle through the component's first file (breadth first)."""
    members = set(comp)
    start = sorted(comp)[0]
    prev = {start: None}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(adj.get(v, ())):
            if w not in members:
                continue
            if w == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return list(reversed(path)) + [start]
            if w not in prev:
                prev[w] = v
                queue.append(w)
    return [start]


def check(crate_dir, root):
    src = os.path.join(crate_dir, "src")
    crate = Crate(src)
    edges = crate.edges()
    adj = {}
    for a, b in edges:
        adj.setdefault(a, set()).add(b)
    rel = lambda p: os.path.relpath(p, root)
    cycles = [c for c in sccs(sorted(crate.files), adj) if len(c) > 1]
    name = os.path.basename(os.path.normpath(crate_dir))
    if not cycles:
        print(f"{name}: no import cycle ({len(crate.files)} files, {len(edges)} imports)")
        return 0
    print(f"{name}: {len(cycles)} import cycle(s) ({len(crate.files)} files)")
    for comp in cycles:
        print("  between " + ", ".join(rel(f) for f in sorted(comp)))
        circle = one_cycle(comp, adj)
        for a, b in zip(circle, circle[1:]):
            line = edges[(a, b)]
            text = crate.lines[a][line - 1].strip()
            print(f"    {rel(a)}:{line} -> {rel(b)}    {text[:100]}")
    return len(cycles)


def main(argv):
    report = "--report" in argv
    dirs = [a for a in argv if a != "--report"]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not dirs:
        base = os.path.join(root, "crates")
        dirs = sorted(os.path.join(base, d) for d in os.listdir(base)
                      if os.path.isdir(os.path.join(base, d, "src")))
    found = 0
    for d in dirs:
        if not os.path.isdir(os.path.join(d, "src")):
            print(f"{d}: not a crate (no src/)", file=sys.stderr)
            return 2
        found += check(d, root)
    return 0 if report or not found else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
