"""acu check: pairs, interactions, pregnancy, doses, toxic and banned herbs, points, exit codes."""

from __future__ import annotations

import json

import pytest


def findings(cli, *args):
    res = cli("check", *args, "-f", "json")
    return res, json.loads(res.stdout) if res.stdout.strip() else []


def test_a_classical_incompatible_pair_is_contraindicated_and_exits_4(cli):
    res, rows = findings(cli, "gan-cao", "gan-sui")
    assert res.exit_code == 4
    pair = [r for r in rows if r["kind"] == "incompatibility"]
    assert pair and pair[0]["severity"] == "contraindicated"
    assert set(pair[0]["items"]) == {"gan-cao", "gan-sui"} and pair[0]["sources"]


def test_the_da_ji_trap_thistle_is_not_euphorbia(cli):
    # 大蓟 (da-ji, a thistle) is not the 十八反 partner of gan cao; 京大戟 (jing-da-ji) is.
    res, rows = findings(cli, "gan-cao", "da-ji")
    assert not [r for r in rows if r["kind"] == "incompatibility"]
    res, rows = findings(cli, "gan-cao", "jing-da-ji")
    assert [r for r in rows if r["kind"] == "incompatibility"] and res.exit_code == 4


@pytest.mark.parametrize("typed", ["warfarin", "Coumadin", "coumadin 5 mg"])
def test_dan_shen_with_warfarin_as_people_type_it(cli, typed):
    res, rows = findings(cli, "dan-shen", "--drug", typed)
    hit = [r for r in rows if r["kind"] == "interaction" and "dan-shen" in r["items"]]
    assert hit and hit[0]["severity"] == "major" and hit[0]["sources"]
    assert res.exit_code == 4


def test_a_herb_with_no_interaction_data_says_no_data_never_safe(cli):
    res, rows = findings(cli, "fu-ling", "--drug", "apixaban")
    nodata = [r for r in rows if r["severity"] == "no-data"]
    assert nodata and "fu-ling" in nodata[0]["items"]
    assert "not known to be safe" in nodata[0]["message"]


def test_a_formula_expands_to_its_herbs_and_their_problems(cli):
    res, rows = findings(cli, "du huo ji sheng tang", "--drug", "warfarin")
    herbs = {i for r in rows for i in r["items"]}
    assert {"dang-gui", "du-huo"} & herbs
    assert "formula herbs:" in res.stderr


def test_pregnancy_herbs_by_category_and_points_with_the_caveat(cli):
    res, rows = findings(cli, "gan-sui", "SP6", "--pregnant")
    herb = [r for r in rows if r["kind"] == "pregnancy" and r["items"] == ["gan-sui"]]
    point = [r for r in rows if r["kind"] == "pregnancy" and r["items"] == ["SP6"]]
    assert herb and herb[0]["severity"] == "contraindicated"
    assert point and point[0]["severity"] == "moderate" and "carr2015" in point[0]["sources"]


def test_a_dose_above_the_range(cli):
    res, rows = findings(cli, "fu-zi", "--dose", "fu-zi=30")
    assert [r for r in rows if r["kind"] == "dose" and r["severity"] == "major"]
    res, rows = findings(cli, "fu-zi", "--dose", "fu-zi=9")
    assert not [r for r in rows if r["kind"] == "dose"]


def test_banned_herbs_and_their_look_alikes(cli):
    res, rows = findings(cli, "guang-fang-ji")
    assert [r for r in rows if r["kind"] == "banned" and r["severity"] == "contraindicated"]
    res, rows = findings(cli, "han-fang-ji")
    assert [r for r in rows if r["kind"] == "look-alike"]


def test_points_with_organ_risk_and_electroacupuncture_with_a_pacemaker(cli):
    res, rows = findings(cli, "LU1", "ST36", "--pacemaker")
    assert [r for r in rows if r["kind"] == "organ-risk" and r["items"] == ["LU1"]]
    assert [r for r in rows if r["kind"] == "pacemaker" and r["severity"] == "major"]
    assert res.exit_code == 4


def test_nothing_serious_exits_0_and_says_it_is_no_guarantee(cli):
    res = cli("check", "ST36", "-f", "tsv")
    assert res.exit_code == 0
    assert "severity\tkind\titems\tmessage\tsources" == res.stdout.splitlines()[0]


def test_unknown_item_exits_1_and_unknown_drug_exits_2(cli):
    assert cli("check", "zzzz").exit_code == 1
    res = cli("check", "ST36", "--drug", "notadrug")
    assert res.exit_code == 2 and "unknown drug" in res.stderr
    assert cli("check", "fu-zi", "--dose", "fu-zi=lots").exit_code == 2


@pytest.mark.parametrize("fmt", ["table", "tsv", "csv", "json", "jsonl", "yaml", "markdown"])
def test_every_format_works(cli, fmt):
    res = cli("check", "gan-cao", "gan-sui", "-f", fmt)
    assert res.exit_code == 4 and "gan-sui" in res.stdout


def test_a_mistyped_item_suggests_the_closest_name_of_any_kind(cli):
    res = cli("check", "du huo ji sheng tanng")
    assert res.exit_code == 1
    hint = next(line for line in res.stderr.splitlines() if "did you mean" in line)
    assert hint.split("did you mean: ", 1)[1].startswith("du-huo-ji-sheng-tang")


def test_the_start_of_a_formula_name_is_suggested(cli):
    res = cli("formula", "liu wei")
    assert res.exit_code == 1 and "liu-wei-di-huang-wan" in res.stderr
