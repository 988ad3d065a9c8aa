"""Validation of parsed data into canonical records.

One pass per file checks each record's shape and vocabularies; a second
pass over everything loaded checks cross-references (channels, point codes,
herb ids, reference ids) and collisions between files. Every problem is
collected, never just the first, as `file:line: message`.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from acucli import schema as S
from acucli.errors import Problem
from acucli.text import fold, has_control_chars
from acucli.yamlio import LINE, LINES, YamlProblem, load_file

CODE_RE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")
ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MOJIBAKE_RE = re.compile("[\u00c0-\u00ff\u0e00-\u0e7f\ufffd\u20ac]")


class _Ctx:
    """Collects problems for one file."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def add(self, line: int, message: str, fatal: bool = True) -> None:
        self.problems.append(Problem(self.file, line, message, fatal))


def _line(d: dict, key: str | None = None) -> int:
    if key is not None:
        return d.get(LINES, {}).get(key, d.get(LINE, 0))
    return d.get(LINE, 0)


def is_cjk(text: str) -> bool:
    return bool(text) and all(
        "CJK" in unicodedata.name(ch, "") or ch in "·" for ch in text
    )


class _Record:
    """Field accessors that check and report, returning canonical values."""

    def __init__(self, ctx: _Ctx, data: dict, what: str):
        self.ctx, self.d, self.what = ctx, data, what

    def err(self, key: str | None, message: str, fatal: bool = True) -> None:
        self.ctx.add(_line(self.d, key), f"{self.what}: {message}", fatal)

    def text(self, key: str, required: bool = True, cjk: bool = False) -> str:
        v = self.d.get(key)
        if v is None or (isinstance(v, str) and not v.strip()):
            if required:
                self.err(key, f"'{key}' is missing or empty")
            return ""
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            v = str(v)
        if not isinstance(v, str):
            self.err(key, f"'{key}' must be text")
            return ""
        v = " ".join(v.split()) if "\n" in v else v.strip()
        if has_control_chars(v):
            self.err(key, f"'{key}' contains control characters or terminal escape sequences "
                          "(shown neutralised)", fatal=False)
        if cjk and not is_cjk(v):
            self.err(key, f"'{key}' must be CJK characters, got {v!r}")
        if not cjk and MOJIBAKE_RE.search(v) and key in ("hanzi", "hanzi_traditional"):
            self.err(key, f"'{key}' looks like mojibake: {v!r}")
        return v

    def texts(self, key: str, required: bool = True) -> list[str]:
        v = self.d.get(key)
        if v is None:
            if required:
                self.err(key, f"'{key}' is missing")
            return []
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list):
            self.err(key, f"'{key}' must be a list")
            return []
        out = []
        for item in v:
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str) or not item.strip():
                self.err(key, f"'{key}' items must be non-empty text")
                continue
            if has_control_chars(item):
                self.err(key, f"'{key}' contains control characters or terminal escape sequences "
                              "(shown neutralised)", fatal=False)
            out.append(" ".join(item.split()))
        if required and not out:
            self.err(key, f"'{key}' is empty")
        return out

    def choice(self, key: str, allowed, required: bool = True, default=None):
        v = self.d.get(key, default)
        if v is None:
            if required:
                self.err(key, f"'{key}' is missing (one of: {', '.join(allowed)})")
            return default
        if v not in allowed:
            self.err(key, f"'{key}' is {v!r}; expected one of: {', '.join(allowed)}")
            return default
        return v

    def choices(self, key: str, allowed, required: bool = True) -> list[str]:
        vals = self.texts(key, required=required)
        good = []
        for v in vals:
            if v not in allowed:
                self.err(key, f"'{key}' has {v!r}; expected values from: {', '.join(allowed)}")
            else:
                good.append(v)
        return good

    def number(self, key: str, required: bool = True):
        v = self.d.get(key)
        if v is None:
            if required:
                self.err(key, f"'{key}' is missing")
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.err(key, f"'{key}' must be a number")
            return None
        return v

    def range_(self, key: str, allow_null: bool) -> list | None:
        v = self.d.get(key, "missing")
        if v is None and allow_null:
            return None
        if v == "missing":
            self.err(key, f"'{key}' is missing")
            return None
        if (
            not isinstance(v, list)
            or len(v) != 2
            or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)
        ):
            self.err(key, f"'{key}' must be [min, max] numbers, got {v!r}")
            return None
        lo, hi = v
        if lo <= 0 or hi < lo:
            self.err(key, f"'{key}' must have 0 < min <= max, got {v!r}")
            return None
        return [lo, hi]

    def claims(self, key: str, required: bool = False, text_key: str = "text") -> list[dict]:
        """Items that make a claim: text plus sources and/or basis."""
        v = self.d.get(key)
        if v is None:
            if required:
                self.err(key, f"'{key}' is missing")
            return []
        if not isinstance(v, list):
            self.err(key, f"'{key}' must be a list")
            return []
        return [c for c in (claim(self.ctx, item, f"{self.what} {key}", text_key) for item in v) if c]

    def sources(self, key: str = "sources", required: bool = True) -> list[str]:
        return self.texts(key, required=required)

    def sub(self, key: str, what: str | None = None) -> "_Record | None":
        v = self.d.get(key)
        if not isinstance(v, dict):
            self.err(key, f"'{key}' must be a mapping")
            return None
        return _Record(self.ctx, v, what or f"{self.what} {key}")


