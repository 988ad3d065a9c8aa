"""Materia medica: coverage, vocabularies, safety facts from evidence.md, pinyin, CLI."""

from __future__ import annotations

import json
import unicodedata

import pytest
from pypinyin import Style, pinyin

from acucli import kb as kbmod
from acucli import schema as S
from conftest import run_acu


@pytest.fixture(scope="module")
def herbs():
    kbmod.reset()
    return kbmod.load().by_key("herbs")


def test_coverage_and_unique_ids(herbs):
    kb = kbmod.load()
    ids = [h["id"] for h in kb.herbs]
    assert len(ids) == len(set(ids))
    assert len([h for h in kb.herbs if h["status"] not in ("banned", "prohibited")]) >= 300
    hanzi = [h["hanzi"] for h in kb.herbs]
    assert len(hanzi) == len(set(hanzi)), "two records share a hanzi name"


def test_vocabularies_are_closed(herbs):
    for h in herbs.values():
        assert h["category"] in S.HERB_CATEGORIES and h["subcategory"] in S.HERB_CATEGORIES[h["category"]]
        assert h["nature"] in S.NATURES
        assert set(h["flavors"]) <= set(S.FLAVORS) and h["flavors"]
        assert set(h["channels"]) <= set(S.ORGAN_CHANNELS) and h["channels"]
        assert h["toxicity"] in S.TOXICITY and h["status"] in S.HERB_STATUS
        if h["status"] in ("banned", "prohibited"):
            assert h["dose_g"] is None
        elif h["dose_g"]:
            assert 0 < h["dose_g"][0] <= h["dose_g"][1] <= 120


# Safety facts of shared/evidence.md §1.4 and §3.5: herb id -> what must show.
EVIDENCE_SAFETY = {
    "he-shou-wu": {"kinds": {"hepatotoxicity"}},
    "zhi-he-shou-wu": {"kinds": {"hepatotoxicity"}},
    "dang-gui": {"drugs": {"warfarin"}},
    "gou-qi-zi": {"drugs": {"warfarin"}},
    "guang-fang-ji": {"status": "banned"},
    "guan-mu-tong": {"status": "banned"},
    "ma-dou-ling": {"status": "banned"},
    "qing-mu-xiang": {"status": "banned"},
    "tian-xian-teng": {"status": "banned"},
    "xun-gu-feng": {"status": "banned"},
    "xi-xin": {"toxic": True, "kinds": {"dose-limit"}},
    "ma-huang": {"kinds": {"regulatory"}, "drugs": {"stimulants"}},
    "fu-zi": {"toxic": True, "kinds": {"pregnancy-caution"}},
    "chuan-wu": {"toxicity": "high", "kinds": {"pregnancy-contraindicated"}},
    "cao-wu": {"toxicity": "high", "kinds": {"pregnancy-contraindicated"}},
    "zhu-sha": {"toxic": True, "kinds": {"pregnancy-contraindicated"}},
    "xiong-huang": {"toxic": True, "kinds": {"pregnancy-contraindicated"}},
    "gan-cao": {"kinds": {"incompatibility"}},
    "ku-xing-ren": {"toxic": True},
    "lei-gong-teng": {"toxicity": "high"},
    "ma-qian-zi": {"toxicity": "high", "kinds": {"pregnancy-contraindicated"}},
    "she-xiang": {"kinds": {"pregnancy-contraindicated", "conservation"}},
    "shui-zhi": {"kinds": {"pregnancy-contraindicated"}},
    "meng-chong": {"kinds": {"pregnancy-contraindicated"}},
    "tu-bie-chong": {"kinds": {"pregnancy-contraindicated"}},
    "gan-sui": {"toxic": True, "kinds": {"pregnancy-contraindicated"}},
    "jing-da-ji": {"toxic": True, "kinds": {"pregnancy-contraindicated"}},
    "yuan-hua": {"toxic": True, "kinds": {"pregnancy-contraindicated"}},
    "shang-lu": {"toxic": True, "kinds": {"pregnancy-contraindicated"}},
    "qian-niu-zi": {"toxic": True, "kinds": {"pregnancy-contraindicated"}},
    "ba-dou": {"toxic": True, "kinds": {"pregnancy-contraindicated"}},
    "ban-mao": {"toxic": True, "kinds": {"pregnancy-contraindicated"}},
    "san-leng": {"kinds": {"pregnancy-contraindicated"}},
    "e-zhu": {"kinds": {"pregnancy-contraindicated"}},
    "quan-xie": {"toxic": True, "kinds": {"pregnancy-contraindicated"}},
    "wu-gong": {"toxic": True, "kinds": {"pregnancy-contraindicated"}},
    "hong-hua": {"kinds": {"pregnancy-caution"}, "drugs": {"anticoagulants"}},
    "tao-ren": {"kinds": {"pregnancy-caution"}, "drugs": {"anticoagulants"}},
    "niu-xi": {"kinds": {"pregnancy-caution"}},
    "yi-mu-cao": {"kinds": {"pregnancy-caution"}},
    "da-huang": {"kinds": {"pregnancy-caution"}},
    "xi-jiao": {"status": "prohibited", "substitute": "shui-niu-jiao"},
    "hu-gu": {"status": "prohibited"},
    "chuan-shan-jia": {"status": "prohibited"},
    "ling-yang-jiao": {"kinds": {"conservation"}},
    "xiong-dan": {"kinds": {"conservation"}},
    "dai-mao": {"kinds": {"conservation"}},
    "hai-ma": {"kinds": {"conservation"}},
    "ge-jie": {"kinds": {"conservation"}},
    "shi-hu": {"kinds": {"conservation"}},
    "tian-ma": {"kinds": {"conservation"}},
    "gou-ji": {"kinds": {"conservation"}},
    "rou-cong-rong": {"kinds": {"conservation"}},
    "mu-xiang": {"kinds": {"conservation"}},
    "chen-xiang": {"kinds": {"conservation"}},
    "xi-yang-shen": {"kinds": {"conservation"}},
}


