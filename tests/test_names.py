"""Every name people type: points and herbs."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize("name,code", [
    ("Union Valley", "LI4"), ("Supreme Rushing", "LR3"), ("Elegant Mansion", "KI27"),
    ("union valley point", "LI4"), ("hegu points", "LI4"), ("Governing 4", "GV4"),
    ("Conception 12", "CV12"), ("back of the knee point", "BL40"), ("stomach point", "CV6"),
])
def test_point_names(cli, name, code):
    res = cli("point", name, "-f", "json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)[0]["code"] == code


@pytest.mark.parametrize("name", ["lower back point", "hand point"])
def test_lay_names_with_several_points_list_them(cli, name):
    res = cli("point", name, "-f", "json")
    assert res.exit_code == 1
    assert len(json.loads(res.stdout)) >= 2


def test_a_miss_suggests_search_hits(cli):
    res = cli("point", "back of knee")
    assert res.exit_code == 1 and "BL40" in res.stderr


@pytest.mark.parametrize("name,hid", [
    ("Radix Aristolochiae Fangchi", "guang-fang-ji"), ("Panax ginseng", "ren-shen"),
    ("notoginseng", "san-qi"), ("Huang Chi", "huang-qi"), ("Tang Kuei", "dang-gui"),
    ("du4 zhong4", "du-zhong"), ("zhi fu zi", "fu-zi"), ("法半夏", "ban-xia"), ("Dà Jì", "da-ji"),
])
def test_herb_names(cli, name, hid):
    res = cli("herb", name, "-f", "json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)[0]["id"] == hid


def test_tone_marks_typed_are_respected(cli):
    res = cli("herb", "Dà Jǐ", "-f", "json")
    ids = {r["id"] for r in json.loads(res.stdout)}
    assert "da-ji" not in ids and "jing-da-ji" in ids


def test_a_single_word_of_several_herbs_lists_them(cli):
    res = cli("herb", "peony", "-f", "json")
    assert res.exit_code == 1
    assert {"bai-shao", "chi-shao"} <= {r["id"] for r in json.loads(res.stdout)}
