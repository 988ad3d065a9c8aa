"""Flashcards for other tools: an Anki package (.apkg, via genanki) or plain
rows (csv, tsv, json ...).

Rows: one per record (front, back, id, tags). Anki: one note type per kind of
note (point, point categories as cloze, herb, condition) with each fact in its
own field, and a card per question: a point's code -> name and name -> code,
its location -> code and name (with a chart image where acucli.charts can draw
one), a cloze card per category. Model and deck ids are fixed and every note's
guid comes from its record key, so importing a newer export updates the notes
already in Anki instead of adding duplicates. Safety (cautions, toxicity,
interactions, red flags) is always on the back; where the data has none, the
back says so ("no data"), never "safe".
"""

from __future__ import annotations

import contextlib

import os
from dataclasses import dataclass, field

from acucli.errors import AcuError, NotFound, UsageError

WHATS = ("points", "herbs", "condition")

# Fixed forever: changing one makes Anki treat the next import as new notes.
DECK_IDS = {"points": 2059400101, "herbs": 2059400102, "condition": 2059400103}
DECK_NAMES = {"points": "acu::Points", "herbs": "acu::Herbs", "condition": "acu::Conditions"}
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
#
# One note type per kind of note, with the facts in separate fields, and one
# card template per question (forward and reverse, location, category cloze).
# Model ids and the guid namespace are fixed forever: changing one makes Anki
# treat the next import as new notes.

GUID_NAMESPACE = "acu-2"  # notes of the earlier Front/Back decks had other note types and guids
ANKI_MODEL_IDS = {"point": 1740201201, "herb": 1740201202, "condition": 1740201203, "categories": 1740201204}
POINT_FIELDS = ("Code", "Pinyin", "Hanzi", "Traditional", "English", "Channel", "Location", "LocationClue",
                "Locating", "Needling", "Categories", "Actions", "Indications", "Cautions", "Chart", "Id")
HERB_FIELDS = ("Pinyin", "Hanzi", "Traditional", "Latin", "English", "Category", "Nature", "Flavours",
               "Channels", "Actions", "Indications", "Dose", "Cautions", "Id")
CONDITION_FIELDS = ("Name", "Points", "Evidence", "Cautions", "Id")
CATEGORY_FIELDS = ("Text", "Point", "Cautions", "Id")
# Which study card (record:key:facet) each template stands for, by template order.
TEMPLATE_FACETS = {"point": ("name", "code", "location"), "herb": ("category", "nature", "channels", None),
                   "condition": ("points",), "categories": ("categories",)}

ANKI_CSS = CSS + """.q { font-size: 28px; }
.sub { color: #555; }
.ask { margin-top: .5em; color: #888; font-size: 14px; }
.a { font-size: 26px; font-weight: bold; }
.f { margin-top: .4em; }
.f b { color: #555; }
.cloze { font-weight: bold; color: #1565c0; }
.chart img, .chart svg { max-width: 100%; max-height: 320px; }
"""

_SAFETY = '<div class="safety"><b>Safety</b><br>{{Cautions}}</div><div class="id">{{Id}}</div>'


def _f(name: str, label: str | None = None) -> str:
    return f'{{{{#{name}}}}}<div class="f"><b>{label or name}:</b> {{{{{name}}}}}</div>{{{{/{name}}}}}'


_POINT_DETAILS = ("".join(_f(n) for n in ("Channel", "Location", "Locating", "Needling", "Categories",
                                          "Actions", "Indications")) + _SAFETY)
_POINT_NAME = '<div class="a">{{Code}} {{Pinyin}} {{Hanzi}}</div><div class="sub">{{English}}</div>'
_HERB_NAME = '<div class="q">{{Pinyin}} {{Hanzi}}</div><div class="sub">{{Latin}} - {{English}}</div>'
_HERB_DETAILS = ("".join(_f(n) for n in ("Category", "Nature", "Flavours", "Channels", "Actions",
                                         "Indications", "Dose")) + _SAFETY)


