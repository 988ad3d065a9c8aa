"""Body charts (acucli.charts, acucli.chart_cmd, acucli.html).

The relation test reads each point's location text and checks every "N B-cun
above/below/lateral to X" it states against the chart placement, measuring B-cun with
this file's own table of WHO proportional measures (below), not with the chart code's.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from acucli import charts

TOL = 0.15  # B-cun

REQUIRED_LANDMARKS = {"umbilicus", "pubic_symphysis", "xiphisternal_junction", "nipple", "scapula_medial_border",
                      "wrist_crease", "cubital_crease", "medial_malleolus_tip", "tibia_medial_condyle",
                      "lateral_malleolus_tip", "popliteal_crease"}

# ------------------------------------------------------------------ WHO measures
# The bone-proportional measures (WHO 2008), as landmark pairs of the chart views:
# (view, from, to, B-cun, axis). The test derives its own B-cun lengths from these.
WHO = {
    "chest_y": ("front", "suprasternal_fossa", "xiphisternal_junction", 9, "y"),
    "abd_up": ("front", "xiphisternal_junction", "umbilicus", 8, "y"),
    "abd_low": ("front", "umbilicus", "pubic_symphysis", 5, "y"),
    "chest_x": ("front", "midline_nipple", "nipple", 4, "x"),        # midline to nipple 4
    "thigh": ("front", "pubic_symphysis", "patella_base", 18, "y"),  # pubic symphysis to patella base 18
    "leg_front": ("front", "knee_eye_lat", "ankle_front", 16, "y"),   # knee to the ankle (malleoli) 16
    "back_x": ("back", "midline_scapula", "scapula_medial_border", 3, "x"),  # midline to scapula 3
    "neck_y": ("back", "posterior_hairline", "c7", 3, "y"),           # posterior hairline to C7 3
    "head_x": ("back", "midline_mastoid", "mastoid", 4.5, "x"),       # between the mastoids 9
    "thigh_back": ("back", "gluteal_fold", "popliteal_crease", 14, "y"),  # gluteal fold to popliteal crease 14
    "leg_back": ("back", "popliteal_crease", "lateral_malleolus_tip", 16, "y"),  # popliteal crease to lat. malleolus 16
    "trunk_side": ("side", "axilla_apex", "rib11_tip", 12, "y"),      # axilla to the free end of the 11th rib 12
    "thigh_side": ("side", "greater_trochanter", "popliteal_crease", 19, "y"),  # trochanter to popliteal crease 19
    "face_y": ("face", "glabella", "anterior_hairline", 3, "y"),      # glabella to anterior hairline 3
    "face_x": ("face", "corner_level", "hairline_corner", 4.5, "x"),  # between the two ST8 9
    "top_y": ("head-top", "anterior_hairline", "posterior_hairline", 12, "y"),  # hairline to hairline 12
    "top_x": ("head-top", "corner_level", "hairline_corner", 4.5, "x"),
    "head_side": ("head-side", "glabella", "anterior_hairline", 3, "y"),
    "upper_arm": ("arm-hand", "fold_level", "cubital_crease", 9, "y"),  # axillary fold to cubital crease 9
    "forearm": ("arm-hand", "cubital_crease", "wrist_crease", 12, "y"),  # cubital crease to wrist crease 12
    "upper_arm_b": ("arm-hand", "fold_level_b", "cubital_level_b", 9, "y"),
    "forearm_b": ("arm-hand", "cubital_level_b", "dorsal_wrist_crease", 12, "y"),
    "leg_medial": ("leg-foot", "tibia_medial_condyle", "medial_malleolus_tip", 13, "y"),  # condyle to malleolus 13
    "leg_lateral": ("leg-foot", "popliteal_crease", "lateral_malleolus_tip", 16, "y"),
}

# Reference phrases of the location texts -> (view, landmark) candidates
PHRASES = [
    ("centre of the umbilicus", [("front", "umbilicus")]),
    ("umbilicus", [("front", "umbilicus")]),
    ("xiphisternal junction", [("front", "xiphisternal_junction")]),
    ("suprasternal fossa", [("front", "suprasternal_fossa")]),
    ("lower border of the c7 spinous process", [("back", "c7")]),
    ("tip of the coccyx", [("back", "coccyx_tip")]),
    ("sacral hiatus", [("back", "sacral_hiatus")]),
    ("posterior end of the axillary fold", [("back", "posterior_axillary_fold")]),
    ("gluteal fold", [("back", "gluteal_fold")]),
    ("popliteal crease", [("back", "popliteal_crease"), ("side", "popliteal_crease"),
                          ("leg-foot", "popliteal_crease")]),
    ("medial end of the base of the patella", [("front", "patella_base_med")]),
    ("medial end of the upper border (base) of the patella", [("front", "patella_base_med")]),
    ("base of the patella", [("front", "patella_base")]),
    ("most prominent point of the medial malleolus", [("leg-foot", "medial_malleolus_tip")]),
    ("prominence of the medial malleolus", [("leg-foot", "medial_malleolus_tip")]),
    ("prominence of the lateral malleolus", [("leg-foot", "lateral_malleolus_tip"), ("front", "lateral_malleolus_tip")]),
    ("palmar wrist crease", [("arm-hand", "wrist_crease")]),
    ("dorsal wrist crease", [("arm-hand", "dorsal_wrist_crease")]),
    ("cubital crease", [("arm-hand", "cubital_crease"), ("arm-hand", "cubital_level_b")]),
    ("level of the anterior axillary fold", [("arm-hand", "fold_level")]),
    ("front end of the armpit fold", [("arm-hand", "anterior_axillary_fold")]),
    ("tip of the olecranon", [("arm-hand", "olecranon_tip")]),
    ("acromial angle", [("arm-hand", "acromial_angle_b")]),
    ("midpoint between the medial ends of the eyebrows", [("face", "eyebrow_med")]),
    ("eyebrow", [("face", "eyebrow_pupil")]),
    ("outer corner of the eye", [("face", "outer_canthus")]),
    ("anterior hairline", [("head-top", "anterior_hairline"), ("face", "anterior_hairline")]),
    ("front hairline", [("head-top", "anterior_hairline")]),
    ("posterior hairline", [("head-top", "posterior_hairline"), ("back", "posterior_hairline")]),
    ("temporal hairline", [("head-side", "ear_apex")]),  # above the auricle the hairline is at its apex
    ("hairline", [("head-side", "hairline_behind_ear")]),
    ("midaxillary line", [("side", "midaxillary_line")]),
    ("anterior superior iliac spine", [("front", "asis")]),
    ("midpoint of the lower border of the mandible", [("front", "chin_lower")]),
]

DIRS = {"above": "up", "directly above": "up", "proximal to": "up", "below": "down", "directly below": "down",
        "distal to": "down", "lateral to": "lateral", "out from": "lateral", "to its side": "lateral",
        "to the side of": "lateral", "medial to": "medial", "in front of": "anterior", "behind": "posterior",
        "within": "within", "inside": "within", "to either side of": "either", "from": "distance"}
DIR_RE = "|".join(sorted((re.escape(k) for k in DIRS), key=len, reverse=True))
REL = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?) B-cun (" + DIR_RE + r")(?=[\s,.;)]|$)")
CODE = re.compile(r"^(?:EX-[A-Z]{1,2}\d+|[A-Z]{2}\d+)\b")
LEVEL = re.compile(r"[Ll]evel with (?:and \w+ )?((?:EX-[A-Z]{1,2}\d+|[A-Z]{2}\d+)(?:(?:,| and) (?:EX-[A-Z]{1,2}\d+|[A-Z]{2}\d+))*)")
APPROX = re.compile(r"(about|roughly|approximately|usually|\d(?:\.\d+)? to)\s+$")  # and ranges
MIDLINE_OF = re.compile(r"^midpoint of (?:the line from (\S+) to (\S+?)|that line)\b")
LINE_FROM = re.compile(r"line (?:from|joining) (EX-[A-Z]{1,2}\d+|[A-Z]{2}\d+) (?:to|and) (EX-[A-Z]{1,2}\d+|[A-Z]{2}\d+)")


@pytest.fixture(scope="module")
def points():
    from acucli import kb

    kb.reset()
    return kb.load().points


@pytest.fixture(scope="module")
def placed(points):
    return charts.placements(points)


@pytest.fixture(scope="module")
def lm():
    return {(r["view"], r["name"]): (r["x"], r["y"]) for r in charts.landmarks()}


@pytest.fixture(scope="module")
def axes():
    return {(v["name"], p["name"]): p["axes"] for v in charts.views() for p in v["panels"]}


def unit(lm, key: str) -> float:
    view, a, b, cun, axis = WHO[key]
    (xa, ya), (xb, yb) = lm[(view, a)], lm[(view, b)]
    return abs(yb - ya if axis == "y" else xb - xa) / cun


def region_unit(lm, view: str, panel: str, y: float, axis: str) -> float:
    """The B-cun length at a level of a view, from the WHO table (axis x or y)."""
    def y_of(name):
        return lm[(view, name)][1]

    if view == "front":
        if y > y_of("pubic_symphysis") + 1:
            return unit(lm, "leg_front") if y > y_of("patella_base") + 30 else unit(lm, "thigh")
        if axis == "x":
            return unit(lm, "chest_x")
        if y < y_of("xiphisternal_junction") - 1:
            return unit(lm, "chest_y")
        return unit(lm, "abd_up") if y < y_of("umbilicus") else unit(lm, "abd_low")
    if view == "back":
        if y > y_of("popliteal_crease") - 1:
            return unit(lm, "leg_back")
        if y > y_of("gluteal_fold") - 1:
            return unit(lm, "thigh_back")
        if axis == "y" and y < y_of("c7"):
            return unit(lm, "neck_y")
        if axis == "x" and y < y_of("posterior_hairline"):
            return unit(lm, "head_x")
        return unit(lm, "back_x")
    if view == "side":
        return unit(lm, "thigh_side") if y > y_of("greater_trochanter") else unit(lm, "trunk_side")
    if view == "face":
        return unit(lm, "face_x") if axis == "x" else unit(lm, "face_y")
    if view == "head-top":
        return unit(lm, "top_x") if axis == "x" else unit(lm, "top_y")
    if view == "head-side":
        return unit(lm, "head_side")
    if view == "arm-hand":
        if panel == "A":
            return unit(lm, "upper_arm") if y < y_of("cubital_crease") else unit(lm, "forearm")
        if panel == "B":
            return unit(lm, "upper_arm_b") if y < y_of("cubital_level_b") else unit(lm, "forearm_b")
    if view == "leg-foot":
        if panel == "M":
            return unit(lm, "leg_medial")
        if panel == "L":
            return unit(lm, "leg_lateral")
    raise AssertionError(f"no WHO measure for {view}/{panel} at y={y}")


def _ref_from_text(text: str, pos: int) -> str | None:
    """What 'it' refers to: the phrase before the first colon, else the last reference
    phrase named before `pos`."""
    head = text.split(":", 1)[0] if ":" in text[:pos] else ""
    head = re.sub(r"\s+as the reference level$", "", head.strip(), flags=re.I)
    if head:
        return head
    before = text[:pos].lower()
    best = None
    for phrase, _ in PHRASES:
        i = before.rfind(phrase)
        if i >= 0 and (best is None or i > best[0]):
            best = (i, phrase)
    return best[1] if best else None


def relations(code: str, text: str) -> list[tuple]:
    """[(N, direction, reference)] stated by one location text. A reference is
    ('code', CODE), ('phrase', text) or ('midline',)."""
    out = []
    for mt in REL.finditer(text):
        if APPROX.search(text[:mt.start()]):
            continue
        n, d = float(mt.group(1)), DIRS[mt.group(2)]
        rest = text[mt.end():]
        dirs = [d]
        chain = re.match(r"\s+and (" + DIR_RE + r")(?= )", rest)  # "0.5 B-cun below and medial to it"
        if chain:
            dirs.append(DIRS[chain.group(1)])
            rest = rest[chain.end():]
        if re.match(r"\s+and \d", rest):  # "2 B-cun above and 1 B-cun lateral to X": X is the next one's
            nxt = REL.search(text, mt.end())
            if not nxt:
                continue
            rest = text[nxt.end():]
        rest = rest.strip()
        if mt.group(2) in ("to its side",):
            ref = _ref_from_text(text, mt.start())
            ref = ("phrase", ref) if ref else None
        elif re.match(r"(?:the )?(?:anterior |posterior |front )?midline", rest) or rest.startswith("the median sacral crest"):
            ref = ("midline",)
        elif CODE.match(rest):
            ref = ("code", CODE.match(rest).group(0))
        elif MIDLINE_OF.match(re.sub(r"^the ", "", rest)):  # "1 B-cun below the midpoint of the line from A to B"
            mm = MIDLINE_OF.match(re.sub(r"^the ", "", rest))
            ends = mm.groups() if mm.group(1) else (LINE_FROM.findall(text[:mt.start()]) or [(None, None)])[-1]
            if not ends[0]:
                continue
            ref = ("mid", ends[0], ends[1].rstrip(".,;)"))
        elif re.match(r"(it|them|there)\b", rest):
            if rest.startswith("them") or rest.startswith("there"):
                continue
            head = _ref_from_text(text, mt.start())
            ref = ("phrase", head) if head else None
        else:
            ref = ("phrase", re.sub(r"^(the|a|its)\s+", "", rest))
        if ref is None:
            continue
        for dd in dirs:
            out.append((n, dd, ref))
    return out


def phrase_landmark(phrase: str, views: set):
    p = phrase.lower()
    for key, cands in PHRASES:
        if p.startswith(key):
            for view, name in cands:
                if view in views:
                    return view, name
    return None


# --------------------------------------------------------------------- model


def test_views_and_required_landmarks(lm):
    names = {name for _, name in lm}
    assert REQUIRED_LANDMARKS <= names
    views = {v["name"] for v in charts.views()}
    assert {"front", "back", "side", "face", "head-top", "head-side", "arm-hand", "leg-foot"} <= views
    rows = charts.landmarks()
    assert all(set(r) == {"view", "name", "x", "y"} for r in rows)


def test_segments_are_the_who_measures():
    """Every WHO measure of this file is a segment of the chart data with the same B-cun."""
    segs = {(s["view"], s["from"], s["to"]): s for s in charts.segments()}
    for key, (view, a, b, cun, _axis) in WHO.items():
        if key in ("leg_front",):
            assert (view, a, b) in segs and segs[(view, a, b)]["cun"] == cun, key
            continue
        assert (view, a, b) in segs, f"{key}: no segment {a} -> {b} in {view}"
        assert segs[(view, a, b)]["cun"] == cun, key


def test_every_point_is_placed(points, placed):
    views = {v["name"] for v in charts.views()}
    who = [p for p in points if p["channel"] != "NW"]
    assert len(who) >= 409
    missing = [p["code"] for p in who if not placed.get(p["code"])]
    assert not missing, f"not on the charts: {missing}"
    for code, sites in placed.items():
        for s in sites:
            assert s["view"] in views
            assert math.isfinite(s["x"]) and math.isfinite(s["y"]), code


def test_midline_points_are_on_x0(points, placed):
    midline_views = {v["name"] for v in charts.views() if v["midline"]}
    checked = 0
    for p in points:
        if p["channel"] in ("CV", "GV"):
            sites = [s for s in placed[p["code"]] if s["view"] in midline_views]
            assert sites, f"{p['code']} is on no midline view"
            for s in sites:
                assert s["x"] == 0, f"{p['code']} off the midline in {s['view']}: x={s['x']}"
                assert s["side"] == "midline"
                checked += 1
    assert checked >= 52


def test_bilateral_points_are_on_the_patients_left(points, placed):
    """In the midline views the patient's left is on one side (left_sign); every
    bilateral point is there, except sites marked as the patient's right on purpose."""
    sign = {v["name"]: v["left_sign"] for v in charts.views() if v["midline"]}
    right = []
    for p in points:
        for s in placed.get(p["code"], []):
            if s["view"] not in sign or s["side"] == "midline":
                continue
            if s["side"] == "right":
                right.append(p["code"])
                assert s["x"] * sign[s["view"]] < 0
                continue
            assert s["x"] * sign[s["view"]] > 0, f"{p['code']} in {s['view']} is not on the patient's left"
    # on purpose: the right-hand vein under the tongue, and the right one of Sishencong's four
    assert set(right) <= {"EX-HN13", "EX-HN1", "SANJIAOJIU"}
    assert {"EX-HN13", "EX-HN1"} <= set(right)


