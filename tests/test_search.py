"""Find anything: natural queries and their expected top results."""

from __future__ import annotations

import json

import pytest

from conftest import own_cache

# query -> ids that must be among the top N results (N after the ids)
QUERIES = [
    ("lower back pain", {"chronic-low-back-pain", "acute-low-back-pain"}, 3),
    ("points for lower back pain", {"chronic-low-back-pain", "acute-low-back-pain"}, 3),
    ("warfarin", {"warfarin"}, 1),
    ("warfarin", {"dan-shen"}, 12),
    ("hui meeting point of bone", {"BL11"}, 3),
    ("back of the knee", {"BL40"}, 2),
    ("between thumb and index finger", {"LI4"}, 5),
    ("pneumothorax", {"LU1", "GB22", "TE15", "EX-B1"}, 100),
    ("Union Valley", {"LI4"}, 1),
    ("stomach point", {"CV6"}, 1),
    ("太溪", {"KI3"}, 1),
    ("frozen shoulder", {"frozen-shoulder"}, 1),
    ("quit smoking", {"smoking-cessation"}, 1),
    ("Radix Aristolochiae Fangchi", {"guang-fang-ji"}, 1),
    ("peony", {"bai-shao", "chi-shao"}, 4),
    ("lumbar sprain", {"acute-low-back-pain"}, 1),
]


@pytest.mark.parametrize("query,want,n", QUERIES)
def test_natural_queries(cli, query, want, n):
    res = cli("search", query, "-f", "json", "-n", "100")
    assert res.exit_code == 0, res.stderr
    ids = [r["id"] for r in json.loads(res.stdout)][:n]
    assert want <= set(ids), (query, ids)


def test_lower_back_pain_does_not_rank_points_named_lower(cli):
    ids = [r["id"] for r in json.loads(cli("search", "lower back pain", "-f", "json").stdout)][:10]
    assert "LI8" not in ids and "BL34" not in ids


def test_kind_filter_and_matched_column(cli):
    rows = json.loads(cli("search", "warfarin", "--kind", "herb", "-f", "json").stdout)
    assert rows and all(r["kind"] == "herb" for r in rows)
    assert all(r["matched"] for r in rows)
    assert cli("search", "warfarin", "--kind", "nonsense").exit_code == 2


def test_nothing_found_exits_1(cli):
    assert cli("search", "qqqqzzzz").exit_code == 1


def test_a_damaged_index_is_rebuilt(cli, tmp_path, monkeypatch):
    from acucli import kb as kbmod, search

    own_cache(tmp_path / "cache", monkeypatch)
    kbmod.reset()
    k = kbmod.load()
    path = search._index_path(k)
    if not path.exists():
        search.rebuild(k)
    path.write_bytes(b"not a database")
    assert search.search(k, "taixi")[0]["id"] == "KI3"


def _overlay_point(d, english: str) -> None:
    (d / "o.yaml").write_text(
        "points:\n- code: EX-TEST1\n  channel: EX\n  number: 1\n  pinyin: Cèshì\n  hanzi: 测试\n"
        "  hanzi_traditional: 測試\n  english: " + english + "\n  regions: [hand]\n"
        "  location: On the back of the hand, a test record.\n  locating: Not a real point.\n"
        "  needling: {method: filiform, angle: perpendicular, depth_cun: [0.1, 0.2], moxibustion: allowed}\n"
        "  categories: []\n  actions: [none]\n  indications: [none]\n  cautions: []\n  sources: [who2008]\n",
        encoding="utf-8")


def test_an_index_updated_in_place_answers_as_a_fresh_one(tmp_path, monkeypatch):
    """An overlay edit updates the old index row by row; the answers must be
    those of an index built from nothing."""
    import sqlite3

    from acucli import kb as kbmod, search

    ov = tmp_path / "ov"
    ov.mkdir()
    own_cache(tmp_path / "cache", monkeypatch)
    _overlay_point(ov, "Zanzibar Gate")
    kbmod.reset()
    first = kbmod.load(overlays=[ov])
    assert [h["id"] for h in search.search(first, "zanzibar")] == ["EX-TEST1"]
    index = search._index_path(first)
    _overlay_point(ov, "Quokka Hollow")
    kbmod.reset()
    k = kbmod.load(overlays=[ov])
    assert search._index_path(k) == index
    with sqlite3.connect(index) as con:
        assert con.execute("SELECT updates FROM meta").fetchone()[0] == 1  # updated, not rebuilt
    assert "EX-TEST1" not in [h["id"] for h in search.search(k, "zanzibar")]
    assert [h["id"] for h in search.search(k, "quokka")] == ["EX-TEST1"]
    fresh = tmp_path / "fresh.sqlite3"
    search.build(k, fresh)
    for q in ("lower back pain", "warfarin", "hand", "test record", "太溪", "pneumothorax"):
        monkeypatch.setattr(search, "_index_path", lambda kb: index)
        updated = search.search(k, q, limit=50)
        monkeypatch.setattr(search, "_index_path", lambda kb: fresh)
        assert search.search(k, q, limit=50) == updated, q


def test_an_index_rebuilds_from_nothing_when_its_bookkeeping_is_wrong(tmp_path, monkeypatch):
    import sqlite3

    from acucli import kb as kbmod, search

    own_cache(tmp_path / "cache", monkeypatch)
    kbmod.reset()
    k = kbmod.load()
    path = search._index_path(k)
    search.build(k, path)
    with sqlite3.connect(path) as con:
        con.execute("DROP TABLE meta")
    search.build(k, path)  # no meta table: built afresh, not patched
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT updates FROM meta").fetchone()[0] == 0
    assert search.search(k, "taixi")[0]["id"] == "KI3"


def test_an_edited_interaction_updates_its_herbs_rows(tmp_path, monkeypatch):
    """A herb's documents include its interactions: a new one is found after an
    overlay edit, though the herb record itself is unchanged (dan-shen already
    interacts with warfarin)."""
    import sqlite3

    from acucli import kb as kbmod, search

    ov = tmp_path / "ov"
    ov.mkdir()
    f = ov / "o.yaml"
    own_cache(tmp_path / "cache", monkeypatch)
    f.write_text("notes:\n- herb: dan-shen\n  text: a note\n", encoding="utf-8")
    kbmod.reset()
    k = kbmod.load(overlays=[ov])
    assert "dan-shen" not in [h["id"] for h in search.search(k, "zorblaxine")]
    # dan-shen already interacts with warfarin: its record (and its labels) stay the same.
    f.write_text("interactions:\n- herb: dan-shen\n  drug: warfarin\n  effect: A made-up zorblaxine effect.\n"
                 "  severity: minor\n  evidence: theoretical\n  basis: theoretical\n", encoding="utf-8")
    kbmod.reset()
    k = kbmod.load(overlays=[ov])
    with sqlite3.connect(search._index_path(k)) as con:
        assert con.execute("SELECT updates FROM meta").fetchone()[0] == 1
    assert [h["id"] for h in search.search(k, "zorblaxine")] == ["dan-shen"]
