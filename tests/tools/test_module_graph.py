"""Unit tests of scripts/module-graph.py: `use` trees, the module tree (`#[path]`, inline modules),
which paths count as uses, and the cycles reported. Each test writes a small crate to a temp dir.

    .venv/bin/python -m pytest -q tests/tools
"""

import importlib.util
import textwrap
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "module-graph.py"
_spec = importlib.util.spec_from_file_location("module_graph", SCRIPT)
graph = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(graph)


def crate(tmp_path, files):
    """Writes {relative path: source} under tmp_path; returns the modules read from lib.rs."""
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    modules, problems = graph.read_crate(tmp_path / "lib.rs")
    assert problems == []
    return modules


def file_edges(tmp_path, modules):
    """{(from file, to file)} relative to tmp_path."""
    rel = lambda m: modules[m].file.relative_to(tmp_path).as_posix()
    return {(rel(a), rel(b)) for a, b in graph.edges(modules)}


@pytest.mark.parametrize(
    "tree, paths",
    [
        ("crate::a", ["crate::a"]),
        ("crate::a::{b, c}", ["crate::a::b", "crate::a::c"]),
        ("super::a::{b, c::{d, e as f}, g::*}", ["super::a::b", "super::a::c::d", "super::a::c::e as f", "super::a::g::*"]),
        ("crate::{a::{self, B}, c}", ["crate::a::self", "crate::a::B", "crate::c"]),
        ("crate::a::{b,}", ["crate::a::b"]),
        ("crate::a::{}", []),
    ],
)
def test_expand(tree, paths):
    assert graph.expand(tree) == paths


@pytest.mark.parametrize(
    "path, bound",
    [
        ("crate::a::B", ("B", ["crate", "a", "B"])),
        ("crate::a::self", ("a", ["crate", "a"])),
        ("super::a::B as C", ("C", ["super", "a", "B"])),
        ("crate::a::Trait as _", (None, ["crate", "a", "Trait"])),
        ("super::*", (None, ["super"])),
        ("$crate::a::B", ("B", ["crate", "a", "B"])),
    ],
)
def test_binding(path, bound):
    assert graph.binding(path) == bound


def test_tokens_skip_comments_strings_and_chars():
    source = 'a /* crate::x /* nested */ crate::y */ "crate::z \\" crate::w" r#"crate::v"# \'"\' b\'x\' \'life // c\nb'
    kinds = [(k, v) for k, v, _ in graph.tokens(source)]
    assert kinds == [
        ("ident", "a"),
        ("string", 'crate::z " crate::w'),
        ("string", "crate::v"),
        ("ident", "b"),
    ]
    assert graph.tokens("a\n/* x\n y */\n\"s\ns\"\nb")[-1] == ("ident", "b", 6)


def test_path_attribute_and_nested_modules(tmp_path):
    modules = crate(
        tmp_path,
        {
            "lib.rs": """
                pub mod a;
                #[path = "elsewhere/b_impl.rs"]
                pub mod b;
            """,
            "a.rs": """
                mod c;
                #[cfg(test)]
                #[path = "a_tests.rs"]
                mod tests;
            """,
            "a/c.rs": "",
            "a_tests.rs": "use super::*;",
            "elsewhere/b_impl.rs": "mod d;",
            "elsewhere/d.rs": "",
        },
    )
    files = {m: modules[m].file.relative_to(tmp_path).as_posix() for m in modules}
    assert files == {
        (): "lib.rs",
        ("a",): "a.rs",
        ("a", "c"): "a/c.rs",
        ("a", "tests"): "a_tests.rs",
        ("b",): "elsewhere/b_impl.rs",
        ("b", "d"): "elsewhere/d.rs",
    }


def test_inline_modules(tmp_path):
    modules = crate(
        tmp_path,
        {
            "lib.rs": """
                pub mod a;
                pub mod b;
            """,
            "a.rs": """
                pub mod inner {
                    pub mod deeper;
                    pub fn f() { super::super::b::g() }
                }
                #[cfg(test)]
                mod tests {
                    use crate::b::h;
                }
            """,
            "a/inner/deeper.rs": "",
            "b.rs": "pub fn g() {}\npub fn h() {}",
        },
    )
    assert ("a", "inner") in modules and ("a", "tests") not in modules
    assert modules[("a", "inner", "deeper")].file == tmp_path / "a/inner/deeper.rs"
    # The inline module's use is its file's; the test module's is left out.
    assert file_edges(tmp_path, modules) == {("a.rs", "b.rs")}


def test_paths_in_code_count_not_only_use_lines(tmp_path):
    modules = crate(
        tmp_path,
        {
            "lib.rs": "pub mod a; pub mod b; pub mod c; pub mod d; pub mod e;",
            "a.rs": "fn f() { let _ = crate::b::g(); }",
            "b.rs": "pub fn g() {}\n// crate::c::x in a comment\nconst S: &str = \"crate::d::y\";",
            "c.rs": "pub struct X { f: super::e::Y }",
            "d.rs": "use super::e;\nfn f() -> e::Y { todo!() }",
            "e.rs": "pub struct Y;",
        },
    )
    assert file_edges(tmp_path, modules) == {("a.rs", "b.rs"), ("c.rs", "e.rs"), ("d.rs", "e.rs")}


def test_reexports_are_followed_and_ancestors_are_not_edges(tmp_path):
    modules = crate(
        tmp_path,
        {
            "lib.rs": "pub mod m; pub mod other;",
            "m/mod.rs": """
                mod inner;
                pub use inner::Thing;
                pub struct Own;
            """,
            "m/inner.rs": "use super::Own;\npub struct Thing;",
            "other.rs": "use crate::m::Thing;\nuse crate::m::Own;",
        },
    )
    assert file_edges(tmp_path, modules) == {
        ("m/mod.rs", "m/inner.rs"),  # the re-export
        ("other.rs", "m/inner.rs"),  # Thing is defined in inner.rs
        ("other.rs", "m/mod.rs"),
    }  # inner.rs reading its parent's Own is no edge


def test_cycles_between_files_of_one_folder(tmp_path):
    modules = crate(
        tmp_path,
        {
            "lib.rs": "pub mod m;",
            "m/mod.rs": "pub mod a; pub mod b; pub mod c;",
            "m/a.rs": "use super::b::B;\npub struct A;",
            "m/b.rs": "pub struct B(super::a::A);\nfn f() { super::c::g() }",
            "m/c.rs": "pub fn g() { let _ = crate::m::a::A; }",
        },
    )
    graph_ = {}
    for a, b in file_edges(tmp_path, modules):
        graph_.setdefault(a, set()).add(b)
    assert graph.cycles(graph_) == [
        ["m/a.rs", "m/b.rs", "m/a.rs"],
        ["m/a.rs", "m/b.rs", "m/c.rs", "m/a.rs"],
    ]
    assert graph.cycles({"a": {"b"}, "b": {"c"}}) == []


def test_exit_code_enforced_and_report_only(tmp_path, capsys):
    crate(tmp_path, {"lib.rs": "pub mod a; pub mod b;", "a.rs": "use crate::b::B; pub struct A;", "b.rs": "use crate::a::A; pub struct B;"})
    assert graph.main([str(tmp_path)]) == 1
    assert graph.main(["--report-only", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "file cycle: a.rs -> b.rs -> a.rs" in out
    assert "top-level cycle: a -> b -> a" in out
    assert "not yet enforced" in out