def test_located_relations(points, placed, lm, axes):
    """Each "N B-cun above/below/lateral to/behind X" of a location holds on the chart."""
    checked, failures, unresolved = 0, [], []
    for p in points:
        code = p["code"]
        text = " ".join(p["location"].split())
        sites_all = placed.get(code) or []
        for n, d, ref in relations(code, text):
            if ref[0] == "midline":
                sites = [s for s in sites_all if s["view"] in {"front", "back", "face", "head-top"}]
                if not sites:
                    unresolved.append((code, n, d, ref))
                    continue
                for s in sites[:1]:
                    u = region_unit(lm, s["view"], s["panel"], s["y"], "x")
                    got = abs(s["x"]) / u
                    checked += 1
                    if abs(got - n) > TOL:
                        failures.append(f"{code}: {n} B-cun from the midline, chart {got:.2f} ({s['view']})")
                continue
            if ref[0] == "mid":
                a, b = placed.get(ref[1]) or [], placed.get(ref[2]) or []
                targets = [(s, (pa["x"] + pb["x"]) / 2, (pa["y"] + pb["y"]) / 2) for s in sites_all for pa in a
                           for pb in b if s["view"] == pa["view"] == pb["view"] and s["panel"] == pa["panel"] == pb["panel"]]
                if not targets:
                    unresolved.append((code, n, d, ref))
                    continue
                targets = targets[:1]
            elif ref[0] == "code":
                other = placed.get(ref[1]) or []
                pairs = [(s, o) for s in sites_all for o in other if s["view"] == o["view"]
                         and s["panel"] == o["panel"] and o["site"] == 1]
                if not pairs:
                    unresolved.append((code, n, d, ref))
                    continue
                targets = [(s, o["x"], o["y"]) for s, o in pairs]
            if ref[0] == "phrase":
                found = phrase_landmark(ref[1], {s["view"] for s in sites_all})
                if not found:
                    unresolved.append((code, n, d, ref))
                    continue
                rx, ry = lm[found]
                targets = [(s, rx, ry) for s in sites_all if s["view"] == found[0]]
            if d != "either":
                targets = targets[:1]
            for s, rx, ry in targets:
                checked += 1
                msg = _check(lm, axes, s, rx, ry, n, d)
                if msg:
                    failures.append(f"{code}: {n} B-cun {d} {ref[-1]}: {msg}")
    print(f"relations checked: {checked}; unresolved: {unresolved}")
    assert not failures, "\n".join(failures)
    assert checked >= 260, checked
    # what the parser cannot tie to a chart view: "1 B-cun in front of the midpoint" (GV20)
    # and "0.1 B-cun from the free edge of the nail" (EX-UE11, EX-LE12)
    assert {u[0] for u in unresolved} <= {"GV20", "EX-UE11", "EX-LE12"}, unresolved


