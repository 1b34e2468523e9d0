"""The sql package's public surface, and its layering (it never imports operations/ or server/)."""

import ast
from pathlib import Path

import loadmaster.sql

PACKAGE = Path(loadmaster.sql.__file__).parent


def test_public_surface() -> None:
    assert sorted(loadmaster.sql.__all__) == [
        "MISSING_SQL",
        "PreparedSql",
        "is_sql_search",
        "prepare_sql",
        "run_sql",
    ]
    for name in loadmaster.sql.__all__:
        assert hasattr(loadmaster.sql, name), name


def test_imports_run_one_way() -> None:
    for module in PACKAGE.glob("*.py"):
        tree = ast.parse(module.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(
                    ("loadmaster.operations", "loadmaster.server", "loadmaster.jobs")
                ), (module.name, node.module)
        assert len(module.read_text().splitlines()) < 400, module.name
