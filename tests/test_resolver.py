"""Resolver: every form people type reaches the right point."""

from __future__ import annotations

import csv

import pytest

from acucli import kb as kbmod
from acucli.resolve import resolver
from conftest import FIXTURES


@pytest.fixture(scope="module")
def r():
    kbmod.reset()
    return resolver(kbmod.load())


def codes(match):
    return [p["code"] for p in match.records]


@pytest.mark.parametrize("text", ["ST36", "St-36", "st 36", "ST-36", "Stomach 36", "S36", "st36", "ST 036", "E36", "M36"])
def test_stomach_36_in_every_code_form(r, text):
    assert codes(r.point(text)) == ["ST36"]


@pytest.mark.parametrize(
    "text,code",
    [
        ("UB40", "BL40"), ("B40", "BL40"), ("Bl 40", "BL40"), ("V40", "BL40"), ("Bladder 40", "BL40"),
        ("Urinary Bladder 23", "BL23"),
        ("SJ5", "TE5"), ("TW5", "TE5"), ("TB5", "TE5"), ("TH5", "TE5"), ("3E5", "TE5"), ("San Jiao 5", "TE5"),
        ("Triple Energizer 5", "TE5"), ("Liv3", "LR3"), ("LV3", "LR3"), ("F3", "LR3"), ("Liver 3", "LR3"),
        ("P6", "PC6"), ("PC6", "PC6"), ("Pe6", "PC6"), ("MC6", "PC6"), ("H7", "HT7"), ("HE7", "HT7"),
        ("K3", "KI3"), ("Ki 3", "KI3"), ("R3", "KI3"), ("N3", "KI3"), ("Kidney 3", "KI3"),
        ("Ren 4", "CV4"), ("RN4", "CV4"), ("CV-4", "CV4"), ("VC4", "CV4"), ("Ren Mai 4", "CV4"),
        ("Du4", "GV4"), ("DU 4", "GV4"), ("GV-4", "GV4"), ("VG4", "GV4"), ("Du Mai 4", "GV4"),
        ("LU7", "LU7"), ("L7", "LU7"), ("Lung 7", "LU7"), ("LI4", "LI4"), ("Co4", "LI4"), ("IC4", "LI4"),
        ("GI4", "LI4"), ("Large Intestine 4", "LI4"), ("SP6", "SP6"), ("RP6", "SP6"), ("MP6", "SP6"),
        ("Spleen 6", "SP6"), ("SI3", "SI3"), ("IG3", "SI3"), ("Small Intestine 3", "SI3"),
        ("GB34", "GB34"), ("G34", "GB34"), ("VB34", "GB34"), ("Gall Bladder 34", "GB34"),
        ("EX-HN3", "EX-HN3"), ("ex hn 3", "EX-HN3"), ("EXHN3", "EX-HN3"), ("GV29", "EX-HN3"),
        ("EX-B2", "EX-B2"), ("ex-le-4", "EX-LE4"), ("EX-UE7", "EX-UE7"),
    ],
)
def test_old_and_foreign_channel_codes(r, text, code):
    assert codes(r.point(text)) == [code]


def _meridian_other_codes():
    with open(FIXTURES / "meridian-names.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            for part in row["other_codes"].split(";"):
                token = part.strip().split(" (")[0].strip()
                if token and " " not in token:
                    yield row["code"], token


@pytest.mark.parametrize("channel,token", list(_meridian_other_codes()))
def test_every_other_code_in_the_shared_list(r, channel, token):
    m = r.point(f"{token}1")
    assert m.records, token
    got = m.records[0]["channel"]
    ambiguous = {"P": {"LU", "PC"}, "H": {"HT", "LR"}, "Co": {"LI", "CV"}, "Dü": {"SI", "GV"}}
    if token in ambiguous:
        assert got in ambiguous[token] and m.notes, token
    else:
        assert got == channel, token


@pytest.mark.parametrize(
    "text,code",
    [
        ("Zusanli", "ST36"), ("zu san li", "ST36"), ("zú sān lǐ", "ST36"), ("Zúsānlǐ", "ST36"), ("ZU-SAN-LI", "ST36"),
        ("足三里", "ST36"), ("taixi", "KI3"), ("Tàixī", "KI3"), ("太溪", "KI3"), ("太谿", "KI3"),
        ("腎俞", "BL23"), ("肾俞", "BL23"), ("shenshu", "BL23"), ("hegu", "LI4"), ("合谷", "LI4"),
        ("Yintang", "EX-HN3"), ("印堂", "EX-HN3"), ("Juegu", "GB39"), ("Renzhong", "GV26"),
        ("Sea of Energy", "CV6"), ("Womb and Vitals", "BL53"),
    ],
)
def test_pinyin_hanzi_and_lay_names(r, text, code):
    assert codes(r.point(text)) == [code]


def test_english_names_resolve(r):
    kb = kbmod.load()
    for p in kb.points[::17]:
        got = codes(r.point(p["english"]))
        assert p["code"] in got, p["english"]


def test_tone_marks_tell_homophones_apart(r):
    assert codes(r.point("Fútū")) == ["LI18"]
    assert codes(r.point("Fútù")) == ["ST32"]
    m = r.point("futu")
    assert m.ambiguous and set(codes(m)) == {"LI18", "ST32"}


def test_unknown_code_suggests(r):
    m = r.point("ST99")
    assert not m.records
    assert m.suggestions and all(s.startswith("ST") for s in m.suggestions)


def test_typo_gets_did_you_mean_not_a_silent_pick(r):
    m = r.point("zusanly")
    assert not m.records
    assert any(s.startswith("ST36") for s in m.suggestions)


def test_old_bladder_numbering_is_pointed_out(r):
    m = r.point("B47")
    assert codes(m) == ["BL47"]
    assert any("BL52" in n for n in m.notes)


def test_empty_and_junk_input(r):
    for junk in ["", "   ", "???", "\x1b[31m", "🙂", "a" * 500, "ST" + "9" * 50]:
        m = r.point(junk)
        assert not m.records


@pytest.mark.parametrize("text", ["腎兪", "腎腧", "肾俞"])
def test_variant_characters_of_older_texts(r, text):
    assert codes(r.point(text)) == ["BL23"]


@pytest.mark.parametrize("text,cid", [("骨質疏鬆症", "osteoporosis"), ("骨質疏鬆", "osteoporosis"),
                                      ("坐骨神經痛", "sciatica"), ("偏頭痛", "migraine")])
def test_traditional_condition_names(r, text, cid):
    assert [c["id"] for c in r.condition(text).records] == [cid]
