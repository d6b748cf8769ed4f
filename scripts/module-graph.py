#!/usr/bin/env python3
"""Prints each crate's module graph (which file uses an item of which) and fails when an enforced
crate has an import cycle, between files or between top-level modules.

    python3 scripts/module-graph.py src fakes/src --report-only proxy/src
    python3 scripts/module-graph.py --files src     # also print every file-level edge

Each argument is a crate root (`lib.rs`, `main.rs`, a `bin/…` file) or a folder holding them: a
folder stands for its `lib.rs`, its `main.rs`, and every `bin/*.rs` and `bin/*/main.rs`. Without
arguments every crate of the workspace is checked and enforced (src, fakes/src, proxy/src).
`--report-only DIR` checks the crates of DIR and prints their cycles but does not fail on them:
for a crate whose cycles are known and being fixed.

The module tree is read from `mod` declarations from each root down, as rustc reads it: `mod x;`
(with `#[path = "…"]`) and inline `mod x { … }`. An inline `#[cfg(test)] mod tests { … }` is left
out (a test may use anything); a test module in a file of its own is a module like any other.

An edge is any path to an item of the crate: a `use` line, and any `crate::…`, `super::…`,
`self::…` path in the code, or one that starts with a name brought in by `use` or with a child
module. A path to an item that a module re-exports (`pub use other::Item`) is followed to the file
that defines it. Comments and string literals are not read.
"""
import argparse
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
WORKSPACE = ["src", "fakes/src", "proxy/src"]

