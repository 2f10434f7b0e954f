"""Import rules the layering depends on: no app below salesforce imports it, and the modules of the
sync and of SOW rendering import each other without a cycle, counting imports inside functions too
(so none can hide one)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BELOW_OR_BESIDE_SALESFORCE = ["core", "people", "engagements", "scoping", "sow", "staffing", "forecasting"]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources(*packages: str) -> dict[str, Path]:
    found = {}
    for package in packages:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


def _imports(path: Path, known: set[str]) -> set[str]:
    """Every project module this file imports, at the top or inside a function."""
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                targets.add(name)
    return targets


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in visiting:
            return [*visiting[visiting.index(node) :], node]
        if node in done:
            return None
        visiting.append(node)
        for target in sorted(graph.get(node, ())):
            if (found := visit(target)) is not None:
                return found
        visiting.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        if (found := visit(start)) is not None:
            return found
    return None


def test_no_app_below_salesforce_imports_it():
    offenders = [
        f"{name} imports {target}"
        for name, path in _sources(*BELOW_OR_BESIDE_SALESFORCE).items()
        for target in _imports(path, set(_sources("salesforce")))
    ]
    assert offenders == []


@pytest.mark.parametrize(
    "modules",
    [
        pytest.param(["salesforce", "engagements"], id="salesforce"),
        pytest.param(
            ["sow.services", "sow.pdf", "sow.tasks", "sow.margin", "sow.models"], id="sow-rendering"
        ),
    ],
)
def test_no_import_cycle_even_through_imports_inside_functions(modules):
    sources = {
        name: path
        for name, path in _sources(*{m.split(".")[0] for m in modules}).items()
        if any(name == m or name.startswith(f"{m}.") for m in modules)
    }
    graph = {name: _imports(path, set(sources)) - {name} for name, path in sources.items()}
    assert _cycle(graph) is None


def test_a_web_process_does_not_load_weasyprint():
    """PDFs render in the worker; sow.services queues the task without loading the PDF engine."""
    code = (
        "import sys, django; django.setup(); import config.urls; from django.urls import resolve; "
        "resolve('/'); print('weasyprint' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "False"