@pytest.mark.parametrize("hid", sorted(EVIDENCE_SAFETY))
def test_every_safety_fact_in_evidence_md_is_on_its_herb(herbs, hid):
    h = herbs[hid]
    want = EVIDENCE_SAFETY[hid]
    kinds = {c["kind"] for c in h["cautions"]}
    drugs = {i["drug"] for i in h["interactions"]}
    if "status" in want:
        assert h["status"] == want["status"]
    if "substitute" in want:
        assert h["substitute"] == want["substitute"]
    if want.get("toxic"):
        assert h["toxicity"] != "none"
    if "toxicity" in want:
        assert h["toxicity"] == want["toxicity"]
    for k in want.get("kinds", ()):
        assert k in kinds or (k == "pregnancy-caution" and "pregnancy-contraindicated" in kinds), (hid, k, kinds)
    assert want.get("drugs", set()) <= drugs, (hid, drugs)


def test_every_caution_has_a_source_or_basis(herbs):
    for h in herbs.values():
        for c in h["cautions"] + h["interactions"]:
            assert c["sources"] or c["basis"], h["id"]


def _syllables(py: str) -> list[str]:
    return [s for s in py.replace("'", " ").replace("-", " ").split() if s]


# Readings used in the names of medicinals that pypinyin's dictionary omits.
READINGS = {"术": {"zhú"}, "茜": {"qiàn"}, "䗪": {"zhè"}}


def test_pinyin_agrees_with_hanzi(herbs):
    bad = []
    for h in herbs.values():
        chars = [c for c in h["hanzi"] if "CJK" in unicodedata.name(c, "")]
        sylls = [s.lower() for s in _syllables(h["pinyin"])]
        joined = "".join(sylls)
        # Syllables may be written joined ("Gǒuqǐzǐ"); compare character by character
        # when the count matches, otherwise the concatenation.
        readings = [set(pinyin(c, style=Style.TONE, heteronym=True)[0]) | READINGS.get(c, set()) for c in chars]
        if len(sylls) == len(chars):
            if not all(s in r for s, r in zip(sylls, readings)):
                bad.append((h["id"], h["pinyin"], h["hanzi"]))
        elif not _fits(joined, readings):
            bad.append((h["id"], h["pinyin"], h["hanzi"]))
    assert not bad, bad


def _fits(text: str, readings: list[set]) -> bool:
    if not readings:
        return text == ""
    return any(text.startswith(r) and _fits(text[len(r):], readings[1:]) for r in readings[0])


@pytest.mark.parametrize("query", ["du zhong", "duzhong", "杜仲", "Eucommiae Cortex", "Dù Zhòng", "du-zhong"])
def test_herb_in_every_name_form(query):
    proc = run_acu("herb", query, "-f", "json")
    assert proc.returncode == 0, proc.stderr
    assert [h["id"] for h in json.loads(proc.stdout)] == ["du-zhong"]


@pytest.mark.parametrize("query,ids", [
    ("fang ji", {"han-fang-ji", "guang-fang-ji"}),
    ("mu tong", {"mu-tong", "chuan-mu-tong", "guan-mu-tong"}),
    ("fo-ti", {"he-shou-wu", "zhi-he-shou-wu"}),
    ("mu xiang", {"mu-xiang", "qing-mu-xiang"}),
])
def test_ambiguous_names_list_candidates_with_safety(query, ids):
    proc = run_acu("herb", query, "-f", "json")
    assert proc.returncode == 1
    rows = json.loads(proc.stdout)
    assert {r["id"] for r in rows} == ids
    assert all(r["safety"] for r in rows)
    assert "different herbs" in proc.stderr