def _models():
    import genanki

    point = genanki.Model(
        ANKI_MODEL_IDS["point"], "acu point", fields=[{"name": f} for f in POINT_FIELDS], css=ANKI_CSS,
        templates=[
            {"name": "Code -> name",
             "qfmt": '<div class="q">{{Code}}</div><div class="ask">name?</div>',
             "afmt": '{{FrontSide}}<hr id="answer">' + _POINT_NAME + _POINT_DETAILS},
            {"name": "Name -> code",
             "qfmt": '<div class="q">{{Pinyin}} {{Hanzi}}</div><div class="sub">{{English}}</div>'
                     '<div class="ask">code?</div>',
             "afmt": '{{FrontSide}}<hr id="answer"><div class="a">{{Code}}</div>' + _POINT_DETAILS},
            {"name": "Location -> point",
             "qfmt": '{{#LocationClue}}<div class="f">{{LocationClue}}</div>'
                     '<div class="ask">which point? (code and name)</div>{{/LocationClue}}',
             "afmt": '{{FrontSide}}<hr id="answer">' + _POINT_NAME
                     + '{{#Chart}}<div class="chart">{{Chart}}</div>{{/Chart}}' + _POINT_DETAILS},
        ])
    categories = genanki.Model(
        ANKI_MODEL_IDS["categories"], "acu point categories (cloze)",
        fields=[{"name": f} for f in CATEGORY_FIELDS], css=ANKI_CSS, model_type=genanki.Model.CLOZE,
        templates=[{"name": "Category cloze",
                    "qfmt": "{{cloze:Text}}",
                    "afmt": '{{cloze:Text}}<hr id="answer">{{Point}}' + _SAFETY}])
    herb = genanki.Model(
        ANKI_MODEL_IDS["herb"], "acu herb", fields=[{"name": f} for f in HERB_FIELDS], css=ANKI_CSS,
        templates=[
            {"name": "Herb -> category", "qfmt": _HERB_NAME + '<div class="ask">category?</div>',
             "afmt": '{{FrontSide}}<hr id="answer"><div class="a">{{Category}}</div>' + _HERB_DETAILS},
            {"name": "Herb -> nature", "qfmt": _HERB_NAME + '<div class="ask">nature?</div>',
             "afmt": '{{FrontSide}}<hr id="answer"><div class="a">{{Nature}}</div>' + _HERB_DETAILS},
            {"name": "Herb -> channels",
             "qfmt": '{{#Channels}}' + _HERB_NAME + '<div class="ask">channels entered?</div>{{/Channels}}',
             "afmt": '{{FrontSide}}<hr id="answer"><div class="a">{{Channels}}</div>' + _HERB_DETAILS},
            {"name": "Latin -> herb",
             "qfmt": '<div class="q">{{Latin}}</div><div class="sub">{{English}}</div>'
                     '<div class="ask">pinyin name?</div>',
             "afmt": '{{FrontSide}}<hr id="answer"><div class="a">{{Pinyin}} {{Hanzi}}</div>' + _HERB_DETAILS},
        ])
    condition = genanki.Model(
        ANKI_MODEL_IDS["condition"], "acu condition", fields=[{"name": f} for f in CONDITION_FIELDS], css=ANKI_CSS,
        templates=[{"name": "Condition -> points",
                    "qfmt": '<div class="q">{{Name}}</div><div class="ask">which points, and why?</div>',
                    "afmt": '{{FrontSide}}<hr id="answer">{{Points}}' + _f("Evidence") + _SAFETY}])
    return {"point": point, "categories": categories, "herb": herb, "condition": condition}


def _esc(text) -> str:
    import html

    return html.escape(str(text or ""))


def _lines(items) -> str:
    return "<br>".join(_esc(x) for x in items)


@dataclass
class AnkiNote:
    kind: str  # point | categories | herb | condition
    key: str  # 'point:KI3', 'herb:du-zhong', ...: the record, and the study cards' prefix
    fields: dict
    tags: list[str]
    guid_key: str = ""

    @property
    def guid(self) -> str:
        import genanki

        return genanki.guid_for(GUID_NAMESPACE, self.guid_key or self.key)


