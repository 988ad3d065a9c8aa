"""Golden files of rendered output (tldr-style). Regenerate after a reviewed data
change with:  ACU_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import ROOT, run_acu

GOLDEN = ROOT / "tests" / "golden"
FORMATS = ["table", "tsv", "csv", "json", "jsonl", "yaml", "markdown"]

CASES = {
    "point-KI3": ["point", "KI3"],
    "points-KI": ["points", "--meridian", "KI"],
}
CONDITION_CASES = {
    "condition-osteoporosis": ["condition", "osteoporosis"],
    "condition-chronic-low-back-pain": ["condition", "chronic-low-back-pain"],
    "points-condition-osteoporosis": ["points", "--condition", "osteoporosis"],
    "points-condition-chronic-low-back-pain": ["points", "--condition", "chronic-low-back-pain"],
}
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "LANG": "C.UTF-8"}


def _check(name: str, args: list[str], fmt: str) -> None:
    proc = run_acu(*args, "--format", fmt, env=ENV)
    assert proc.returncode == 0, proc.stderr
    path = GOLDEN / f"{name}.{fmt}"
    if os.environ.get("ACU_UPDATE_GOLDEN"):
        path.write_text(proc.stdout, encoding="utf-8")
    assert path.exists(), f"missing golden file {path.name}: run with ACU_UPDATE_GOLDEN=1"
    assert proc.stdout == path.read_text(encoding="utf-8"), f"{path.name} differs"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_points(name, fmt):
    _check(name, CASES[name], fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", sorted(CONDITION_CASES))
def test_golden_conditions(name, fmt):
    _check(name, CONDITION_CASES[name], fmt)