@pytest.mark.parametrize("query,want,also", [("niu xi", "niu-xi", "chuan-niu-xi"),
                                             ("he shou wu", "he-shou-wu", "zhi-he-shou-wu")])
def test_an_exact_name_wins_when_the_look_alikes_share_its_safety(cli, query, want, also):
    """Niu Xi is niu-xi, not a question, when chuan-niu-xi carries the same safety
    labels; the look-alike is named beside it. Hong Hua (saffron differs) still asks."""
    import acucli

    res = cli("herb", query, "-f", "json")
    assert res.exit_code == 0, res.stderr
    assert [h["id"] for h in json.loads(res.stdout)] == [want]
    assert "see also" in res.stderr and also in res.stderr
    lib = acucli.open([])
    rec, notes = lib.herb_match(query)
    assert rec["id"] == want and any(also in n for n in notes)
    from acucli.query import herb_safety

    assert herb_safety(rec) == herb_safety(lib.kb.get("herbs", also))
    assert cli("herb", "hong hua", "-f", "json").exit_code == 1


def test_banned_herb_card_says_so_first():
    proc = run_acu("herb", "guang-fang-ji", "-f", "table", env={"COLUMNS": "100"})
    assert proc.returncode == 0
    assert "BANNED" in proc.stdout.splitlines()[1]


def test_prohibited_item_names_its_substitute():
    d = json.loads(run_acu("herb", "xi jiao", "-f", "json").stdout)[0]
    assert d["status"] == "prohibited" and "Shuǐ Niú Jiǎo" in d["substitute_name"]


def test_herb_filters_combine():
    rows = json.loads(run_acu("herbs", "--category", "tonifying", "--channel", "KI", "--nature", "warm",
                              "-f", "json").stdout)
    assert rows and all(r["category"] == "tonifying" and "KI" in r["channels"] and r["nature"] == "warm"
                        for r in rows)
    assert "du-zhong" in {r["id"] for r in rows}


def test_interacts_warfarin_includes_general_anticoagulant_warnings():
    ids = {r["id"] for r in json.loads(run_acu("herbs", "--interacts", "warfarin", "-f", "json").stdout)}
    assert {"dang-gui", "gou-qi-zi", "hong-hua", "tao-ren"} <= ids


def test_interacts_listing_says_how_serious_and_why(cli):
    from acucli.schema import SEVERITIES

    rows = json.loads(cli("herbs", "--interacts", "Coumadin", "-f", "json").stdout)
    assert rows and all(r["severity"] in SEVERITIES and r["effect"] for r in rows)
    ranks = [SEVERITIES.index(r["severity"]) for r in rows]
    assert ranks == sorted(ranks)  # most serious first
    by = {r["id"]: r for r in rows}
    assert by["dan-shen"]["severity"] == "major" and by["dan-shen"]["sources"]


def test_every_structured_interaction_shows_in_the_listing_safety(cli):
    """A herb's interactions reach the short labels of every listing, not only its card."""
    import acucli

    rows = {r["id"]: r for r in json.loads(cli("herbs", "--include-banned", "-f", "json").stdout)}
    pairs = {(i["herb"], i["drug"]) for i in acucli.open([]).kb.section("interactions")}
    assert len(pairs) > 50
    missing = [(h, d) for h, d in pairs if f"interacts: {d}" not in rows[h]["safety"]]
    assert not missing, missing[:5]


def test_caution_pregnancy_and_banned_listing():
    preg = {r["id"] for r in json.loads(run_acu("herbs", "--caution", "pregnancy", "-f", "json").stdout)}
    assert {"shui-zhi", "hong-hua", "da-huang"} <= preg
    default = {r["id"] for r in json.loads(run_acu("herbs", "-f", "json").stdout)}
    assert "guang-fang-ji" not in default and "xi-jiao" not in default
    banned = {r["id"] for r in json.loads(run_acu("herbs", "--caution", "banned", "-f", "json").stdout)}
    assert "guang-fang-ji" in banned


def test_herbs_for_a_condition_carry_safety():
    rows = json.loads(run_acu("herbs", "--condition", "osteoporosis", "-f", "json").stdout)
    by = {r["id"]: r for r in rows}
    assert "hepatotoxicity" in by["zhi-he-shou-wu"]["safety"]
    assert any("warfarin" in s for s in by["dang-gui"]["safety"])


def test_unknown_vocabulary_values_exit_2():
    assert run_acu("herbs", "--nature", "lukewarm").returncode == 2
    assert run_acu("herbs", "--interacts", "aspirin-ish").returncode == 2
    assert run_acu("herb", "xyzzyq").returncode == 1


def test_search_covers_herbs():
    proc = run_acu("search", "eucommia", "-f", "tsv")
    assert "herb\tdu-zhong" in proc.stdout