def anki_notes(kb, what: str, condition: str | None = None, meridian: str | None = None,
               category: str | None = None, chart=None) -> list[AnkiNote]:
    """The notes of one deck. chart(code) -> an <img> tag or '' (a location chart)."""
    from acucli.study.questions import herbs_filtered, points_filtered

    what = _what(what)
    no_data = kb.safety.get("no_data") or "no data"
    out: list[AnkiNote] = []
    if what == "points":
        for p in points_filtered(kb, meridian, category, condition):
            out.append(_point_anki(kb, p, no_data, chart))
            if p["categories"]:
                out.append(_categories_anki(kb, p, no_data))
    elif what == "herbs":
        if category:
            raise UsageError("--category names point categories; it does not apply to herbs")
        out = [_herb_anki(kb, h, no_data) for h in herbs_filtered(kb, meridian, None, condition)]
    else:
        from acucli import query as q

        conds = [q.get_condition(kb, condition)] if condition else list(kb.conditions)
        for c in conds:
            n = _condition_note(kb, c, no_data)
            out.append(AnkiNote("condition", n.id, {
                "Name": _esc(c["name"]), "Points": _lines(n.back[:len(c["prescription"])]),
                "Evidence": _lines(n.back[len(c["prescription"]):]), "Cautions": _lines(n.safety),
                "Id": _esc(n.id)}, n.tags))
    if not out:
        raise NotFound(f"no {what} match these filters; nothing to export")
    return out


def _point_safety(p: dict, no_data: str) -> list[str]:
    safety = [f"{c['kind']}: {c['text']}" for c in p["cautions"]]
    if p["needling"].get("moxibustion") in ("caution", "forbidden"):
        safety.append(f"moxibustion: {p['needling']['moxibustion']}")
    return safety or [no_data]


def _point_anki(kb, p: dict, no_data: str, chart=None) -> AnkiNote:
    from acucli.query import category_label, needling_label
    from acucli.study.questions import _redact, channel_label

    key = f"point:{p['code']}"
    fields = {
        "Code": _esc(p["code"]), "Pinyin": _esc(p["pinyin"]), "Hanzi": _esc(p["hanzi"]),
        "Traditional": _esc(p.get("hanzi_traditional") if p.get("hanzi_traditional") != p["hanzi"] else ""),
        "English": _esc(p["english"]),
        "Channel": _esc(f"{channel_label(kb, p['channel'])}, point {p['number']}" if p["channel"] != "EX"
                        else channel_label(kb, p["channel"])),
        "Location": _esc(p["location"]),
        "LocationClue": _esc(_redact(p["location"], p)) if p["location"].strip() else "",
        "Locating": _esc(p.get("locating")),
        "Needling": _esc(needling_label(p["needling"]) if p["needling"] else ""),
        "Categories": _esc(", ".join(category_label(c) for c in p["categories"])),
        "Actions": _esc("; ".join(p["actions"])), "Indications": _esc("; ".join(p["indications"])),
        "Cautions": _lines(_point_safety(p, no_data)),
        "Chart": chart(p["code"]) if chart else "",
        "Id": _esc(key),
    }
    tags = _tags(["acu", "point", p["channel"], *p["regions"], *(c["name"] for c in p["categories"])])
    return AnkiNote("point", key, fields, tags)


def _categories_anki(kb, p: dict, no_data: str) -> AnkiNote:
    from acucli.query import category_label
    from acucli.study.questions import point_label

    m = kb.get("meridians", p["channel"])
    where = f", {m['english']} channel" if m and p["channel"] != "EX" else ""
    lines = [f"{{{{c{i}::{_esc(category_label(c))}}}}} point" for i, c in enumerate(p["categories"], 1)]
    text = f"{_esc(point_label(p))} ({_esc(p['english'])}){_esc(where)} is a:<br>" + "<br>".join(lines)
    key = f"point:{p['code']}"
    return AnkiNote("categories", key, {
        "Text": text, "Point": _esc(f"{point_label(p)} - {p['location']}"),
        "Cautions": _lines(_point_safety(p, no_data)), "Id": _esc(f"{key}:categories")},
        _tags(["acu", "point", "category", p["channel"], *(c["name"] for c in p["categories"])]),
        guid_key=f"{key}:categories")


