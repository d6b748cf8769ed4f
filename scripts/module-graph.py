#!/usr/bin/env python3
"""Prints the app's module graph (who `use`s whom, from `use crate::…` and `use super::…` lines)
and fails when it has a cycle, between files or between top-level modules.

    python3 scripts/module-graph.py            # check; print the top-level graph
    python3 scripts/module-graph.py --files    # also print every file-level edge
"""
import pathlib
import re
import sys

SRC = pathlib.Path(__file__).resolve().parents[1] / "src"


def module_of(path):
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


MODULES = {module_of(p): p for p in SRC.rglob("*.rs")}


def expand(tree):
    """`a::{b, c::{d, e}}` → [`a::b`, `a::c::d`, `a::c::e`]."""
    tree = tree.strip()
    depth, start = 0, None
    for i, ch in enumerate(tree):
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}":
            depth -= 1
    if start is None:
        return [tree]
    prefix, inner = tree[:start], tree[start + 1:tree.rindex("}")]
    items, depth, current = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            items.append(current)
            current = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        current += ch
    items.append(current)
    return [p for item in items if item.strip() for p in expand(prefix + item.strip())]


def target(module, path):
    segments = [s.split(" as ")[0].strip() for s in path.split("::")]
    if segments[0] == "crate":
        base = []
    elif segments[0] == "super":
        base = list(module[:-1])
        segments = segments[1:]
        while segments and segments[0] == "super":
            base, segments = base[:-1], segments[1:]
        segments = ["crate", *segments]
    else:
        return None
    segments = base + segments[1:]
    for n in range(len(segments), 0, -1):
        if tuple(segments[:n]) in MODULES:
            return tuple(segments[:n])
    return None


def edges():
    found = set()
    for module, path in MODULES.items():
        text = re.sub(r"#\[cfg\(test\)\]\s*mod tests \{.*", "", path.read_text(), flags=re.S)
        for match in re.finditer(r"^\s*(?:pub(?:\([a-z]+\))? )?use ((?:crate|super)::[^;]+);", text, re.M):
            for used in expand(match.group(1)):
                to = target(module, used)
                if to and to != module and not module[: len(to)] == to:
                    found.add((module, to))
    return found


def cycle(graph):
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def main():
    file_edges = edges()
    top = {(a[0], b[0]) for a, b in file_edges if a and b and a[0] != b[0]}
    name = lambda m: "::".join(m) or "crate"
    graphs = {"file": {}, "top-level": {}}
    for a, b in file_edges:
        graphs["file"].setdefault(a, set()).add(b)
    for a, b in top:
        graphs["top-level"].setdefault((a,), set()).add((b,))
    print("top-level modules (a -> what it uses):")
    for a in sorted({a for a, _ in top}):
        print(f"  {a:9} -> {', '.join(sorted(b for x, b in top if x == a))}")
    if "--files" in sys.argv:
        for a, b in sorted(file_edges):
            print(f"  {name(a)} -> {name(b)}")
    failed = False
    for kind, graph in graphs.items():
        found = cycle(graph)
        if found:
            print(f"{kind} import cycle: {' -> '.join(name(m) for m in found)}", file=sys.stderr)
            failed = True
    print(f"{len(file_edges)} file-level edges, {len(top)} top-level edges: " + ("CYCLE" if failed else "no cycle"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
