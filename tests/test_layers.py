"""Imports run one way: no circle between modules or subpackages, storage at the bottom.

The graph is read from the source with ``ast``: every ``import`` counts, also those inside
functions; only imports under ``if TYPE_CHECKING:`` are left out (they never run).
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "loadmaster"
#: The layers, lowest first; a package may import only from its own layer or below it.
LAYERS = (
    {"errors", "models", "settings", "names", "wording", "net_rules", "package"},
    {"storage"},
    {"formats"},
    {"auth"},
    {"query"},
    {"sql"},
    {"jobs"},
    {"actors"},
    {"operations"},
    {"instance"},
    {"server"},
    {"client"},
    {"cli", "__init__", "__main__"},
)
MAX_LINES = 450


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            yield from (
                name for child in node.orelse for name in _imports(child, module, is_package)
            )
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            submodules = [f"{base}.{alias.name}" for alias in node.names]
            # ``from loadmaster import wording`` runs what ``import loadmaster.wording`` runs:
            # the top package's __init__ runs before any of its modules, so it is no edge.
            if base != PACKAGE.name or not all(_is_module(name) for name in submodules):
                yield base
            yield from submodules
        yield from _imports(node, module, is_package)


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        targets = set(_imports(tree, name, path.name == "__init__.py"))
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _layer(part: str) -> int:
    for index, layer in enumerate(LAYERS):
        if part in layer:
            return index
    raise AssertionError(f"loadmaster.{part} is in no layer of tests/test_layers.py")


GRAPH = _graph()


def test_no_circle_between_modules() -> None:
    # A package's __init__ re-exports its modules; an import of the package itself is an
    # import of its surface, so edges into an __init__ from inside its package are skipped.
    graph = {
        source: {t for t in targets if not source.startswith(f"{t}.")}
        for source, targets in GRAPH.items()
    }
    assert _cycle(graph) is None


def test_no_circle_between_subpackages() -> None:
    parts: dict[str, set[str]] = {}
    for source, targets in GRAPH.items():
        parts.setdefault(_part(source), set()).update(
            _part(t) for t in targets if _part(t) != _part(source)
        )
    assert _cycle(parts) is None


@pytest.mark.parametrize("source", sorted(m for m in GRAPH if m != "loadmaster"))
def test_imports_go_down(source: str) -> None:
    here = _layer(_part(source))
    upward = sorted(t for t in GRAPH[source] if _layer(_part(t)) > here)
    assert upward == [], f"{source} imports from a higher layer"


def test_storage_imports_only_leaf_modules() -> None:
    for source, targets in GRAPH.items():
        if _part(source) == "storage":
            assert {_part(t) for t in targets} <= {"storage", *LAYERS[0]}, source


def test_the_core_never_reaches_the_server() -> None:
    seen: set[str] = set()
    pending = ["loadmaster.instance"]
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        seen.add(module)
        # The package __init__ wires the server in; it is not reached from the core.
        pending.extend(t for t in GRAPH[module] if t != "loadmaster")
    assert sorted(m for m in seen if _part(m) == "server") == []


def test_every_module_is_short() -> None:
    long = {
        _module_name(p): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_every_subpackage_says_what_it_offers() -> None:
    for init in PACKAGE.glob("*/__init__.py"):
        assert ast.get_docstring(ast.parse(init.read_text())), init
