"""Golden files of rendered output (tldr-style), on the small fixture dataset in
tests/fixtures/data, so that an edit of data/ does not change them. After a
reviewed change of output, regenerate with:
    ACU_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py"""

from __future__ import annotations

import os

import pytest

from conftest import FIXTURES, ROOT, invoke

GOLDEN = ROOT / "tests" / "golden"
FORMATS = ["table", "tsv", "csv", "json", "jsonl", "yaml", "markdown"]

CASES = {
    "point-KI3": ["point", "KI3"],
    "points-KI": ["points", "--meridian", "KI"],
    "condition-osteoporosis": ["condition", "osteoporosis"],
    "points-condition-osteoporosis": ["points", "--condition", "osteoporosis"],
    "herb-du-zhong": ["herb", "du-zhong"],
    "herbs": ["herbs"],
}
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "LANG": "C.UTF-8"}


@pytest.fixture
def fixture_data(monkeypatch, tmp_path):
    monkeypatch.setenv("ACU_BUNDLED_DATA", str(FIXTURES / "data"))
    monkeypatch.setenv("ACU_CACHE_DIR", str(tmp_path))
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(fixture_data, name, fmt):
    res = invoke(*CASES[name], "--format", fmt)
    assert res.exit_code == 0, res.stderr
    path = GOLDEN / f"{name}.{fmt}"
    if os.environ.get("ACU_UPDATE_GOLDEN"):
        path.write_text(res.stdout, encoding="utf-8")
    assert path.exists(), f"missing golden file {path.name}: run with ACU_UPDATE_GOLDEN=1"
    assert res.stdout == path.read_text(encoding="utf-8"), f"{path.name} differs"
