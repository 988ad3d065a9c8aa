"""acu export anki --progress, and the deck in the real Anki importer (when `anki` is installed)."""

from __future__ import annotations

import json
import time

import pytest
from test_study_export import a_channel_with_categories, read_apkg
from test_study_support import load_kb, study_data  # noqa: F401


def _study(now: float, ch_points: list[dict]):
    """Progress made directly in the store: one card in review, one in learning."""
    from acucli.study.store import Store

    review_code, learning_code = ch_points[0]["code"], ch_points[1]["code"]
    with Store.open() as s:
        t = now - 60 * 86400
        for _ in range(4):  # good each time it comes due: into review, with a real interval
            r = s.review(f"point:{review_code}:name", 3, now=t)
            t = max(r.card.due, t + 60)
        s.review(f"point:{learning_code}:code", 1, now=now - 30)
        return s.cards()


def _card(cards, guid, ord_):
    return next(c for c in cards if c[0] == guid and c[1] == ord_)


def test_progress_goes_into_ankis_scheduling_fields(cli, tmp_path):
    import genanki

    from acucli.study import export

    kb = load_kb()
    ch = a_channel_with_categories(kb)
    pts = sorted((p for p in kb.points if p["channel"] == ch), key=lambda p: p["number"])
    now = time.time()
    states = _study(now, pts)
    rev = states[f"point:{pts[0]['code']}:name"]
    lrn = states[f"point:{pts[1]['code']}:code"]
    assert rev.state == 2 and lrn.state in (1, 3)

    out = tmp_path / "progress.apkg"
    r = cli("export", "anki", "-o", str(out), "-m", ch, "--progress")
    assert r.exit_code == 0, r.output
    _, _, _, cards, _ = read_apkg(out, tmp_path)
    g0 = genanki.guid_for(export.GUID_NAMESPACE, f"point:{pts[0]['code']}")
    g1 = genanki.guid_for(export.GUID_NAMESPACE, f"point:{pts[1]['code']}")
    # code -> name of the first point: a review card, due on its day, with its FSRS memory
    _, _, typ, queue, due, ivl, reps, lapses, data = _card(cards, g0, 0)
    assert (typ, queue) == (2, 2)
    assert due == export.anki_day(rev.due)
    assert ivl == max(1, round(rev.interval_days()))
    assert (reps, lapses) == (rev.reps, rev.lapses)
    mem = json.loads(data)
    assert mem["s"] == pytest.approx(rev.stability, rel=1e-3)
    assert mem["d"] == pytest.approx(rev.difficulty, rel=1e-3)
    # name -> code of the second point: in learning, due as a unix time
    _, _, typ, queue, due, *_ = _card(cards, g1, 1)
    assert typ == lrn.state
    if export.anki_day(lrn.due) == export.anki_day(time.time()):
        assert queue == 1 and abs(due - lrn.due) < 1
    else:  # the step ends after Anki's day rollover (4 am): a day-learning card
        assert queue == 3 and due == export.anki_day(lrn.due)
    # everything not studied is new, as genanki writes it
    untouched = [c for c in cards if (c[0], c[1]) not in {(g0, 0), (g1, 1)}]
    assert untouched and all(c[2] == 0 and c[3] == 0 and c[5] == 0 for c in untouched)
    # without --progress, every card is new
    plain = tmp_path / "plain.apkg"
    assert cli("export", "anki", "-o", str(plain), "-m", ch).exit_code == 0
    assert all(c[2] == 0 for c in read_apkg(plain, tmp_path)[3])


def test_progress_without_a_study_database_says_so(cli, tmp_path, isolated):
    out = tmp_path / "p.apkg"
    r = cli("export", "anki", "-o", str(out), "-m", "LU", "--progress")
    assert r.exit_code == 0, r.output
    assert "no study progress yet" in r.stderr
    assert not (isolated / "progress.sqlite3").exists()


# ------------------------------------------------------------ the real importer


def _collection(tmp_path, name="col.anki2"):
    anki = pytest.importorskip("anki.collection")
    return anki, anki.Collection(str(tmp_path / name))


def _import(anki, col, path, scheduling=True):
    req = anki.ImportAnkiPackageRequest(package_path=str(path), options=anki.ImportAnkiPackageOptions(
        with_scheduling=scheduling, merge_notetypes=True))
    return col.import_anki_package(req).log


def test_anki_imports_the_deck_and_a_second_import_adds_nothing(cli, tmp_path):
    kb = load_kb()
    ch = a_channel_with_categories(kb)
    now = time.time()
    pts = sorted((p for p in kb.points if p["channel"] == ch), key=lambda p: p["number"])
    states = _study(now, pts)
    out = tmp_path / "deck.apkg"
    assert cli("export", "anki", "-o", str(out), "-m", ch, "--progress").exit_code == 0
    notes, _, _, cards, _ = read_apkg(out, tmp_path)
    anki, col = _collection(tmp_path)
    try:
        first = _import(anki, col, out)
        assert len(first.new) == len(notes)
        assert col.note_count() == len(notes) and col.card_count() == len(cards)
        # a fresh export of the same records: same guids, so nothing new, nothing doubled
        again = tmp_path / "again.apkg"
        assert cli("export", "anki", "-o", str(again), "-m", ch, "--progress").exit_code == 0
        second = _import(anki, col, again)
        assert len(second.new) == 0
        assert col.note_count() == len(notes) and col.card_count() == len(cards)
        # the studied card kept its schedule and its FSRS memory
        from acucli.study import export

        rev = states[f"point:{pts[0]['code']}:name"]
        (nid,) = col.find_notes(f'"Id:point:{pts[0]["code"]}"')
        card = next(c for c in col.get_note(nid).cards() if c.ord == 0)
        assert card.type == 2 and card.queue == 2
        assert card.due - col.sched.today == export.anki_day(rev.due) - export.anki_day(time.time())
        assert card.memory_state.stability == pytest.approx(rev.stability, rel=1e-3)
        assert card.memory_state.difficulty == pytest.approx(rev.difficulty, rel=1e-3)
    finally:
        col.close()


def test_anki_updates_a_changed_note_in_place(tmp_path):
    import os

    from acucli.study import export, outfile

    kb = load_kb()
    ch = a_channel_with_categories(kb)
    anki, col = _collection(tmp_path)
    try:
        def build(name, change=None):
            items = export.anki_notes(kb, "points", meridian=ch)
            if change:
                change(items)
            path = tmp_path / name
            with outfile.apkg_tempdir() as td:
                export.build_apkg(export.anki_deck("points", items), [], str(path), td)
            os.utime(path)
            return path, items

        path, items = build("one.apkg")
        _import(anki, col, path)
        count = col.note_count()
        time.sleep(1.1)  # Anki updates a note when the incoming one is newer (seconds)

        def edit(items):
            items[0].fields["Actions"] = "an edited action"

        path2, _ = build("two.apkg", edit)
        log = _import(anki, col, path2)
        assert len(log.new) == 0 and len(log.updated) >= 1
        assert col.note_count() == count
        (nid,) = col.find_notes(f'"Id:{items[0].key}"')
        assert col.get_note(nid)["Actions"] == "an edited action"
    finally:
        col.close()