def _herb_anki(kb, h: dict, no_data: str) -> AnkiNote:
    from acucli.query import herb_safety

    n = _herb_note(h, no_data)
    sub = f" ({h['subcategory']})" if h.get("subcategory") else ""
    chans = ", ".join(h["channels"])
    names = [kb.get("meridians", c)["english"] if kb.get("meridians", c) else c for c in h["channels"]]
    fields = {
        "Pinyin": _esc(h["pinyin"]), "Hanzi": _esc(h["hanzi"]),
        "Traditional": _esc(h.get("hanzi_traditional") if h.get("hanzi_traditional") != h["hanzi"] else ""),
        "Latin": _esc(h["latin"]), "English": _esc(h["english"]),
        "Category": _esc(h["category"] + sub), "Nature": _esc(h["nature"]),
        "Flavours": _esc(", ".join(h["flavors"])),
        "Channels": _esc(f"{chans} ({', '.join(names)})" if chans else ""),
        "Actions": _esc("; ".join(h["actions"])), "Indications": _esc("; ".join(h.get("indications") or [])),
        "Dose": _esc(f"{h['dose_g'][0]:g}-{h['dose_g'][1]:g} g" if h.get("dose_g") else ""),
        "Cautions": _lines(n.safety), "Id": _esc(n.id),
    }
    del herb_safety
    return AnkiNote("herb", n.id, fields, n.tags)


# ------------------------------------------------------------ scheduling
#
# genanki writes every card as new; with --progress each card that was studied
# in `acu study` gets Anki's own scheduling columns instead: type and queue
# (learning, review, relearning), due (a day number for review cards, a unix
# time for learning steps), ivl, factor, reps, lapses, left, and the FSRS
# memory state (stability, difficulty) in the card's data column, where Anki's
# FSRS reads it. Anki keeps it when the import includes scheduling
# ("Import any learning progress"); otherwise it resets the cards to new.

ANKI_COLLECTION_CREATED = 1411124400  # the crt of the collection genanki writes
ANKI_ROLLOVER_HOURS = 4  # Anki's next day starts at 4 am


def anki_day(ts: float) -> int:
    """Anki's day number of a moment, counted from the collection genanki writes."""
    from datetime import datetime, timedelta

    def day(t):
        return (datetime.fromtimestamp(t) - timedelta(hours=ANKI_ROLLOVER_HOURS)).date()

    return (day(ts) - day(ANKI_COLLECTION_CREATED)).days


def anki_schedule(c, now: float) -> dict:
    """Anki's card columns for one study card's FSRS state (a store.CardState)."""
    import json

    memory = {}
    if c.stability is not None:
        memory["s"] = round(float(c.stability), 4)
    if c.difficulty is not None:
        memory["d"] = round(float(c.difficulty), 4)
    if c.last_review is not None:
        memory["lrt"] = int(c.last_review)
    data = json.dumps(memory, separators=(",", ":")) if memory else ""
    ivl = max(1, round(c.interval_days()))
    if c.state == 2:  # review
        return dict(type=2, queue=2, due=anki_day(c.due), ivl=ivl, factor=2500,
                    reps=c.reps, lapses=c.lapses, left=0, data=data)
    sched = _fsrs_scheduler()
    steps = sched.learning_steps if c.state == 1 else sched.relearning_steps
    left_steps = max(1, len(steps) - (c.step or 0))
    same_day = anki_day(c.due) <= anki_day(now)
    return dict(type=c.state, queue=1 if same_day else 3,
                due=int(c.due) if same_day else anki_day(c.due),
                ivl=0 if c.state == 1 else ivl, factor=0 if c.state == 1 else 2500,
                reps=c.reps, lapses=c.lapses, left=left_steps * 1000 + left_steps, data=data)


_SCHEDULER: list = []


def _fsrs_scheduler():
    """The scheduler acu study uses (its default learning and relearning steps)."""
    if not _SCHEDULER:
        from fsrs import Scheduler

        _SCHEDULER.append(Scheduler())
    return _SCHEDULER[0]


def _scheduled_card_class():
    import genanki

    class ScheduledCard(genanki.Card):
        """A genanki card that carries Anki's scheduling columns (genanki's own Card
        always writes a new card)."""

        def __init__(self, ord, sched: dict):
            super().__init__(ord)
            self.sched = sched

        def write_to_db(self, cursor, timestamp, deck_id, note_id, id_gen, due=0):
            s = self.sched
            cursor.execute("INSERT INTO cards VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?);", (
                next(id_gen), note_id, deck_id, self.ord, int(timestamp), -1,
                s["type"], s["queue"], s["due"], s["ivl"], s["factor"], s["reps"], s["lapses"], s["left"],
                0, 0, 0, s["data"]))

    return ScheduledCard


def study_card_id(note: AnkiNote, ord_: int) -> str | None:
    facets = TEMPLATE_FACETS[note.kind]
    facet = facets[0] if note.kind == "categories" else (facets[ord_] if ord_ < len(facets) else None)
    return f"{note.key}:{facet}" if facet else None