def _check(lm, axes, s, rx, ry, n, d) -> str | None:
    view, panel = s["view"], s["panel"]
    dx, dy = s["x"] - rx, s["y"] - ry
    uy = region_unit(lm, view, panel, (s["y"] + ry) / 2, "y")
    ux = region_unit(lm, view, panel, (s["y"] + ry) / 2, "x")
    if view == "head-top" and d in ("up", "down", "within", "posterior", "anterior"):
        got = abs(dy) / uy  # on the scalp map "above the hairline" runs towards the vertex
    elif d in ("up", "down"):
        got = (-dy if d == "up" else dy) / uy
    elif d == "within":
        got = abs(dy) / uy
    elif d in ("lateral", "medial", "either"):
        if view in ("front", "back", "face", "head-top"):
            got = (abs(s["x"]) - abs(rx)) / ux * (1 if d != "medial" else -1)
            if d == "either":
                got = abs(dx) / ux
        else:
            got = abs(dx) / ux
    elif d in ("anterior", "posterior"):
        vec = axes[(view, panel)].get(d)
        if vec is None:
            return f"no {d} axis in {view}/{panel}"
        got = (dx * vec[0] + dy * vec[1]) / ux
    elif d == "distance":
        got = math.hypot(dx / ux, dy / uy)
    else:
        return f"unknown direction {d}"
    return None if abs(got - n) <= TOL else f"chart gives {got:.2f} ({view})"


