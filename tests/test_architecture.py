"""How clskit is built: no import cycle inside the package, imports run one way, no module too long.

The import graph is read from the source with ``ast`` (every ``import``, including the lazy ones
inside functions), so a cycle that only bites when a function runs is caught too.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "clskit"
MAX_LINES = 460  # "about 450": split a module along its ideas before it grows past this

# Data flows datasets -> transforms -> models -> learner (+ callbacks) -> metrics -> displays -> widgets:
# a module imports only from its own layer or layers to its left.
LAYERS = [
    {"utils", "checkpoint", "stats", "projection"},
    {"datasets"},
    {"transforms"},
    {"models", "features", "inference"},     # inference imports only utils: the model zoo, features and everything right run through it
    {"losses", "callbacks", "learner", "distributed", "checks"},
    {"metrics", "imbalance", "interpret"},
    {"displays", "plots", "png"},      # png: the one figure/array/gallery -> PNG renderer of displays and widgets
    {"widgets"},
]
# The modules in no layer (transfer, fewshot, shift, efficiency, ensemble, predict, exercises, ...) are
# applications: they may import any layer, and no layer imports them except the widgets (views over all).
# The few imports that go right, each for a reason (both lazy, inside a function):
ALLOWED_RIGHTWARD = {
    ("clskit.learner", "clskit.metrics"),                    # Learner(metrics=("accuracy",)) resolves names
    ("clskit.callbacks.progress", "clskit.widgets.curves"),  # LiveCurvesCB's default view
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_module(name: str) -> bool:
    p = PKG.parent / Path(*name.split("."))
    return p.with_suffix(".py").exists() or (p / "__init__.py").exists()


def import_graph() -> dict[str, set[str]]:
    """Module -> the clskit modules it imports (anywhere in its source)."""
    graph: dict[str, set[str]] = {}
    for path in sorted(PKG.rglob("*.py")):
        name = _module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = graph.setdefault(name, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.split(".")[0] == "clskit"]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[:len(base) - (node.level - 1)]
                    base = ".".join(base + ([node.module] if node.module else []))
                elif node.module and node.module.split(".")[0] == "clskit":
                    base = node.module
                else:
                    continue
                # `from . import x` and `from .pkg import submodule` point at the submodule itself
                subs = [f"{base}.{a.name}" for a in node.names if _is_module(f"{base}.{a.name}")]
                targets = subs if len(subs) == len(node.names) else [base] + subs
            else:
                continue
            for t in targets:
                while t and not _is_module(t):   # `import clskit.x.y` where y is a name
                    t = t.rpartition(".")[0]
                if t and t != name and t != "clskit":
                    edges.add(t)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if state.get(nxt) is None:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if state.get(node) is None:
            found = visit(node)
            if found:
                return found
    return None


def _layer(module: str) -> int | None:
    top = module.split(".")[1] if module.count(".") else None
    for i, names in enumerate(LAYERS):
        if top in names:
            return i
    return None


def test_the_graph_reader_sees_lazy_imports_and_cycles():
    g = import_graph()
    assert "clskit.callbacks" in g["clskit.learner"] or "clskit.callbacks.core" in g["clskit.learner"]
    assert "clskit.checkpoint" in g["clskit.learner"]                 # imported inside Learner.save
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_inside_clskit():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_imports_run_one_way_through_the_layers():
    wrong = []
    for src, targets in import_graph().items():
        for dst in targets:
            a, b = _layer(src), _layer(dst)
            if a is not None and b is not None and b > a and (src, dst) not in ALLOWED_RIGHTWARD:
                wrong.append(f"{src} -> {dst}")
    assert not wrong, "imports against the layer order: " + ", ".join(sorted(wrong))


def test_no_layer_imports_an_application_module():
    wrong = [f"{src} -> {dst}" for src, targets in import_graph().items() for dst in targets
             if _layer(src) is not None and _layer(src) < len(LAYERS) - 1 and _layer(dst) is None]
    assert not wrong, "a layer imports an application module: " + ", ".join(sorted(wrong))


def test_registries_import_none_of_the_modules_that_register():
    g = import_graph()
    assert g["clskit.models.registry"] <= {"clskit.models.heads", "clskit.models.hub"}
    assert g["clskit.datasets.registry"] == set()


@pytest.mark.parametrize("path", sorted(p for p in PKG.rglob("*.py")), ids=lambda p: str(p.relative_to(PKG)))
def test_no_module_is_too_long(path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, (f"{path.relative_to(PKG.parent)} has {n} lines (more than about {MAX_LINES}); "
                            "split it along the ideas it holds (see docs/DEVELOPING.md)")