def anki_deck(what: str, items: list[AnkiNote], progress: dict | None = None, now: float | None = None):
    """The genanki deck; progress (card id -> store.CardState) schedules the cards studied."""
    import time

    import genanki

    what = _what(what)
    now = time.time() if now is None else now
    models = _models()
    deck = genanki.Deck(DECK_IDS[what], DECK_NAMES[what])
    ScheduledCard = _scheduled_card_class() if progress else None
    for pos, n in enumerate(items):
        model = models[n.kind]
        note = genanki.Note(model=model, fields=[n.fields.get(f["name"], "") for f in model.fields],
                            guid=n.guid, tags=n.tags, due=pos)
        if progress:
            cards = []
            for card in note.cards:
                state = progress.get(study_card_id(n, card.ord) or "")
                cards.append(ScheduledCard(card.ord, anki_schedule(state, now)) if state else card)
            note.cards = cards
        deck.add_note(note)
    return deck


def chart_maker(kb, media_dir: str, media: list):
    """chart(code) -> an <img> tag, when acucli.charts can draw location charts; else None."""
    try:
        from acucli import charts
    except ImportError:
        return None
    draw = getattr(charts, "svg", None)
    if not callable(draw):
        return None
    points_by_code = {p["code"]: p for p in kb.points}
    placed = None  # codes the charts can place; None: ask svg() about every point
    place = getattr(charts, "placements", None)
    if callable(place):
        with contextlib.suppress(Exception):
            placed = set(place(kb.points))

    def chart(code: str) -> str:
        if placed is not None and code not in placed:
            return ""
        try:
            svg = draw([code], points_by_code)
        except Exception as exc:  # noqa: BLE001 - a chart is extra: the card is still useful without it
            from acucli.output import say

            say(f"acu: no chart for {code}: {exc}")
            return ""
        if not svg:
            return ""
        name = f"acu-chart-{code}.svg"
        data = svg.encode("utf-8") if isinstance(svg, str) else bytes(svg)
        full = os.path.join(media_dir, name)
        with open(full, "wb") as fh:
            fh.write(data)
        media.append(full)
        return f'<img src="{name}">'

    return chart


def export_anki(kb, what: str, output: str, condition=None, meridian=None, category=None,
                progress: dict | None = None) -> int:
    """Build the package and write it to output (a file, a device, a pipe or - for stdout).
    Returns the number of notes."""
    import sqlite3

    from acucli.study import outfile

    outfile.target(output)  # refuse a bad -o before any work
    try:
        with outfile.apkg_tempdir() as td:
            media: list[str] = []
            media_dir = os.path.join(td, "media")
            os.mkdir(media_dir)
            items = anki_notes(kb, what, condition, meridian, category,
                               chart=chart_maker(kb, media_dir, media) if _what(what) == "points" else None)
            deck = anki_deck(what, items, progress)
            built = os.path.join(td, "deck.apkg")
            build_apkg(deck, media, built, td)

            def copy(fh):
                with open(built, "rb") as src:
                    while True:
                        chunk = src.read(1 << 16)
                        if not chunk:
                            break
                        fh.write(chunk)

            outfile.write(output, copy, binary=True, to_terminal_ok=False)
    except sqlite3.Error as exc:
        raise AcuError(f"cannot build the Anki package: {exc}",
                       ["check the free space of the temporary directory (TMPDIR)"]) from None
    except OSError as exc:
        raise AcuError(f"{output}: cannot write: {exc.strerror or exc}") from None
    return len(items)


def build_apkg(deck, media: list[str], path: str, workdir: str) -> None:
    """genanki's package, written to path (in our own temporary directory)."""
    import itertools
    import json
    import sqlite3
    import time
    import zipfile

    import genanki

    db = os.path.join(workdir, "collection.anki2")
    conn = sqlite3.connect(db)
    try:
        now = time.time()
        genanki.Package(deck, media_files=media).write_to_db(conn.cursor(), now, itertools.count(int(now * 1000)))
        conn.commit()
    finally:
        conn.close()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(db, "collection.anki2")
        z.writestr("media", json.dumps({str(i): os.path.basename(m) for i, m in enumerate(media)}))
        for i, m in enumerate(media):
            z.write(m, str(i))


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
