"""Staffing sits above sow: no app below it (nor salesforce beside them) imports staffing, at the top
of a module or inside a function, and their templates neither link to staffing pages nor include
staffing templates. Staffing reaches their pages through core/panels."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
BELOW = ["core", "people", "engagements", "salesforce", "scoping", "sow"]


def _staffing_imports(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        else:
            continue
        found += [
            f"{path.relative_to(root)}:{node.lineno} {name}"
            for name in names
            if name.split(".")[0] == "staffing"
        ]
    return found


@pytest.mark.parametrize("app", BELOW)
def test_apps_below_staffing_never_import_it(app):
    sources = [p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]
    assert sources
    assert [line for path in sources for line in _staffing_imports(path)] == []


@pytest.mark.parametrize("app", BELOW)
def test_templates_below_staffing_never_use_its_pages_or_templates(app):
    uses = re.compile(r"""\{%\s*(url\s+['"]staffing:|(include|extends)\s+['"]staffing/)""")
    hits = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in (ROOT / "templates" / app).rglob("*.html")
        for match in uses.finditer(path.read_text(encoding="utf-8"))
    ]
    assert hits == []


def test_the_import_check_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "probe.py"
    module.write_text("def f():\n    from staffing import services\n    import staffing.models\n")
    assert _staffing_imports(module, tmp_path) == ["probe.py:2 staffing", "probe.py:3 staffing.models"]
