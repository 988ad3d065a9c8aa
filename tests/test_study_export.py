"""acu export anki / acu export cards."""

from __future__ import annotations

import csv
import json
import sqlite3
import zipfile

import pytest
from test_study_support import load_kb, study_data  # noqa: F401


def read_apkg(path, tmp_path):
    """(notes, models, decks, cards, media) of a package; notes are (guid, mid, fields, tags),
    cards (note guid, ord, type, queue, due, ivl, reps, lapses, data)."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert "collection.anki2" in names
        assert z.testzip() is None
        db = tmp_path / "collection.anki2"
        db.write_bytes(z.read("collection.anki2"))
        media_index = json.loads(z.read("media"))
        media = {name: z.read(idx) for idx, name in media_index.items()}
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        notes = [(g, mid, flds.split("\x1f"), tags.split())
                 for g, mid, flds, tags in conn.execute("SELECT guid, mid, flds, tags FROM notes")]
        models = json.loads(conn.execute("SELECT models FROM col").fetchone()[0])
        decks = json.loads(conn.execute("SELECT decks FROM col").fetchone()[0])
        cards = conn.execute("SELECT n.guid, c.ord, c.type, c.queue, c.due, c.ivl, c.reps, c.lapses, c.data "
                             "FROM cards c JOIN notes n ON n.id = c.nid").fetchall()
    finally:
        conn.close()
    db.unlink()
    return notes, models, decks, cards, media


def fields_of(models, mid) -> list[str]:
    return [f["name"] for f in models[str(mid)]["flds"]]


def by_name(models, mid, values) -> dict:
    return dict(zip(fields_of(models, mid), values))


def a_channel_with_categories(kb) -> str:
    chans = sorted({p["channel"] for p in kb.points if p["channel"] != "EX" and p["categories"]})
    return chans[0]


def no_charts(monkeypatch):
    import sys

    import acucli

    monkeypatch.delattr(acucli, "charts", raising=False)
    monkeypatch.setitem(sys.modules, "acucli.charts", None)  # import acucli.charts: ImportError


def test_anki_point_notes_have_separate_fields_and_cards(cli, tmp_path, monkeypatch):
    import genanki

    from acucli.query import category_label
    from acucli.study import export

    kb = load_kb()
    ch = a_channel_with_categories(kb)
    pts = [p for p in kb.points if p["channel"] == ch]
    with_cats = [p for p in pts if p["categories"]]
    no_charts(monkeypatch)
    out = tmp_path / "deck.apkg"
    r = cli("export", "anki", "-o", str(out), "--meridian", ch)
    assert r.exit_code == 0, r.output
    notes, models, decks, cards, media = read_apkg(out, tmp_path)
    point_mid, cat_mid = export.ANKI_MODEL_IDS["point"], export.ANKI_MODEL_IDS["categories"]
    # one note type per kind of note, each fact in a field of its own
    assert fields_of(models, point_mid) == list(export.POINT_FIELDS)
    assert models[str(cat_mid)]["type"] == 1  # cloze
    assert [t["name"] for t in models[str(point_mid)]["tmpls"]] == ["Code -> name", "Name -> code",
                                                                    "Location -> point"]
    assert str(export.DECK_IDS["points"]) in decks
    assert len(notes) == len(pts) + len(with_cats)
    no_data = kb.safety.get("no_data")
    points = {g: by_name(models, mid, f) for g, mid, f, _ in notes if mid == point_mid}
    assert len(points) == len(pts)
    cards_of: dict = {}
    for guid, ord_, *_ in cards:
        cards_of.setdefault(guid, []).append(ord_)
    for p in pts:
        guid = genanki.guid_for(export.GUID_NAMESPACE, f"point:{p['code']}")
        f = points[guid]
        assert (f["Code"], f["Pinyin"], f["Hanzi"], f["English"]) == (p["code"], p["pinyin"], p["hanzi"],
                                                                       _html(p["english"]))
        assert f["Channel"].startswith(ch) and f["Location"] == _html(p["location"])
        assert f["Id"] == f"point:{p['code']}"
        assert f["Categories"] == _html(", ".join(category_label(c) for c in p["categories"]))
        if p["needling"]:
            assert f["Needling"]
        # the location card never names its own point
        assert p["code"] not in f["LocationClue"].split()
        # forward, reverse and location cards
        assert sorted(cards_of[guid]) == ([0, 1, 2] if p["location"].strip() else [0, 1])
        # cautions always travel; where there are none, say so, never "safe"
        moxa = p["needling"].get("moxibustion") in ("caution", "forbidden")
        assert all(_html(c["kind"]) in f["Cautions"] for c in p["cautions"])
        if not p["cautions"] and not moxa:
            assert f["Cautions"] == no_data
    # a cloze card per category
    for p in with_cats:
        guid = genanki.guid_for(export.GUID_NAMESPACE, f"point:{p['code']}:categories")
        cloze = {g: by_name(models, mid, f) for g, mid, f, _ in notes if mid == cat_mid}[guid]
        assert sorted(cards_of[guid]) == list(range(len(p["categories"])))
        for i, c in enumerate(p["categories"], 1):
            assert f"{{{{c{i}::{_html(category_label(c))}}}}}" in cloze["Text"]
    assert media == {}  # no chart module, no images
    # a second export has the same guids and ids: re-importing updates, never duplicates
    out2 = tmp_path / "again.apkg"
    assert cli("export", "anki", "-o", str(out2), "--meridian", ch).exit_code == 0
    notes2, models2, decks2, *_ = read_apkg(out2, tmp_path)
    assert sorted(g for g, *_ in notes2) == sorted(g for g, *_ in notes)
    assert set(models2) == set(models) and set(decks2) == set(decks)


def _html(text: str) -> str:
    import html

    return html.escape(text)


def test_anki_location_cards_get_a_chart_when_charts_can_draw(cli, tmp_path, monkeypatch):
    import sys
    import types

    from acucli.study import export

    kb = load_kb()
    ch = a_channel_with_categories(kb)
    calls = []

    def svg(codes, points_by_code):
        calls.append(list(codes))
        assert all(c in points_by_code for c in codes)
        return f'<svg xmlns="http://www.w3.org/2000/svg"><text>{codes[0]}</text></svg>'

    import acucli

    fake = types.ModuleType("acucli.charts")
    fake.svg = svg
    monkeypatch.setitem(sys.modules, "acucli.charts", fake)
    monkeypatch.setattr(acucli, "charts", fake, raising=False)
    out = tmp_path / "charts.apkg"
    r = cli("export", "anki", "-o", str(out), "--meridian", ch)
    assert r.exit_code == 0, r.output
    notes, models, _, _, media = read_apkg(out, tmp_path)
    pts = [p for p in kb.points if p["channel"] == ch]
    assert sorted(c[0] for c in calls) == sorted(p["code"] for p in pts)
    assert set(media) == {f"acu-chart-{p['code']}.svg" for p in pts}
    assert all(data.startswith(b"<svg") for data in media.values())
    mid = export.ANKI_MODEL_IDS["point"]
    for _, m, f, _ in notes:
        if m == mid:
            named = by_name(models, mid, f)
            assert named["Chart"] == f'<img src="acu-chart-{named["Code"]}.svg">'


def test_anki_charts_from_the_real_chart_module(cli, tmp_path):
    charts = pytest.importorskip("acucli.charts")
    if not callable(getattr(charts, "svg", None)):
        pytest.skip("acucli.charts has no svg()")
    from acucli.study import export

    kb = load_kb()
    ch = a_channel_with_categories(kb)
    out = tmp_path / "real.apkg"
    assert cli("export", "anki", "-o", str(out), "--meridian", ch).exit_code == 0
    notes, models, _, _, media = read_apkg(out, tmp_path)
    mid = export.ANKI_MODEL_IDS["point"]
    shown = [by_name(models, mid, f)["Chart"] for _, m, f, _ in notes if m == mid]
    assert any(shown), "no location card got a chart"
    for tag in filter(None, shown):
        name = tag.split('"')[1]
        assert name in media and b"<svg" in media[name][:200]


def test_anki_export_through_installed_acu(acu, tmp_path):
    kb = load_kb()
    out = tmp_path / "all.apkg"
    r = acu("export", "anki", "-o", str(out))
    assert r.returncode == 0, r.stderr
    notes, *_ = read_apkg(out, tmp_path)
    assert len(notes) == len(kb.points) + sum(1 for p in kb.points if p["categories"])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_anki_herbs_and_condition_decks(cli, tmp_path):
    import genanki

    from acucli.study import export

    kb = load_kb()
    if not kb.herbs and not kb.conditions:
        pytest.skip("no herbs or conditions in the data")
    if kb.herbs:
        out = tmp_path / "herbs.apkg"
        assert cli("export", "anki", "-o", str(out), "--what", "herbs").exit_code == 0
        notes, models, _, cards, _ = read_apkg(out, tmp_path)
        mid = export.ANKI_MODEL_IDS["herb"]
        assert {g for g, *_ in notes} == {genanki.guid_for(export.GUID_NAMESPACE, f"herb:{h['id']}")
                                          for h in kb.herbs}
        assert fields_of(models, mid) == list(export.HERB_FIELDS)
        by_guid = {g: by_name(models, mid, f) for g, _, f, _ in notes}
        h = kb.herbs[0]
        f = by_guid[genanki.guid_for(export.GUID_NAMESPACE, f"herb:{h['id']}")]
        assert (f["Pinyin"], f["Latin"], f["Nature"]) == (h["pinyin"], _html(h["latin"]), h["nature"])
        assert f["Category"].startswith(h["category"])
        toxic = [h for h in kb.herbs if h["toxicity"] != "none"]
        if toxic:
            assert "toxic" in by_guid[genanki.guid_for(export.GUID_NAMESPACE, f"herb:{toxic[0]['id']}")]["Cautions"]
        # category, nature, channels and a reverse card (Latin -> herb) per herb
        ords = {}
        for guid, o, *_ in cards:
            ords.setdefault(guid, set()).add(o)
        assert all(o >= {0, 1, 3} for o in ords.values())
    if kb.conditions:
        c = kb.conditions[0]
        out = tmp_path / "cond.apkg"
        assert cli("export", "anki", "-o", str(out), "--what", "condition", "--condition", c["id"]).exit_code == 0
        notes, models, *_ = read_apkg(out, tmp_path)
        assert [g for g, *_ in notes] == [genanki.guid_for(export.GUID_NAMESPACE, f"condition:{c['id']}")]
        f = by_name(models, export.ANKI_MODEL_IDS["condition"], notes[0][2])
        for item in c["prescription"]:
            assert item["code"] in f["Points"]


def test_export_cards_formats(cli, tmp_path):
    kb = load_kb()
    ch = sorted({p["channel"] for p in kb.points if p["channel"] != "EX"})[-1]
    pts = [p for p in kb.points if p["channel"] == ch]
    r = cli("export", "cards", "--meridian", ch, "--format", "json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [row["id"] for row in rows] == [f"point:{p['code']}" for p in pts]
    assert all(set(row) == {"front", "back", "id", "tags"} for row in rows)
    assert all("Safety:" in row["back"] for row in rows)
    assert all(isinstance(row["tags"], list) and ch in row["tags"] for row in rows)
    r = cli("export", "cards", "--meridian", ch, "--format", "tsv")
    lines = r.stdout.splitlines()
    assert lines[0] == "front\tback\tid\ttags"
    assert len(lines) == len(pts) + 1
    out = tmp_path / "cards.csv"
    r = cli("export", "cards", "--meridian", ch, "-o", str(out))
    assert r.exit_code == 0
    with open(out, encoding="utf-8", newline="") as fh:
        got = list(csv.DictReader(fh))
    assert [g["id"] for g in got] == [f"point:{p['code']}" for p in pts]
    assert got[0]["front"].startswith(pts[0]["code"])


def test_export_errors(acu, tmp_path):
    r = acu("export", "anki", "-o", str(tmp_path / "x.apkg"), "--what", "nonsense")
    assert r.returncode == 2
    r = acu("export", "anki", "-o", str(tmp_path / "missing-dir" / "x.apkg"))
    assert r.returncode == 2 and "no such directory" in r.stderr
    r = acu("export", "cards", "--category", "back-shu", "--meridian", "LU", "--format", "json")
    assert r.returncode == 1  # a valid filter combination with nothing in it
    assert not list(tmp_path.iterdir())
