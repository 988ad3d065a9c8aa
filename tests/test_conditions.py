"""Conditions: prescriptions resolve, citations are real, safety is present, CLI contract."""

from __future__ import annotations

import json
import re

import pytest

from acucli import kb as kbmod
from conftest import FIXTURES, run_acu

# Identifiers the evidence notes record as seen (copied into the repository).
VERIFIED = {line.strip().lower() for line in (FIXTURES / "verified-identifiers.txt").read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")}

REQUIRED = ["osteoporosis", "chronic-low-back-pain", "acute-low-back-pain", "sciatica", "upper-back-pain",
            "stiff-neck", "chronic-neck-pain", "knee-osteoarthritis", "migraine", "tension-type-headache",
            "insomnia", "postoperative-nausea", "chemotherapy-nausea", "pregnancy-nausea"]


@pytest.fixture(scope="module")
def kb():
    kbmod.reset()
    return kbmod.load()


def test_every_required_condition_exists(kb):
    ids = {c["id"] for c in kb.conditions}
    assert set(REQUIRED) <= ids


def test_every_point_and_herb_a_condition_names_resolves(kb):
    for c in kb.conditions:
        for item in c["prescription"]:
            if item["code"]:
                assert kb.get("points", item["code"]), (c["id"], item["code"])
            else:
                assert item["site"] in ("ashi", "jiaji", "ear"), (c["id"], item)
        for p in c["patterns"]:
            for code in p["add_points"]:
                assert kb.get("points", code), (c["id"], code)
            for h in p["herbs"]:
                assert kb.get("herbs", h), (c["id"], h)
        for h in c["herbs"]:
            assert kb.get("herbs", h["id"]), (c["id"], h["id"])


def _identifiers(ref: dict) -> list[str]:
    return [ref[k] for k in ("doi", "pmid", "pmcid", "cochrane") if ref.get(k)]


def test_every_citation_identifier_appears_in_evidence_md(kb):
    for ref in kb.references:
        for ident in _identifiers(ref):
            assert ident.lower() in VERIFIED, (ref["id"], ident)


def test_no_doi_in_the_data_is_invented():
    from conftest import DATA

    for f in DATA.glob("*.yaml"):
        for doi in re.findall(r"10\.\d{4,9}/[^\s\"',;)\]]+", f.read_text(encoding="utf-8")):
            assert doi.rstrip(".").lower() in VERIFIED, (f.name, doi)


def test_every_condition_has_a_grade_and_evidence_or_traditional_marker(kb):
    for c in kb.conditions:
        ev = c["evidence"]
        assert ev["grade"], c["id"]
        cited = [s for f in ev["findings"] for s in f["sources"]]
        assert cited or ev["traditional_only"], c["id"]
        assert c["summary"] and c["prescription"]


def test_red_flags_where_evidence_md_lists_them(kb):
    by_id = kb.by_key("conditions")
    op = " ".join(r["text"].lower() for r in by_id["osteoporosis"]["red_flags"])
    assert "fracture" in op
    for cid in ("chronic-low-back-pain", "acute-low-back-pain", "sciatica"):
        text = " ".join(r["text"].lower() for r in by_id[cid]["red_flags"])
        assert "cauda equina" in text, cid


def test_guidelines_show_not_recommended_beside_recommended(kb):
    clbp = kb.get("conditions", "chronic-low-back-pain")
    positions = {g["body"].split(" (")[0]: g["position"] for g in clbp["guidelines"]}
    assert any("NG59" in b and p == "not-recommended" for b, p in positions.items())
    assert any("ACP" in b and p == "recommended" for b, p in positions.items())
    knee = kb.get("conditions", "knee-osteoarthritis")
    assert {g["position"] for g in knee["guidelines"]} >= {"conditional", "not-recommended"}


def test_osteoporosis_is_honest(kb):
    op = kb.get("conditions", "osteoporosis")
    assert op["evidence"]["grade"] in ("very-low", "low")
    li10 = [i for i in op["prescription"] if i["code"] == "LI10"]
    assert li10 and li10[0]["status"] == "non-standard"
    codes = {i["code"] for i in op["prescription"]}
    assert {"BL23", "BL20", "ST36", "GV4", "SP6", "CV4", "KI3", "BL11", "GB39"} <= codes
    verdicts = {c["verdict"] for c in op["claims"]}
    assert verdicts & {"unsupported", "false"}
    he = [h for h in op["herbs"] if h["id"] in ("he-shou-wu", "zhi-he-shou-wu")]
    assert he and "liver" in he[0]["why"].lower()


@pytest.mark.parametrize("name", ["back pain", "low back pain", "LBP", "腰痛"])
def test_a_name_of_several_conditions_lists_them_and_exits_1(cli, name):
    res = cli("condition", name, "-f", "json")
    assert res.exit_code == 1
    ids = {row["id"] for row in json.loads(res.stdout)}
    assert {"chronic-low-back-pain", "acute-low-back-pain"} <= ids
    assert "choose one" in res.stderr
    res = cli("points", "--condition", name, "-f", "tsv")
    assert res.exit_code == 1 and "choose one" in res.stderr
    assert res.stdout.splitlines()[0].startswith("id\t")


@pytest.mark.parametrize("name,cid", [("chronic LBP", "chronic-low-back-pain"), ("急性腰扭伤", "acute-low-back-pain"),
                                      ("骨痿", "osteoporosis"), ("坐骨神经痛", "sciatica"),
                                      ("Osteoporosis", "osteoporosis")])
def test_condition_aliases(name, cid):
    proc = run_acu("condition", name, "-f", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["id"] == cid


def test_points_for_a_condition_in_every_format():
    for fmt in ("tsv", "csv", "json", "jsonl", "yaml", "markdown", "table"):
        proc = run_acu("points", "--condition", "osteoporosis", "--format", fmt)
        assert proc.returncode == 0 and "BL23" in proc.stdout, (fmt, proc.stderr)
    rows = json.loads(run_acu("points", "--condition", "osteoporosis", "-f", "json").stdout)
    assert {"code", "role", "status", "why", "location", "caution_kinds"} <= set(rows[0])
    # The filter's own columns come after the standard ones.
    assert list(rows[0])[:3] == ["code", "pinyin", "hanzi"] and list(rows[0])[-3:] == ["role", "status", "why"]


def test_condition_filter_combines_with_others():
    proc = run_acu("points", "--condition", "osteoporosis", "--meridian", "BL", "-f", "tsv")
    codes = [l.split("\t")[0] for l in proc.stdout.splitlines()[1:]]
    assert codes and all(c.startswith("BL") for c in codes)
    none = run_acu("points", "--condition", "osteoporosis", "--meridian", "HT")
    assert none.returncode == 1


def test_pregnant_marks_or_removes_cautioned_points_and_says_why():
    marked = json.loads(run_acu("points", "--condition", "osteoporosis", "--pregnant", "-f", "json").stdout)
    by_code = {r["code"]: r for r in marked}
    for code in ("SP6", "CV4", "GV4"):
        assert by_code[code]["warnings"] and by_code[code]["warnings"][0]["flag"] == "pregnancy"
    assert not by_code["ST36"]["warnings"]
    omitted = run_acu("points", "--condition", "osteoporosis", "--pregnant", "--omit-cautioned", "-f", "tsv")
    codes = [l.split("\t")[0] for l in omitted.stdout.splitlines()[1:]]
    assert "SP6" not in codes and "ST36" in codes
    assert "no good evidence of harm" in omitted.stderr.lower() or "carr2015" in omitted.stderr


def test_patient_flags_travel_in_condition_json():
    d = json.loads(run_acu("condition", "osteoporosis", "--pregnant", "--pacemaker", "--bleeding-risk",
                           "-f", "json").stdout)[0]
    assert d["context"] == {**d["context"], "pregnant": True, "pacemaker": True, "bleeding_risk": True}
    assert any("electroacupuncture" in n for n in d["context"]["notes"])
    sp6 = next(i for i in d["prescription"] if i["code"] == "SP6")
    assert any(w["flag"] == "pregnancy" for w in sp6["warnings"])


def test_bleeding_risk_marks_vessel_points():
    rows = json.loads(run_acu("points", "--condition", "acute-low-back-pain", "--bleeding-risk", "-f", "json").stdout)
    bl40 = next(r for r in rows if r["code"] == "BL40")
    assert any(w["flag"] == "bleeding-risk" for w in bl40["warnings"])


def test_unknown_condition_exits_2_with_closest():
    proc = run_acu("condition", "osteoporsis")
    assert proc.returncode == 2 and "osteoporosis" in proc.stderr
    assert run_acu("points", "--condition", "nothing-like-this").returncode == 2


def test_condition_card_shows_claims_and_guidelines_on_a_terminal():
    proc = run_acu("condition", "chronic-low-back-pain", "-f", "table", env={"COLUMNS": "120"})
    out = proc.stdout
    assert "NOT-RECOMMENDED" in out and "RECOMMENDED" in out
    assert "Claims you may have read" in out and "Red flags" in out


def test_formulas_reach_the_condition_card_with_their_safety(cli):
    """Formulas a condition or its patterns name are on the card, the JSON and the
    handout, each with its herbs' safety (fu-zi in You Gui Wan is toxic)."""
    card = json.loads(cli("condition", "osteoporosis", "-f", "json").stdout)[0]
    by_id = {f["id"]: f for f in card["pattern_formulas"]}
    assert by_id["you-gui-wan"]["patterns"] == ["Kidney yang deficiency"]
    assert any(s.startswith("toxic") and "fu-zi" in s for s in by_id["you-gui-wan"]["safety"])
    assert all(f["safety"] for f in card["pattern_formulas"])
    listed = json.loads(cli("condition", "menopause", "-f", "json").stdout)[0]["formulas"]
    assert listed and all(f["pinyin"] and f["safety"] for f in listed)
    table = cli("condition", "osteoporosis", "-f", "table").stdout
    assert "Formulas (traditional)" in table and "Yòu Guī Wán" in table
    page = cli("condition", "osteoporosis", "-f", "html").stdout
    assert "Herbs and formulas" in page and "fu-zi" in page


def test_formula_safety_names_the_herbs_behind_each_interaction(cli):
    rows = json.loads(cli("formulas", "--herb", "dang-gui", "-f", "json").stdout)
    assert rows and all(any(s.startswith("interacts: warfarin (") and "dang-gui" in s for s in r["safety"])
                        for r in rows)