def claim(ctx: _Ctx, item, what: str, text_key: str = "text", extra: tuple = ()) -> dict | None:
    if not isinstance(item, dict):
        ctx.add(0, f"{what}: each item must be a mapping with '{text_key}' and sources/basis")
        return None
    r = _Record(ctx, item, what)
    out = {text_key: r.text(text_key)}
    for k in extra:
        out[k] = r.text(k, required=False)
    out["sources"] = r.texts("sources", required=False)
    basis = r.choice("basis", S.BASIS, required=False)
    out["basis"] = basis
    if not out["sources"] and not basis:
        r.err(None, "needs 'sources' (reference ids) or 'basis' (traditional, theoretical, consensus)")
    return out


# ---------------------------------------------------------------- records


def reference(ctx: _Ctx, d: dict) -> dict:
    r = _Record(ctx, d, f"reference {d.get('id', '?')}")
    out = {"id": r.text("id"), "citation": r.text("citation"), "kind": r.choice("kind", S.REFERENCE_KINDS)}
    for k in ("doi", "pmid", "pmcid", "cochrane", "url"):
        if k in d:
            out[k] = r.text(k)
    return out


def meridian(ctx: _Ctx, d: dict) -> dict:
    r = _Record(ctx, d, f"meridian {d.get('code', '?')}")
    code = r.text("code")
    if code and not CODE_RE.match(code):
        r.err("code", f"code {code!r} must be upper-case letters and digits")
    kind = r.choice("kind", ("primary", "extraordinary", "extra"))
    count = d.get("point_count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        r.err("point_count", "'point_count' must be a whole number or null")
        count = None
    return {
        "code": code,
        "kind": kind,
        "english": r.text("english"),
        "pinyin": r.text("pinyin"),
        "hanzi": r.text("hanzi", cjk=True),
        "hanzi_traditional": r.text("hanzi_traditional", required=False, cjk=True) or None,
        "point_count": count,
        "other_codes": r.texts("other_codes", required=False),
        "other_names": r.texts("other_names", required=False),
        "phase": r.choice("phase", S.PHASES, required=False),
        "summary": r.text("summary"),
        "sources": r.sources(required=False),
    }


def _category(r: _Record, item) -> dict | None:
    if isinstance(item, str):
        name, value = item, None
    elif isinstance(item, dict):
        keys = [k for k in item if k not in (LINE, LINES)]
        if len(keys) != 1:
            r.err("categories", f"a category mapping must have exactly one key, got {keys}")
            return None
        name, value = keys[0], item[keys[0]]
    else:
        r.err("categories", f"bad category {item!r}")
        return None
    if name not in S.CATEGORIES:
        r.err("categories", f"unknown category {name!r}; known: {', '.join(S.CATEGORIES)}")
        return None
    want = S.CATEGORIES[name]
    if want is None:
        if value is not None:
            r.err("categories", f"category {name!r} takes no qualifier, got {value!r}")
        return {"name": name, "value": None}
    if want == "optional-vessel":
        if value is not None and value not in S.VESSELS:
            r.err("categories", f"category {name!r} takes no qualifier or a vessel code, got {value!r}")
            return None
        return {"name": name, "value": value}
    if want == "channels":
        vals = value if isinstance(value, list) else [value]
        if not vals or not all(isinstance(v, str) for v in vals):
            r.err("categories", f"'crossing-point' needs a list of channel codes, got {value!r}")
            return None
        bad = [v for v in vals if v not in S.ALL_CHANNELS]
        if bad:
            r.err("categories", f"crossing-point names unknown channels {bad}")
        return {"name": name, "value": [v for v in vals if v in S.ALL_CHANNELS]}
    if value not in want:
        r.err("categories", f"category {name!r} needs one of {', '.join(want)}; got {value!r}")
        return None
    return {"name": name, "value": value}


def point(ctx: _Ctx, d: dict) -> dict:
    r = _Record(ctx, d, f"point {d.get('code', '?')}")
    code = r.text("code")
    if code and not CODE_RE.match(code):
        r.err("code", f"code {code!r} must look like ST36 or EX-HN3")
    number = r.number("number")
    if number is not None and (not isinstance(number, int) or number < 1):
        r.err("number", "'number' must be a whole number >= 1")
    aliases = []
    for a in d.get("aliases") or []:
        if isinstance(a, str):
            a = {"name": a}
        if not isinstance(a, dict) or not isinstance(a.get("name"), str) or not a["name"].strip():
            r.err("aliases", "each alias needs a 'name'")
            continue
        ar = _Record(ctx, a, f"point {code} alias")
        aliases.append({"name": ar.text("name"), "note": ar.text("note", required=False) or None})
    if d.get("aliases") is not None and not isinstance(d.get("aliases"), list):
        r.err("aliases", "'aliases' must be a list")
    needling = {}
    nr = r.sub("needling")
    if nr:
        method = nr.choice("method", S.NEEDLE_METHODS)
        needling = {
            "method": method,
            "angle": nr.choice("angle", S.NEEDLE_ANGLES),
            "depth_cun": nr.range_("depth_cun", allow_null=method == "not-needled"),
            "direction": nr.text("direction", required=False) or None,
            "moxibustion": nr.choice("moxibustion", S.MOXA),
        }
        if method == "not-needled" and needling["depth_cun"] is not None:
            nr.err("depth_cun", "a point that is not needled has depth_cun: null")
    cats = []
    raw_cats = d.get("categories")
    if raw_cats is None:
        r.err("categories", "'categories' is missing (use [] for none)")
    elif not isinstance(raw_cats, list):
        r.err("categories", "'categories' must be a list")
    else:
        cats = [c for c in (_category(r, item) for item in raw_cats) if c]
    cautions = []
    raw = d.get("cautions")
    if raw is None:
        r.err("cautions", "'cautions' is missing (use [] for none)")
    elif not isinstance(raw, list):
        r.err("cautions", "'cautions' must be a list")
    else:
        for item in raw:
            c = claim(ctx, item, f"point {code} caution")
            if not c:
                continue
            c["kind"] = _Record(ctx, item, f"point {code} caution").choice("kind", S.POINT_CAUTIONS)
            cautions.append(c)
    return {
        "code": code,
        "channel": r.text("channel"),
        "number": number,
        "pinyin": r.text("pinyin"),
        "hanzi": r.text("hanzi", cjk=True),
        "hanzi_traditional": r.text("hanzi_traditional", cjk=True),
        "english": r.text("english"),
        "aliases": aliases,
        "other_codes": r.texts("other_codes", required=False),
        "old_codes": r.texts("old_codes", required=False),
        "regions": r.choices("regions", S.REGIONS),
        "location": r.text("location"),
        "locating": r.text("locating"),
        "needling": needling,
        "categories": cats,
        "actions": r.texts("actions"),
        "indications": r.texts("indications"),
        "cautions": cautions,
        "sources": r.sources(),
    }


def herb(ctx: _Ctx, d: dict) -> dict:
    r = _Record(ctx, d, f"herb {d.get('id', '?')}")
    hid = r.text("id")
    if hid and not ID_RE.match(hid):
        r.err("id", f"id {hid!r} must be lower-case words joined by hyphens")
    category = r.choice("category", tuple(S.HERB_CATEGORIES))
    sub = r.text("subcategory")
    if category and sub and sub not in S.HERB_CATEGORIES[category]:
        r.err("subcategory", f"subcategory {sub!r} is not one of {', '.join(S.HERB_CATEGORIES[category])}")
    status = r.choice("status", S.HERB_STATUS)
    dose = r.range_("dose_g", allow_null=True)
    cautions = []
    for item in d.get("cautions") or []:
        c = claim(ctx, item, f"herb {hid} caution")
        if c:
            c["kind"] = _Record(ctx, item, f"herb {hid} caution").choice("kind", S.HERB_CAUTIONS)
            cautions.append(c)
    if d.get("cautions") is None:
        r.err("cautions", "'cautions' is missing (use [] for none)")
    interactions = []
    for item in d.get("interactions") or []:
        c = claim(ctx, item, f"herb {hid} interaction")
        if c:
            c["drug"] = _Record(ctx, item, f"herb {hid} interaction").choice("drug", S.DRUGS)
            interactions.append(c)
    forms = []
    for item in d.get("forms") or []:
        if not isinstance(item, dict):
            r.err("forms", "each form needs 'name' and 'note'")
            continue
        fr = _Record(ctx, item, f"herb {hid} form")
        forms.append({"name": fr.text("name"), "note": fr.text("note", required=False) or None})
    return {
        "id": hid,
        "pinyin": r.text("pinyin"),
        "hanzi": r.text("hanzi", cjk=True),
        "hanzi_traditional": r.text("hanzi_traditional", cjk=True),
        "latin": r.text("latin"),
        "species": r.texts("species"),
        "english": r.text("english"),
        "trade_names": r.texts("trade_names", required=False),
        "aliases": r.texts("aliases", required=False),
        "category": category,
        "subcategory": sub,
        "nature": r.choice("nature", S.NATURES),
        "flavors": r.choices("flavors", S.FLAVORS),
        "channels": r.choices("channels", S.ORGAN_CHANNELS),
        "actions": r.texts("actions"),
        "indications": r.texts("indications"),
        "dose_g": dose,
        "preparation": r.text("preparation"),
        "forms": forms,
        "toxicity": r.choice("toxicity", S.TOXICITY),
        "status": status,
        "cautions": cautions,
        "interactions": interactions,
        "confusable": r.texts("confusable", required=False),
        "substitute": r.text("substitute", required=False) or None,
        "sources": r.sources(),
    }


def condition(ctx: _Ctx, d: dict) -> dict:
    cid = d.get("id", "?")
    r = _Record(ctx, d, f"condition {cid}")
    cid = r.text("id")
    if cid and not ID_RE.match(cid):
        r.err("id", f"id {cid!r} must be lower-case words joined by hyphens")
    chinese = []
    for item in d.get("chinese") or []:
        if not isinstance(item, dict):
            r.err("chinese", "each Chinese name needs 'hanzi' and 'pinyin'")
            continue
        cr = _Record(ctx, item, f"condition {cid} chinese name")
        chinese.append({"hanzi": cr.text("hanzi", cjk=True),
                        "hanzi_traditional": cr.text("hanzi_traditional", required=False, cjk=True) or None,
                        "pinyin": cr.text("pinyin"), "note": cr.text("note", required=False) or None})
    patterns = []
    for item in d.get("patterns") or []:
        c = claim(ctx, item, f"condition {cid} pattern", text_key="name", extra=("features",))
        if c:
            pr = _Record(ctx, item, f"condition {cid} pattern")
            c["add_points"] = pr.texts("add_points", required=False)
            c["herbs"] = pr.texts("herbs", required=False)
            patterns.append(c)
    rx = []
    for item in d.get("prescription") or []:
        c = claim(ctx, item, f"condition {cid} prescription", text_key="why")
        if c:
            pr = _Record(ctx, item, f"condition {cid} prescription")
            c = {"code": pr.text("code"), "role": pr.choice("role", S.RX_ROLES),
                 "status": pr.choice("status", S.RX_STATUS), **c}
            rx.append(c)
    if not rx:
        r.err("prescription", "'prescription' is missing or empty")
    herbs = []
    for item in d.get("herbs") or []:
        c = claim(ctx, item, f"condition {cid} herb", text_key="why")
        if c:
            c = {"id": _Record(ctx, item, f"condition {cid} herb").text("id"), **c}
            herbs.append(c)
    protocol = {}
    pr = r.sub("protocol")
    if pr:
        ret = pr.range_("retention_min", allow_null=True)
        protocol = {
            "retention_min": ret,
            "frequency": pr.text("frequency"),
            "course": pr.text("course"),
            "notes": pr.text("notes", required=False) or None,
            "sources": pr.texts("sources", required=False),
        }
    evidence = {}
    er = r.sub("evidence")
    if er:
        evidence = {
            "grade": er.choice("grade", S.GRADES),
            "traditional_only": bool(er.d.get("traditional_only", False)),
            "summary": er.text("summary"),
            "findings": er.claims("findings"),
        }
        cited = [s for f in evidence["findings"] for s in f["sources"]]
        if not cited and not evidence["traditional_only"]:
            er.err(None, "needs at least one cited finding or traditional_only: true")
    guidelines = []
    for item in d.get("guidelines") or []:
        c = claim(ctx, item, f"condition {cid} guideline", extra=("body",))
        if c:
            c["position"] = _Record(ctx, item, f"condition {cid} guideline").choice(
                "position", S.GUIDELINE_POSITIONS)
            guidelines.append(c)
    claims_ = []
    for item in d.get("claims") or []:
        c = claim(ctx, item, f"condition {cid} claim", text_key="why", extra=("claim",))
        if c:
            c["verdict"] = _Record(ctx, item, f"condition {cid} claim").choice("verdict", S.VERDICTS)
            claims_.append(c)
    return {
        "id": cid,
        "name": r.text("name"),
        "aliases": r.texts("aliases", required=False),
        "chinese": chinese,
        "group": r.text("group", required=False) or None,
        "summary": r.text("summary"),
        "patterns": patterns,
        "prescription": rx,
        "herbs": herbs,
        "protocol": protocol,
        "evidence": evidence,
        "guidelines": guidelines,
        "red_flags": r.claims("red_flags"),
        "lifestyle": r.claims("lifestyle"),
        "claims": claims_,
        "cautions": r.claims("cautions"),
        "sources": r.sources(),
    }


def note(ctx: _Ctx, d: dict) -> dict | None:
    r = _Record(ctx, d, "note")
    targets = [k for k in ("point", "herb", "condition") if k in d]
    if len(targets) != 1:
        r.err(None, "a note names exactly one of 'point', 'herb' or 'condition'")
        return None
    kind = targets[0]
    return {"kind": kind + "s", "target": r.text(kind), "text": r.text("text")}


def safety(ctx: _Ctx, d: dict) -> dict:
    """General safety texts: kept as given, with text fields checked."""
    r = _Record(ctx, d, "safety")
    out = {}
    for key, value in d.items():
        if key in (LINE, LINES):
            continue
        if isinstance(value, str):
            out[key] = r.text(key)
        elif isinstance(value, list):
            out[key] = r.claims(key)
        elif isinstance(value, dict):
            sr = _Record(ctx, value, f"safety {key}")
            out[key] = {k: (sr.text(k) if isinstance(v, str) else sr.texts(k))
                        for k, v in value.items() if k not in (LINE, LINES)}
        else:
            r.err(key, f"'{key}' must be text, a list or a mapping")
    return out


VALIDATORS = {
    "references": (reference, "id"),
    "meridians": (meridian, "code"),
    "points": (point, "code"),
    "herbs": (herb, "id"),
    "conditions": (condition, "id"),
}


# ------------------------------------------------------------------ files


def validate_document(doc, file: str, ctx: _Ctx | None = None) -> tuple[dict, list[Problem]]:
    """Check one parsed file. Returns ({kind: [record]}, problems)."""
    ctx = ctx or _Ctx(file)
    out: dict = {}
    if doc is None:
        return out, ctx.problems
    if not isinstance(doc, dict):
        ctx.add(1, "the file must be a mapping with keys such as 'points:', 'herbs:', 'conditions:'")
        return out, ctx.problems
    for key, value in doc.items():
        if key in (LINE, LINES):
            continue
        line = _line(doc, key)
        if key not in S.TOP_LEVEL:
            ctx.add(line, f"unknown top-level key {key!r}; expected one of: {', '.join(S.TOP_LEVEL)}")
            continue
        if key == "safety":
            if isinstance(value, dict):
                out["safety"] = safety(ctx, value)
            else:
                ctx.add(line, "'safety' must be a mapping")
            continue
        if key == "shared_aliases":
            out[key] = [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
            continue
        if not isinstance(value, list):
            ctx.add(line, f"'{key}' must be a list of records")
            continue
        recs = []
        for item in value:
            if not isinstance(item, dict):
                ctx.add(line, f"each item of '{key}' must be a mapping")
                continue
            if key == "notes":
                n = note(ctx, item)
                if n:
                    n["_origin"] = f"{file}:{_line(item)}"
                    recs.append(n)
                continue
            fn, _ = VALIDATORS[key]
            rec = fn(ctx, item)
            rec["_origin"] = f"{file}:{_line(item)}"
            if item.get("extends") is True:
                rec["_extends"] = True
            recs.append(rec)
        out[key] = recs
    return out, ctx.problems


def load_and_validate(path: Path, display: str | None = None) -> tuple[dict, list[Problem]]:
    name = display or str(path)
    try:
        doc = load_file(path)
    except YamlProblem as exc:
        return {}, [Problem(name, exc.line, exc.message)]
    return validate_document(doc, name)


# ---------------------------------------------------------- cross-checks


def _origin_problem(origin: str, message: str) -> Problem:
    file, _, line = origin.rpartition(":")
    return Problem(file, int(line) if line.isdigit() else 0, message)


def cross_check(data: dict) -> list[Problem]:
    """Every reference resolves; no two records share a key or an alias."""
    problems: list[Problem] = []
    refs = {r["id"] for r in data.get("references", [])}
    channels = {m["code"] for m in data.get("meridians", [])}
    points = {p["code"]: p for p in data.get("points", [])}
    herbs = {h["id"]: h for h in data.get("herbs", [])}
    conditions = {c["id"]: c for c in data.get("conditions", [])}

    def check_sources(rec: dict, sources, what: str) -> None:
        for s in sources or []:
            if s not in refs:
                problems.append(_origin_problem(rec["_origin"], f"{what}: unknown reference id {s!r}"))

    def walk_sources(rec: dict, what: str) -> None:
        check_sources(rec, rec.get("sources"), what)
        for key, value in rec.items():
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, dict) and "sources" in item:
                        check_sources(rec, item["sources"], f"{what} {key}")
            elif isinstance(value, dict):
                if "sources" in value:
                    check_sources(rec, value["sources"], f"{what} {key}")
                for sub in value.values():
                    if isinstance(sub, list):
                        for item in sub:
                            if isinstance(item, dict) and "sources" in item:
                                check_sources(rec, item["sources"], f"{what} {key}")

    for p in data.get("points", []):
        what = f"point {p['code']}"
        if channels and p["channel"] not in channels:
            problems.append(_origin_problem(p["_origin"], f"{what}: unknown channel {p['channel']!r}"))
        for c in p["categories"]:
            vals = c["value"] if isinstance(c["value"], list) else [c["value"]]
            if c["name"] in ("back-shu", "front-mu", "lower-he-sea", "confluent", "crossing-point"):
                for v in vals:
                    if channels and v not in channels:
                        problems.append(_origin_problem(
                            p["_origin"], f"{what}: category {c['name']} names unknown channel {v!r}"))
        walk_sources(p, what)
    for h in data.get("herbs", []):
        what = f"herb {h['id']}"
        for other in h["confusable"] + ([h["substitute"]] if h["substitute"] else []):
            if other not in herbs:
                problems.append(_origin_problem(h["_origin"], f"{what}: unknown herb id {other!r}"))
        walk_sources(h, what)
    for c in data.get("conditions", []):
        what = f"condition {c['id']}"
        for item in c["prescription"]:
            if item["code"] not in points and not item["code"].lower().startswith("ashi"):
                problems.append(_origin_problem(c["_origin"], f"{what}: unknown point {item['code']!r}"))
        for pat in c["patterns"]:
            for code in pat["add_points"]:
                if code not in points:
                    problems.append(_origin_problem(c["_origin"], f"{what}: pattern names unknown point {code!r}"))
            for hid in pat["herbs"]:
                if hid not in herbs:
                    problems.append(_origin_problem(c["_origin"], f"{what}: pattern names unknown herb {hid!r}"))
        for item in c["herbs"]:
            if item["id"] not in herbs:
                problems.append(_origin_problem(c["_origin"], f"{what}: unknown herb {item['id']!r}"))
        walk_sources(c, what)
    for m in data.get("meridians", []):
        walk_sources(m, f"meridian {m['code']}")
    safety_ = data.get("safety") or {}
    for key, value in safety_.items():
        if isinstance(value, list):
            for item in value:
                for s in item.get("sources", []):
                    if s not in refs:
                        problems.append(Problem("safety", 0, f"safety {key}: unknown reference id {s!r}"))
    targets = {"points": points, "herbs": herbs, "conditions": conditions}
    for n in data.get("notes", []):
        if n["target"] not in targets[n["kind"]]:
            problems.append(_origin_problem(
                n["_origin"], f"note: unknown {n['kind'][:-1]} {n['target']!r}"))
    problems += _alias_collisions(data)
    return problems


def _alias_collisions(data: dict) -> list[Problem]:
    """An alias shared by two points is an error unless listed in shared_aliases."""
    allowed = {fold(a) for a in data.get("shared_aliases", [])}
    seen: dict[str, dict] = {}
    problems = []
    official = {}
    for p in data.get("points", []):
        official[fold(p["pinyin"])] = p
    for p in data.get("points", []):
        for a in p["aliases"]:
            key = fold(a["name"])
            if key in allowed:
                continue
            other = seen.get(key) or (official.get(key) if official.get(key) is not p else None)
            if other is not None and other is not p:
                problems.append(_origin_problem(
                    p["_origin"],
                    f"point {p['code']}: alias {a['name']!r} is also a name of {other['code']} "
                    f"({other['_origin']}); list it under shared_aliases if both are meant",
                ))
            seen.setdefault(key, p)
    return problems