def test_level_with_relations(points, placed, lm):
    """'level with CV14' and the like: the same height where both are in one view."""
    checked, failures = 0, []
    for p in points:
        text = " ".join(p["location"].split())
        for mt in LEVEL.finditer(text):
            for other in re.split(r",| and ", mt.group(1)):
                other = other.strip()
                for s in placed.get(p["code"], [])[:1]:
                    for o in placed.get(other, []):
                        if o["view"] == s["view"] and o["panel"] == s["panel"] and o["site"] == 1:
                            u = region_unit(lm, s["view"], s["panel"], s["y"], "y")
                            checked += 1
                            if abs(s["y"] - o["y"]) / u > 0.25:
                                failures.append(f"{p['code']} not level with {other} in {s['view']}")
                            break
    assert not failures, failures
    assert checked >= 40


def test_the_parser_reads_what_it_should():
    assert relations("CV12", "On the anterior midline, 4 B-cun above the centre of the umbilicus.") == [
        (4.0, "up", ("phrase", "centre of the umbilicus."))]
    got = relations("EX-HN15", "2 B-cun above the lower border of the C7 spinous process and 1 B-cun lateral "
                               "to the posterior midline.")
    assert (2.0, "up", ("phrase", "lower border of the C7 spinous process and 1 B-cun lateral to the posterior midline.")) in got
    assert (1.0, "lateral", ("midline",)) in got
    assert relations("GV15", "usually about 0.5 B-cun inside the hairline") == []
    assert relations("X", "Tip of the coccyx: 0.5 B-cun to the side of it") == [(0.5, "lateral", ("phrase", "Tip of the coccyx"))]


