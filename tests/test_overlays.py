"""Overlays: practitioners add records and notes; collisions and bad input are caught."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_acu

ANMIAN = """\
points:
- code: EX-CLINIC1
  channel: EX
  number: 100
  pinyin: Ānshén
  hanzi: 安神
  hanzi_traditional: 安神
  english: Clinic Calm Point
  regions: [neck]
  location: Behind the ear, a clinic's own point for this test.
  locating: Seated; find GB20 and TE17 and take the midpoint.
  needling: {method: filiform, angle: perpendicular, depth_cun: [0.5, 1.0], moxibustion: allowed}
  categories: []
  actions: [calms the spirit]
  indications: [insomnia]
  cautions: []
  sources: [gmzyjc]
"""


def _ki4(code="KI4"):
    return ANMIAN.replace("EX-CLINIC1", code).replace("Ānshén", "Dàzhōng").replace("安神", "大钟")


def test_overlay_adds_a_point_and_a_note(tmp_path):
    ov = tmp_path / "clinic.yaml"
    ov.write_text(ANMIAN + "notes:\n- point: ST36\n  text: Moxa box in clinic.\n", encoding="utf-8")
    env = {"ACU_DATA_PATH": str(ov)}
    proc = run_acu("point", "anshen", "ST36", "-f", "json", env=env)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [d["code"] for d in data] == ["EX-CLINIC1", "ST36"]
    assert data[1]["notes"] == ["Moxa box in clinic."]
    assert data[0]["notes"] == []
    card = run_acu("point", "ST36", "-f", "markdown", env=env)
    assert "Your notes" in card.stdout and "Moxa box" in card.stdout
    sources = run_acu("sources", "-f", "tsv", env=env)
    assert str(ov) in sources.stdout and "overlay" in sources.stdout


def test_overlay_directory_in_acu_home_is_loaded_by_default(isolated):
    d = isolated / "data"
    d.mkdir()
    (d / "a.yaml").write_text(ANMIAN, encoding="utf-8")
    assert run_acu("point", "EX-CLINIC1", "-f", "tsv").returncode == 0


def test_reusing_a_bundled_code_without_extends_names_both_files(tmp_path):
    ov = tmp_path / "clash.yaml"
    ov.write_text(_ki4(), encoding="utf-8")
    proc = run_acu("point", "KI3", env={"ACU_DATA_PATH": str(ov)})
    assert proc.returncode == 2
    assert f"{ov}:2:" in proc.stderr and "points.yaml:" in proc.stderr and "extends: true" in proc.stderr


def test_reusing_a_bundled_name_under_a_new_code_is_an_error(tmp_path):
    ov = tmp_path / "clash.yaml"
    ov.write_text(_ki4("EX-NEW1"), encoding="utf-8")
    proc = run_acu("validate", str(ov))
    assert proc.returncode == 2
    assert "name" in proc.stderr and "points.yaml" in proc.stderr


def test_extends_changes_fields_of_a_bundled_record(tmp_path):
    ov = tmp_path / "mine.yaml"
    ov.write_text("points:\n- code: KI3\n  extends: true\n  english: Supreme Stream\n", encoding="utf-8")
    proc = run_acu("point", "KI3", "-f", "json", env={"ACU_DATA_PATH": str(ov)})
    rec = json.loads(proc.stdout)[0]
    assert rec["english"] == "Supreme Stream" and rec["hanzi"] == "太溪"


def test_note_on_an_unknown_record_is_reported(tmp_path):
    ov = tmp_path / "n.yaml"
    ov.write_text("notes:\n- point: ZZ9\n  text: hello\n", encoding="utf-8")
    proc = run_acu("validate", str(ov))
    assert proc.returncode == 2 and "unknown point 'ZZ9'" in proc.stderr


def test_cache_invalidates_when_an_overlay_changes(tmp_path):
    ov = tmp_path / "n.yaml"
    ov.write_text("notes:\n- point: KI3\n  text: first\n", encoding="utf-8")
    env = {"ACU_DATA_PATH": str(ov)}
    assert json.loads(run_acu("point", "KI3", "-f", "json", env=env).stdout)[0]["notes"] == ["first"]
    ov.write_text("notes:\n- point: KI3\n  text: second\n", encoding="utf-8")
    assert json.loads(run_acu("point", "KI3", "-f", "json", env=env).stdout)[0]["notes"] == ["second"]
    ov.unlink()
    assert json.loads(run_acu("point", "KI3", "-f", "json", env=env).stdout)[0]["notes"] == []


def test_validate_reports_every_problem_with_file_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "points:\n"
        "- code: EX-Q1\n"
        "  channel: EX\n"
        "  number: 1\n"
        "  pinyin: Qq\n"
        "  hanzi: abc\n"             # not CJK
        "  hanzi_traditional: 安\n"
        "  english: Q\n"
        "  regions: [tail]\n"        # not a region
        "  location: x\n"
        "  locating: x\n"
        "  needling: {method: filiform, angle: sideways, depth_cun: [2, 1], moxibustion: allowed}\n"
        "  categories: [lucky-point]\n"
        "  actions: [x]\n"
        "  indications: [x]\n"
        "  cautions:\n"
        "  - kind: pregnancy\n"
        "    text: no source\n"      # neither sources nor basis
        "  sources: [nobody2099]\n",
        encoding="utf-8")
    proc = run_acu("validate", str(bad))
    assert proc.returncode == 2
    lines = [l for l in proc.stderr.splitlines() if l.startswith(f"{bad}:")]
    text = "\n".join(lines)
    for needle in ("must be CJK", "'regions' has 'tail'", "'angle' is 'sideways'", "0 < min <= max",
                   "unknown category 'lucky-point'", "needs 'sources'"):
        assert needle in text, (needle, text)
    assert all(l.split(":")[1].isdigit() for l in lines)


def test_huge_file_is_refused(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "w") as fh:
        fh.write("notes:\n")
        line = "- point: KI3\n  text: " + "x" * 1000 + "\n"
        for _ in range(17 * 1024):
            fh.write(line)
    proc = run_acu("validate", str(big))
    assert proc.returncode == 2 and "limit" in proc.stderr


def test_deeply_nested_file_is_refused(tmp_path):
    deep = tmp_path / "deep.yaml"
    deep.write_text("notes: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    proc = run_acu("validate", str(deep))
    assert proc.returncode == 2 and "nesting" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unreadable_overlay_path_is_reported(tmp_path):
    bad = tmp_path / "notutf8.yaml"
    bad.write_bytes(b"notes:\n- point: KI3\n  text: \xff\xfe\n")
    proc = run_acu("point", "KI3", env={"ACU_DATA_PATH": str(bad)})
    assert proc.returncode == 2 and "not valid UTF-8" in proc.stderr and f"{bad}:3" in proc.stderr


def test_unknown_top_level_key(tmp_path):
    f = tmp_path / "x.yaml"
    f.write_text("pointz: []\n", encoding="utf-8")
    proc = run_acu("validate", str(f))
    assert proc.returncode == 2 and f"{f}:1: unknown top-level key 'pointz'" in proc.stderr


yaml_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                         st.text(max_size=10))
yaml_docs = st.recursive(
    yaml_scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.sampled_from(["points", "notes", "herbs", "code", "text",
                                                                "point", "conditions", "id", "x"]),
                                               children, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=yaml_docs)
def test_random_yaml_documents_never_traceback(tmp_path_factory, doc):
    import yaml

    f = tmp_path_factory.mktemp("fuzz") / "f.yaml"
    f.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    proc = run_acu("validate", str(f))
    assert "Traceback" not in proc.stderr
    assert proc.returncode in (0, 2), proc.stderr
