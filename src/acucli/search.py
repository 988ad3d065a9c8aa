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
INDEX_FORMAT = 3
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


def documents(kb, only: set | None = None):
    """(kind, key, title, detail, names, cats, location, prose) for every record,
    or only for the (kind, key) pairs in `only`."""
    from acucli.query import category_label, herb_safety

    def wanted(kind, key):
        return only is None or (kind, key) in only

    for p in kb.points:
        if not wanted("point", p["code"]):
            continue
        cats = [category_label(c) for c in p["categories"]]
        cats += [c["name"].replace("-", " ") for c in p["categories"]]
        yield ("point", p["code"], f"{p['pinyin']} {p['hanzi']}", p["english"],
               [p["code"], p["pinyin"], p["english"], *(a["name"] for a in p["aliases"]), *p["other_codes"]],
               cats + p["indications"] + p["actions"], [p["location"], p["locating"], *p["regions"]],
               [c["text"] for c in p["cautions"]], [p["hanzi"], p["hanzi_traditional"]])
    for h in kb.herbs:
        if not wanted("herb", h["id"]):
            continue
        from acucli.resolve import herb_name_forms

        yield ("herb", h["id"], f"{h['pinyin']} {h['hanzi']}", "; ".join(herb_safety(h)),
               [h["id"], h["pinyin"], h["latin"], h["english"], *h["trade_names"], *h["species"],
                *herb_name_forms(h)],
               [h["category"], h["subcategory"], *h["actions"], *h["indications"]], [],
               [c["text"] for c in h["cautions"]] + [f"{i['drug']} {i['text']}" for i in h["interactions"]]
               + [h["preparation"]], [h["hanzi"], h["hanzi_traditional"], *h["aliases"]])
    inter = _interactions_by_herb(kb)
    for f in kb.section("formulas"):
        if not wanted("formula", f["id"]):
            continue
        yield ("formula", f["id"], f"{f['pinyin']} {f['hanzi']}", f["english"],
               [f["id"], f["pinyin"], f["english"], *f["aliases"]],
               [f["category"], *f["actions"], *f["indications"], *f["patterns"]], [],
               [c["text"] for c in f["cautions"]] + [i["herb"] for i in f["composition"]],
               [f["hanzi"], f["hanzi_traditional"], f["source"]["text"]])
    for c in kb.conditions:
        if not wanted("condition", c["id"]):
            continue
        yield ("condition", c["id"], c["name"], c["evidence"].get("grade", ""),
               [c["id"], c["name"], *[a for a in c["aliases"] if not CJK.search(a)]],
               [p["name"] for p in c["patterns"]] + [c.get("group") or ""], [],
               [c["summary"], c["evidence"].get("summary", "")] + [r["text"] for r in c["red_flags"]]
               + [x["text"] for x in c["cautions"]],
               [ch["hanzi"] for ch in c["chinese"]] + [a for a in c["aliases"] if CJK.search(a)])
    for d in kb.section("drugs"):
        if not wanted("drug", d["id"]):
            continue
        yield ("drug", d["id"], d["id"], ", ".join(d["classes"]), d["names"], d["classes"], [],
               [], [])
    for r in kb.references:
        if not wanted("reference", r["id"]):
            continue
        yield ("reference", r["id"], r["id"], r["citation"][:80], [], [], [], [r["citation"]], [])
    # Interactions are rows of their herb, so that "warfarin" finds dan shen.
    for hid, texts in inter.items():
        if not wanted("herb", hid):
            continue
        h = kb.get("herbs", hid)
        if h:
            yield ("herb", hid, f"{h['pinyin']} {h['hanzi']}", "; ".join(herb_safety(h)), [],
                   [f"interacts with {i['drug']}" for i in texts], [],
                   [f"{i['effect']} {i.get('mechanism') or ''}" for i in texts], [])


def _interactions_by_herb(kb) -> dict:
    out: dict = {}
    for it in kb.section("interactions"):
        out.setdefault(it["herb"], []).append(it)
    return out


def _cjk_tokens(values) -> str:
    values = list(filter(None, values))
    return " ".join(CJK.findall(" ".join(values))) + " " + " ".join(values)


def rebuild(kb, crcs: dict | None = None) -> None:
    """Called when the JSON cache is written: the index follows the data.
    `crcs`: kind -> key -> checksum of each record as the cache wrote it."""
    import sqlite3

    path = _index_path(kb)
    if path is None:
        return
    try:
        build(kb, path, crcs)
    except (OSError, sqlite3.Error):
        return  # no index costs a slower first search, not a wrong answer


# Record kinds as the index names them.
DOC_KINDS = {"points": "point", "herbs": "herb", "formulas": "formula", "conditions": "condition",
             "drugs": "drug", "references": "reference"}