# ---------------------------------------------------------------------------------------------
# Tokens


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<line_comment>//[^\n]*)
  | (?P<block_comment>/\*)
  | (?P<raw_string>(?:b|c)?r(?P<hashes>\#*)")
  | (?P<string>(?:b|c)?"(?:\\.|[^"\\])*")
  | (?P<char>b?'(?:\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F_]{1,6}\}|.)|[^'\\\n])')
  | (?P<lifetime>'(?:r\#)?[A-Za-z_][A-Za-z0-9_]*)
  | (?P<ident>(?:r\#)?[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>[0-9][0-9A-Za-z_]*)
  | (?P<path_sep>::)
  | (?P<punct>.)
    """,
    re.X | re.S,
)


def tokens(text):
    """The tokens of Rust source that matter here, as `(kind, value, line)`: kind is "ident",
    "string" (value: its contents, unescaped as far as a path needs), or "punct" (`::` is one)."""
    out, pos, line = [], 0, 1
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        kind = m.lastgroup if m.lastgroup != "hashes" else "raw_string"
        end = m.end()
        if m.group("block_comment"):
            depth, end = 1, m.end()
            while depth and end < len(text):
                if text.startswith("/*", end):
                    depth, end = depth + 1, end + 2
                elif text.startswith("*/", end):
                    depth, end = depth - 1, end + 2
                else:
                    end += 1
        elif m.group("raw_string"):
            close = '"' + m.group("hashes")
            found = text.find(close, m.end())
            end = len(text) if found < 0 else found + len(close)
            out.append(("string", text[m.end() : max(found, m.end())], line))
        elif kind == "string":
            body = m.group("string")
            out.append(("string", body[body.index('"') + 1 : -1].replace('\\"', '"').replace("\\\\", "\\"), line))
        elif kind == "ident":
            out.append(("ident", m.group("ident").removeprefix("r#"), line))
        elif kind in ("path_sep", "punct"):
            out.append(("punct", m.group(kind), line))
        line += text.count("\n", pos, end)
        pos = end
    return out


# ---------------------------------------------------------------------------------------------
# `use` trees


def expand(tree):
    """`a::{b, c::{d, e}}` → [`a::b`, `a::c::d`, `a::c::e`]."""
    tree = tree.strip()
    depth, start = 0, None
    for i, ch in enumerate(tree):
        if ch == "{":
            if depth == 0:
                start = i
                break
            depth += 1
    if start is None:
        return [tree] if tree else []
    prefix, inner = tree[:start], tree[start + 1 : tree.rindex("}")]
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


def binding(path):
    """What `use <path>` brings into scope: `(name or None, segments)`; the name is None for a glob
    (`a::*`) and for `as _`. `a::b::{self}` binds `b`."""
    path, _, alias = path.partition(" as ")
    segments = [s.strip() for s in path.split("::") if s.strip()]
    if segments and segments[0] == "$crate":
        segments[0] = "crate"
    if len(segments) > 1 and segments[-1] == "self":
        segments = segments[:-1]
    if segments and segments[-1] == "*":
        return None, segments[:-1]
    name = alias.strip() or (segments[-1] if segments else None)
    return (None if name == "_" else name), segments


# ---------------------------------------------------------------------------------------------
# Modules


class Module:
    def __init__(self, path, file):
        self.path = path  # from the crate root: ("chat", "conversation")
        self.file = file  # the file it is written in (an inline module: its parent's file)
        self.children = {}  # name → module path
        self.imports = {}  # name → segments, from `use`
        self.globs = []  # segments of each `use …::*`
        self.items = set()  # names of the items it defines
        self.uses = []  # (segments, line, text): every path it names
        self.dir = None  # where its `mod x;` children are found
        self.path_dir = None  # where its `#[path]` children are found


ITEM_KEYWORDS = {"fn", "struct", "enum", "trait", "type", "const", "static", "union"}


def _attribute(toks, i):
    """The attribute starting at toks[i] (`#`): (index after it, "test" | ("path", p) | None)."""
    j = i + 1
    if j < len(toks) and toks[j][1] == "!":
        j += 1
    if j >= len(toks) or toks[j][1] != "[":
        return i + 1, None
    depth, k = 0, j
    while k < len(toks):
        depth += toks[k][1] == "["
        depth -= toks[k][1] == "]"
        k += 1
        if depth == 0:
            break
    body = [t[1] for t in toks[j + 1 : k - 1]]
    if body == ["cfg", "(", "test", ")"]:
        return k, "test"
    if len(body) == 3 and body[:2] == ["path", "="] and toks[j + 3][0] == "string":
        return k, ("path", body[2])
    return k, None


def _skip_block(toks, i):
    """The index after the `{ … }` block that opens at toks[i]."""
    depth = 0
    while i < len(toks):
        depth += toks[i][1] == "{"
        depth -= toks[i][1] == "}"
        i += 1
        if depth == 0:
            break
    return i


def parse_file(modules, module, problems):
    """Reads module.file: its items, `use`s, paths and child modules (files read in turn)."""
    toks = tokens(module.file.read_text())
    stack = [(module, 0)]  # (module, brace depth its body is at)
    depth, attrs, i = 0, [], 0
    declared = []  # (parent module, name, #[path] or None)
    while i < len(toks):
        kind, value, line = toks[i]
        current = stack[-1][0]
        at_module_level = depth == stack[-1][1]
        if value == "#":
            i, attr = _attribute(toks, i)
            if attr:
                attrs.append(attr)
            continue
        if kind == "ident" and value == "mod" and i + 2 < len(toks) and toks[i + 1][0] == "ident":
            name, after = toks[i + 1][1], toks[i + 2][1]
            path_attr = next((a[1] for a in attrs if isinstance(a, tuple)), None)
            if after == ";":
                declared.append((current, name, path_attr))
                i += 3
            elif after == "{":
                if "test" in attrs and name == "tests":
                    i = _skip_block(toks, i + 2)
                else:
                    child = Module(current.path + (name,), current.file)
                    # Children of an inline module sit in a folder named after it, below the
                    # folder its parent's children sit in (rustc's rule, `#[path]` ones too).
                    child.dir = current.dir / name
                    child.path_dir = current.dir / name
                    current.children[name] = child.path
                    modules[child.path] = child
                    depth += 1
                    stack.append((child, depth))
                    i += 3
            else:
                i += 1
            attrs = []
            continue
        if value in ("{", "}", ";"):
            if value == "{":
                depth += 1
            elif value == "}":
                depth -= 1
                if depth < stack[-1][1]:
                    stack.pop()
            attrs = []
            i += 1
            continue
        if kind == "ident" and value == "use":
            j, text = i + 1, ""
            while j < len(toks) and toks[j][1] != ";":
                text += f" {toks[j][1]} " if toks[j][1] == "as" else toks[j][1]
                j += 1
            for used in expand(text):
                name, segments = binding(used)
                if not segments:
                    continue
                if name is None and used.rstrip().endswith("*"):
                    current.globs.append(segments)
                elif name:
                    current.imports[name] = segments
                current.uses.append((segments, line, f"use {used.strip().removesuffix('::self')}"))
            i, attrs = j + 1, []
            continue
        if kind == "ident" and value == "pub" and i + 2 < len(toks) and toks[i + 1][1] == "(" and toks[i + 2][1] == "in":
            while i < len(toks) and toks[i][1] != ")":  # pub(in crate::a): a visibility, not a use
                i += 1
            continue
        if at_module_level and kind == "ident" and value in ITEM_KEYWORDS and i + 1 < len(toks) and toks[i + 1][0] == "ident":
            current.items.add(toks[i + 1][1])
        if at_module_level and value == "macro_rules" and i + 2 < len(toks) and toks[i + 1][1] == "!":
            current.items.add(toks[i + 2][1])
        if kind == "ident" or (value == "$" and i + 1 < len(toks) and toks[i + 1][1] == "crate"):
            prev = toks[i - 1][1] if i else ""
            j, segments = i, []
            if value == "$":
                j += 1
            while j < len(toks) and toks[j][0] == "ident":
                segments.append(toks[j][1])
                if j + 2 < len(toks) and toks[j + 1][1] == "::" and toks[j + 2][0] == "ident":
                    j += 2
                else:
                    j += 1
                    break
            if len(segments) > 1 and prev not in ("::", ".") and segments[0] not in ("Self",):
                current.uses.append((segments, line, "::".join(segments)))
                i = j
                continue
        i += 1
    for parent, name, path_attr in declared:
        if path_attr is not None:
            file = parent.path_dir / path_attr
        else:
            file = next((f for f in (parent.dir / f"{name}.rs", parent.dir / name / "mod.rs") if f.is_file()), None)
        if file is None or not file.is_file():
            problems.append(f"{parent.file}: `mod {name};` has no file")
            continue
        child = Module(parent.path + (name,), file)
        # A mod.rs (or a file given by `#[path]`) keeps its children beside it; `a.rs` in `a/`.
        beside = file.name == "mod.rs" or path_attr is not None
        child.dir = file.parent if beside else file.parent / file.stem
        child.path_dir = file.parent
        parent.children[name] = child.path
        modules[child.path] = child
        parse_file(modules, child, problems)


def read_crate(root):
    """The modules of the crate whose root file is `root`, by module path."""
    crate = Module((), root)
    crate.dir = crate.path_dir = root.parent
    modules, problems = {(): crate}, []
    parse_file(modules, crate, problems)
    return modules, problems


# ---------------------------------------------------------------------------------------------
# Resolving paths


def absolute(modules, module, segments, depth=0):
    """`segments`, named in `module`, as a path from the crate root; None when outside the crate."""
    if depth > 16 or not segments:
        return None
    first, rest = segments[0], list(segments[1:])
    if first == "crate":
        return rest
    if first == "self":
        return list(module.path) + rest
    if first == "super":
        base = list(module.path[:-1])
        while rest and rest[0] == "super":
            base, rest = base[:-1], rest[1:]
        return base + rest
    if first in module.children:
        return list(module.path) + segments
    if first in module.imports and module.imports[first] != segments[:1]:
        head = absolute(modules, module, module.imports[first], depth + 1)
        return None if head is None else head + rest
    for glob in module.globs:
        base = absolute(modules, module, glob, depth + 1)
        target = modules.get(tuple(base)) if base is not None else None
        if target and target is not module and _names(target, first):
            return list(target.path) + segments
    return None


def _names(module, name):
    return name in module.items or name in module.children or name in module.imports


def locate(modules, path, depth=0):
    """The module that defines what `path` (from the crate root) names, following re-exports."""
    for n in range(len(path), -1, -1):
        if tuple(path[:n]) in modules:
            module, rest = modules[tuple(path[:n])], path[n:]
            break
    if rest and depth < 16 and rest[0] not in module.items:
        if rest[0] in module.imports:
            again = absolute(modules, module, module.imports[rest[0]])
            if again is not None:
                return locate(modules, again + rest[1:], depth + 1)
        for glob in module.globs:
            base = absolute(modules, module, glob)
            target = modules.get(tuple(base)) if base is not None else None
            if target and target is not module and _names(target, rest[0]):
                return locate(modules, list(target.path) + rest, depth + 1)
    return module


def edges(modules):
    """{(from module, to module): (line, text) of the first use}, between different files, to
    other than the module's own ancestors."""
    found = {}
    for module in modules.values():
        for segments, line, text in module.uses:
            path = absolute(modules, module, segments)
            if path is None:
                continue
            to = locate(modules, path)
            # A module reads what its ancestors define (`super::…`) as part of itself: the parent
            # that declares it is not "used" by it. What a parent re-exports from a sibling is.
            ancestor = module.path[: len(to.path)] == to.path
            if to.file != module.file and not ancestor and (module.path, to.path) not in found:
                found[(module.path, to.path)] = (line, text)
    return found


# ---------------------------------------------------------------------------------------------
# Cycles


def components(graph):
    """Strongly connected components of more than one node (Tarjan), each sorted."""
    index, low, on, stack, out = {}, {}, set(), [], []
    nodes = sorted(set(graph) | {b for bs in graph.values() for b in bs})

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
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
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in nodes:
        if v not in index:
            visit(v)
    return sorted(out)


def cycles(graph):
    """The cycles of `graph`, each as [a, b, …, a] starting at its least node: for every edge that
    lies on a cycle, the shortest cycle through it (so each edge to cut shows up), without repeats."""
    found = []
    for comp in components(graph):
        members = set(comp)
        for a in comp:
            for b in sorted(graph.get(a, ()) & members):
                back = _shortest(graph, members, b, a)
                cycle = [a, *back]
                least = cycle.index(min(cycle[:-1]))
                cycle = cycle[least:-1] + cycle[:least] + [cycle[least]]
                if cycle not in found:
                    found.append(cycle)
    return sorted(found, key=lambda c: (len(c), c))


def _shortest(graph, members, start, goal):
    """The shortest path start → … → goal inside `members` (breadth first, ties by name)."""
    previous, queue = {start: None}, [start]
    for node in queue:
        if node == goal:
            break
        for nxt in sorted(graph.get(node, ())):
            if nxt in members and nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    path, node = [], goal
    while node is not None:
        path.append(node)
        node = previous[node]
    return path[::-1]


# ---------------------------------------------------------------------------------------------
# Report


def crate_roots(arg):
    path = (ROOT / arg) if not pathlib.Path(arg).is_absolute() else pathlib.Path(arg)
    if path.is_file():
        return [path]
    roots = [path / "lib.rs", path / "main.rs", *sorted((path / "bin").glob("*.rs"))]
    roots += sorted((path / "bin").glob("*/main.rs"))
    return [r for r in roots if r.is_file()]


def check(root, show_files):
    """Prints the crate's graph and cycles; returns (file-level cycles, top-level cycles)."""
    modules, problems = read_crate(root)
    # Files are named from the folder the crate was found in (proxy/src for its bin/ crates too).
    base = next((p.parent for p in root.parents[:2] if p.name == "bin"), root.parent)
    files = lambda m: str(modules[m].file.relative_to(base))
    label = str(root.relative_to(ROOT)) if root.is_relative_to(ROOT) else str(root)
    found = edges(modules)
    file_graph, file_evidence = {}, {}
    for (a, b), evidence in sorted(found.items()):
        fa, fb = files(a), files(b)
        file_graph.setdefault(fa, set()).add(fb)
        file_evidence.setdefault((fa, fb), (a, evidence))
    top = {}
    for (a, b), evidence in sorted(found.items()):
        if a and b and a[0] != b[0]:
            top.setdefault((a[0], b[0]), (a, evidence))
    top_graph = {}
    for a, b in top:
        top_graph.setdefault(a, set()).add(b)

    n_files = len({m.file for m in modules.values()})
    print(f"\n== {label}: {n_files} files, {len(file_evidence)} file-level edges, {len(top)} top-level edges")
    for problem in problems:
        print(f"  warning: {problem}")
    if top_graph:
        print("top-level modules (a -> what it uses):")
        width = max(len(a) for a in top_graph)
        for a in sorted(top_graph):
            print(f"  {a:{width}} -> {', '.join(sorted(top_graph[a]))}")
    if show_files:
        print("file-level edges:")
        for a, b in sorted(file_evidence):
            print(f"  {a} -> {b}")

    def show(kind, cycle, evidence):
        print(f"{kind} cycle: {' -> '.join(cycle)}")
        for a, b in zip(cycle, cycle[1:]):
            module, (line, text) = evidence[(a, b)]
            print(f"    {a} -> {b}: {modules[module].file.relative_to(base)}:{line} `{text}`")

    file_cycles, top_cycles = cycles(file_graph), cycles(top_graph)
    for cycle in file_cycles:
        show("file", cycle, file_evidence)
    for cycle in top_cycles:
        show("top-level", cycle, top)
    return len(file_cycles), len(top_cycles)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("crates", nargs="*", help="crate roots or folders of crate roots (enforced)")
    parser.add_argument("--report-only", action="append", default=[], metavar="DIR",
                        help="crate roots or folders whose cycles are printed but do not fail (yet)")
    parser.add_argument("--files", action="store_true", help="also print every file-level edge")
    args = parser.parse_args(argv)
    enforced = args.crates or ([] if args.report_only else WORKSPACE)
    failed = False
    summary = []
    for arg, enforce in [(a, True) for a in enforced] + [(a, False) for a in args.report_only]:
        roots = crate_roots(arg)
        if not roots:
            print(f"{arg}: no crate root (lib.rs, main.rs, bin/) found", file=sys.stderr)
            failed = True
        for root in roots:
            n_file, n_top = check(root, args.files)
            label = root.relative_to(ROOT) if root.is_relative_to(ROOT) else root
            verdict = f"{n_file} file-level cycles, {n_top} top-level cycles"
            if not n_file and not n_top:
                verdict = "no cycle"
            elif enforce:
                verdict += ": CYCLE"
                failed = True
            else:
                verdict += ": not yet enforced (reported, does not fail)"
            summary.append(f"  {label}: {verdict}")
    print("\nmodule graph:")
    print("\n".join(summary))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
