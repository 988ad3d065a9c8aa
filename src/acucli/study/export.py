"""Flashcards for other tools: an Anki package (.apkg, via genanki) or plain
rows (csv, tsv, json ...).

One note per record. Model and deck ids are fixed per deck kind and every
note's guid comes from its record key, so importing a newer export updates the
notes already in Anki instead of adding duplicates. Safety (cautions, toxicity,
interactions, red flags) is always on the back; where the data has none, the
back says so ("no data"), never "safe".
"""

from __future__ import annotations

import contextlib

import os
from dataclasses import dataclass, field
from pathlib import Path

from acucli.errors import AcuError, NotFound, UsageError

WHATS = ("points", "herbs", "condition")

# Fixed forever: changing one makes Anki treat the next import as new notes.
MODEL_IDS = {"points": 1740201101, "herbs": 1740201102, "condition": 1740201103}
DECK_IDS = {"points": 2059400101, "herbs": 2059400102, "condition": 2059400103}
DECK_NAMES = {"points": "acu::Points", "herbs": "acu::Herbs", "condition": "acu::Conditions"}
FIELDS = ("Front", "Back", "Id", "Safety")

CSS = """.card { font-family: sans-serif; font-size: 20px; text-align: left; }
.front { font-size: 24px; }
.safety { margin-top: 1em; padding: .5em; border-left: 4px solid #c62828; font-size: 16px; }
.id { margin-top: 1em; color: #888; font-size: 12px; }
"""


@dataclass
class Note:
    id: str  # record key: 'point:KI3', 'herb:du-zhong', 'condition:osteoporosis'
    front: str
    back: list[str]
    safety: list[str]
    tags: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ notes


def notes(kb, what: str, condition: str | None = None, meridian: str | None = None,
          category: str | None = None) -> list[Note]:
    from acucli.study.questions import herbs_filtered, points_filtered

    what = _what(what)
    no_data = kb.safety.get("no_data") or "no data"
    if what == "points":
        out = [_point_note(kb, p, no_data) for p in points_filtered(kb, meridian, category, condition)]
    elif what == "herbs":
        if category:
            raise UsageError("--category names point categories; it does not apply to herbs")
        out = [_herb_note(h, no_data) for h in herbs_filtered(kb, meridian, None, condition)]
    else:
        from acucli import query as q

        conds = [q.get_condition(kb, condition)] if condition else list(kb.conditions)
        out = [_condition_note(kb, c, no_data) for c in conds]
    if not out:
        raise NotFound(f"no {what} match these filters; nothing to export")
    return out


def _what(text: str) -> str:
    t = (text or "points").strip().lower()
    aliases = {"point": "points", "herb": "herbs", "conditions": "condition"}
    t = aliases.get(t, t)
    if t not in WHATS:
        raise UsageError(f"unknown deck kind {text!r}", [f"valid: {', '.join(WHATS)}"])
    return t


def _point_note(kb, p: dict, no_data: str) -> Note:
    from acucli.query import category_label, needling_label

    back = [f"{p['english']} - {p['channel']} channel, point {p['number']}",
            f"Location: {p['location']}"]
    if p.get("locating"):
        back.append(f"Locating: {p['locating']}")
    if p["needling"]:
        back.append(f"Needling: {needling_label(p['needling'])}")
    if p["categories"]:
        back.append("Categories: " + ", ".join(category_label(c) for c in p["categories"]))
    if p["actions"]:
        back.append("Actions: " + "; ".join(p["actions"]))
    if p["indications"]:
        back.append("Indications: " + "; ".join(p["indications"]))
    safety = [f"{c['kind']}: {c['text']}" for c in p["cautions"]]
    if p["needling"].get("moxibustion") in ("caution", "forbidden"):
        safety.append(f"moxibustion: {p['needling']['moxibustion']}")
    tags = ["acu", "point", p["channel"], *p["regions"], *(c["name"] for c in p["categories"])]
    return Note(f"point:{p['code']}", f"{p['code']} {p['pinyin']} {p['hanzi']}", back, safety or [no_data],
                _tags(tags))


