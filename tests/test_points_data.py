"""Consistency of the bundled point data (data/points.yaml) with the facts.

Expectations come from tests/fixtures/point-names.csv (codes, numbers, names) and
from standard textbook facts recorded in shared/evidence.md (§3.2 pregnancy,
§3.3 organ risk, §4.1 command points, §5 the SI2/SI3 data bug), never from the
YAML itself. The points are loaded with the project's own validator, so a
missing or half-written herbs.yaml or conditions.yaml cannot break these tests.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from acucli.validate import cross_check, load_and_validate

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
CSV_PATH = ROOT / "tests" / "fixtures" / "point-names.csv"

ORGANS = ("LU", "LI", "ST", "SP", "HT", "SI", "BL", "KI", "PC", "TE", "GB", "LR")
YIN = {"LU", "SP", "HT", "KI", "PC", "LR"}
FIVE_SHU = ("jing-well", "ying-spring", "shu-stream", "jing-river", "he-sea")


# ------------------------------------------------------------------ loading


@pytest.fixture(scope="module")
def loaded():
    data: dict = {}
    problems = []
    for name in ("points", "meridians", "references"):
        part, probs = load_and_validate(DATA / f"{name}.yaml", f"data/{name}.yaml")
        problems += probs
        for key, value in part.items():
            data.setdefault(key, [])
            data[key] = data[key] + value
    merged = {
        "points": data.get("points", []),
        "meridians": data.get("meridians", []),
        "references": data.get("references", []),
        "shared_aliases": data.get("shared_aliases", []),
    }
    problems += cross_check(merged)
    return merged, problems


@pytest.fixture(scope="module")
def points(loaded):
    return loaded[0]["points"]


@pytest.fixture(scope="module")
def by_code(points):
    return {p["code"]: p for p in points}


@pytest.fixture(scope="module")
def csv_rows():
    if not CSV_PATH.exists():
        pytest.skip(f"{CSV_PATH} is not available")
    with CSV_PATH.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def cats(p: dict, name: str) -> list:
    """Qualifiers of every category `name` on point p (None for unqualified)."""
    return [c["value"] for c in p["categories"] if c["name"] == name]


def holders(points, name: str) -> dict:
    """code -> list of qualifiers, for every point carrying category `name`."""
    out = {}
    for p in points:
        vals = cats(p, name)
        if vals:
            out[p["code"]] = vals
    return out


def single(points, name: str) -> dict:
    """code -> qualifier for a category that a point carries at most once."""
    out = {}
    for code, vals in holders(points, name).items():
        assert len(vals) == 1, f"{code} carries {name} {len(vals)} times: {vals}"
        out[code] = vals[0]
    return out


def expand(spec: str) -> list[str]:
    """'CV2-CV7' -> ['CV2', ..., 'CV7']; 'LI4' -> ['LI4']."""
    m = re.fullmatch(r"([A-Z]+)(\d+)-\1(\d+)", spec)
    if not m:
        return [spec]
    ch, a, b = m.group(1), int(m.group(2)), int(m.group(3))
    return [f"{ch}{n}" for n in range(a, b + 1)]


# ------------------------------------------------------- validation, counts


def test_validation_has_no_problems(loaded):
    _, problems = loaded
    assert problems == [], "\n".join(str(p) for p in problems)


def test_record_count_and_unique_codes(points):
    codes = [p["code"] for p in points]
    assert len(points) == 409
    dupes = [c for c, n in Counter(codes).items() if n > 1]
    assert dupes == []


def test_per_channel_counts(points):
    want = {
        "LU": 11, "LI": 20, "ST": 45, "SP": 21, "HT": 9, "SI": 19, "BL": 67, "KI": 27,
        "PC": 9, "TE": 23, "GB": 44, "LR": 14, "GV": 28, "CV": 24, "EX": 48,
    }
    assert sum(want.values()) == 409
    assert dict(Counter(p["channel"] for p in points)) == want


# ------------------------------------------------------- names vs the CSV


def test_codes_match_csv(points, csv_rows):
    assert len(csv_rows) == 409
    assert sorted(p["code"] for p in points) == sorted(r["code"] for r in csv_rows)


@pytest.mark.parametrize("field,column", [
    ("channel", "meridian"),
    ("number", "number"),
    ("pinyin", "pinyin"),
    ("hanzi", "hanzi"),
])
def test_fields_match_csv(by_code, csv_rows, field, column):
    bad = []
    for row in csv_rows:
        p = by_code.get(row["code"])
        if p is None:
            bad.append((row["code"], "missing"))
            continue
        got = p[field]
        want = int(row[column]) if field == "number" else row[column]
        if field in ("pinyin", "hanzi"):
            got, want = unicodedata.normalize("NFC", got), unicodedata.normalize("NFC", want)
        if got != want:
            bad.append((row["code"], got, want))
    assert bad == []


def test_traditional_hanzi_match_csv(by_code, csv_rows):
    bad = []
    for row in csv_rows:
        p = by_code[row["code"]]
        got = p["hanzi_traditional"]
        if row["meridian"] == "EX" and row["hanzi_traditional"] == row["hanzi"]:
            # The CSV's traditional column for these extra points merely repeats the
            # simplified form; the YAML may give the proper traditional characters.
            if not is_cjk(got) or len(got) != len(row["hanzi"]):
                bad.append((row["code"], got, "must be CJK of the same length"))
            continue
        if got != row["hanzi_traditional"]:
            bad.append((row["code"], got, row["hanzi_traditional"]))
    assert bad == []


# ------------------------------------------------------------- hanzi sanity

MOJIBAKE = re.compile("[\u00c0-\u00ff\u0e00-\u0e7f\ufffd\u20ac]")


def is_cjk(text: str) -> bool:
    return bool(text) and all("CJK" in unicodedata.name(ch, "") for ch in text)


def test_hanzi_are_cjk_and_not_mojibake(points):
    bad = []
    for p in points:
        for key in ("hanzi", "hanzi_traditional"):
            v = p[key]
            if not is_cjk(v) or MOJIBAKE.search(v):
                bad.append((p["code"], key, v))
    assert bad == []


def test_no_mojibake_in_any_text(points):
    """Thai letters, U+FFFD or the 'â€' remnant of a broken dash mean bad decoding."""
    pattern = re.compile("[\u0e00-\u0e7f\ufffd]|\u00e2\u20ac|\u00c3[\u0080-\u00bf]")
    bad = []

    def walk(code, value):
        if isinstance(value, str):
            if pattern.search(value):
                bad.append((code, value[:60]))
        elif isinstance(value, dict):
            for v in value.values():
                walk(code, v)
        elif isinstance(value, list):
            for v in value:
                walk(code, v)

    for p in points:
        walk(p["code"], {k: v for k, v in p.items() if not k.startswith("_")})
    assert bad == []


# ------------------------------------------------------- pinyin vs hanzi

# Readings pypinyin does not list but that are standard in point names.
PINYIN_EXCEPTIONS: dict[str, set[str]] = {
    # 俞 means 输 "transport" in point names (back-shu points, 肓俞, 俞府, 腰俞):
    # read shū by every acupuncture textbook; the CSV notes this.
    "俞": {"shū"},
    # BL45 譩譆, an imitation of the sigh the patient gives when the point is pressed:
    # the national standard of point names (GB/T 12346) and the CSV read it Yìxǐ,
    # where general dictionaries (and pypinyin) give yī xī.
    "譩": {"yì"},
    "譆": {"xǐ"},
}


def readings(ch: str) -> list[str]:
    from pypinyin import Style, pinyin

    out = {unicodedata.normalize("NFC", r.lower()) for r in pinyin(ch, style=Style.TONE, heteronym=True)[0]}
    out |= PINYIN_EXCEPTIONS.get(ch, set())
    return sorted(out, key=len, reverse=True)


def split_pinyin(text: str, hanzi: str) -> list[str] | None:
    """Syllables of `text`, one per character of `hanzi`, or None if they don't fit.

    Matches each character's readings (longest first) against the front of the
    remaining text, backing up when a later character cannot match.
    """
    s = unicodedata.normalize("NFC", text.lower()).replace("'", "").replace("’", "")
    s = s.replace(" ", "").replace("-", "")

    def go(i: int, k: int) -> list[str] | None:
        if k == len(hanzi):
            return [] if i == len(s) else None
        for r in readings(hanzi[k]):
            if s.startswith(r, i):
                rest = go(i + len(r), k + 1)
                if rest is not None:
                    return [r, *rest]
        return None

    return go(0, 0)


def test_pinyin_splitter_itself():
    assert split_pinyin("Fù'āi", "腹哀") == ["fù", "āi"]
    assert split_pinyin("Shènshū", "肾俞") == ["shèn", "shū"]
    assert split_pinyin("Shènyú", "肾俞") == ["shèn", "yú"]  # pypinyin's own reading
    assert split_pinyin("Shènshù", "肾") is None


def test_pinyin_agrees_with_hanzi(points):
    bad = []
    for p in points:
        if split_pinyin(p["pinyin"], p["hanzi"]) is None:
            bad.append((p["code"], p["pinyin"], p["hanzi"],
                        {ch: readings(ch) for ch in p["hanzi"]}))
    assert bad == []


def test_pinyin_agrees_with_traditional_hanzi(points):
    """A wrong traditional character shows up as a reading that no longer fits."""
    bad = [(p["code"], p["pinyin"], p["hanzi_traditional"]) for p in points
           if split_pinyin(p["pinyin"], p["hanzi_traditional"]) is None]
    assert bad == []


# ------------------------------------------------------- required content


def test_no_empty_required_fields(points):
    bad = []
    for p in points:
        for key in ("location", "locating", "english"):
            if not isinstance(p[key], str) or not p[key].strip():
                bad.append((p["code"], key))
        for key in ("actions", "indications", "regions", "sources"):
            if not p[key] or not all(isinstance(x, str) and x.strip() for x in p[key]):
                bad.append((p["code"], key))
    assert bad == []


def test_needling_depth_and_moxibustion(points):
    bad = []
    for p in points:
        n = p["needling"]
        if not n:
            bad.append((p["code"], "no needling"))
            continue
        depth = n["depth_cun"]
        if n["method"] == "not-needled":
            if depth is not None:
                bad.append((p["code"], "not-needled with a depth", depth))
        elif not (isinstance(depth, list) and len(depth) == 2 and 0 < depth[0] <= depth[1] <= 3.5):
            bad.append((p["code"], "depth", depth))
        if n["moxibustion"] not in ("allowed", "caution", "forbidden"):
            bad.append((p["code"], "moxibustion", n["moxibustion"]))
        if n["angle"] not in ("perpendicular", "oblique", "transverse", "none"):
            bad.append((p["code"], "angle", n["angle"]))
    assert bad == []


# -------------------------------------------------- SI1/SI2/SI3 (§5)


def test_si1_si2_si3_locations_differ(by_code):
    locs = [by_code[c]["location"] for c in ("SI1", "SI2", "SI3")]
    assert len(set(locs)) == 3


def test_si2_distal_si3_proximal_to_fifth_mcp(by_code):
    si2, si3 = by_code["SI2"]["location"].lower(), by_code["SI3"]["location"].lower()
    for text in (si2, si3):
        assert "metacarpophalangeal" in text or "mcp" in text
        assert "5th" in text or "fifth" in text
    assert "distal" in si2 and "proximal" not in si2
    assert "proximal" in si3


# ----------------------------------------------------------- categories


def test_back_shu(points):
    want = {
        "BL13": "LU", "BL14": "PC", "BL15": "HT", "BL18": "LR", "BL19": "GB", "BL20": "SP",
        "BL21": "ST", "BL22": "TE", "BL23": "KI", "BL25": "LI", "BL27": "SI", "BL28": "BL",
    }
    assert single(points, "back-shu") == want


def test_front_mu(points):
    want = {
        "LU1": "LU", "CV17": "PC", "CV14": "HT", "LR14": "LR", "GB24": "GB", "LR13": "SP",
        "CV12": "ST", "CV5": "TE", "GB25": "KI", "ST25": "LI", "CV4": "SI", "CV3": "BL",
    }
    assert single(points, "front-mu") == want


def test_yuan_source(points):
    want = {"LU9", "LI4", "ST42", "SP3", "HT7", "SI4", "BL64", "KI3", "PC7", "TE4", "GB40", "LR3"}
    assert set(holders(points, "yuan-source")) == want


def test_luo_connecting(points):
    # Decision: the textbooks (Ling Shu ch. 10; Cheng, Chinese Acupuncture and
    # Moxibustion; Deadman) count FIFTEEN luo-connecting points: the twelve channel
    # luo, CV15 Jiuwei (Ren luo), GV1 Changqiang (Du luo) and SP21 Dabao, the great
    # luo of the Spleen. SP21 is therefore a luo-connecting point AND the only
    # great-luo point. (The sixteenth, the Stomach's great luo Xuli, has no point.)
    channel_luo = {"LU7", "LI6", "ST40", "SP4", "HT5", "SI7", "BL58", "KI4", "PC6", "TE5",
                   "GB37", "LR5"}
    want = channel_luo | {"CV15", "GV1", "SP21"}
    assert len(want) == 15
    assert set(holders(points, "luo-connecting")) == want
    assert set(holders(points, "great-luo")) == {"SP21"}


def test_hui_meeting(points):
    want = {
        "LR13": "zang", "CV12": "fu", "CV17": "qi", "BL17": "blood", "GB34": "sinew",
        "LU9": "vessel", "BL11": "bone", "GB39": "marrow",
    }
    assert single(points, "hui-meeting") == want


def test_confluent(points):
    want = {
        "SP4": "CHONG", "PC6": "YINWEI", "SI3": "GV", "BL62": "YANGQIAO", "GB41": "DAI",
        "TE5": "YANGWEI", "LU7": "CV", "KI6": "YINQIAO",
    }
    assert single(points, "confluent") == want


def test_lower_he_sea(points):
    want = {"ST36": "ST", "ST37": "LI", "ST39": "SI", "BL39": "TE", "BL40": "BL", "GB34": "GB"}
    assert single(points, "lower-he-sea") == want


# The five-shu points of each channel, in order well, spring, stream, river, sea
# (standard textbook table; the Nanjing phase order below).
FIVE_SHU_POINTS = {
    "LU": (11, 10, 9, 8, 5),
    "LI": (1, 2, 3, 5, 11),
    "ST": (45, 44, 43, 41, 36),
    "SP": (1, 2, 3, 5, 9),
    "HT": (9, 8, 7, 4, 3),
    "SI": (1, 2, 3, 5, 8),
    "BL": (67, 66, 65, 60, 40),
    "KI": (1, 2, 3, 7, 10),
    "PC": (9, 8, 7, 5, 3),
    "TE": (1, 2, 3, 6, 10),
    "GB": (44, 43, 41, 38, 34),
    "LR": (1, 2, 3, 4, 8),
}
YIN_PHASES = ("wood", "fire", "earth", "metal", "water")
YANG_PHASES = ("metal", "water", "wood", "fire", "earth")


def test_five_shu_one_of_each_per_channel_with_phases(points):
    per: dict = defaultdict(lambda: defaultdict(list))
    for p in points:
        for name in FIVE_SHU:
            for v in cats(p, name):
                per[p["channel"]][name].append((p["code"], v))
    assert set(per) == set(ORGANS), f"five-shu outside the 12 channels: {set(per) - set(ORGANS)}"
    bad = []
    for ch in ORGANS:
        phases = YIN_PHASES if ch in YIN else YANG_PHASES
        for name, phase, num in zip(FIVE_SHU, phases, FIVE_SHU_POINTS[ch]):
            got = per[ch][name]
            if got != [(f"{ch}{num}", phase)]:
                bad.append((ch, name, got, (f"{ch}{num}", phase)))
    assert bad == []


def test_xi_cleft(points):
    want = {
        "LU6": None, "LI7": None, "ST34": None, "SP8": None, "HT6": None, "SI6": None,
        "BL63": None, "KI5": None, "PC4": None, "TE7": None, "GB36": None, "LR6": None,
        "BL59": "YANGQIAO", "GB35": "YANGWEI", "KI8": "YINQIAO", "KI9": "YINWEI",
    }
    assert single(points, "xi-cleft") == want


def test_command_points_are_two_sets_of_their_own(points):
    four = {"ST36": "abdomen", "BL40": "back", "LU7": "head-neck", "LI4": "face-mouth"}
    assert single(points, "four-command-points") == four
    # The six: the four plus the extended verse's additions (evidence.md §4.1).
    assert single(points, "six-command-points") == {**four, "PC6": "chest", "GV26": "resuscitation"}


def test_category_channels_are_known(loaded):
    data, _ = loaded
    known = {m["code"] for m in data["meridians"]}
    bad = []
    for p in data["points"]:
        for c in p["categories"]:
            if c["name"] in ("back-shu", "front-mu", "lower-he-sea", "confluent", "crossing-point"):
                vals = c["value"] if isinstance(c["value"], list) else [c["value"]]
                bad += [(p["code"], c["name"], v) for v in vals if v not in known]
        if p["channel"] not in known:
            bad.append((p["code"], "channel", p["channel"]))
    assert bad == []


# ----------------------------------------------------------------- safety

PREGNANCY = [
    "LI4", "SP6", "GB21", "BL60", "BL67", "CV2-CV7", "KI11-KI16", "ST25-ST30",
    "BL27-BL34", "GV2-GV4", "ST12",
]  # evidence.md §3.2
# evidence.md §3.3: points whose needling risks a deep structure, with the kinds of
# caution that fit that structure and a word the caution must name.
# Decision: §3.3 is a table of "organ, vessel or nerve risk", and the data format
# has a kind for each. Lung, heart and trachea are organs; at ST9 the structure is
# the carotid artery and sinus, so `vessel` is the precise kind; at GV15/GV16 it
# is the medulla oblongata, nervous tissue of the brain stem, for which `nerve`
# (or `organ`) is right. CV22 guards both the trachea and the great vessels.
ORGAN = {
    "GB21": ({"organ"}, r"lung|pleura|pneumothorax"),
    "LU1": ({"organ"}, r"lung|pleura|pneumothorax"),
    "LU2": ({"organ"}, r"lung|pleura|pneumothorax"),
    "BL13": ({"organ"}, r"lung|pleura|pneumothorax"),
    "CV17": ({"organ"}, r"heart|sternal foramen|pericard|tamponade"),
    "CV22": ({"organ", "vessel"}, r"trachea"),
    "ST9": ({"vessel", "organ"}, r"carotid"),
    "GV15": ({"nerve", "organ"}, r"medulla"),
    "GV16": ({"nerve", "organ"}, r"medulla"),
}


def kinds(p: dict) -> set[str]:
    return {c["kind"] for c in p["cautions"]}


def test_pregnancy_cautions(by_code):
    codes = [c for spec in PREGNANCY for c in expand(spec)]
    missing = [c for c in codes if "pregnancy" not in kinds(by_code[c])]
    assert missing == []


def test_pregnancy_cautions_cite_carr_or_tradition(points):
    bad = [
        p["code"]
        for p in points
        for c in p["cautions"]
        if c["kind"] == "pregnancy" and "carr2015" not in c["sources"] and c["basis"] != "traditional"
    ]
    assert bad == []


def test_not_needled_points(by_code):
    for code in ("ST17", "CV8"):
        n = by_code[code]["needling"]
        assert n["method"] == "not-needled", code
        assert n["depth_cun"] is None, code


def test_gv4_moxibustion_not_forbidden(by_code):
    # evidence.md §5.3: one app's "no moxa" at GV4 contradicts the textbook use of
    # moxa there for Kidney-yang deficiency (gmzyjc, 腰痛 chapter).
    assert by_code["GV4"]["needling"]["moxibustion"] != "forbidden"


def test_organ_cautions(by_code):
    missing = []
    for code, (allowed, structure) in ORGAN.items():
        fits = [c for c in by_code[code]["cautions"]
                if c["kind"] in allowed and re.search(structure, c["text"], re.I)]
        if not fits:
            missing.append((code, sorted(allowed), structure))
    assert missing == []


def test_every_caution_has_sources_or_basis(points):
    bad = [(p["code"], c["text"][:40]) for p in points for c in p["cautions"]
           if not c["sources"] and not c["basis"]]
    assert bad == []


def test_every_source_id_exists(loaded):
    data, _ = loaded
    refs = {r["id"] for r in data["references"]}
    bad = []
    for p in data["points"]:
        for s in p["sources"]:
            if s not in refs:
                bad.append((p["code"], s))
        for c in p["cautions"]:
            bad += [(p["code"], "caution", s) for s in c["sources"] if s not in refs]
    assert bad == []


def test_aliases_do_not_collide(loaded):
    from acucli.text import fold

    data, _ = loaded
    shared = {fold(a) for a in data.get("shared_aliases", [])}
    owners: dict = defaultdict(set)
    for p in data["points"]:
        for a in p["aliases"]:
            owners[fold(a["name"])].add(p["code"])
    # An alias must not be another point's official pinyin or code either.
    official: dict = defaultdict(set)
    for p in data["points"]:
        official[fold(p["pinyin"])].add(p["code"])
        official[fold(p["code"])].add(p["code"])
    bad = []
    for key, who in owners.items():
        if key in shared:
            continue
        if len(who) > 1:
            bad.append((key, sorted(who)))
        others = official.get(key, set()) - who
        if others:
            bad.append((key, sorted(who), sorted(others)))
    assert bad == []


# ------------------------------------------------------------- numbering


def test_old_and_other_codes(by_code):
    assert by_code["BL52"]["old_codes"] == ["BL47"]
    assert "GV29" in by_code["EX-HN3"]["other_codes"]


LUNG_RISK = ("LU1 LU2 ST13 ST14 ST15 ST16 ST18 GB22 GB23 LR14 TE15 SI13 LI16 EX-B1 EX-B2 EX-B3 GB24 "
             "ST11 HT1 SI9 SI11 SI12").split()


@pytest.mark.parametrize("code", LUNG_RISK)
def test_every_lung_risk_point_names_pneumothorax(points, code):
    p = {x["code"]: x for x in points}[code]
    assert any("pneumothorax" in c["text"].lower() for c in p["cautions"] if c["kind"] == "organ"), code


def test_one_moxibustion_rule(points):
    """`forbidden` only with a present-day reason; a classical prohibition alone is `caution`
    with a caution that says so (docs/data-format.md, Moxibustion)."""
    classical = "GV15 GV16 ST8 GB42 TE23 GV25 LU3 LU8 ST32 ST33 GV6 GV17 TE16 GB22 LI19 LI20 CV15 BL10 BL15 SP20 PC9 LU11 TE4 TE18".split()
    by = {p["code"]: p for p in points}
    for code in classical:
        p = by[code]
        assert p["needling"]["moxibustion"] == "caution", code
        assert any("moxibustion" in c["text"].lower() for c in p["cautions"]), code


def test_english_names_are_unique(points):
    seen = {}
    for p in points:
        key = p["english"].casefold()
        assert key not in seen, (p["code"], seen.get(key))
        seen[key] = p["code"]
