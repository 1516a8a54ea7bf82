"""The layout's invariants, read from the source: imports run one way down the pipeline
(docs/architecture.md), no module imports ui.py, and no two modules import each other,
even lazily inside a function."""

import ast
from pathlib import Path

import pytest

from conftest import ROOT

# Stages in pipeline order; a module may import its own stage and the ones before it.
STAGES = [{"config", "errors", "text", "embeddings", "plugins"}, {"ingest"}, {"index"}, {"retrieve"},
          {"understand"}, {"compose"}, {"evaluation", "corpus_eval"}, {"serve"}]


def _level(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "rag" or len(parts) < 2:
        return None
    return next(i for i, names in enumerate(STAGES) if parts[1] in names)


def _modules() -> dict[str, Path]:
    out = {}
    for path in (ROOT / "rag").rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def _imports(path: Path) -> list[tuple[str, int]]:
    """Every absolute import in the file (at any depth), as module names."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "rag" or node.module.startswith("rag.") and any(
                    f"{node.module}.{a.name}" in _modules() for a in node.names):
                out += [(f"{node.module}.{a.name}", node.lineno) for a in node.names
                        if f"{node.module}.{a.name}" in _modules()]
            else:
                out.append((node.module, node.lineno))
    return out


MODULES = _modules()


def test_every_module_belongs_to_a_stage():
    for name in MODULES:
        if name not in ("rag", "rag.__main__"):
            assert _level(name) is not None, name


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n not in ("rag", "rag.__main__")))
def test_imports_run_down_the_pipeline(name):
    level = _level(name)
    upward = [f"line {line}: {target}" for target, line in _imports(MODULES[name])
              if _level(target) is not None and _level(target) > level]
    assert not upward, f"{name} imports a later stage: {upward}"


def test_nothing_in_rag_imports_ui():
    for name, path in MODULES.items():
        assert not [t for t, _ in _imports(path) if t == "ui" or t.startswith("ui.")], name


def test_no_import_cycles():
    graph = {name: {t for t, _ in _imports(path) if t in MODULES and t != name}
             for name, path in MODULES.items()}
    for name in graph:  # a package's __init__ imports its modules: not a cycle with them
        graph[name] -= {n for n in graph if name.startswith(n + ".")}
    seen, on_path, cycles = set(), [], []

    def visit(node):
        on_path.append(node)
        for nxt in sorted(graph[node]):
            if nxt in on_path:
                cycles.append(on_path[on_path.index(nxt):] + [nxt])
            elif nxt not in seen:
                visit(nxt)
        on_path.pop()
        seen.add(node)

    for name in sorted(graph):
        if name not in seen:
            visit(name)
    assert not cycles, cycles