def _herb_note(h: dict, no_data: str) -> Note:
    from acucli.query import herb_safety

    sub = f" ({h['subcategory']})" if h.get("subcategory") else ""
    back = [f"{h['latin']} - {h['english']}",
            f"Category: {h['category']}{sub}",
            f"Nature: {h['nature']}; flavours: {', '.join(h['flavors'])}",
            f"Channels: {', '.join(h['channels'])}"]
    if h["actions"]:
        back.append("Actions: " + "; ".join(h["actions"]))
    if h.get("dose_g"):
        back.append(f"Dose: {h['dose_g'][0]:g}-{h['dose_g'][1]:g} g")
    safety = []
    labels = herb_safety(h)
    if labels:
        safety.append("; ".join(labels))
    safety += [f"{c['kind']}: {c['text']}" for c in h["cautions"]]
    safety += [f"interacts with {i['drug']}: {i['text']}" for i in h["interactions"]]
    tags = ["acu", "herb", h["category"], h["nature"], h["status"]]
    return Note(f"herb:{h['id']}", f"{h['pinyin']} {h['hanzi']}", back, safety or [no_data], _tags(tags))


def _condition_note(kb, c: dict, no_data: str) -> Note:
    back = []
    for item in c["prescription"]:
        p = kb.get("points", item["code"])
        name = f" {p['pinyin']} {p['hanzi']}" if p else ""
        back.append(f"{item['code']}{name} - {item['role']}, {item['status']}: {item['why']}")
    grade = c["evidence"].get("grade")
    if grade:
        back.append(f"Evidence: {grade}" + (f" - {c['evidence']['summary']}" if c["evidence"].get("summary") else ""))
    safety = [f"red flag: {r['text']}" for r in c["red_flags"]]
    safety += [f"caution: {x['text']}" for x in c.get("cautions", [])]
    for item in c["prescription"]:
        p = kb.get("points", item["code"])
        for x in (p["cautions"] if p else []):
            safety.append(f"{item['code']} {x['kind']}: {x['text']}")
    return Note(f"condition:{c['id']}", f"{c['name']}: which points, and why?", back,
                safety or [no_data], _tags(["acu", "condition", c["id"]]))


def _tags(tags) -> list[str]:
    out = []
    for t in tags:
        t = "_".join(str(t).split())
        if t and t not in out:
            out.append(t)
    return out


# ------------------------------------------------------------------- anki


def _html(lines: list[str]) -> str:
    import html

    return "<br>".join(html.escape(line) for line in lines)


def anki_deck(what: str, items: list[Note]):
    import genanki

    what = _what(what)
    model = genanki.Model(
        MODEL_IDS[what], f"acu {what}",
        fields=[{"name": f} for f in FIELDS],
        templates=[{
            "name": "Card 1",
            "qfmt": '<div class="front">{{Front}}</div>',
            "afmt": '{{FrontSide}}<hr id="answer">{{Back}}'
                    '<div class="safety"><b>Safety</b><br>{{Safety}}</div><div class="id">{{Id}}</div>',
        }],
        css=CSS,
    )
    deck = genanki.Deck(DECK_IDS[what], DECK_NAMES[what])
    for n in items:
        deck.add_note(genanki.Note(
            model=model,
            fields=[_html([n.front]), _html(n.back), _html([n.id]), _html(n.safety)],
            guid=genanki.guid_for(n.id),
            tags=n.tags,
        ))
    return deck


def write_apkg(deck, path: Path) -> None:
    """Write the package next to its final name, then move it into place."""
    import itertools
    import sqlite3
    import tempfile
    import time
    import zipfile

    import genanki

    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{path}: is a directory; give a file name such as acu-points.apkg")
    if not path.parent.exists():
        raise UsageError(f"{path.parent}: no such directory")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tempfile.TemporaryDirectory(prefix="acu-apkg-") as td:
            db = os.path.join(td, "collection.anki2")
            conn = sqlite3.connect(db)
            try:
                now = time.time()
                genanki.Package(deck).write_to_db(conn.cursor(), now, itertools.count(int(now * 1000)))
                conn.commit()
            finally:
                conn.close()
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
                z.write(db, "collection.anki2")
                z.writestr("media", "{}")
        os.replace(tmp, path)
    except OSError as exc:
        # Best effort: the temporary file may not exist yet; the write error is what matters.
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise AcuError(f"{path}: cannot write: {exc.strerror or exc}") from None


# ------------------------------------------------------------------- rows


def rows(items: list[Note], fmt: str) -> list[dict]:
    """front, back, id, tags: the columns flashcard tools import."""
    structured = fmt in ("json", "jsonl", "yaml")
    out = []
    for n in items:
        back = n.back + [f"Safety: {s}" for s in n.safety]
        out.append({"front": n.front, "back": "\n".join(back), "id": n.id,
                    "tags": n.tags if structured else " ".join(n.tags)})
    return out