def test_a_wrong_placement_is_caught(lm, axes):
    """The checker fails a point put 1 B-cun too low (the test can fail)."""
    u = unit(lm, "leg_front")
    x35, y35 = lm[("front", "knee_eye_lat")]
    wrong = {"view": "front", "panel": "main", "x": x35, "y": y35 + 4 * u}
    assert _check(lm, axes, wrong, x35, y35, 3, "down")
    assert not _check(lm, axes, {**wrong, "y": y35 + 3 * u}, x35, y35, 3, "down")


# runs of a channel that go one way on a view: (channel, view, panel, first, last, axis, sign)
RUNS = [
    ("LU", "arm-hand", "A", 3, 9, "y", 1), ("LU", "arm-hand", "palm", 10, 11, "y", 1),
    ("LI", "arm-hand", "dorsum", 1, 4, "y", -1), ("LI", "arm-hand", "B", 5, 15, "y", -1),
    ("ST", "face", "main", 1, 4, "y", 1), ("ST", "head-side", "main", 5, 7, "y", -1),
    ("ST", "front", "main", 9, 11, "y", 1), ("ST", "front", "main", 12, 39, "y", 1),
    ("ST", "front", "main", 40, 41, "y", 1),  # ST40 is level with ST38, lateral to it
    ("ST", "leg-foot", "D", 42, 45, "y", 1),
    ("SP", "leg-foot", "M", 1, 4, "x", -1), ("SP", "leg-foot", "M", 5, 9, "y", -1),
    ("SP", "front", "main", 10, 20, "y", -1),
    ("HT", "arm-hand", "A", 1, 7, "y", 1), ("HT", "arm-hand", "palm", 8, 9, "y", 1),
    ("SI", "arm-hand", "dorsum", 1, 4, "y", -1), ("SI", "arm-hand", "B", 5, 8, "y", -1),
    ("BL", "face", "main", 1, 2, "y", -1), ("BL", "head-top", "main", 3, 8, "y", 1),
    ("BL", "back", "main", 10, 30, "y", 1), ("BL", "back", "main", 31, 35, "y", 1),
    ("BL", "back", "main", 36, 40, "y", 1), ("BL", "back", "main", 41, 54, "y", 1),
    ("BL", "back", "main", 55, 57, "y", 1), ("BL", "leg-foot", "L", 58, 61, "y", 1),
    ("BL", "leg-foot", "L", 62, 67, "x", -1),
    ("KI", "leg-foot", "M", 6, 10, "y", -1), ("KI", "front", "main", 11, 27, "y", -1),
    ("PC", "arm-hand", "A", 2, 7, "y", 1), ("PC", "arm-hand", "palm", 8, 9, "y", 1),
    ("TE", "arm-hand", "dorsum", 1, 3, "y", -1), ("TE", "arm-hand", "B", 4, 14, "y", -1),
    ("TE", "head-side", "main", 16, 20, "y", -1),
    ("GB", "head-side", "main", 4, 7, "y", 1), ("GB", "head-side", "main", 8, 12, "y", 1),
    ("GB", "head-top", "main", 15, 18, "y", 1), ("GB", "side", "main", 22, 32, "y", 1),
    ("GB", "leg-foot", "L", 33, 40, "y", 1), ("GB", "leg-foot", "D", 41, 44, "y", 1),
    ("LR", "leg-foot", "D", 1, 3, "y", -1), ("LR", "leg-foot", "M", 4, 8, "y", -1),
    ("LR", "front", "main", 9, 12, "y", -1),
    ("GV", "back", "main", 1, 17, "y", -1), ("GV", "head-top", "main", 17, 24, "y", -1),
    ("GV", "face", "main", 25, 27, "y", 1), ("CV", "front", "main", 1, 23, "y", -1),
]


