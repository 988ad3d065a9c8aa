"""Study items and questions, built from the records; grading of typed answers.

An *item* is one (record, facet) pair: the unit a quiz asks about and the
unit spaced repetition schedules. Its id is stable across runs and data
edits: ``point:KI3:location``, ``herb:du-zhong:nature``,
``condition:osteoporosis:points``.

Nothing here knows about terminals; everything random takes an explicit
``random.Random`` so a seed reproduces a run.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from acucli import schema as S
from acucli.errors import UsageError
from acucli.resolve import resolver
from acucli.text import fold, strip_tones

# kind -> (record kind, facet). The order is the order kinds are listed in help.
KINDS: dict[str, tuple[str, str]] = {
    "code-name": ("point", "name"),
    "name-code": ("point", "code"),
    "location-point": ("point", "location"),
    "point-channel": ("point", "channel"),
    "point-categories": ("point", "categories"),
    "condition-points": ("condition", "points"),
    "herb-category": ("herb", "category"),
    "herb-nature": ("herb", "nature"),
    "herb-channels": ("herb", "channels"),
}
POINT_KINDS = tuple(k for k, (r, _) in KINDS.items() if r == "point")
HERB_KINDS = tuple(k for k, (r, _) in KINDS.items() if r == "herb")
# Words that stand for several kinds at once.
KIND_GROUPS = {"points": POINT_KINDS, "point": POINT_KINDS, "herbs": HERB_KINDS, "herb": HERB_KINDS,
               "conditions": ("condition-points",), "condition": ("condition-points",),
               "all": tuple(KINDS)}

NEAR_MISS_RATIO = 0.8
NATURE_HANZI = {"cold": ("寒",), "cool": ("凉", "涼"), "neutral": ("平",), "warm": ("温", "溫"), "hot": ("热", "熱")}
_RECORD_SECTIONS = {"point": "points", "herb": "herbs", "condition": "conditions"}


# ------------------------------------------------------------------ items


@dataclass(frozen=True)
class Item:
    kind: str
    record_kind: str  # point | herb | condition
    key: str  # the record's code or id

    @property
    def facet(self) -> str:
        return KINDS[self.kind][1]

    @property
    def id(self) -> str:
        return f"{self.record_kind}:{self.key}:{self.facet}"

    def record(self, kb) -> dict:
        return kb.get(_RECORD_SECTIONS[self.record_kind], self.key)


def parse_kinds(values: list[str] | None) -> list[str] | None:
    """--kind values, repeated or comma-separated; None when not given."""
    if not values:
        return None
    out: list[str] = []
    names = {fold(k): k for k in KINDS}
    groups = {fold(g): ks for g, ks in KIND_GROUPS.items()}
    for value in values:
        for part in value.split(","):
            if not part.strip():
                continue
            f = fold(part)
            if f in names:
                found: tuple = (names[f],)
            elif f in groups:
                found = groups[f]
            else:
                close = difflib.get_close_matches(part.strip().lower(), list(KINDS) + list(KIND_GROUPS),
                                                  n=3, cutoff=0.5)
                hint = f"did you mean: {', '.join(close)}?" if close else f"valid: {', '.join(KINDS)}"
                raise UsageError(f"unknown question kind {part.strip()!r}", [hint])
            out += [k for k in found if k not in out]
    return out or None


@dataclass
class Selection:
    """What the filters let through, in data order."""

    kinds: list[str]
    items: list[Item]
    notes: list[str] = field(default_factory=list)


def points_filtered(kb, meridian, category, condition) -> list[dict]:
    from acucli import query as q

    pts = kb.points
    if condition:
        cond = q.get_condition(kb, condition)
        wanted = {i["code"] for i in cond["prescription"]}
        pts = [p for p in pts if p["code"] in wanted]
    if meridian:
        code = q.meridian_code(kb, meridian)
        pts = [p for p in pts if p["channel"] == code]
    if category:
        name, value = q.category_name(category)
        pts = [p for p in pts if q.has_category(p, name, value)]
    return pts


def herbs_filtered(kb, meridian, category, condition) -> list[dict]:
    from acucli import query as q

    if category:
        return []  # --category names point categories: no herb has one
    herbs = kb.herbs
    if condition:
        cond = q.get_condition(kb, condition)
        ids = set(i["id"] for i in cond["herbs"]) | {h for p in cond["patterns"] for h in p["herbs"]}
        herbs = [h for h in herbs if h["id"] in ids]
    if meridian:
        code = q.meridian_code(kb, meridian)
        herbs = [h for h in herbs if code in h["channels"]]
    return herbs


def core_points(kb, cond: dict) -> list[str]:
    """Codes of the core prescription that have a point record, in order."""
    return list(dict.fromkeys(i["code"] for i in cond["prescription"]
                              if i["status"] == "core" and kb.get("points", i["code"])))


def _conditions_filtered(kb, meridian, category, condition) -> list[dict]:
    from acucli import query as q

    conds = kb.conditions
    if condition:
        conds = [q.get_condition(kb, condition)]
    if meridian or category:
        allowed = {p["code"] for p in points_filtered(kb, meridian, category, None)}
        conds = [c for c in conds if any(code in allowed for code in core_points(kb, c))]
    return [c for c in conds if core_points(kb, c)]


def default_kinds(condition: str | None) -> list[str]:
    if condition:
        return [*POINT_KINDS, "condition-points", *HERB_KINDS]
    return list(POINT_KINDS)


def select(kb, kinds: list[str] | None = None, meridian: str | None = None, category: str | None = None,
           condition: str | None = None) -> Selection:
    """Every item the filters allow (AND), in data order: record by record, kind by kind."""
    explicit = kinds is not None
    kinds = list(kinds) if kinds else default_kinds(condition)
    items: list[Item] = []
    notes: list[str] = []
    wanted = set(kinds)
    if wanted & set(POINT_KINDS):
        for p in points_filtered(kb, meridian, category, condition):
            for k in POINT_KINDS:
                if k in wanted and _point_has(p, k):
                    items.append(Item(k, "point", p["code"]))
    if "condition-points" in wanted:
        for c in _conditions_filtered(kb, meridian, category, condition):
            items.append(Item("condition-points", "condition", c["id"]))
    if wanted & set(HERB_KINDS):
        for h in herbs_filtered(kb, meridian, category, condition):
            for k in HERB_KINDS:
                if k in wanted and _herb_has(h, k):
                    items.append(Item(k, "herb", h["id"]))
    if explicit:
        present = {i.kind for i in items}
        empty = [k for k in kinds if k not in present]
        if empty and items:
            notes.append(f"no questions of kind {', '.join(empty)} match these filters")
    return Selection(kinds, items, notes)


def _point_has(p: dict, kind: str) -> bool:
    if kind == "location-point":
        return bool(p["location"].strip())
    if kind == "point-categories":
        return bool(p["categories"])
    if kind == "point-channel":
        return p["channel"] != "EX"
    return True


def _herb_has(h: dict, kind: str) -> bool:
    if kind == "herb-channels":
        return bool(h["channels"])
    return bool(h.get(KINDS[kind][1]))


# -------------------------------------------------------------- questions


@dataclass
class Question:
    item: Item
    prompt: str
    answer: str  # the right answer, as shown to the user
    choices: list[str] | None = None
    correct_choice: int | None = None  # index into choices
    # the record (point code, channel) each choice stands for, where choices are records
    choice_keys: list | None = None
    # what counts as right (kind-specific): point codes, a channel, a category ...
    targets: tuple = ()

    @property
    def id(self) -> str:
        return self.item.id

    @property
    def kind(self) -> str:
        return self.item.kind


def point_name(p: dict) -> str:
    return f"{p['pinyin']} {p['hanzi']}"


def point_label(p: dict) -> str:
    return f"{p['code']} {p['pinyin']} {p['hanzi']}"


def herb_name(h: dict) -> str:
    return f"{h['pinyin']} {h['hanzi']} ({h['latin']})"


def channel_label(kb, code: str) -> str:
    m = kb.get("meridians", code)
    return f"{code} ({m['english']})" if m else code


def category_names(p: dict) -> list[str]:
    return list(dict.fromkeys(c["name"] for c in p["categories"]))


def _redact(text: str, p: dict) -> str:
    """A location must not give its own point away."""
    for word in (p["code"], p["pinyin"], p["hanzi"], p["english"]):
        if word:
            text = re.sub(rf"(?<![\w-]){re.escape(word)}(?![\w-])", "this point", text, flags=re.IGNORECASE)
    return " ".join(text.split())


def make_question(kb, item: Item, rng, choices: int = 0) -> Question:
    """The question for one item; with choices >= 2, multiple choice built with rng."""
    from acucli.query import category_label

    rec = item.record(kb)
    k = item.kind
    if k == "code-name":
        q = Question(item, f"What is the name of {rec['code']}?",
                     f"{point_name(rec)} ({rec['english']})", targets=(rec["code"],))
    elif k == "name-code":
        q = Question(item, f"What is the code of {point_name(rec)}?", rec["code"], targets=(rec["code"],))
    elif k == "location-point":
        q = Question(item, f"Which point lies here? {_redact(rec['location'], rec)}", point_label(rec),
                     targets=(rec["code"],))
    elif k == "point-channel":
        q = Question(item, f"Which channel is {point_name(rec)} ({rec['english']}) on?",
                     channel_label(kb, rec["channel"]), targets=(rec["channel"],))
    elif k == "point-categories":
        q = Question(item, f"Name a category of {point_label(rec)}.",
                     ", ".join(category_label(c) for c in rec["categories"]),
                     targets=tuple(category_names(rec)))
    elif k == "condition-points":
        codes = core_points(kb, rec)
        q = Question(item, f"Name a point of the core prescription for {rec['name']}.",
                     ", ".join(point_label(kb.get("points", c)) for c in codes), targets=tuple(codes))
    elif k == "herb-category":
        sub = f" ({rec['subcategory']})" if rec.get("subcategory") and rec["subcategory"] != rec["category"] else ""
        q = Question(item, f"Which category does {herb_name(rec)} belong to?", rec["category"] + sub,
                     targets=(rec["category"],))
    elif k == "herb-nature":
        q = Question(item, f"What is the nature of {herb_name(rec)}?", rec["nature"], targets=(rec["nature"],))
    elif k == "herb-channels":
        q = Question(item, f"Which channels does {herb_name(rec)} enter?",
                     ", ".join(rec["channels"]) + " (" + ", ".join(_ch_name(kb, c) for c in rec["channels"]) + ")",
                     targets=tuple(rec["channels"]))
    else:  # pragma: no cover - kinds are checked on input
        raise UsageError(f"unknown question kind {k!r}")
    if choices and choices >= 2:
        _add_choices(kb, q, rec, rng, choices)
    return q


def _ch_name(kb, code: str) -> str:
    m = kb.get("meridians", code)
    return m["english"] if m else code


# --------------------------------------------------------- multiple choice

# Body regions next to each other: a distractor comes from the asked point's own
# region, then from a neighbouring one, then from the same part of the body; a
# foot location never gets a face point as a distractor.
_REGION_CHAINS = (
    ("head", "face", "neck"),
    ("neck", "shoulder", "upper-arm", "elbow", "forearm", "wrist", "hand"),
    ("shoulder", "axilla", "upper-arm"),
    ("neck", "chest", "abdomen", "perineum"),
    ("axilla", "chest"),
    ("neck", "upper-back", "lower-back", "sacrum", "buttock"),
    ("shoulder", "upper-back"),
    ("sacrum", "perineum"),
    ("abdomen", "hip", "thigh", "knee", "lower-leg", "ankle", "foot"),
    ("buttock", "hip"),
    ("buttock", "thigh"),
)
BODY_PARTS = {
    "head": ("head", "face", "neck"),
    "upper limb": ("shoulder", "axilla", "upper-arm", "elbow", "forearm", "wrist", "hand"),
    "trunk": ("neck", "shoulder", "axilla", "chest", "abdomen", "perineum", "upper-back", "lower-back",
              "sacrum", "buttock", "hip"),
    "lower limb": ("buttock", "hip", "thigh", "knee", "lower-leg", "ankle", "foot"),
}
SEGMENT = 4  # points within this many numbers on one channel form its "segment"


def _neighbours() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for chain in _REGION_CHAINS:
        for a, b in zip(chain, chain[1:]):
            out.setdefault(a, set()).add(b)
            out.setdefault(b, set()).add(a)
    return out


REGION_NEIGHBOURS = _neighbours()


def near_regions(regions) -> set[str]:
    """The regions themselves and the ones next to them."""
    out = set(regions)
    for r in regions:
        out |= REGION_NEIGHBOURS.get(r, set())
    return out


def body_parts(regions) -> set[str]:
    """Every region in the same part of the body (head, trunk, a limb) as these."""
    out = set()
    for part in BODY_PARTS.values():
        if set(regions) & set(part):
            out |= set(part)
    return out or set(regions)


def code_series(code: str) -> str:
    """The channel part of a code: 'KI' for KI3, 'EX-HN' for EX-HN3 (extra points go by region)."""
    return _split_code(code)[0].rstrip("-")


def _segment(p: dict, x: dict) -> bool:
    return code_series(x["code"]) == code_series(p["code"]) and abs(x["number"] - p["number"]) <= SEGMENT


def _pick(rng, pools: list[list], n: int, exclude: set) -> list:
    """Up to n distinct values, taken from the first pools first (each shuffled)."""
    out: list = []
    seen = set(exclude)
    for pool in pools:
        cands = [x for x in dict.fromkeys(pool) if x not in seen]
        rng.shuffle(cands)
        for x in cands:
            if len(out) >= n:
                return out
            out.append(x)
            seen.add(x)
    return out


def distractor_pools(kb, p: dict, by: str = "place") -> list[list[str]]:
    """Point codes a distractor for p may come from, the most alike first.

    by='place' (a location was asked): the same region, then neighbouring regions,
    then the rest of that part of the body. by='channel' (a code or a name was
    asked): the same channel segment (so the channel gives nothing away), then the
    same channel near the same regions, then the same region. Never the far side
    of the body.
    """
    regions = set(p["regions"])
    near = near_regions(regions)
    part = body_parts(regions)
    pts = kb.points
    same_region = [x["code"] for x in pts if regions & set(x["regions"])]
    near_region = [x["code"] for x in pts if near & set(x["regions"])]
    same_part = [x["code"] for x in pts if set(x["regions"]) and set(x["regions"]) <= part]
    if by == "place":
        own_segment = [x["code"] for x in pts if _segment(p, x) and regions & set(x["regions"])]
        return [own_segment, same_region, near_region, same_part]
    segment = [x["code"] for x in pts if _segment(p, x) and near & set(x["regions"])]
    channel_near = [x["code"] for x in pts if code_series(x["code"]) == code_series(p["code"])
                    and near & set(x["regions"])]
    return [segment, channel_near, same_region, near_region]


def _add_choices(kb, q: Question, rec: dict, rng, n: int) -> None:
    k = q.kind
    want = n - 1
    keys: list | None = None
    if k in ("code-name", "name-code", "location-point"):
        label = {"code-name": point_name, "name-code": lambda p: p["code"], "location-point": point_label}[k]
        right_code = rec["code"]
        codes = _pick(rng, distractor_pools(kb, rec, "place" if k == "location-point" else "channel"),
                      want * 2, {right_code})
        # a distractor must not read the same as the right answer (Fútū / Fútù share letters, not tones)
        right = label(rec)
        seen = {fold(right)}
        options, keys = [], []
        for c in codes:
            o = label(kb.get("points", c))
            if fold(o) not in seen:
                seen.add(fold(o))
                options.append(o)
                keys.append(c)
        right_key = right_code
    elif k == "condition-points":
        core = list(q.targets)
        pick = rng.choice(core)
        p = kb.get("points", pick)
        everything = {i["code"] for i in rec["prescription"]}
        keys = _pick(rng, distractor_pools(kb, p, "place"), want, everything)
        right = point_label(p)
        options = [point_label(kb.get("points", c)) for c in keys]
        right_key = pick
    elif k == "point-channel":
        own = rec["channel"]
        regions = set(rec["regions"])
        near = [x["channel"] for x in kb.points if regions & set(x["regions"]) and x["channel"] != "EX"]
        nearby = [x["channel"] for x in kb.points if near_regions(regions) & set(x["regions"])
                  and x["channel"] != "EX"]
        primary = [m["code"] for m in kb.meridians if m["code"] != "EX"
                   and any(x["channel"] == m["code"] for x in kb.points)]
        right = channel_label(kb, own)
        keys = _pick(rng, [near, nearby, primary], want, {own})
        options = [channel_label(kb, c) for c in keys]
        right_key = own
    elif k == "point-categories":
        have = set(q.targets)
        right = rng.choice(list(q.targets))
        siblings = [c["name"] for x in kb.points if x["channel"] == rec["channel"] for c in x["categories"]]
        options = _pick(rng, [siblings, list(S.CATEGORIES)], want, have)
    elif k == "herb-category":
        own = rec["category"]
        alike = [h["category"] for h in kb.herbs if h["nature"] == rec["nature"]
                 or set(h["channels"]) & set(rec["channels"])]
        right = own
        options = _pick(rng, [alike, list(S.HERB_CATEGORIES)], want, {own})
    elif k == "herb-nature":
        right = rec["nature"]
        options = _pick(rng, [list(S.NATURES)], want, {right})
    elif k == "herb-channels":
        own = tuple(rec["channels"])
        right = ", ".join(own)

        def other_sets(herbs):
            # the same channels in another order are the same answer, never a distractor
            out = {}
            for h in herbs:
                if h["channels"] and frozenset(h["channels"]) != frozenset(own):
                    out.setdefault(frozenset(h["channels"]), ", ".join(h["channels"]))
            return list(out.values())

        same_cat = other_sets(h for h in kb.herbs if h["category"] == rec["category"])
        options = _pick(rng, [same_cat, other_sets(kb.herbs)], want, {right})
        if len(options) < want:  # few herbs: vary the right set by one channel
            spare = [c for c in S.ORGAN_CHANNELS if c not in own]
            variants = [", ".join((*own[:-1], c)) for c in spare] + [", ".join((*own, c)) for c in spare]
            taken = {frozenset(o.split(", ")) for o in options}
            variants = [v for v in variants if frozenset(v.split(", ")) not in taken]
            options += _pick(rng, [variants], want - len(options), {right, *options})
    else:  # pragma: no cover
        return
    options = options[:want]
    pos = rng.randrange(len(options) + 1)
    options.insert(pos, right)
    q.choices = options
    q.correct_choice = pos
    if keys is not None:
        keys = keys[:want]
        keys.insert(pos, right_key)
        q.choice_keys = keys


# ---------------------------------------------------------------- grading


CORRECT, CLOSE, WRONG, UNANSWERED = "correct", "close", "wrong", "unanswered"


@dataclass
class Verdict:
    result: str  # correct | close | wrong
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.result == CORRECT


QUIT_WORDS = ("q", "quit")


def is_quit(text: str | None) -> bool:
    """`q` or `quit` ends a quiz or a session; it is never graded."""
    return text is not None and text.strip().lower() in QUIT_WORDS


def choice_index(q: Question, text: str) -> int | None:
    """The choices are shown numbered: a number from 1 to N picks one, and so does
    the text of a choice typed out. Anything else (a letter included) is no choice."""
    if not q.choices:
        return None
    t = text.strip().rstrip(").").strip()
    if t.isascii() and t.isdigit():
        i = int(t)
        return i - 1 if 1 <= i <= len(q.choices) else None
    f = fold(t)
    if not f:
        return None
    for i, c in enumerate(q.choices):
        if fold(c) == f:
            return i
    return None


def chosen_text(q: Question, text: str | None) -> str | None:
    """The text of the choice an answer picked (None when it picked none)."""
    if text is None or not q.choices:
        return None
    i = choice_index(q, text)
    return q.choices[i] if i is not None else None


def grade(kb, q: Question, text: str) -> Verdict:
    """Is the typed (or chosen) answer right? Close answers count as wrong."""
    text = (text or "").strip()
    if not text:
        return Verdict(WRONG, "no answer")
    if q.choices:
        idx = choice_index(q, text)
        if idx is not None:
            return Verdict(CORRECT) if idx == q.correct_choice else Verdict(WRONG)
    return _GRADERS[q.kind](kb, q, text)


def grade_choice(q: Question, idx: int) -> Verdict:
    return Verdict(CORRECT) if idx == q.correct_choice else Verdict(WRONG)


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio() if a and b else 0.0


def _close_to(text: str, forms) -> bool:
    f = fold(text)
    return any(_ratio(f, fold(x)) >= NEAR_MISS_RATIO for x in forms if x)


def _point_forms(p: dict) -> list[str]:
    return [p["code"], p["pinyin"], p["hanzi"], p["hanzi_traditional"], p["english"],
            point_name(p), point_label(p), *(a["name"] for a in p["aliases"])]


def _is_code_like(kb, text: str) -> bool:
    r = resolver(kb)
    if r.parse_code(text)[0] is not None:
        return True
    return any(fold(text) == fold(oc) for p in kb.points for oc in p["other_codes"])


def _resolve_points(kb, text: str) -> list[str]:
    """Codes the text can mean: any code spelling, pinyin with or without tones, hanzi, English."""
    r = resolver(kb)
    codes = [p["code"] for p in r.point(text).records]
    if not codes:  # "Tàixī 太溪", "KI3 Taixi": a label as shown in choices
        f = fold(text)
        codes = [p["code"] for p in kb.points if f in (fold(point_name(p)), fold(point_label(p)))]
    return codes


def _point_near_miss(kb, text: str, targets, forms_of=_point_forms, by_channel: bool = True) -> bool:
    r = resolver(kb)
    code = r.parse_code(text)[0]
    if code is not None and by_channel:
        ch, num = _split_code(code)
        for t in targets:
            tch, tnum = _split_code(t)
            if ch == tch and num != tnum:
                return True  # right channel, wrong number
    return any(_close_to(text, forms_of(kb.get("points", t))) for t in targets)


def _split_code(code: str) -> tuple[str, str]:
    m = re.match(r"^(.*?)(\d+)$", code)
    return (m.group(1), m.group(2)) if m else (code, "")


def _grade_points(kb, q: Question, text: str, code_only: bool = False, name_only: bool = False) -> Verdict:
    code_like = _is_code_like(kb, text)
    if code_only and not code_like:
        codes = _resolve_points(kb, text)
        if set(codes) & set(q.targets):
            return Verdict(WRONG, "that is its name; the question asks for the code")
    elif name_only and code_like:
        if set(_resolve_points(kb, text)) & set(q.targets):
            return Verdict(WRONG, "that is its code; the question asks for the name")
    else:
        codes = _resolve_points(kb, text)
        if set(codes) & set(q.targets):
            return Verdict(CORRECT)
    forms = _name_forms if name_only else _code_forms if code_only else _point_forms
    if _point_near_miss(kb, text, q.targets, forms, by_channel=not name_only):
        return Verdict(CLOSE)
    return Verdict(WRONG)


def _code_forms(p: dict) -> list[str]:
    return [p["code"], *p["other_codes"]]


def _name_forms(p: dict) -> list[str]:
    return [p["pinyin"], p["hanzi"], p["hanzi_traditional"], p["english"], point_name(p),
            *(a["name"] for a in p["aliases"])]


def _grade_code_name(kb, q, text):
    return _grade_points(kb, q, text, name_only=True)


def _grade_name_code(kb, q, text):
    return _grade_points(kb, q, text, code_only=True)


def _grade_any_point(kb, q, text):
    return _grade_points(kb, q, text)


def _channel_forms(kb, code: str) -> list[str]:
    m = kb.get("meridians", code)
    if not m:
        return [code]
    return [m["code"], m["english"], m["pinyin"], m["hanzi"], *m["other_codes"], *m.get("other_names", [])]


def _grade_channel(kb, q, text):
    r = resolver(kb)
    got = r.channel(text)
    if got is None:
        f = fold(text)
        for code in q.targets:
            if f == fold(channel_label(kb, code)):
                got = code
    if got in q.targets:
        return Verdict(CORRECT)
    if got is None and any(_close_to(text, _channel_forms(kb, t)) for t in q.targets):
        return Verdict(CLOSE)
    return Verdict(WRONG)


_SPLIT_RE = re.compile(r"\s*(?:[,;/&+、，；]|\band\b)\s*")


def _grade_categories(kb, q, text):
    from acucli import query as qu

    rec = q.item.record(kb)
    whole = _category_of(rec, text)  # 'crossing-point (TE, GB)': one category, commas and all
    if whole is True:
        return Verdict(CORRECT)
    parts = [x for x in _SPLIT_RE.split(text) if x.strip()]
    good = bad = 0
    for part in parts:
        try:
            name, value = qu.category_name(part)
        except UsageError:
            bad += 1
            continue
        if qu.has_category(rec, name, value):
            good += 1
        else:
            bad += 1
    if good and not bad:
        return Verdict(CORRECT)
    if good or any(_close_to(part, q.targets) for part in parts):
        return Verdict(CLOSE)
    return Verdict(WRONG)


def _category_of(rec: dict, text: str):
    """True if text names one category of rec (a listed value may be 'TE, GB'), False if
    it names another category, None if it names none."""
    from acucli import query as qu

    try:
        name, value = qu.category_name(text)
    except UsageError:
        return None
    if value and "," in value:
        wanted = {fold(v) for v in value.split(",") if v.strip()}
        for c in rec["categories"]:
            vals = c["value"] if isinstance(c["value"], list) else [c["value"]]
            if c["name"] == name and wanted <= {fold(str(v)) for v in vals}:
                return True
        return False
    return qu.has_category(rec, name, value)


def _grade_herb_category(kb, q, text):
    rec = q.item.record(kb)
    f = fold(text)
    right = [rec["category"]]
    if f == fold(rec["category"]) or f == fold(q.answer):
        return Verdict(CORRECT)
    if _close_to(text, right):
        return Verdict(CLOSE)
    return Verdict(WRONG)


def _grade_nature(kb, q, text):
    nature = q.targets[0]
    f = fold(text)
    if f == fold(nature) or f in NATURE_HANZI.get(nature, ()):
        return Verdict(CORRECT)
    if f not in S.NATURES and _close_to(text, [nature]):
        return Verdict(CLOSE)
    return Verdict(WRONG)


def _channels_in(kb, text: str) -> tuple[list[str], list[str]]:
    r = resolver(kb)
    found, unknown = [], []
    for part in _SPLIT_RE.split(text):
        if not part.strip():
            continue
        code = r.channel(part)
        if code:
            found.append(code)
            continue
        for word in part.split():  # "LR KI", "Liver Kidney"
            c = r.channel(word)
            (found.append(c) if c else unknown.append(word))
    return list(dict.fromkeys(found)), unknown


def _grade_channels(kb, q, text):
    got, unknown = _channels_in(kb, text)
    want = set(q.targets)
    if set(got) == want and not unknown:
        return Verdict(CORRECT)
    if set(got) & want:
        missing = want - set(got)
        extra = set(got) - want
        bits = ([f"missing {', '.join(sorted(missing))}"] if missing else []) + \
               ([f"not {', '.join(sorted(extra))}"] if extra else [])
        return Verdict(CLOSE, "; ".join(bits))
    return Verdict(WRONG)


_GRADERS = {
    "code-name": _grade_code_name,
    "name-code": _grade_name_code,
    "location-point": _grade_any_point,
    "point-channel": _grade_channel,
    "point-categories": _grade_categories,
    "condition-points": _grade_any_point,
    "herb-category": _grade_herb_category,
    "herb-nature": _grade_nature,
    "herb-channels": _grade_channels,
}


def accepted_examples(kb, q: Question) -> list[str]:
    """A few right answers in the forms people type (for JSON output and tests)."""
    rec = q.item.record(kb)
    k = q.kind
    if k == "code-name":
        return [rec["pinyin"], strip_tones(rec["pinyin"]), rec["hanzi"], rec["english"]]
    if k == "name-code":
        return [rec["code"]]
    if k in ("location-point", "condition-points"):
        codes = q.targets
        return [c for c in codes]
    if k == "point-channel":
        return [rec["channel"], _ch_name(kb, rec["channel"])]
    if k == "point-categories":
        return list(q.targets)
    if k == "herb-channels":
        return [", ".join(rec["channels"])]
    return [q.targets[0]]


def sample(kb, selection: Selection, n: int, rng) -> list[Item]:
    """n items, kinds taking turns at random so no kind crowds the others out."""
    by_kind: dict[str, list[Item]] = {}
    for it in selection.items:
        by_kind.setdefault(it.kind, []).append(it)
    for k in sorted(by_kind):
        rng.shuffle(by_kind[k])
    order = [k for k in selection.kinds if k in by_kind]
    out: list[Item] = []
    while len(out) < n and order:
        k = rng.choice(order)
        out.append(by_kind[k].pop())
        if not by_kind[k]:
            order.remove(k)
    return out


# ------------------------------------------------------------ explaining


_CLAUSE_RE = re.compile(r"\s*[;,]\s*(?![^(]*\))")


def _clauses(text: str) -> list[str]:
    return [c.strip().rstrip(".") for c in _CLAUSE_RE.split(text or "") if c.strip().rstrip(".")]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _regions(p: dict) -> str:
    return ", ".join(r.replace("-", " ") for r in p["regions"])


def _where(p: dict) -> str:
    loc = " ".join((p.get("location") or "").split()).rstrip(".")
    return f"on the {_regions(p)}" if not loc else _lower_first(loc)


def tell_apart(given: dict, asked: dict) -> str | None:
    """What tells two points apart: the parts of their locations that differ."""
    a, b = _clauses(given.get("location", "")), _clauses(asked.get("location", ""))
    if not a or not b:
        return None
    fa, fb = {fold(c) for c in a}, {fold(c) for c in b}
    only_a = [c for c in a if fold(c) not in fb]
    only_b = [c for c in b if fold(c) not in fa]
    if not only_a or not only_b:
        return None
    if len(only_a) == len(a) and len(only_b) == len(b):
        # nothing in common: where on the body says it best
        ra, rb = _regions(given), _regions(asked)
        if ra != rb:
            return f"{given['code']} is on the {ra}; {asked['code']} is on the {rb}"
    return (f"{given['code']}: {_lower_first('; '.join(only_a))} - "
            f"{asked['code']}: {_lower_first('; '.join(only_b))}")


def _given_points(kb, q: Question, text: str, chosen: int | None) -> list[dict]:
    if chosen is not None:
        if q.choice_keys and q.kind != "point-channel":
            p = kb.get("points", q.choice_keys[chosen])
            return [p] if p else []
        return []
    try:
        codes = _resolve_points(kb, text)
    except Exception:  # noqa: BLE001 - an explanation is extra; it must never stop a session
        return []
    return [kb.get("points", c) for c in codes[:2] if kb.get("points", c)]


def explain(kb, q: Question, text: str | None, chosen: int | None = None) -> list[str]:
    """For a wrong answer: what the given answer actually is, and how to tell it from
    the one asked ('ST38 is Tiáokǒu 条口 (Strip Opening), on the front of the lower leg ...')."""
    if text is None or not text.strip():
        return []
    rec = q.item.record(kb)
    k = q.kind
    out: list[str] = []
    if k in ("code-name", "name-code", "location-point", "condition-points"):
        targets = set(q.targets)
        for p in _given_points(kb, q, text, chosen):
            if p["code"] in targets:
                continue
            out.append(f"{p['code']} is {point_name(p)} ({p['english']}), {_where(p)}.")
            asked = rec if q.item.record_kind == "point" else None
            if asked:
                if k != "location-point":
                    out.append(f"{asked['code']} {point_name(asked)} ({asked['english']}) is {_where(asked)}.")
                diff = tell_apart(p, asked)
                if diff:
                    out.append(f"To tell them apart: {diff}.")
            elif k == "condition-points":
                out.append(f"{p['code']} is not in the core prescription for {rec['name']}.")
    elif k == "point-channel":
        r = resolver(kb)
        ch = None
        if chosen is not None and q.choice_keys:
            ch = q.choice_keys[chosen]
        else:
            ch = r.channel(text.strip())
        if ch and ch != rec["channel"]:
            m = kb.get("meridians", ch)
            regions = set(rec["regions"])
            near = [x for x in kb.points if x["channel"] == ch and regions & set(x["regions"])]
            near.sort(key=lambda x: x["number"])
            name = f"{ch} is the {m['english']} channel" if m else f"{ch} is another channel"
            if near:
                out.append(f"{name}; its points in the same region: "
                           + ", ".join(f"{x['code']} {point_name(x)}" for x in near[:3]) + ".")
            else:
                out.append(f"{name}; it has no point on the {_regions(rec)}.")
    elif k == "point-categories":
        from acucli import query as qu

        parts = [x for x in _SPLIT_RE.split(text) if x.strip()]
        for part in parts[:2]:
            try:
                name, value = qu.category_name(part)
            except UsageError:
                continue
            if qu.has_category(rec, name, value):
                continue
            holders = [x for x in kb.points if x["channel"] == rec["channel"] and qu.has_category(x, name, value)]
            if holders:
                out.append(f"{rec['code']} is not a {name} point; on the {rec['channel']} channel that is "
                           + ", ".join(f"{x['code']} {point_name(x)}" for x in holders[:3]) + ".")
            else:
                out.append(f"{rec['code']} is not a {name} point.")
    elif k == "herb-category":
        f = fold(text)
        cats = {fold(c): c for c in S.HERB_CATEGORIES}
        given = cats.get(f)
        if chosen is not None and q.choices:
            given = q.choices[chosen]
        if given and given != rec["category"]:
            alike = [h for h in kb.herbs if h["category"] == given and h["id"] != rec["id"]]
            if alike:
                out.append(f"{given} herbs include " + ", ".join(f"{h['pinyin']} {h['hanzi']}" for h in alike[:3])
                           + f"; {rec['pinyin']} is {rec['category']}.")
    return out
