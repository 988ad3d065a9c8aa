"""Loader: YAML safety, validation reported as file:line, the cache."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from acucli import kb as kbmod
from acucli.errors import DataError
from acucli.yamlio import YamlProblem, load_text
from conftest import DATA, own_cache, run_acu


def test_duplicate_keys_are_refused_with_their_line():
    with pytest.raises(YamlProblem) as exc:
        load_text("points:\n- code: KI3\n  code: KI4\n")
    assert exc.value.line == 3
    assert "duplicate key 'code'" in exc.value.message


def test_aliases_and_deep_nesting_are_refused():
    with pytest.raises(YamlProblem, match="aliases"):
        load_text("a: &x [1, 2]\nb: *x\n")
    with pytest.raises(YamlProblem, match="nesting"):
        load_text("[" * 200 + "]" * 200)
    with pytest.raises(YamlProblem, match="aliases") as exc:
        load_text("a: 1\nb: &name text\nc: *name\n")  # an alias of a plain string too
    assert exc.value.line == 3


def test_scalars_keep_their_yaml_types_and_unknown_tags_are_refused():
    doc = load_text("a: 2020-01-01\nb: yes\nc: 1.5\nd: ~\ne: 0x1f\nf: 123456789012345678901234\ng: '7'\n")
    assert [doc[k] for k in "abcdefg"] == ["2020-01-01", True, 1.5, None, 31, "123456789012345678901234", "7"]
    with pytest.raises(YamlProblem, match="tag"):
        load_text("a: !!python/object:os.system x\n")
    with pytest.raises(YamlProblem, match="tag"):
        load_text("a: !custom {b: 1}\n")


def test_lines_are_recorded_for_every_mapping():
    doc = load_text("points:\n- code: KI3\n  pinyin: Tàixī\n")
    rec = doc["points"][0]
    assert rec["__line__"] == 2
    assert rec["__lines__"]["pinyin"] == 3


def _copy_data(tmp_path: Path) -> Path:
    dst = tmp_path / "data"
    shutil.copytree(DATA, dst, ignore=shutil.ignore_patterns("parts"))
    return dst


def _break(path: Path, old: str, new: str) -> int:
    text = path.read_text(encoding="utf-8")
    assert old in text
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


@pytest.mark.parametrize(
    "old,new,message",
    [
        ("- code: KI3\n", "- code: KI3\n  code: KI3\n", "duplicate key"),
        ("  - shu-stream: earth", "  - shu-stream: lava", "category 'shu-stream' needs one of"),
        ("- code: KI3\n", "- code: KI3\n  bogus: [\n", "YAML syntax error"),
    ],
)
def test_broken_bundled_file_reports_file_line_and_exits_2(tmp_path, monkeypatch, old, new, message):
    data = _copy_data(tmp_path)
    points = data / "points.yaml"
    _break(points, old, new)
    monkeypatch.setenv("ACU_BUNDLED_DATA", str(data))
    res = run_acu("point", "KI3")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert f"{points}:" in res.stderr
    assert message in res.stderr
    # file:line, with a real line number
    first = [l for l in res.stderr.splitlines() if l.startswith(str(points))][0]
    assert first.split(":")[1].isdigit()


def test_validation_reports_every_problem_not_just_the_first(tmp_path, monkeypatch):
    data = _copy_data(tmp_path)
    points = data / "points.yaml"
    _break(points, "  - shu-stream: earth", "  - shu-stream: lava")
    _break(points, "- code: LU1\n", "- code: LU1\n  number_x: 1\n")
    text = points.read_text(encoding="utf-8")
    points.write_text(text.replace("  regions: [chest]", "  regions: [chset]", 1), encoding="utf-8")
    monkeypatch.setenv("ACU_BUNDLED_DATA", str(data))
    res = run_acu("validate")
    assert res.returncode == 2
    lines = [l for l in res.stderr.splitlines() if l.startswith(str(points))]
    assert len(lines) >= 2, res.stderr
    assert any("'shu-stream'" in l for l in lines)


def test_unknown_reference_and_unknown_channel_are_cross_check_errors(tmp_path, monkeypatch):
    data = _copy_data(tmp_path)
    points = data / "points.yaml"
    text = points.read_text(encoding="utf-8")
    i = text.index("- code: KI3\n")
    j = text.index("  sources:", i)
    k = text.index("\n", j)
    text = text[:j] + "  sources: [made-up-2099]" + text[k:]
    points.write_text(text, encoding="utf-8")
    monkeypatch.setenv("ACU_BUNDLED_DATA", str(data))
    res = run_acu("validate")
    assert res.returncode == 2
    assert "unknown reference id 'made-up-2099'" in res.stderr


def test_cache_is_rebuilt_when_yaml_changes(tmp_path, monkeypatch):
    data = _copy_data(tmp_path)
    monkeypatch.setenv("ACU_BUNDLED_DATA", str(data))
    monkeypatch.setenv("ACU_CACHE_DIR", str(tmp_path / "cache"))
    first = run_acu("point", "KI3", "--format", "json")
    assert first.returncode == 0
    english = json.loads(first.stdout)[0]["english"]
    points = data / "points.yaml"
    text = points.read_text(encoding="utf-8")
    i = text.index("- code: KI3\n")
    j = text.index("  english: ", i)
    k = text.index("\n", j)
    points.write_text(text[:j] + "  english: Changed Name For Test" + text[k:], encoding="utf-8")
    second = run_acu("point", "KI3", "--format", "json")
    assert json.loads(second.stdout)[0]["english"] == "Changed Name For Test" != english


def test_corrupt_cache_is_never_trusted(tmp_path, monkeypatch):
    own_cache(tmp_path / "cache", monkeypatch)
    assert run_acu("point", "KI3", "-f", "tsv").returncode == 0
    caches = list((tmp_path / "cache").glob("kb-*.json"))
    assert len(caches) == 1
    raw = caches[0].read_bytes()
    caches[0].write_bytes(raw[: len(raw) // 2])  # truncated
    res = run_acu("point", "KI3", "-f", "tsv")
    assert res.returncode == 0 and res.stdout.startswith("code\t")
    caches[0].write_bytes(b"\x00garbage{")
    res = run_acu("point", "KI3", "-f", "tsv")
    assert res.returncode == 0 and "KI3" in res.stdout


def test_unwritable_cache_dir_still_answers(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("ACU_CACHE_DIR", str(blocker / "cache"))
    res = run_acu("point", "ST36", "-f", "tsv")
    assert res.returncode == 0
    assert "ST36" in res.stdout


def test_build_returns_typed_canonical_records():
    files, problems = kbmod.data_files()
    assert not problems
    data = kbmod.build(files)
    ki3 = next(p for p in data["points"] if p["code"] == "KI3")
    assert ki3["needling"]["depth_cun"][0] > 0
    assert all(isinstance(c, dict) and "name" in c for c in ki3["categories"])


def test_data_error_lists_problems():
    err = DataError([], "x")
    assert err.code == 2
