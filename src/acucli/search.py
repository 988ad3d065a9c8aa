"""Ranked search over every record kind, on SQLite FTS5 (the standard library's sqlite3).

The index is a SQLite file beside the JSON cache, built once per data
version (the cache name is its key). Columns are weighted for BM25: names
above categories and indications, those above locations, prose last. The
query side removes stop words, expands a small table of lay phrasing
(back of the knee -> popliteal), matches prefixes (lumb* -> lumbar) and
stems (porter), and matches Chinese characters one by one.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from acucli.errors import UsageError

KINDS = ("point", "herb", "formula", "condition", "reference", "drug")
COLUMNS = ("names", "cats", "location", "prose", "cjk")
WEIGHTS = (10.0, 4.0, 2.0, 1.0, 6.0)
INDEX_FORMAT = 2
# After this many in-place updates the index is built afresh (deletes leave tombstones).
MAX_UPDATES = 20

STOP = frozenset("""a an and are as at be by for from how i in is it me my of on or the to what where which
with points point herb herbs formula formulas acupuncture acupoint acupoints good best use used
treat treating treatment""".split())

# Lay phrasing -> the words the records use. Longest phrases first.
SYNONYMS = [
    ("web between thumb and index finger", "first second metacarpal"),
    ("between thumb and index finger", "first second metacarpal"),
    ("between the thumb and index finger", "first second metacarpal"),
    ("back of the knee", "popliteal"),
    ("behind the knee", "popliteal"),
    ("back of knee", "popliteal"),
    ("inner ankle", "medial malleolus"),
    ("outer ankle", "lateral malleolus"),
    ("ankle bone", "malleolus"),
    ("meeting point", "hui-meeting"),
    ("influential point", "hui-meeting"),
    ("influential", "hui-meeting"),
    ("belly button", "umbilicus"),
    ("navel", "umbilicus"),
    ("collapsed lung", "pneumothorax"),
    ("lower back", "lumbar lower-back"),
    ("low back", "lumbar lower-back"),
    ("shoulder blade", "scapula"),
    ("breastbone", "sternum"),
    ("collarbone", "clavicle"),
    ("kneecap", "patella"),
    ("shin", "tibia"),
    ("wrist crease", "wrist crease"),
    ("big toe", "great toe"),
    ("blood thinner", "anticoagulants warfarin"),
    ("blood thinners", "anticoagulants warfarin"),
    ("period pain", "dysmenorrhoea"),
    ("hay fever", "allergic rhinitis"),
    ("quit smoking", "smoking cessation"),
]
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _index_path(kb) -> Path | None:
    cache = kb.meta.get("cache")
    if not cache:
        return None
    return Path(str(cache)[:-len(".json")] + f"-search{INDEX_FORMAT}.sqlite3")


def documents(kb):
    """(kind, key, title, detail, names, cats, location, prose) for every record."""
    from acucli.query import category_label, herb_safety

    for p in kb.points:
        cats = [category_label(c) for c in p["categories"]]
        cats += [c["name"].replace("-", " ") for c in p["categories"]]
        yield ("point", p["code"], f"{p['pinyin']} {p['hanzi']}", p["english"],
               [p["code"], p["pinyin"], p["english"], *(a["name"] for a in p["aliases"]), *p["other_codes"]],
               cats + p["indications"] + p["actions"], [p["location"], p["locating"], *p["regions"]],
               [c["text"] for c in p["cautions"]], [p["hanzi"], p["hanzi_traditional"]])
    for h in kb.herbs:
        from acucli.resolve import herb_name_forms

        yield ("herb", h["id"], f"{h['pinyin']} {h['hanzi']}", "; ".join(herb_safety(h)),
               [h["id"], h["pinyin"], h["latin"], h["english"], *h["trade_names"], *h["species"],
                *herb_name_forms(h)],
               [h["category"], h["subcategory"], *h["actions"], *h["indications"]], [],
               [c["text"] for c in h["cautions"]] + [f"{i['drug']} {i['text']}" for i in h["interactions"]]
               + [h["preparation"]], [h["hanzi"], h["hanzi_traditional"], *h["aliases"]])
    inter: dict = {}
    for it in kb.section("interactions"):
        inter.setdefault(it["herb"], []).append(it)
    for f in kb.section("formulas"):
        yield ("formula", f["id"], f"{f['pinyin']} {f['hanzi']}", f["english"],
               [f["id"], f["pinyin"], f["english"], *f["aliases"]],
               [f["category"], *f["actions"], *f["indications"], *f["patterns"]], [],
               [c["text"] for c in f["cautions"]] + [i["herb"] for i in f["composition"]],
               [f["hanzi"], f["hanzi_traditional"], f["source"]["text"]])
    for c in kb.conditions:
        yield ("condition", c["id"], c["name"], c["evidence"].get("grade", ""),
               [c["id"], c["name"], *[a for a in c["aliases"] if not CJK.search(a)]],
               [p["name"] for p in c["patterns"]] + [c.get("group") or ""], [],
               [c["summary"], c["evidence"].get("summary", "")] + [r["text"] for r in c["red_flags"]]
               + [x["text"] for x in c["cautions"]],
               [ch["hanzi"] for ch in c["chinese"]] + [a for a in c["aliases"] if CJK.search(a)])
    for d in kb.section("drugs"):
        yield ("drug", d["id"], d["id"], ", ".join(d["classes"]), d["names"], d["classes"], [],
               [], [])
    for r in kb.references:
        yield ("reference", r["id"], r["id"], r["citation"][:80], [], [], [], [r["citation"]], [])
    # Interactions are rows of their herb, so that "warfarin" finds dan shen.
    for hid, texts in inter.items():
        h = kb.get("herbs", hid)
        if h:
            yield ("herb", hid, f"{h['pinyin']} {h['hanzi']}", "; ".join(herb_safety(h)), [],
                   [f"interacts with {i['drug']}" for i in texts], [],
                   [f"{i['effect']} {i.get('mechanism') or ''}" for i in texts], [])


def _cjk_tokens(values) -> str:
    values = list(filter(None, values))
    return " ".join(CJK.findall(" ".join(values))) + " " + " ".join(values)


def rebuild(kb) -> None:
    """Called when the JSON cache is written: the index follows the data."""
    import sqlite3

    path = _index_path(kb)
    if path is None:
        return
    try:
        build(kb, path)
    except (OSError, sqlite3.Error):
        return  # no index costs a slower first search, not a wrong answer


def build(kb, path: Path) -> None:
    """Write the index at `path`. An index already there is updated in place
    (only rows whose text changed), which makes a rebuild after an overlay
    edit cheap; anything wrong with the old file means a fresh build."""
    import shutil
    import sqlite3

    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        tmp.unlink()
    except FileNotFoundError:
        pass
    rows = _rows(kb)
    updated = False
    if path.is_file() and _unchanged(path, rows):
        return  # the index already holds exactly these rows
    if path.is_file():
        try:
            shutil.copyfile(path, tmp)
            con = sqlite3.connect(tmp)
            try:
                updated = _update(con, rows)
            finally:
                con.close()
        except (OSError, sqlite3.Error):
            updated = False
        if not updated:
            with contextlib.suppress(OSError):
                tmp.unlink()
    if not updated:
        con = sqlite3.connect(tmp)
        try:
            _create(con)
            _insert(con, rows)
            con.commit()
        finally:
            con.close()
    os.replace(tmp, path)


def _rows(kb) -> list[tuple]:
    """(identity, text hash, FTS row) for every document; identity is kind, key
    and the document's number among that record's documents."""
    import zlib

    out, seen, join = [], {}, " ; ".join
    for kind, key, title, detail, names, cats, location, prose, cjk in documents(kb):
        row = (kind, key, title, detail, join(filter(None, names)), join(filter(None, cats)),
               join(filter(None, location)), join(filter(None, prose)), _cjk_tokens(cjk))
        n = seen[kind, key] = seen.get((kind, key), -1) + 1
        out.append((f"{kind}\x1f{key}\x1f{n}", zlib.crc32("\x1f".join(row).encode()), row))
    return out


def _unchanged(path: Path, rows) -> bool:
    import sqlite3

    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            old = dict(con.execute("SELECT ident, h FROM rowhash"))
            (count,) = con.execute("SELECT count(*) FROM docs").fetchone()
            (updates,) = con.execute("SELECT updates FROM meta").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return False
    return (isinstance(updates, int) and count == len(old) == len(rows)
            and all(old.get(ident) == h for ident, h, _ in rows))


def _create(con) -> None:
    con.execute("CREATE VIRTUAL TABLE docs USING fts5(kind UNINDEXED, key UNINDEXED, title UNINDEXED, "
                "detail UNINDEXED, names, cats, location, prose, cjk, "
                "tokenize='porter unicode61 remove_diacritics 2')")
    con.execute("CREATE TABLE rowhash (rid INTEGER PRIMARY KEY, ident TEXT UNIQUE NOT NULL, h INTEGER NOT NULL)")
    con.execute("CREATE TABLE meta (updates INTEGER NOT NULL)")
    con.execute("INSERT INTO meta VALUES (0)")


def _insert(con, rows) -> None:
    for ident, h, row in rows:
        rid = con.execute("INSERT INTO docs VALUES (?,?,?,?,?,?,?,?,?)", row).lastrowid
        con.execute("INSERT INTO rowhash VALUES (?,?,?)", (rid, ident, h))


def _update(con, rows) -> bool:
    """Bring an existing index to `rows`. False: build afresh instead."""
    (updates,) = con.execute("SELECT updates FROM meta").fetchone()
    if not isinstance(updates, int) or updates >= MAX_UPDATES:
        return False
    old = {ident: (rid, h) for rid, ident, h in con.execute("SELECT rid, ident, h FROM rowhash")}
    changed = [r for r in rows if old.get(r[0], (None, None))[1] != r[1]]
    keep = {r[0] for r in rows} - {c[0] for c in changed}
    gone = [rid for ident, (rid, _) in old.items() if ident not in keep]
    if len(changed) + len(gone) > len(rows) // 4:
        return False  # most of it changed: a fresh index is smaller and as quick
    con.executemany("DELETE FROM docs WHERE rowid = ?", [(rid,) for rid in gone])
    con.executemany("DELETE FROM rowhash WHERE rid = ?", [(rid,) for rid in gone])
    _insert(con, changed)
    con.execute("UPDATE meta SET updates = updates + 1")
    con.commit()
    return True


def _fill(kb, con) -> None:
    """A whole index in a fresh database (in memory when there is no cache)."""
    _create(con)
    _insert(con, _rows(kb))
    con.commit()


def _connect(kb):
    import sqlite3

    path = _index_path(kb)
    if path is None:
        con = sqlite3.connect(":memory:")
        _fill(kb, con)
        return con
    for attempt in (1, 2):
        if not path.is_file():
            try:
                build(kb, path)
            except (OSError, sqlite3.Error):
                con = sqlite3.connect(":memory:")
                _fill(kb, con)
                return con
        try:
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            con.execute("SELECT count(*) FROM docs").fetchone()
            return con
        except sqlite3.Error:
            # A damaged index is rebuilt, never trusted.
            try:
                path.unlink()
            except OSError:
                break
    con = sqlite3.connect(":memory:")
    _fill(kb, con)
    return con





def parse(text: str) -> tuple[list[str], list[str], list[str]]:
    """FTS groups to AND together, the plain words (for "matched"), and the CJK characters.

    A lay phrase becomes a group: (its own words) OR (the words the records use)."""
    low = " " + re.sub(r"\s+", " ", text.casefold()).strip() + " "
    groups, words = [], []
    for phrase, repl in SYNONYMS:
        if f" {phrase} " in low:
            low = low.replace(f" {phrase} ", " ")
            own = [_term(w) for w in _words(phrase)]
            alt = [_term(w) for w in _words(repl)]
            groups.append(f"(({' AND '.join(own)}) OR ({' AND '.join(alt)}))" if own else f"({' AND '.join(alt)})")
            words += _words(phrase) + _words(repl)
    rest = _words(low)
    groups += [_term(w) for w in rest]
    cjk = CJK.findall(low)
    groups += [f'cjk:"{c}"' for c in cjk]
    return groups, list(dict.fromkeys(words + rest)), cjk


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[0-9a-z\u00c0-\u024f]+(?:-[0-9a-z]+)*", text.casefold()) if w not in STOP]


def _term(w: str) -> str:
    w = w.replace('"', "")
    if "-" in w:
        return f'"{w.replace("-", " ")}"'
    return f'"{w}"*' if len(w) >= 3 else f'"{w}"'


def search(kb, text: str, kind: str | None = None, limit: int = 30) -> list[dict]:
    if kind is not None and kind not in KINDS:
        from acucli.query import check_choice

        kind = check_choice(kind, KINDS, "kind")
    terms, words, cjk = parse(text)
    if not terms:
        raise UsageError("search needs some words", ["e.g. acu search 'lower back pain'"])
    con = _connect(kb)
    try:
        rows = _ranked_rows(con, text, terms, kind, limit)
        out = _best(rows, text, limit)
        # Only the rows shown need their text, to say what matched.
        rids = [rid for r in out for rid in r["_rows"]]
        cols = {rid: c for rid, *c in con.execute(
            f"SELECT rowid, names, cats, location, prose, cjk FROM docs WHERE rowid IN ({','.join('?' * len(rids))})",
            rids)} if rids else {}
    finally:
        con.close()
    for r in out:
        r["matched"] = _matched(words, cjk, [cols[rid] for rid in r.pop("_rows") if rid in cols])
    return out


def _ranked_rows(con, text: str, terms: list[str], kind: str | None, limit: int) -> list:
    """(rowid, kind, key, title, detail, score, names), best first."""
    import sqlite3

    sql = ("SELECT rowid, kind, key, title, detail, bm25(docs, 0, 0, 0, 0, {}) AS s, names "
           "FROM docs WHERE docs MATCH ?{} ORDER BY s, kind, key LIMIT ?").format(
               ", ".join(map(str, WEIGHTS)), " AND kind = ?" if kind else "")
    rows: list = []
    # All words first; if nothing has them all, rank whatever has most.
    for op in (" AND ", " OR "):
        try:
            rows = con.execute(sql, [op.join(terms)] + ([kind] if kind else []) + [max(300, limit * 4)]).fetchall()
        except sqlite3.OperationalError as exc:
            raise UsageError(f"cannot search for {text!r}: {exc}") from None
        if rows:
            break
    # Records with the whole phrase among their names, however common its words.
    full = " ".join(re.findall(r"[0-9a-z]+", text.casefold()))
    if len(full) > 3:
        seen = {r[0] for r in rows}
        extra = con.execute(sql, [f'names : "{full}"'] + ([kind] if kind else []) + [50]).fetchall()
        rows += [r for r in extra if r[0] not in seen]
    return rows


def _best(rows: list, text: str, limit: int) -> list[dict]:
    """One result per record (its documents' scores added), a bonus where the
    query is one of its names, best first."""
    best: dict = {}
    phrases = {" ".join(_words(text)), " ".join(re.findall(r"[0-9a-z]+", text.casefold()))}
    phrases = {x for x in phrases if len(x) > 3}
    for rid, k, key, title, detail, score, names in rows:
        segments = [" ".join(re.findall(r"[0-9a-z]+", seg)) for seg in (names or "").casefold().split(";")]
        if any(x == seg for x in phrases for seg in segments):
            score -= 15.0  # the query is one of the record's names: it comes first
        elif any(" " in x and f" {x} " in f" {seg} " for x in phrases for seg in segments):
            score -= 8.0
        if (k, key) in best:
            best[(k, key)]["score"] += -score
            best[(k, key)]["_rows"].append(rid)
            continue
        best[(k, key)] = {"kind": k, "id": key, "name": title, "detail": detail, "score": -score,
                          "_rows": [rid]}
    out = sorted(best.values(), key=lambda r: -r["score"])[:limit]
    for r in out:
        r["score"] = round(r["score"], 2)
    return out


def _matched(words, cjk, docs) -> str:
    """Which parts of a record's documents hold the query's words."""
    names = ("name", "category/indication", "location", "text", "hanzi")
    hit = []
    for i, label in enumerate(names):
        for cols in docs:
            value = cols[i] or ""
            low = value.casefold()
            if any(w[:max(3, len(w) - 2)] in low for w in words) or any(c in value for c in cjk):
                hit.append(label)
                break
    return ", ".join(hit)
