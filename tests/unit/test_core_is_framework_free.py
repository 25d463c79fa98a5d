"""The exam core must stay free of Flask and SQLAlchemy."""

from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "app" / "domain"
FORBIDDEN = ("flask", "flask_babel", "flask_login", "flask_wtf", "sqlalchemy", "werkzeug")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_domain_modules_import_no_framework():
    modules = sorted(DOMAIN.glob("*.py"))
    assert modules, "the domain package is empty"
    offenders = {
        path.name: sorted(imported_modules(path).intersection(FORBIDDEN)) for path in modules
    }
    assert {name: bad for name, bad in offenders.items() if bad} == {}
