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

from acucli import models as M
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




# ------------------------------------------------------- the generic check
#
# Every record kind is a dataclass in acucli.models; its field metadata says
# how each YAML value is checked. Nothing here names a field of a kind, except
# the few checks that span fields (the `_post_*` functions).


def _unknown_keys(r: _Record, names: list[str], allowed: tuple = ()) -> None:
    import difflib

    for key in r.d:
        if key in (LINE, LINES) or key in names or key in allowed:
            continue
        if not isinstance(key, str):
            r.err(None, f"key {key!r} must be text")
            continue
        near = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
        hint = f"; did you mean {near[0]!r}?" if near else f"; valid keys: {', '.join(names)}"
        r.err(key, f"unknown key {key!r}{hint}")


def check(ctx: _Ctx, model: type, d, what: str, allowed: tuple = ()) -> dict | None:
    """A validated record in its JSON shape, from one YAML mapping."""
    if not isinstance(d, dict):
        ctx.add(0, f"{what}: must be a mapping with keys {', '.join(M.field_names(model))}")
        return None
    r = _Record(ctx, d, what)
    _unknown_keys(r, M.field_names(model), allowed)
    out = {}
    for fld in M.fields_of(model):
        out[fld.name] = _value(r, fld.name, fld.metadata, fld.default)
    post = _POST.get(model)
    if post:
        post(r, out)
    if getattr(model, "CLAIM", False) and not out.get("sources") and not out.get("basis"):
        r.err(None, "needs 'sources' (reference ids) or 'basis' (traditional, theoretical, consensus)")
    return out


def _value(r: _Record, key: str, m, default):
    kind, required = m["check"], m["required"]
    if kind == "text":
        v = r.text(key, required=required)
        return v if v or required else None
    if kind == "cjk":
        v = r.text(key, required=required, cjk=True)
        return v if v or required else None
    if kind == "texts":
        return r.texts(key, required=required)
    if kind == "choice":
        return r.choice(key, m["values"], required=required)
    if kind == "choices":
        return r.choices(key, m["values"], required=required)
    if kind == "flag":
        v = r.d.get(key, default)
        if not isinstance(v, bool):
            r.err(key, f"'{key}' must be true or false")
            return default
        return v
    if kind == "int":
        v = r.d.get(key)
        if v is None:
            if required:
                r.err(key, f"'{key}' is missing")
            return None
        if isinstance(v, bool) or not isinstance(v, int) or v < 0 or v > 10**6:
            r.err(key, f"'{key}' must be a whole number from 0 to 1000000")
            return None
        return v
    if kind == "number":
        return r.number(key, required=required)
    if kind == "range":
        if key not in r.d and not required:
            return None
        return r.range_(key, allow_null=m["null_ok"])
    if kind == "record":
        if key not in r.d and not required:
            return None
        sub = r.d.get(key)
        if not isinstance(sub, dict):
            r.err(key, f"'{key}' must be a mapping")
            return {}
        return check(r.ctx, m["model"], sub, f"{r.what} {key}") or {}
    if kind == "records":
        items = r.d.get(key)
        if items is None:
            if required:
                r.err(key, f"'{key}' is missing (use [] for none)")
            return []
        if not isinstance(items, list):
            r.err(key, f"'{key}' must be a list")
            return []
        out = [check(r.ctx, m["model"], item, f"{r.what} {key}") for item in items]
        return [x for x in out if x is not None]
    if kind.startswith("custom:"):
        return _CUSTOM[kind[7:]](r, key, m)
    raise AssertionError(f"unknown check {kind!r} in the schema")  # a bug in models.py


# ------------------------------------------------ checks that span fields


def _aliases(r: _Record, key: str, m) -> list[dict]:
    raw = r.d.get(key)
    if raw is None:
        return []
    if not isinstance(raw, list):
        r.err(key, f"'{key}' must be a list")
        return []
    out = []
    for a in raw:
        if isinstance(a, str):
            a = {"name": a}
        rec = check(r.ctx, M.Alias, a, f"{r.what} alias")
        if rec and rec["name"]:
            out.append(rec)
    return out


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



