#!/usr/bin/env python3
"""The module import graph of src/ must have no cycles.

Every `crate::...`, `super::...` and `self::...` path in a file (in `use` trees and inline) is
resolved to the module (file) it names; an edge goes from the file to that module. A cycle is a
strongly connected component of two or more files. `mod x;` declarations are not edges; a parent
that calls into a child and a child that reaches back into its parent are a cycle.

  scripts/check_imports.py          print the cycles (exit 1 if any)
  scripts/check_imports.py --graph  print every edge too
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")


def module_of(rel):
    parts = rel[:-3].split(os.sep)
    if parts[-1] in ("mod", "lib"):
        parts = parts[:-1]
    return tuple(parts)


def files():
    out = {}
    for d, _, names in os.walk(ROOT):
        for n in names:
            if n.endswith(".rs"):
                rel = os.path.relpath(os.path.join(d, n), ROOT)
                if rel.startswith("bin" + os.sep):
                    continue
                out[module_of(rel)] = rel
    return out


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(line.split("//")[0] for line in text.splitlines())


def expand(tree):
    """`a::{b, c::{d, e}}` -> [a::b, a::c::d, a::c::e]"""
    tree = tree.strip()
    i = tree.find("{")
    if i < 0:
        return [tree.split(" as ")[0].strip()]
    prefix = tree[:i]
    body = tree[i + 1 : tree.rfind("}")]
    items, depth, cur = [], 0, ""
    for ch in body:
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    items.append(cur)
    out = []
    for it in items:
        if it.strip():
            out += [prefix + p for p in expand(it)]
    return out


def paths(text):
    text = strip_comments(text)
    found = []
    for m in re.finditer(r"\buse\s+((?:crate|super|self)::[^;]*);", text):
        found += expand(m.group(1))
    for m in re.finditer(r"\b((?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+)", text):
        found.append(m.group(1))
    return found


def resolve(path, here, known):
    """The module a path names: the longest prefix of it that is a module (file)."""
    segs = [s for s in path.replace(" ", "").split("::") if s]
    if segs[0] == "crate":
        cur, segs = [], segs[1:]
    else:
        cur = list(here)
        while segs and segs[0] in ("self", "super"):
            if segs[0] == "super":
                cur = cur[:-1]
            segs = segs[1:]
    best = tuple(cur)
    for s in segs:
        if best + (s,) in known:
            best = best + (s,)
        else:
            break
    return best


def strip_test_modules(text):
    """Inline `#[cfg(test)] mod x { ... }` blocks: their `super` is the file itself."""
    out, i = "", 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text):
        if m.start() < i:
            continue
        out += text[i : m.start()]
        depth, k = 1, m.end()
        while k < len(text) and depth:
            depth += text[k] == "{"
            depth -= text[k] == "}"
            k += 1
        i = k
    return out + text[i:]


def main():
    known = files()
    edges = {m: set() for m in known}
    for mod, rel in known.items():
        text = strip_test_modules(open(os.path.join(ROOT, rel), encoding="utf-8").read())
        found = paths(text)
        # paths relative to a child module this file declares (`mod s3;` ... `s3::dispatch`)
        for child in re.findall(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", strip_comments(text), flags=re.M):
            for m in re.finditer(r"(?<![:\w])" + child + r"((?:::[A-Za-z_][A-Za-z0-9_]*)+)", strip_comments(text).replace("mod " + child + ";", "")):
                found.append("self::" + child + m.group(1))
            if re.search(r"\buse\s+" + child + r"\b", text):
                found.append("self::" + child)
        for p in found:
            t = resolve(p, mod, known)
            if t != mod and t in known and t != ():
                edges[mod].add(t)
    # Tarjan's strongly connected components
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
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
            sccs.append(comp)

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    name = lambda m: "::".join(m) or "crate"
    if "--graph" in sys.argv:
        for v in sorted(edges):
            for w in sorted(edges[v]):
                print(f"{name(v)} -> {name(w)}")
    cycles = [sorted(c) for c in sccs if len(c) > 1]
    n_edges = sum(len(e) for e in edges.values())
    if cycles:
        for c in cycles:
            print("cycle:", ", ".join(name(m) for m in c))
        print(f"{len(cycles)} import cycle(s) among {len(known)} modules ({n_edges} edges)")
        return 1
    print(f"no import cycles among {len(known)} modules ({n_edges} edges)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