def test_channels_run_in_number_order(points, placed):
    """Along each run of a channel the points follow their numbers monotonically (a
    swapped pair, or a point put on the wrong side of its neighbour, fails)."""
    by = {(p["channel"], p["number"]): p["code"] for p in points}
    covered = set()
    for ch, view, panel, a, b, axis, sign in RUNS:
        seq = []
        for n in range(a, b + 1):
            code = by.get((ch, n))
            if code is None:
                continue
            s = [s for s in placed[code] if s["view"] == view and s["panel"] == panel and s["site"] == 1]
            if not s:
                continue  # a point of the run drawn on another view
            seq.append((code, s[0][axis]))
            covered.add(code)
        assert len(seq) >= 2, (ch, view, a, b)
        for (c1, v1), (c2, v2) in zip(seq, seq[1:]):
            assert (v2 - v1) * sign >= -0.01, f"{ch} {view}: {c1} -> {c2} runs backwards"
        assert (seq[-1][1] - seq[0][1]) * sign > 0
    channel_points = [p["code"] for p in points if p["channel"] not in ("EX", "NW")]
    assert len(covered) >= 0.85 * len(channel_points)


# ----------------------------------------------------------------------- where


def test_where_names_the_view():
    assert charts.where("KI3").startswith("chart view 'leg-foot'")
    assert "malleolus" in charts.where("KI3")
    assert "4 B-cun above the umbilicus" in charts.where("CV12")
    assert "1.5 B-cun lateral to the L2 spinous process" in charts.where("BL23")
    assert "not on the charts" in charts.where("XX1")


