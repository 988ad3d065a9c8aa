"""Hostile input and broken environments: nothing leaks, nothing stays broken."""

from __future__ import annotations

import json
import os

import pytest

from conftest import own_cache, run_acu


def _overlay(tmp_path, text: str):
    d = tmp_path / "ov"
    d.mkdir(exist_ok=True)
    (d / "o.yaml").write_text(text, encoding="utf-8")
    return d


# ------------------------------------------------------------ overlays


def test_an_overlay_cannot_silently_remove_a_pregnancy_caution(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("ACU_DATA_PATH", str(_overlay(tmp_path, "points:\n- code: SP6\n  extends: true\n  cautions: []\n")))
    res = cli("point", "SP6", "-f", "json")
    assert res.exit_code == 0
    assert "pregnancy" in [c["kind"] for c in json.loads(res.stdout)[0]["cautions"]]


def test_an_overlay_that_removes_a_caution_says_why_and_everyone_is_told(cli, tmp_path, monkeypatch):
    ov = _overlay(tmp_path, "points:\n- code: SP6\n  extends: true\n  remove_cautions: [pregnancy]\n"
                            "  reason: our clinic's protocol for labour induction\n")
    monkeypatch.setenv("ACU_DATA_PATH", str(ov))
    card = json.loads(cli("point", "SP6", "-f", "json").stdout)[0]
    assert "pregnancy" not in [c["kind"] for c in card["cautions"]]
    assert card["overlay_changes"] and "o.yaml" in card["overlay_changes"][0]
    rows = json.loads(cli("points", "-m", "SP", "-f", "json").stdout)
    sp6 = [r for r in rows if r["code"] == "SP6"][0]
    assert any("REMOVED" in k for k in sp6["caution_kinds"])
    found = json.loads(cli("check", "SP6", "--pregnant", "-f", "json").stdout)
    assert [f for f in found if f["kind"] == "overlay"]
    res = cli("validate")
    assert res.exit_code == 0 and "warning:" in res.stdout and "o.yaml" in res.stdout


def test_remove_cautions_without_a_reason_is_refused(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("ACU_DATA_PATH", str(_overlay(
        tmp_path, "points:\n- code: SP6\n  extends: true\n  remove_cautions: [pregnancy]\n")))
    res = cli("point", "SP6")
    assert res.exit_code == 2 and "reason" in res.stderr


@pytest.mark.parametrize("text,word", [
    ("herbs:\n- id: guang-fang-ji\n  extends: true\n  status: ok\n", "status"),
    ("herbs:\n- id: guang-fang-ji\n  extends: true\n  toxicity: none\n", "toxicity"),
    ("points:\n- code: SP6\n  extends: true\n  channel: ST\n", "channel"),
    ("points:\n- code: SP6\n  extends: true\n  number: 7\n", "number"),
    ("safety:\n  no_data: all safe\n", "safety"),
])
def test_an_overlay_cannot_unban_soften_or_change_identity(cli, tmp_path, monkeypatch, text, word):
    ov = _overlay(tmp_path, text)
    monkeypatch.setenv("ACU_DATA_PATH", str(ov))
    res = cli("validate")
    assert res.exit_code == 2 and word in res.stderr and "o.yaml" in res.stderr


def test_a_misspelled_key_is_refused_at_file_line_with_the_closest_key(cli, tmp_path, monkeypatch):
    ov = _overlay(tmp_path, "points:\n- code: KI3\n  extends: true\n  locaton: somewhere\n")
    res = cli("validate", str(ov / "o.yaml"))
    assert res.exit_code == 2
    assert f"{ov / 'o.yaml'}:4:" in res.stderr and "did you mean 'location'" in res.stderr


# --------------------------------------------------------------- cache


def _fresh_cache(tmp_path, monkeypatch):
    from acucli import kb as kbmod

    own_cache(tmp_path / "cache", monkeypatch)
    kbmod.reset()
    kbmod.load()
    kbmod.reset()
    return next((tmp_path / "cache").glob("kb-*.json"))


def _damage_header(path, change):
    raw = path.read_bytes()
    line, rest = raw.split(b"\n", 1)
    header = json.loads(line)
    change(header)
    path.write_bytes(json.dumps(header).encode() + b"\n" + rest)


@pytest.mark.parametrize("change", [
    lambda h: h["records"]["points"].__setitem__("KI3", h["records"]["points"]["ST36"]),  # swapped offset
    lambda h: h["records"]["points"].__setitem__("KI3", [-5, 10]),
    lambda h: h["records"]["points"].__setitem__("KI3", ["a", None]),
    lambda h: h.__setitem__("sections", {"points": [10**15, 3]}),
    lambda h: h.pop("manifest"),
])
def test_a_damaged_cache_header_never_serves_a_wrong_record(cli, tmp_path, monkeypatch, change):
    path = _fresh_cache(tmp_path, monkeypatch)
    _damage_header(path, change)
    res = cli("point", "KI3", "-f", "json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)[0]["code"] == "KI3"
    assert cli("point", "KI3", "-f", "tsv").exit_code == 0  # and the next run is fine too


def test_byte_damage_inside_a_record_is_rebuilt(cli, tmp_path, monkeypatch):
    path = _fresh_cache(tmp_path, monkeypatch)
    raw = bytearray(path.read_bytes())
    header = json.loads(raw.split(b"\n", 1)[0])
    off, length = header["records"]["points"]["KI3"]
    start = raw.index(b"\n") + 1 + off
    raw[start:start + 8] = b"\x00garbage"
    path.write_bytes(bytes(raw))
    res = cli("point", "KI3", "-f", "json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)[0]["code"] == "KI3"


def test_a_fifo_or_directory_at_the_cache_path_is_no_cache(cli, tmp_path, monkeypatch):
    path = _fresh_cache(tmp_path, monkeypatch)
    path.unlink()
    os.mkfifo(path)
    res = cli("point", "KI3", "-f", "tsv")
    assert res.exit_code == 0 and res.stdout.startswith("code")
    path.unlink()
    path.mkdir()
    assert cli("point", "KI3", "-f", "tsv").exit_code == 0


def test_a_damaged_bundled_snapshot_is_never_trusted(tmp_path, monkeypatch):
    """The validated bundled files kept beside the cache: damage costs a rebuild."""
    from acucli import kb as kbmod

    monkeypatch.setenv("ACU_CACHE_DIR", str(tmp_path / "cache"))
    files, _ = kbmod.data_files([])
    want = kbmod.build(files)  # no snapshot yet: from YAML, and it writes one
    snap = next((tmp_path / "cache").glob("bundled-*.json"))
    good = json.loads(snap.read_bytes())
    wrong_kind = {**good, "records": [{"bogus": []}, *good["records"][1:]]}
    no_key = {**good, "records": [{"points": [{"pinyin": "x"}]}, *good["records"][1:]]}
    for damage in (b"{not json", json.dumps({**good, "manifest": []}).encode(),
                   json.dumps(wrong_kind).encode(), json.dumps(no_key).encode()):
        snap.write_bytes(damage)
        got = kbmod.build(files)
        assert got["points"] == want["points"] and got["herbs"] == want["herbs"], damage[:40]
        assert json.loads(snap.read_bytes())["manifest"] == good["manifest"]  # written again, whole


def test_the_bundled_snapshot_follows_a_change_to_a_bundled_file(tmp_path, monkeypatch):
    import shutil

    from acucli import kb as kbmod
    from conftest import DATA

    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    monkeypatch.setenv("ACU_BUNDLED_DATA", str(data))
    monkeypatch.setenv("ACU_CACHE_DIR", str(tmp_path / "cache"))
    files, _ = kbmod.data_files([])
    first = kbmod.build(files)["points"][0]["english"]  # writes the snapshot
    assert first != "Changed Name" and next((tmp_path / "cache").glob("bundled-*.json"))
    points = data / "points.yaml"
    points.write_text(points.read_text(encoding="utf-8").replace(f"english: {first}\n", "english: Changed Name\n", 1),
                      encoding="utf-8")
    files, _ = kbmod.data_files([])
    assert kbmod.build(files)["points"][0]["english"] == "Changed Name"


# ------------------------------------------------------------- options


@pytest.mark.parametrize("args", [["--fields", ","], ["--fields", "code,code"], ["--fields", ""],
                                  ["--format", ""], ["--format", "bogus"]])
def test_bad_fields_and_formats_are_usage_errors(cli, args):
    res = cli("points", "-m", "KI", *args)
    assert res.exit_code == 2 and res.stderr


def test_acu_format_bogus_is_a_usage_error(cli):
    res = cli("point", "KI3", env={"ACU_FORMAT": "bogus"})
    assert res.exit_code == 2 and "ACU_FORMAT" in res.stderr


def test_quiz_refuses_unknown_fields_before_asking(cli):
    res = cli("quiz", "-n", "1", "--fields", "nonsense", "-f", "tsv", input="")
    assert res.exit_code == 2


def test_pregnant_does_not_repeat_the_caution_in_tsv(cli):
    res = cli("point", "SP6", "--pregnant", "-f", "tsv")
    row = res.stdout.splitlines()[1]
    assert row.count("Traditionally forbidden in pregnancy") <= 1


def test_a_multi_name_lookup_with_a_miss_prints_what_it_found_and_exits_1(cli):
    res = cli("point", "KI3", "NOPE", "-f", "tsv")
    assert res.exit_code == 1 and "KI3" in res.stdout and "NOPE" in res.stderr


# ------------------------------------------------------------- streams


def test_stdout_closed_or_full_is_a_clear_error_not_a_traceback():
    proc = run_acu("point", "KI3", stdout=open(os.devnull, "w") if False else None)
    assert proc.returncode == 0
    import subprocess

    from conftest import acu_exe

    full = subprocess.run([acu_exe(), "point", "KI3", "-f", "tsv"], stdout=open("/dev/full", "w"),
                          stderr=subprocess.PIPE, text=True)
    assert full.returncode == 2 and "cannot write output" in full.stderr and "Traceback" not in full.stderr
    closed = subprocess.run(f"'{acu_exe()}' point KI3 -f tsv >&-", shell=True, stderr=subprocess.PIPE, text=True)
    assert closed.returncode in (0, 2) and "Traceback" not in closed.stderr
    for args in (["--help"], ["--version"]):
        r = subprocess.run([acu_exe(), *args], stdout=open("/dev/full", "w"), stderr=subprocess.PIPE, text=True)
        assert r.returncode == 2 and "Traceback" not in r.stderr and "internal error" not in r.stderr


def test_huge_columns_is_capped(cli):
    res = cli("points", "-m", "KI", "-f", "table", env={"COLUMNS": "99999999"})
    assert res.exit_code == 0
    assert max(len(line) for line in res.stdout.splitlines()) <= 1000


def test_a_missing_overlay_path_is_reported(cli, tmp_path):
    res = cli("point", "KI3", "-f", "tsv", env={"ACU_DATA_PATH": str(tmp_path / "nope")})
    assert res.exit_code == 0 and "nope" in res.stderr


def test_a_huge_integer_in_an_overlay_is_one_problem_among_others(cli, tmp_path):
    ov = _overlay(tmp_path, "points:\n- code: KI3\n  extends: true\n  number: " + "9" * 5000 + "\n  locaton: x\n")
    res = cli("validate", str(ov / "o.yaml"))
    assert res.exit_code == 2 and "locaton" in res.stderr and "internal error" not in res.stderr


def test_validate_refuses_a_fifo_and_an_endless_file(cli, tmp_path):
    fifo = tmp_path / "f.yaml"
    os.mkfifo(fifo)
    res = cli("validate", str(fifo))
    assert res.exit_code == 2
    res = cli("validate", "/dev/zero")
    assert res.exit_code == 2
