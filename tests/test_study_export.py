"""acu export anki / acu export cards."""

from __future__ import annotations

import csv
import json
import sqlite3
import zipfile

import pytest
from test_study_support import load_kb, study_data  # noqa: F401


def read_apkg(path, tmp_path):
    with zipfile.ZipFile(path) as z:
        assert "collection.anki2" in z.namelist()
        assert z.testzip() is None
        db = tmp_path / "collection.anki2"
        db.write_bytes(z.read("collection.anki2"))
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        notes = conn.execute("SELECT guid, mid, flds, tags FROM notes").fetchall()
        models = json.loads(conn.execute("SELECT models FROM col").fetchone()[0])
        decks = json.loads(conn.execute("SELECT decks FROM col").fetchone()[0])
        cards = conn.execute("SELECT count(*) FROM cards").fetchone()[0]
    finally:
        conn.close()
    db.unlink()
    return notes, models, decks, cards


def test_anki_package_points(cli, tmp_path):
    import genanki

    from acucli.study import export

    kb = load_kb()
    ch = sorted({p["channel"] for p in kb.points if p["channel"] != "EX"})[0]
    pts = [p for p in kb.points if p["channel"] == ch]
    out = tmp_path / "deck.apkg"
    r = cli("export", "anki", "-o", str(out), "--meridian", ch)
    assert r.exit_code == 0, r.output
    notes, models, decks, cards = read_apkg(out, tmp_path)
    assert len(notes) == len(pts) == cards
    assert {g for g, *_ in notes} == {genanki.guid_for(f"point:{p['code']}") for p in pts}
    assert {mid for _, mid, _, _ in notes} == {export.MODEL_IDS["points"]}
    assert str(export.MODEL_IDS["points"]) in models
    assert [f["name"] for f in models[str(export.MODEL_IDS["points"])]["flds"]] == list(export.FIELDS)
    assert str(export.DECK_IDS["points"]) in decks
    no_data = kb.safety.get("no_data")
    by_guid = {g: flds.split("\x1f") for g, _, flds, _ in notes}
    for p in pts:
        front, back, ident, safety = by_guid[genanki.guid_for(f"point:{p['code']}")]
        assert p["code"] in front and ident == f"point:{p['code']}"
        # cautions always travel on the back; where there are none, say so, never "safe"
        moxa = p["needling"].get("moxibustion") in ("caution", "forbidden")
        assert all(c["kind"] in safety for c in p["cautions"])
        if moxa:
            assert "moxibustion" in safety
        if not p["cautions"] and not moxa:
            assert safety == no_data
    # a second export gives the same guids and ids: re-importing updates, never duplicates
    out2 = tmp_path / "again.apkg"
    assert cli("export", "anki", "-o", str(out2), "--meridian", ch).exit_code == 0
    notes2, models2, decks2, _ = read_apkg(out2, tmp_path)
    assert sorted(g for g, *_ in notes2) == sorted(g for g, *_ in notes)
    assert set(models2) == set(models) and set(decks2) == set(decks)


def test_anki_export_through_installed_acu(acu, tmp_path):
    kb = load_kb()
    out = tmp_path / "all.apkg"
    r = acu("export", "anki", "-o", str(out))
    assert r.returncode == 0, r.stderr
    notes, *_ = read_apkg(out, tmp_path)
    assert len(notes) == len(kb.points)
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))


def test_anki_herbs_and_condition_decks(cli, tmp_path):
    import genanki

    from acucli.study import export

    kb = load_kb()
    if not kb.herbs and not kb.conditions:
        pytest.skip("no herbs or conditions in the data")
    if kb.herbs:
        out = tmp_path / "herbs.apkg"
        assert cli("export", "anki", "-o", str(out), "--what", "herbs").exit_code == 0
        notes, models, *_ = read_apkg(out, tmp_path)
        assert {g for g, *_ in notes} == {genanki.guid_for(f"herb:{h['id']}") for h in kb.herbs}
        assert str(export.MODEL_IDS["herbs"]) in models
        toxic = [h for h in kb.herbs if h["toxicity"] != "none"]
        if toxic:
            flds = {g: f.split("\x1f") for g, _, f, _ in notes}[genanki.guid_for(f"herb:{toxic[0]['id']}")]
            assert "toxic" in flds[3]
    if kb.conditions:
        c = kb.conditions[0]
        out = tmp_path / "cond.apkg"
        assert cli("export", "anki", "-o", str(out), "--what", "condition", "--condition", c["id"]).exit_code == 0
        notes, *_ = read_apkg(out, tmp_path)
        assert [g for g, *_ in notes] == [genanki.guid_for(f"condition:{c['id']}")]
        back = notes[0][2].split("\x1f")[1]
        for item in c["prescription"]:
            assert item["code"] in back


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
