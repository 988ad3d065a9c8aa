"""Shared helpers for the study tests (no tests here).

The bundled data is being completed while these tests are written: if it does
not load, the tests run on a copy of the bundled files that do load (points
always; herbs and conditions when they load). Expected answers always come
from the records, never from the test.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from acucli.text import strip_tones

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = ("references", "meridians", "points", "safety")
OPTIONAL = ("herbs", "conditions")

_STATE: dict = {}


def _builds(directory: Path | None) -> bool:
    import os

    from acucli import kb
    from acucli.errors import DataError

    old = os.environ.get("ACU_BUNDLED_DATA")
    try:
        # None: the data as this run is configured (ACU_BUNDLED_DATA, else the bundled files)
        if directory is not None:
            os.environ["ACU_BUNDLED_DATA"] = str(directory)
        files, problems = kb.data_files()
        if problems:
            return False
        kb.build(files)
        return True
    except DataError:
        return False
    finally:
        if old is None:
            os.environ.pop("ACU_BUNDLED_DATA", None)
        else:
            os.environ["ACU_BUNDLED_DATA"] = old


def usable_data_dir(factory) -> Path | None:
    """None when the bundled data loads as it is; else a directory with the files that load."""
    import os

    if "dir" in _STATE:
        return _STATE["dir"]
    if os.environ.get("ACU_STUDY_TEST_DATA"):  # run these tests on another data set
        _STATE["dir"] = Path(os.environ["ACU_STUDY_TEST_DATA"])
        return _STATE["dir"]
    found: Path | None = None
    if not _builds(None):
        from acucli.paths import bundled_data_dir

        src = bundled_data_dir()
        found = factory.mktemp("study-data")
        for name in REQUIRED:
            shutil.copy(src / f"{name}.yaml", found / f"{name}.yaml")
        for name in OPTIONAL:
            if (src / f"{name}.yaml").exists():
                shutil.copy(src / f"{name}.yaml", found / f"{name}.yaml")
                if not _builds(found):
                    (found / f"{name}.yaml").unlink()
    _STATE["dir"] = found
    return found


@pytest.fixture(autouse=True)
def study_data(isolated, monkeypatch, tmp_path_factory):
    d = usable_data_dir(tmp_path_factory)
    if d is not None:
        monkeypatch.setenv("ACU_BUNDLED_DATA", str(d))
    from acucli import kb

    kb.reset()
    yield
    kb.reset()


def load_kb():
    from acucli import kb

    kb.reset()
    return kb.load()


# ------------------------------------------------------------ answers


def split_id(card_id: str) -> tuple[str, str, str]:
    rk, _, rest = card_id.partition(":")
    key, _, facet = rest.rpartition(":")
    return rk, key, facet


def right_answers(kb, q: dict) -> list[str]:
    """Right answers for one question of `acu quiz --format json`, in several typed forms,
    all taken from the records."""
    from acucli.query import category_label

    rk, key, facet = split_id(q["id"])
    kind = q["kind"]
    if rk == "point":
        p = kb.get("points", key)
        m = kb.get("meridians", p["channel"])
        if kind == "code-name":
            return [strip_tones(p["pinyin"]).lower(), p["pinyin"], p["hanzi"], p["english"].upper(),
                    p["hanzi_traditional"]]
        if kind == "name-code":
            if p["channel"] == "EX":  # EX-LE4: ex le 4, exle4
                return [p["code"], p["code"].lower().replace("-", " "), p["code"].replace("-", "")]
            forms = [p["code"], f"{p['channel'].lower()} {p['number']}", f"{p['channel']}-{p['number']}"]
            if m:
                forms.append(f"{m['english']} {p['number']}")
                from acucli.resolve import resolver

                forms += [f"{oc}{p['number']}" for oc in m["other_codes"]
                          if resolver(kb).channel(oc) == p["channel"]][:2]
            return forms
        if kind == "location-point":
            return [p["code"].lower(), strip_tones(p["pinyin"]), p["hanzi"]]
        if kind == "point-channel":
            return [p["channel"], m["english"], m["hanzi"]]
        if kind == "point-categories":
            return [p["categories"][0]["name"], category_label(p["categories"][0])]
    if rk == "condition":
        c = kb.get("conditions", key)
        core = [i["code"] for i in c["prescription"] if i["status"] == "core" and kb.get("points", i["code"])]
        p = kb.get("points", core[0])
        return [core[0], strip_tones(p["pinyin"])]
    if rk == "herb":
        h = kb.get("herbs", key)
        if kind == "herb-category":
            return [h["category"]]
        if kind == "herb-nature":
            return [h["nature"], h["nature"].upper()]
        if kind == "herb-channels":
            return [", ".join(h["channels"]), " ".join(reversed(h["channels"]))]
    raise AssertionError(f"no answer rule for {q['id']}")


WRONG = "qqqq zzzz"  # resolves to nothing and is close to nothing


def quiz_json(cli, *args: str, input: str = "") -> dict:
    r = cli("quiz", *args, "--format", "json", input=input)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def db_path(home) -> Path:
    return Path(home) / "progress.sqlite3"


def log_count(home) -> int:
    """Answers saved in the progress database (0 while it does not exist yet)."""
    import sqlite3

    path = db_path(home)
    if not path.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("SELECT count(*) FROM review_log").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return 0  # being created by the session right now


def one_question_per_kind(kb) -> list:
    """A typed and a multiple-choice question of every study kind."""
    import random

    from acucli.study.questions import KINDS, make_question, select

    rng = random.Random(0)
    first: dict = {}
    for it in select(kb, list(KINDS)).items:
        first.setdefault(it.kind, it)
    return [make_question(kb, it, rng, c) for it in first.values() for c in (0, 4)]