# ------------------------------------------------------------------------- SVG


def _svg_texts(text: str) -> list[str]:
    root = ET.fromstring(text)
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_svg_parses_and_labels_each_code(points):
    by = {p["code"]: p for p in points}
    codes = ["KI3", "ST36", "CV12", "BL23", "GB20", "LI4", "GV20", "EX-HN3", "LU7", "SP21", "EX-HN12"]
    text = charts.svg(codes, by, title="A & B <test>")
    labels = _svg_texts(text)
    for c in codes:
        assert c in labels, c
    assert "A & B <test>" in labels  # escaped in the file, text again once parsed
    assert "<test>" not in text


def test_svg_draws_a_channel_path(points):
    by = {p["code"]: p for p in points}
    codes = [p["code"] for p in points if p["channel"] == "KI"]
    root = ET.fromstring(charts.svg(codes, by, channel="KI", title="Kidney"))
    lines = root.findall(".//{http://www.w3.org/2000/svg}polyline")
    assert lines, "no channel path"
    assert sum(len(pl.get("points").split()) for pl in lines) >= 20


def test_svg_notes_codes_it_cannot_draw():
    text = charts.svg(["KI3", "NOPE1"], {})
    assert "Not on the charts: NOPE1" in " ".join(_svg_texts(text))


def test_placements_are_fast():
    import time

    t = time.perf_counter()
    for _ in range(20):
        charts.svg(["KI3", "ST36", "BL23"], {})
    assert (time.perf_counter() - t) / 20 < 0.05


# ----------------------------------------------------------------------- HTML


