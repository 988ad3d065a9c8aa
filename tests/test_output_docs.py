"""docs/output.md lists every key each command prints, in order; the output is held to it."""

from __future__ import annotations

import json
import re

import pytest

from acucli import models as M
from conftest import ROOT

DOC = (ROOT / "docs" / "output.md").read_text(encoding="utf-8")
RECORD_KEYS = "*record keys*"


def _tables() -> dict[str, list[tuple[str, str]]]:
    """heading ("acu points") -> [(key, when)] from the table under it."""
    out: dict = {}
    for block in re.split(r"^### ", DOC, flags=re.M)[1:]:
        heading = block.splitlines()[0].strip().strip("`")
        rows = re.findall(r"^\| (`[^`]+`|\*record keys\*) \|([^|]*)\|", block, flags=re.M)
        out[heading] = [(k.strip("`"), when.strip()) for k, when in rows]
    return out


TABLES = _tables()

# heading -> (argv for the keys that are always there, argv that brings every key, record kind of a card)
CASES = {
    "acu points": (["points", "-m", "KI"], ["points", "-c", "osteoporosis", "--pregnant"], None),
    "acu herbs": (["herbs"], ["herbs", "--interacts", "warfarin"], None),
    "acu formulas": (["formulas"], None, None),
    "acu conditions": (["conditions"], None, None),
    "acu meridians": (["meridians"], None, None),
    "acu search TEXT": (["search", "lower back pain"], None, None),
    "acu check ITEM...": (["check", "du huo ji sheng tang", "--drug", "warfarin"], None, None),
    "acu references": (["references"], None, None),
    "acu sources": (["sources"], None, None),
    "acu stats": (["stats"], None, None),
    "acu chart --landmarks": (["chart", "--landmarks"], None, None),
    "acu export cards": (["export", "cards", "-o", "-"], None, None),
    "acu point NAME": (["point", "KI3"], ["point", "SP6", "--pregnant"], "points"),
    "acu herb NAME": (["herb", "dan shen"], None, "herbs"),
    "acu formula NAME": (["formula", "liu wei di huang wan"], None, "formulas"),
    "acu condition NAME": (["condition", "osteoporosis"], ["condition", "osteoporosis", "--pregnant"], "conditions"),
    "acu meridian CODE": (["meridian", "KI"], None, "meridians"),
}


def _expand(rows, kind) -> list[tuple[str, str]]:
    out = []
    for key, when in rows:
        if key == RECORD_KEYS:
            out += [(name, "") for name in M.field_names(M.KINDS[kind].model)]
        else:
            out.append((key, when))
    return out


def test_every_documented_table_is_tested_and_every_command_documented():
    assert set(CASES) == set(TABLES)
    for command in ("point", "points", "meridians", "meridian", "conditions", "condition", "herb", "herbs",
                    "formula", "formulas", "check", "search", "validate", "sources", "references", "quiz",
                    "study", "stats", "chart", "export"):
        assert f"`acu {command}" in DOC, command


@pytest.mark.parametrize("heading", sorted(CASES))
def test_output_keys_are_the_documented_ones(cli, heading):
    base, full, kind = CASES[heading]
    rows = _expand(TABLES[heading], kind)
    res = cli(*base, "-f", "json")
    assert res.exit_code in (0, 4), res.stderr
    first = json.loads(res.stdout)[0]
    assert list(first) == [k for k, when in rows if not when], heading
    conditional = [k for k, when in rows if when]
    if full:
        res = cli(*full, "-f", "json")
        assert res.exit_code in (0, 4), res.stderr
        assert list(json.loads(res.stdout)[0]) == [k for k, _ in rows], heading
    else:
        assert not conditional, f"{heading}: a conditional key needs an invocation that shows it"


def test_quiz_json_is_as_documented(cli):
    d = json.loads(cli("quiz", "-n", "2", "--seed", "3", "-f", "json").stdout)
    top = re.search(r"`acu quiz -f json`: one object `\{([^}]*)\}`", DOC.replace("\n  ", " ")).group(1)
    assert list(d) == [k.strip() for k in top.split(",")]
    q = re.search(r"each question has `([^`]*)`", DOC.replace("\n  ", " ")).group(1)
    assert list(d["questions"][0]) == [k.strip() for k in q.split(",")]


def _codes(text: str) -> list[int]:
    return [int(c) for c in re.findall(r"^\| (\d+) \|", text, flags=re.M)]


def test_exit_codes_agree_everywhere(cli):
    from acucli import errors

    doc = _codes(DOC.split("## Exit codes", 1)[1])
    readme = _codes((ROOT / "README.md").read_text(encoding="utf-8").split("## Exit codes", 1)[1].split("\n## ")[0])
    help_text = cli("--help").stdout.split("Exit codes:", 1)[1].split("Files:", 1)[0]
    in_help = [int(c) for c in re.findall(r"^\s+(\d+)\s", help_text, flags=re.M)]
    assert doc == readme == in_help == [0, 1, 2, 3, 4, 130]
    assert [errors.EXIT_NOT_FOUND, errors.EXIT_USAGE, errors.EXIT_INTERNAL, errors.EXIT_FINDINGS,
            errors.EXIT_INTERRUPTED] == doc[1:]
