"""The spine's rules, checked on the source: no import cycles, stages only import downwards, nothing outside
``targets/`` asks which kind of target it holds, every module small enough to read in one sitting."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 420


def _modules() -> dict[str, Path]:
    mods = {}
    for p in [*ROOT.glob("host_tools/**/*.py"), *ROOT.glob("converters/**/*.py")]:
        name = ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        mods[name] = p
    return mods


def import_graph(mods: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the project modules it imports anywhere in its body (lazy imports in functions included;
    ``if TYPE_CHECKING:`` blocks excluded: they never run)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in mods.items():
        tree = ast.parse(path.read_text())
        typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                       and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            found: list[str] = []
            if isinstance(node, ast.Import):
                found = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                subs = [f"{node.module}.{a.name}" for a in node.names]
                found = [s for s in subs if s in mods]
                if len(found) < len(subs):
                    found.append(node.module)
            graph[name].update(f for f in found if f in mods and f != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    assert cycles(import_graph(_modules())) == []


def test_stages_import_only_downwards() -> None:
    """converters and bench do not import each other; deploy and targets sit below bench."""
    graph = import_graph(_modules())
    forbidden = [("converters", "host_tools.bench"), ("host_tools.bench", "converters"),
                 ("host_tools.deploy", "host_tools.bench"), ("host_tools.targets", "host_tools.bench"),
                 ("host_tools.targets", "host_tools.deploy")]
    bad = [(a, b) for a, deps in graph.items() for b in deps for low, high in forbidden
           if (a == low or a.startswith(low + ".")) and (b == high or b.startswith(high + "."))]
    assert bad == []


def test_no_isinstance_on_targets_outside_targets() -> None:
    kinds = {"LocalTarget", "AdbTarget", "SshTarget", "Target"}
    bad = []
    for name, path in _modules().items():
        if name.startswith("host_tools.targets"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "isinstance" and len(node.args) == 2:
                classes = {getattr(n, "id", getattr(n, "attr", None)) for n in ast.walk(node.args[1])}
                if classes & kinds:
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert bad == []


def test_modules_are_small() -> None:
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in _modules().values()}
    assert {p: n for p, n in sizes.items() if n > MAX_LINES} == {}