def _sources(kb, crcs: dict | None) -> dict:
    """(kind, key) -> a checksum of everything its documents are made from: the
    record, and for a herb its interactions. Unchanged checksum, unchanged rows."""
    import json
    import zlib

    from acucli.schema import RECORD_KINDS

    def crc(obj) -> int:
        return zlib.crc32(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode())

    out = {}
    for kind, label in DOC_KINDS.items():
        key = RECORD_KINDS[kind]
        known = (crcs or {}).get(kind, {})
        for r in kb.section(kind):
            k = r[key]
            out[label, k] = known[k] if k in known else crc(r)
    for hid, items in _interactions_by_herb(kb).items():
        if ("herb", hid) in out:
            out["herb", hid] = zlib.crc32(str(crc(items)).encode(), out["herb", hid])
    return out


def _code_crc() -> int:
    """The code that turns records into documents: a change means a fresh index."""
    from acucli.kb import code_checksum

    return code_checksum("search.py", "query.py", "resolve.py")


def build(kb, path: Path, crcs: dict | None = None) -> None:
    """Write the index at `path`. An index already there is updated in place
    (only the records whose checksum changed), which makes a rebuild after an
    overlay edit cheap; anything wrong with the old file means a fresh build."""
    import shutil
    import sqlite3

    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    sources, code = _sources(kb, crcs), _code_crc()
    plan = _plan(path, sources, code) if path.is_file() else None
    if plan == ([], []):
        return  # nothing its documents are made from has changed
    if plan is not None:
        changed, gone = plan
        try:
            shutil.copyfile(path, tmp)
            con = sqlite3.connect(tmp)
            try:
                _update(con, kb, sources, changed, gone)
            finally:
                con.close()
            os.replace(tmp, path)
            return
        except (OSError, sqlite3.Error):
            with contextlib.suppress(OSError):
                tmp.unlink()
    con = sqlite3.connect(tmp)
    try:
        _fill(kb, con, sources, code)
    finally:
        con.close()
    os.replace(tmp, path)


def _plan(path: Path, sources: dict, code: int):
    """(changed, gone) records for an update in place, or None for a fresh build."""
    import sqlite3

    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            updates, old_code = con.execute("SELECT updates, code FROM meta").fetchone()
            old = {(k, key): c for k, key, c in con.execute("SELECT kind, key, crc FROM source")}
        finally:
            con.close()
    except (sqlite3.Error, TypeError, ValueError):
        return None
    if old_code != code or not isinstance(updates, int) or updates >= MAX_UPDATES:
        return None
    changed = [k for k, c in sources.items() if old.get(k) != c]
    gone = [k for k in old if k not in sources]
    if len(changed) + len(gone) > len(sources) // 4:
        return None  # most of it changed: a fresh index is smaller and as quick
    return changed, gone


def _rows(kb, only: set | None = None):
    join = " ; ".join
    for kind, key, title, detail, names, cats, location, prose, cjk in documents(kb, only):
        yield (kind, key, title, detail, join(filter(None, names)), join(filter(None, cats)),
               join(filter(None, location)), join(filter(None, prose)), _cjk_tokens(cjk))


def _create(con, code: int) -> None:
    con.execute("CREATE VIRTUAL TABLE docs USING fts5(kind UNINDEXED, key UNINDEXED, title UNINDEXED, "
                "detail UNINDEXED, names, cats, location, prose, cjk, "
                "tokenize='porter unicode61 remove_diacritics 2')")
    con.execute("CREATE TABLE source (kind TEXT NOT NULL, key TEXT NOT NULL, crc INTEGER NOT NULL, "
                "PRIMARY KEY (kind, key))")
    con.execute("CREATE TABLE meta (updates INTEGER NOT NULL, code INTEGER NOT NULL)")
    con.execute("INSERT INTO meta VALUES (0, ?)", (code,))


def _insert(con, kb, sources: dict, only: set | None = None) -> None:
    con.executemany("INSERT INTO docs VALUES (?,?,?,?,?,?,?,?,?)", _rows(kb, only))
    con.executemany("INSERT OR REPLACE INTO source VALUES (?,?,?)",
                    [(k, key, c) for (k, key), c in sources.items() if only is None or (k, key) in only])


def _update(con, kb, sources: dict, changed: list, gone: list) -> None:
    stale = set(changed) | set(gone)
    # kind and key are not indexed in the FTS table: find the rows in one read.
    rids = [(rid,) for rid, k, key in con.execute("SELECT rowid, kind, key FROM docs") if (k, key) in stale]
    con.executemany("DELETE FROM docs WHERE rowid = ?", rids)
    con.executemany("DELETE FROM source WHERE kind = ? AND key = ?", list(stale))
    _insert(con, kb, sources, set(changed))
    con.execute("UPDATE meta SET updates = updates + 1")
    con.commit()


def _fill(kb, con, sources: dict | None = None, code: int | None = None) -> None:
    """A whole index in a fresh database (in memory when there is no cache)."""
    _create(con, _code_crc() if code is None else code)
    _insert(con, kb, sources or {})  # without sources (in memory) it is never updated in place
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
        cols = {}
        for i in range(0, len(rids), 500):  # older SQLite allows 999 parameters a statement
            part = rids[i:i + 500]
            cols.update((rid, c) for rid, *c in con.execute(
                f"SELECT rowid, names, cats, location, prose, cjk FROM docs WHERE rowid IN ({','.join('?' * len(part))})",
                part))
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
