"""docs/threat-model.md names, for each threat, the test that proves its control: every test and test
directory it names must exist, so the page cannot silently point at a test that was renamed or removed."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "threat-model.md"


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def _references() -> list[tuple[str, str]]:
    """(path, test name or "") for every reference; a bare `::name` continues the previous file."""
    refs: list[tuple[str, str]] = []
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        last = ""
        for m in re.finditer(r"`(tests/[\w/]+(?:\.py)?/?)(?:::(\w+))?`|`::(\w+)`", line):
            if m.group(1):
                last = m.group(1)
                refs.append((last, m.group(2) or ""))
            elif last:
                refs.append((last, m.group(3)))
    return refs


def test_the_page_names_tests():
    refs = _references()
    assert len(refs) >= 50
    assert sum(1 for _, name in refs if name) >= 40


def test_every_test_the_threat_model_names_exists():
    missing = []
    for path, name in _references():
        target = ROOT / path
        if not target.exists():
            missing.append(path)
        elif name and name not in _tests_in(target):
            missing.append(f"{path}::{name}")
    assert not missing, f"docs/threat-model.md names tests that do not exist: {missing}"


def test_every_asset_and_actor_of_the_issue_is_covered():
    text = PAGE.read_text(encoding="utf-8")
    for heading in ("### T1", "### T2", "### T3", "### T4", "### T5", "### T6", "### T7", "### T8", "### T9"):
        assert heading in text
    for asset in ("whereabouts", "Shelter addresses", "Narratives"):
        assert asset in text