class _Tags(HTMLParser):
    VOID = {"meta", "br", "img", "hr", "input", "link"}

    def __init__(self):
        super().__init__()
        self.stack, self.text, self.errors, self.seen = [], [], [], set()

    def handle_starttag(self, tag, attrs):
        self.seen.add(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.seen.add(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def _parse_html(page: str) -> _Tags:
    t = _Tags()
    t.feed(page)
    t.close()
    assert not t.errors, t.errors
    assert not t.stack, t.stack
    return t


def test_point_page(points):
    from acucli import html, query
    from acucli import kb as kbmod

    k = kbmod.load()
    p = next(p for p in points if p["code"] == "KI3")
    detail = query.point_detail(k, p, query.Context())
    detail = json.loads(json.dumps(detail, default=str))
    detail["cautions"] = list(detail.get("cautions") or []) + [
        {"kind": "test", "text": "Never <script>alert(1)</script> & more", "sources": []}]
    page = html.point_page(detail, charts.svg(["KI3"], {"KI3": p}, title="KI3"))
    t = _parse_html(page)
    text = " ".join(t.text)
    assert "Never <script>alert(1)</script> & more" in text  # shown as text
    assert "<script>" not in page
    for c in detail["cautions"]:
        assert " ".join(c["text"].split())[:40] in " ".join(text.split())
    assert {"svg", "style", "html", "body"} <= t.seen
    assert "@page" in page and "@media print" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_condition_page(points):
    from acucli import html, query
    from acucli import kb as kbmod

    k = kbmod.load()
    cond = k.conditions[0]
    detail = json.loads(json.dumps(query.condition_detail(k, cond["id"], query.Context()), default=str))
    codes = [it["code"] for it in detail.get("prescription") or [] if it.get("code")]
    page = html.condition_page(detail, charts.svg(codes, {}, title=detail.get("name", "")), k.references)
    t = _parse_html(page)
    text = " ".join(" ".join(t.text).split())
    for c in detail.get("cautions") or []:
        assert " ".join(c["text"].split())[:40] in text
    for r in detail.get("red_flags") or []:
        assert " ".join(r["text"].split())[:40] in text
    for c in codes:
        assert c in text
    assert 'class="box cautions"' in page


# ------------------------------------------------------------------------- CLI


@pytest.fixture
def acu_chart():
    from acucli import cli as climod
    from acucli.chart_cmd import register

    if not any((c.name or "") == "chart" for c in climod.app.registered_commands):
        register(climod.app)
    from conftest import invoke

    return lambda *args: invoke("chart", *args)


def test_cli_writes_svg(acu_chart, tmp_path):
    out = tmp_path / "ki.svg"
    r = acu_chart("--meridian", "KI", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    root = ET.fromstring(out.read_text(encoding="utf-8"))
    assert root.tag.endswith("svg")
    r = acu_chart("KI3", "ST36")
    assert r.exit_code == 0, r.stderr
    labels = _svg_texts(r.stdout)
    assert "KI3" in labels and "ST36" in labels


def test_cli_condition_and_category(acu_chart, tmp_path):
    from acucli import kb as kbmod

    cond = kbmod.load().conditions[0]["id"]
    r = acu_chart("--condition", cond)
    assert r.exit_code == 0, r.stderr
    ET.fromstring(r.stdout)
    r = acu_chart("--category", "back-shu")
    assert r.exit_code == 0, r.stderr
    assert "BL23" in _svg_texts(r.stdout)


def test_cli_landmarks(acu_chart):
    r = acu_chart("--landmarks", "--format", "json")
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    assert {"view", "name", "x", "y"} == set(rows[0])
    assert {"umbilicus", "popliteal_crease"} <= {row["name"] for row in rows}
    r = acu_chart("--landmarks")
    assert r.exit_code == 0
    assert r.stdout.splitlines()[0].split("\t") == ["view", "name", "x", "y"]


def test_cli_errors(acu_chart):
    r = acu_chart()
    assert r.exit_code == 2 and "nothing to chart" in r.stderr
    r = acu_chart("NOPE99")
    assert r.exit_code == 1 and "Traceback" not in r.stderr
    r = acu_chart("KI3", "-o", "x.png")
    assert r.exit_code == 2 and "SVG only" in r.stderr
    r = acu_chart("KI3", "--format", "json")
    assert r.exit_code == 2
