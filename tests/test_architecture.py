"""How clskit is built: a short top level, no import cycle, imports run one way through the layers, no module too long.

The import graph is read from the source with ``ast`` (every ``import``, including the lazy ones
inside functions), so a cycle that only bites when a function runs is caught too.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "clskit"
MAX_LINES = 460  # "about 450": split a module along its ideas before it grows past this

# The top level of clskit is a short list of concepts (docs/DEVELOPING.md draws it). Data flows
# datasets -> inference (the one loop) -> models -> training -> metrics -> views, and the course (the
# lesson helpers and the exercises) sits on top: a module imports only from its own layer or layers to
# its left. Every module of the package is in exactly one layer, by its longest dotted prefix.
LAYERS = [
    {"utils", "stats", "doctor", "__main__"},
    {"datasets"},                              # incl. datasets.transforms
    {"inference"},                             # the loop: imports only utils; everything right runs through it
    {"models"},                                # incl. models.features
    {"checks", "training"},                    # the Learner, callbacks, losses, checkpoints, distributed runs
    {"metrics", "interpret"},                  # incl. metrics.tuning (threshold tuning next to the thresholds)
    {"inference.predict"},                     # a saved model on your own photos (reads, rebuilds, checks)
    {"views"},                                 # displays, PNGs, history and projection plots, the widgets
    {"lessons", "exercises"},                  # the course: may import any layer, and no layer imports it
]
# The few imports that go right, each for a reason (both lazy, inside a function):
ALLOWED_RIGHTWARD = {
    ("clskit.training.learner", "clskit.metrics"),                        # Learner(metrics=("accuracy",)) resolves names
    ("clskit.training.callbacks.progress", "clskit.views.widgets.curves"),  # LiveCurvesCB's default view
}
TOP_LEVEL = {"__init__.py", "__main__.py", "checks.py", "data", "datasets", "doctor.py", "exercises", "inference",
             "interpret", "lessons", "metrics", "models", "stats.py", "training", "utils.py", "views"}


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
    """The layer of ``clskit.a.b.c``: that of its longest prefix ``a.b.c``, ``a.b`` or ``a`` named in LAYERS."""
    parts = module.split(".")[1:]
    for k in range(len(parts), 0, -1):
        prefix = ".".join(parts[:k])
        for i, names in enumerate(LAYERS):
            if prefix in names:
                return i
    return None


def test_the_graph_reader_sees_lazy_imports_and_cycles():
    g = import_graph()
    assert "clskit.training.callbacks" in g["clskit.training.learner"] or "clskit.training.callbacks.core" in g["clskit.training.learner"]
    assert "clskit.training.checkpoint" in g["clskit.training.learner"]                 # imported inside Learner.save
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


def test_every_module_is_in_a_layer():
    assert _layer("clskit.inference.predict") == 6 and _layer("clskit.inference") == 2
    assert _layer("clskit.views.widgets.cam") == 7 and _layer("clskit.lessons.transfer.probe") == len(LAYERS) - 1
    homeless = sorted(m for m in import_graph() if m != "clskit" and _layer(m) is None)
    assert homeless == [], "modules in no layer (add them to LAYERS, or move them): " + ", ".join(homeless)


def test_the_top_level_is_a_short_list_of_concepts():
    entries = {p.name for p in PKG.iterdir() if not p.name.startswith((".", "_")) or p.name in ("__init__.py", "__main__.py")}
    entries -= {"__pycache__"}
    assert entries == TOP_LEVEL, "the top level of clskit changed: update TOP_LEVEL and docs/DEVELOPING.md's drawing"


def test_nothing_below_the_course_imports_it():
    course = len(LAYERS) - 1
    wrong = [f"{src} -> {dst}" for src, targets in import_graph().items() for dst in targets
             if src != "clskit" and _layer(src) != course and _layer(dst) == course]
    assert not wrong, "a layer imports a lesson helper or an exercise: " + ", ".join(sorted(wrong))


def test_registries_import_none_of_the_modules_that_register():
    g = import_graph()
    assert g["clskit.models.registry"] <= {"clskit.models.heads", "clskit.models.hub"}
    assert g["clskit.datasets.registry"] == set()


@pytest.mark.parametrize("path", sorted(p for p in PKG.rglob("*.py")), ids=lambda p: str(p.relative_to(PKG)))
def test_no_module_is_too_long(path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, (f"{path.relative_to(PKG.parent)} has {n} lines (more than about {MAX_LINES}); "
                            "split it along the ideas it holds (see docs/DEVELOPING.md)")