def _categories(r: _Record, key: str, m) -> list[dict]:
    raw = r.d.get(key)
    if raw is None:
        r.err(key, f"'{key}' is missing (use [] for none)")
        return []
    if not isinstance(raw, list):
        r.err(key, f"'{key}' must be a list")
        return []
    return [c for c in (_category(r, item) for item in raw) if c]


def _dose(r: _Record, key: str, m):
    v = r.d.get(key)
    if v is None:
        return None
    if isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v <= 1000:
        return v
    return r.range_(key, allow_null=True)


_CUSTOM = {"aliases": _aliases, "categories": _categories, "dose": _dose}


def _post_point(r: _Record, out: dict) -> None:
    code = out["code"]
    if code and not CODE_RE.match(code):
        r.err("code", f"code {code!r} must look like ST36 or EX-HN3")
    if out["number"] is not None and out["number"] < 1:
        r.err("number", "'number' must be a whole number >= 1")


def _post_needling(r: _Record, out: dict) -> None:
    if out["method"] == "not-needled" and out["depth_cun"] is not None:
        r.err("depth_cun", "a point that is not needled has depth_cun: null")
    elif out["method"] and out["method"] != "not-needled" and out["depth_cun"] is None and "depth_cun" in r.d:
        r.err("depth_cun", "'depth_cun' must be [min, max] numbers for a needled point")


def _post_id(r: _Record, out: dict) -> None:
    rid = out.get("id")
    if rid and not ID_RE.match(rid):
        r.err("id", f"id {rid!r} must be lower-case words joined by hyphens")


def _post_meridian(r: _Record, out: dict) -> None:
    if out["code"] and not CODE_RE.match(out["code"]):
        r.err("code", f"code {out['code']!r} must be upper-case letters and digits")


def _post_herb(r: _Record, out: dict) -> None:
    _post_id(r, out)
    cat, sub = out["category"], out["subcategory"]
    if cat and sub and sub not in S.HERB_CATEGORIES[cat]:
        r.err("subcategory", f"subcategory {sub!r} is not one of {', '.join(S.HERB_CATEGORIES[cat])}")


def _post_rx(r: _Record, out: dict) -> None:
    if bool(out["code"]) == bool(out["site"]):
        r.err(None, "a prescription item names either a point 'code' or a 'site' (ashi, jiaji, ear)")
    if out["site"] == "jiaji" and not out["level"]:
        r.err("level", "a jiaji item states its spinal 'level' (C4-C7, T11-L2 ...)")
    if out["site"] == "ear" and not out["ear_point"]:
        r.err("ear_point", "an ear item names its 'ear_point'")


def _post_condition(r: _Record, out: dict) -> None:
    _post_id(r, out)
    if not out["prescription"]:
        r.err("prescription", "'prescription' is missing or empty")
    ev = out.get("evidence") or {}
    cited = [s for x in ev.get("findings", []) for s in x["sources"]]
    if ev and not cited and not ev.get("traditional_only"):
        r.err("evidence", "evidence needs at least one cited finding or traditional_only: true")


def _post_note(r: _Record, out: dict) -> None:
    targets = [k for k in ("point", "herb", "condition", "formula") if out.get(k)]
    if len(targets) != 1:
        r.err(None, "a note names exactly one of 'point', 'herb', 'condition' or 'formula'")


_POST = {
    M.Point: _post_point, M.Needling: _post_needling, M.Meridian: _post_meridian,
    M.Herb: _post_herb, M.Condition: _post_condition, M.PrescriptionItem: _post_rx,
    M.Formula: _post_id, M.Note: _post_note,
}


def note(ctx: _Ctx, d: dict) -> dict | None:
    out = check(ctx, M.Note, d, "note")
    if out is None:
        return None
    kind = next((k for k in ("point", "herb", "condition", "formula") if out.get(k)), None)
    if kind is None:
        return None
    return {"kind": kind + "s", "target": out[kind], "text": out["text"]}


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
            out[key] = [x for x in (check(ctx, M.Claim, item, f"safety {key}") for item in value) if x]
        elif isinstance(value, dict):
            sr = _Record(ctx, value, f"safety {key}")
            out[key] = {k: (sr.text(k) if isinstance(v, str) else sr.texts(k))
                        for k, v in value.items() if k not in (LINE, LINES)}
        else:
            r.err(key, f"'{key}' must be text, a list or a mapping")
    return out


