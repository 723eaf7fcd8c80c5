"""The package boundaries of DESIGN.md hold, and what each side restates agrees."""

from __future__ import annotations

import ast
from pathlib import Path

from models.registry import ATTRIBUTES as MODEL_ATTRIBUTES
from service.schemas import ATTRIBUTES as WIRE_ATTRIBUTES

ROOT = Path(__file__).resolve().parents[2]


def imported_packages(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found


def test_service_never_imports_workers_or_models() -> None:
    assert imported_packages("service") & {"workers", "models"} == set()


def test_models_imports_neither_service_nor_workers() -> None:
    assert imported_packages("models") & {"workers", "service"} == set()


def test_the_wire_and_the_models_name_the_same_attributes() -> None:
    # the api cannot import models, so the attribute list is written twice: keep them equal
    assert tuple(WIRE_ATTRIBUTES) == tuple(MODEL_ATTRIBUTES)
