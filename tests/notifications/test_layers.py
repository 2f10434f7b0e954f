"""notifications sits low in the layers: it may use core and people, and nothing above them."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ABOVE = {"engagements", "salesforce", "scoping", "sow", "staffing", "forecasting", "api", "config"}


def test_notifications_imports_nothing_above_it():
    found = []
    for path in (ROOT / "notifications").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            found += [f"{path.name}: {name}" for name in names if name.split(".")[0] in ABOVE]
    assert found == []