# ------------------------------------------------------------------ files


# Keys a record may carry besides its fields: how an overlay relates to the bundled record.
RECORD_EXTRAS = ("extends", "remove_cautions", "reason", "_weakened")


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
        if key not in M.TOP_LEVEL:
            import difflib

            near = difflib.get_close_matches(str(key), M.TOP_LEVEL, n=1, cutoff=0.6)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            ctx.add(line, f"unknown top-level key {key!r}{hint}; expected one of: {', '.join(M.TOP_LEVEL)}")
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
            kind = M.KINDS[key]
            label = item.get(kind.key, "?") if kind.key != "_auto" else item.get("herb", "?")
            rec = check(ctx, kind.model, item, f"{kind.singular} {label}", allowed=RECORD_EXTRAS)
            rec["_origin"] = f"{file}:{_line(item)}"
            if item.get("extends") is True:
                rec["_extends"] = True
            if item.get("_weakened"):
                rec["_weakened"] = item["_weakened"]
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
    formulas = {x["id"]: x for x in data.get("formulas", [])}
    drug_ids = {x["id"] for x in data.get("drugs", [])} | {x["id"] for x in data.get("drug_classes", [])}

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
            if item["code"] and item["code"] not in points:
                problems.append(_origin_problem(c["_origin"], f"{what}: unknown point {item['code']!r}"))
        for item in c.get("formulas") or []:
            if item["id"] not in formulas:
                problems.append(_origin_problem(c["_origin"], f"{what}: unknown formula {item['id']!r}"))
        for pat in c["patterns"]:
            for code in pat["add_points"]:
                if code not in points:
                    problems.append(_origin_problem(c["_origin"], f"{what}: pattern names unknown point {code!r}"))
            for hid in pat["herbs"]:
                if hid not in herbs:
                    problems.append(_origin_problem(c["_origin"], f"{what}: pattern names unknown herb {hid!r}"))
            for fid in pat.get("formulas") or []:
                if fid not in formulas:
                    problems.append(_origin_problem(c["_origin"], f"{what}: pattern names unknown formula {fid!r}"))
        for item in c["herbs"]:
            if item["id"] not in herbs:
                problems.append(_origin_problem(c["_origin"], f"{what}: unknown herb {item['id']!r}"))
        walk_sources(c, what)
    for fo in data.get("formulas", []):
        what = f"formula {fo['id']}"
        for ing in fo["composition"]:
            if ing["herb"] not in herbs:
                problems.append(_origin_problem(fo["_origin"], f"{what}: unknown herb {ing['herb']!r}"))
        walk_sources(fo, what)
    classes = {x["id"] for x in data.get("drug_classes", [])}
    for d in data.get("drugs", []):
        for cl in d["classes"]:
            if cl not in classes:
                problems.append(_origin_problem(d["_origin"], f"drug {d['id']}: unknown drug class {cl!r}"))
    for it in data.get("interactions", []):
        what = f"interaction {it['herb']}/{it['drug']}"
        if it["herb"] not in herbs:
            problems.append(_origin_problem(it["_origin"], f"{what}: unknown herb {it['herb']!r}"))
        if it["drug"] not in drug_ids:
            problems.append(_origin_problem(it["_origin"], f"{what}: unknown drug or class {it['drug']!r}"))
        walk_sources(it, what)
    for pair in data.get("incompatibilities", []):
        for hid in pair["herbs"] + pair["against"]:
            if hid not in herbs:
                problems.append(_origin_problem(pair["_origin"], f"incompatibility {pair['id']}: unknown herb {hid!r}"))
        walk_sources(pair, f"incompatibility {pair['id']}")
    for m in data.get("meridians", []):
        walk_sources(m, f"meridian {m['code']}")
    safety_ = data.get("safety") or {}
    for key, value in safety_.items():
        if isinstance(value, list):
            for item in value:
                for s in item.get("sources", []):
                    if s not in refs:
                        problems.append(Problem("safety", 0, f"safety {key}: unknown reference id {s!r}"))
    targets = {"points": points, "herbs": herbs, "conditions": conditions, "formulas": formulas}
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
