"""What each command asks of the knowledge base. Returns plain data (records,
rows as dicts); knows nothing of terminals or formats."""

from __future__ import annotations


from acucli import schema as S
from acucli.errors import Ambiguous, UsageError
from acucli.resolve import resolver
from acucli.text import fold


class Context:
    """Patient context that marks or removes what does not suit this patient."""

    def __init__(self, pregnant=False, bleeding_risk=False, pacemaker=False, omit=False):
        self.pregnant = pregnant
        self.bleeding_risk = bleeding_risk
        self.pacemaker = pacemaker
        self.omit = omit  # remove flagged items instead of marking them

    @property
    def active(self) -> bool:
        return self.pregnant or self.bleeding_risk or self.pacemaker


class Answer:
    """Records or rows, plus what to tell the user on stderr."""

    def __init__(self, items, notes, terminal_columns=None):
        self.items = items
        self.notes = notes
        self.terminal_columns = terminal_columns  # a narrower default for a terminal table


def public(rec: dict) -> dict:
    """A record as documented in JSON: no bookkeeping keys."""
    return {k: v for k, v in rec.items() if not k.startswith("_")}


# ------------------------------------------------------------ formatting


def category_label(c: dict) -> str:
    v = c["value"]
    if v is None:
        return c["name"]
    if isinstance(v, list):
        v = ", ".join(v)
    return f"{c['name']} ({v})"


def needling_label(n: dict) -> str:
    if not n:
        return ""
    if n["method"] == "not-needled":
        return "not needled"
    depth = n.get("depth_cun")
    d = f"{_num(depth[0])}-{_num(depth[1])} cun" if depth else ""
    method = {"prick": "prick to bleed", "filiform-or-prick": "needle or prick to bleed"}.get(n["method"], "")
    parts = [p for p in (n["angle"] if n["angle"] != "none" else "", d, method) if p]
    text = " ".join(parts[:2]) + (f"; {parts[2]}" if len(parts) > 2 else "")
    if n.get("direction"):
        text += f"; {n['direction']}"
    return text


def _num(x) -> str:
    return f"{x:g}"


def overlay_changes(rec: dict) -> list[str]:
    """What an overlay removed from a bundled record, naming the file: shown wherever it matters."""
    return [f"overlay {w['file']}:{w['line']} removed the bundled {', '.join(w['removed'])} caution(s): {w['reason']}"
            for w in rec.get("_weakened") or []]


def caution_kinds(p: dict) -> list[str]:
    kinds = list(dict.fromkeys(c["kind"] for c in p["cautions"]))
    for w in p.get("_weakened") or []:
        kinds.append(f"{'/'.join(w['removed'])} REMOVED by overlay {w['file']}")
    return kinds


# ------------------------------------------------------------ point flags


def point_flags(p: dict, ctx: Context) -> list[dict]:
    """Context warnings for one point, each with the reason."""
    flags = []
    if ctx.pregnant:
        for c in p["cautions"]:
            if c["kind"] == "pregnancy":
                flags.append({"flag": "pregnancy", "text": c["text"], "sources": c["sources"]})
                break
    if ctx.bleeding_risk:
        for c in p["cautions"]:
            if c["kind"] in ("vessel", "bleeding"):
                flags.append({"flag": "bleeding-risk", "text": c["text"], "sources": c["sources"]})
                break
        else:
            if p["needling"].get("method") in ("prick", "filiform-or-prick"):
                flags.append({"flag": "bleeding-risk",
                              "text": "Pricking to bleed is part of the usual technique here; avoid it.",
                              "sources": []})
    if ctx.pacemaker:
        flags.append({"flag": "pacemaker", "text": "No electroacupuncture for this patient (implanted device).",
                      "sources": []})
    return flags


def context_notes(kb, ctx: Context) -> list[str]:
    safety = kb.safety
    notes = []
    if ctx.pregnant:
        for item in safety.get("pregnancy_caveat", []):
            notes.append("pregnancy: " + item["text"] + _cite(item))
    if ctx.bleeding_risk:
        for item in safety.get("bleeding_risk", []):
            notes.append("bleeding risk: " + item["text"])
    if ctx.pacemaker:
        for item in safety.get("pacemaker", []):
            notes.append("pacemaker: " + item["text"])
    return notes


def _cite(item: dict) -> str:
    return f" [{', '.join(item['sources'])}]" if item.get("sources") else ""


# ----------------------------------------------------------------- points


def point_row(kb, p: dict, ctx: Context | None = None) -> dict:
    row = {
        "code": p["code"],
        "pinyin": p["pinyin"],
        "hanzi": p["hanzi"],
        "english": p["english"],
        "channel": p["channel"],
        "regions": p["regions"],
        "category_labels": [category_label(c) for c in p["categories"]],
        "caution_kinds": caution_kinds(p),
        "location": p["location"],
    }
    if ctx is not None and ctx.active:
        row["warnings"] = point_flags(p, ctx)
    return row


def point_detail(kb, p: dict, ctx: Context | None = None) -> dict:
    """The whole card as data (JSON and the card views)."""
    out = public(p)
    out["needling_summary"] = needling_label(p["needling"])
    out["category_labels"] = [category_label(c) for c in p["categories"]]
    out["caution_kinds"] = caution_kinds(p)
    out["overlay_changes"] = overlay_changes(p)
    out["notes"] = [n["text"] for n in kb.notes_for("points", p["code"])]
    if any(c["kind"] == "pregnancy" for c in p["cautions"]):
        out["pregnancy_caveat"] = [i["text"] for i in kb.safety.get("pregnancy_caveat", [])]
    if ctx is not None and ctx.active:
        out["warnings"] = point_flags(p, ctx)
    return out


def check_choice(value: str, allowed, what: str) -> str:
    if value in allowed:
        return value
    folded = {fold(a): a for a in allowed}
    if fold(value) in folded:
        return folded[fold(value)]
    import difflib

    close = difflib.get_close_matches(value, list(allowed), n=4, cutoff=0.4)
    raise UsageError(f"unknown {what} {value!r}",
                     [f"did you mean: {', '.join(close)}?"] if close else [f"valid: {', '.join(allowed)}"])


def meridian_code(kb, text: str) -> str:
    r = resolver(kb)
    code = r.channel(text)
    if code is None:
        raise UsageError(f"unknown meridian {text!r}",
                         [f"valid: {', '.join(r.channel_suggestions(text))}"])
    return code


def category_name(text: str) -> tuple[str, str | None]:
    """'back-shu', 'back shu', 'source', 'hui-meeting:bone', 'shu-stream (water)'."""
    raw = text.replace("(", ":").replace(")", "")
    name, _, value = raw.partition(":")
    key = fold(name)
    names = {fold(n): n for n in S.CATEGORIES}
    aliases = {fold(a): c for a, c in S.CATEGORY_ALIASES.items()}
    canon = names.get(key) or aliases.get(key)
    if canon is None:
        import difflib

        close = difflib.get_close_matches(name.strip().lower(), list(S.CATEGORIES) + ["five-shu"], n=4, cutoff=0.4)
        raise UsageError(f"unknown category {text!r}",
                         [f"did you mean: {', '.join(close)}?" if close else f"valid: {', '.join(S.CATEGORIES)}"])
    return canon, (value.strip() or None)


def has_category(p: dict, name: str, value: str | None) -> bool:
    for c in p["categories"]:
        if name == "five-shu" and c["name"] in S.FIVE_SHU:
            if value is None or fold(str(c["value"])) == fold(value):
                return True
        if c["name"] != name:
            continue
        if value is None:
            return True
        vals = c["value"] if isinstance(c["value"], list) else [c["value"]]
        if any(fold(str(v)) == fold(value) for v in vals):
            return True
    return False


def list_points(kb, meridian=None, region=None, category=None, condition=None,
                search=None, ctx: Context | None = None) -> Answer:
    ctx = ctx or Context()
    pts = kb.points
    notes: list[str] = []
    rx_by_code: dict = {}
    cond = None
    if condition is not None:
        cond = get_condition(kb, condition)
        order = [item["code"] for item in cond["prescription"] if item["code"] in kb.by_key("points")]
        rx_by_code = {item["code"]: item for item in cond["prescription"] if item["code"]}
        pts = [kb.get("points", c) for c in dict.fromkeys(order)]
        sites = [f"{rx_label(i)} ({i['role']}, {i['status']})" for i in cond["prescription"] if not i["code"]]
        if sites:
            notes.append(f"{cond['id']}: also {', '.join(sites)}: see acu condition {cond['id']}")
    if meridian is not None:
        code = meridian_code(kb, meridian)
        pts = [p for p in pts if p["channel"] == code]
    if region is not None:
        reg = check_choice(region, S.REGIONS, "region")
        pts = [p for p in pts if reg in p["regions"]]
    if category is not None:
        name, value = category_name(category)
        pts = [p for p in pts if has_category(p, name, value)]
    if search is not None:
        words = terms(search)
        pts = [p for p in pts if all(t in _point_haystack(p) for t in words)]
    rows = []
    omitted = []
    for p in pts:
        row = point_row(kb, p, ctx)
        if cond is not None:
            # The filter's own columns come after the standard ones: `cut -f` positions hold.
            rx = rx_by_code[p["code"]]
            row = {**row, "role": rx["role"], "status": rx["status"], "why": rx["why"]}
        if ctx.omit and row.get("warnings"):
            omitted.append(p["code"])
            continue
        rows.append(row)
    if ctx.active:
        flagged = [r["code"] for r in rows if r.get("warnings")]
        if flagged:
            notes.append(f"marked for this patient: {', '.join(flagged)}")
        if omitted:
            notes.append(f"left out for this patient: {', '.join(omitted)}")
        notes += context_notes(kb, ctx)
    if cond is not None:
        # What a practitioner needs at a glance: the point, its role, where it is, what to watch.
        return Answer(rows, notes, terminal_columns=[
            "code", "hanzi", "role", "status", "location", "caution_kinds", "warnings"])
    return Answer(rows, notes)


def terms(text: str) -> list[str]:
    terms = [fold(t) for t in text.split() if fold(t)]
    if not terms:
        raise UsageError("--search needs some text")
    return terms


def _point_haystack(p: dict) -> str:
    parts = [p["code"], p["pinyin"], p["hanzi"], p["hanzi_traditional"], p["english"], p["location"],
             *p["actions"], *p["indications"], *(a["name"] for a in p["aliases"])]
    return fold(" ".join(parts))


# -------------------------------------------------------------- meridians


def meridian_rows(kb) -> list[dict]:
    counts: dict = {}
    for p in kb.points:
        counts[p["channel"]] = counts.get(p["channel"], 0) + 1
    return [{
        "code": m["code"], "english": m["english"], "pinyin": m["pinyin"], "hanzi": m["hanzi"],
        "kind": m["kind"], "points": counts.get(m["code"], 0),
        "other_codes": m["other_codes"],
    } for m in kb.meridians]


def meridian_detail(kb, text: str) -> tuple[dict, list[dict]]:
    code = meridian_code(kb, text)
    m = kb.get("meridians", code)
    pts = [p for p in kb.points if p["channel"] == code]  # data order is channel order
    return public(m), [point_row(kb, p) for p in pts]


# ------------------------------------------------------------- conditions


def get_condition(kb, text: str) -> dict:
    m = resolver(kb).condition(text)
    if not m.records:
        hints = [f"did you mean: {', '.join(m.suggestions)}?"] if m.suggestions else []
        hints.append(f"list them with: acu conditions; or look everywhere: acu search {text!r}")
        raise UsageError(f"unknown condition {text!r}", hints)
    if m.ambiguous:
        raise Ambiguous(f"{text!r} covers {len(m.records)} conditions; choose one",
                        m.records, "conditions")
    return m.records[0]


def rx_label(item: dict) -> str:
    """A prescription item as people write it: BL23, Ashi points, Jiaji C4-C7, ear Shenmen."""
    if item.get("code"):
        return item["code"]
    if item["site"] == "jiaji":
        return f"Jiaji {item['level']}"
    if item["site"] == "ear":
        return f"ear {item['ear_point']}"
    return "Ashi points"


def condition_row(c: dict) -> dict:
    return {
        "id": c["id"], "name": c["name"], "group": c.get("group"),
        "grade": c["evidence"].get("grade", ""),
        "points": [rx_label(i) for i in c["prescription"] if i["status"] == "core"],
        "chinese": [ch["hanzi"] for ch in c["chinese"]],
    }


def condition_rows(kb) -> list[dict]:
    return [condition_row(c) for c in kb.conditions]


def condition_detail(kb, text: str, ctx: Context | None = None) -> dict:
    c = get_condition(kb, text)
    ctx = ctx or Context()
    out = public(c)
    out["notes"] = [n["text"] for n in kb.notes_for("conditions", c["id"])]
    rx = []
    for item in c["prescription"]:
        p = kb.get("points", item["code"])
        entry = {k: v for k, v in item.items() if not k.startswith("_")}
        if p:
            entry.update({"pinyin": p["pinyin"], "hanzi": p["hanzi"], "location": p["location"],
                          "caution_kinds": caution_kinds(p)})
            if ctx.active:
                entry["warnings"] = point_flags(p, ctx)
        rx.append(entry)
    out["prescription"] = rx
    herbs = []
    for item in c["herbs"]:
        h = kb.get("herbs", item["id"])
        entry = {k: v for k, v in item.items() if not k.startswith("_")}
        if h:
            entry.update({"pinyin": h["pinyin"], "hanzi": h["hanzi"], "status": h["status"],
                          "safety": herb_safety(h)})
        herbs.append(entry)
    out["herbs"] = herbs
    out["formulas"], out["pattern_formulas"] = _condition_formulas(kb, c)
    if ctx.active:
        out["context"] = {"pregnant": ctx.pregnant, "bleeding_risk": ctx.bleeding_risk,
                          "pacemaker": ctx.pacemaker, "notes": context_notes(kb, ctx)}
    out["adverse_events"] = [i["text"] for i in kb.safety.get("adverse_events", [])]
    return out


def _condition_formulas(kb, c: dict) -> tuple[list, list]:
    """The card's formulas with names and safety; then those only its patterns
    name, with the patterns that name them."""
    from acucli.formulas import formula_safety

    def named(fid: str) -> dict:
        f = kb.get("formulas", fid)
        if f is None:
            return {"pinyin": None, "hanzi": None, "english": None, "safety": ["no data"]}
        return {"pinyin": f["pinyin"], "hanzi": f["hanzi"], "english": f["english"],
                "safety": formula_safety(kb, f)}

    listed = [{**{k: v for k, v in item.items() if not k.startswith("_")}, **named(item["id"])}
              for item in c["formulas"]]
    by_pattern: dict = {}
    for p in c["patterns"]:
        for fid in p["formulas"]:
            if not any(x["id"] == fid for x in c["formulas"]):
                by_pattern.setdefault(fid, []).append(p["name"])
    return listed, [{"id": fid, "patterns": names, **named(fid)} for fid, names in by_pattern.items()]


# ------------------------------------------------------------------ herbs


def herb_drugs(h: dict) -> list[str]:
    """The drugs and drug classes a herb is known to interact with: its own
    notes, then the structured interactions (linked to the herb at build)."""
    return list(dict.fromkeys([*(i["drug"] for i in h["interactions"]), *h.get("_drugs", ())]))


def herb_safety(h: dict) -> list[str]:
    """Short safety labels for listings: the things nobody should miss."""
    out = [f"{'/'.join(w['removed'])} caution REMOVED by overlay {w['file']}" for w in h.get("_weakened") or []]
    if h["status"] in ("banned", "prohibited"):
        out.append(h["status"].upper())
    elif h["status"] == "restricted":
        out.append("restricted")
    if h["toxicity"] != "none":
        out.append(f"toxic ({h['toxicity']})")
    kinds = {c["kind"] for c in h["cautions"]}
    for k in ("pregnancy-contraindicated", "pregnancy-caution", "hepatotoxicity", "nephrotoxicity",
              "conservation", "dose-limit"):
        if k in kinds:
            out.append(k)
    out += [f"interacts: {drug}" for drug in herb_drugs(h)]
    if not out:
        # Never an empty cell that reads as "safe".
        out.append("see cautions" if h["cautions"] else "no data")
    return out


def herb_ambiguity(name: str, herbs: list[dict]) -> str:
    """Say "different safety" only when the candidates' safety differs."""
    differs = len({tuple(herb_safety(h)) for h in herbs}) > 1
    what = "different herbs with different safety" if differs else "different herbs"
    return (f"{name!r} can mean {len(herbs)} {what}; name one exactly: "
            + ", ".join(h["id"] for h in herbs))


def herb_row(h: dict) -> dict:
    return {
        "id": h["id"], "pinyin": h["pinyin"], "hanzi": h["hanzi"], "latin": h["latin"],
        "english": h["english"], "category": h["category"], "nature": h["nature"],
        "flavors": h["flavors"], "channels": h["channels"], "safety": herb_safety(h),
    }


def herb_detail(kb, h: dict) -> dict:
    from acucli.check import partners

    out = public(h)
    out["safety"] = herb_safety(h)
    out["overlay_changes"] = overlay_changes(h)
    out["drug_interactions"] = [public(i) for i in kb.section("interactions") if i["herb"] == h["id"]]
    out["incompatible_with"] = partners(kb, h["id"])
    out["notes"] = [n["text"] for n in kb.notes_for("herbs", h["id"])]
    if h.get("substitute"):
        s = kb.get("herbs", h["substitute"])
        if s:
            out["substitute_name"] = f"{s['pinyin']} {s['hanzi']}"
    return out


def list_herbs(kb, category=None, nature=None, flavor=None, channel=None, condition=None,
               caution=None, interacts=None, search=None, include_banned=False) -> Answer:
    herbs = kb.herbs
    notes = []
    if condition is not None:
        c = get_condition(kb, condition)
        ids = [i["id"] for i in c["herbs"]] + [h for p in c["patterns"] for h in p["herbs"]]
        herbs = [kb.get("herbs", i) for i in dict.fromkeys(ids) if kb.get("herbs", i)]
        include_banned = True
    if category is not None:
        cat = check_choice(category, tuple(S.HERB_CATEGORIES), "herb category")
        herbs = [h for h in herbs if h["category"] == cat]
    if nature is not None:
        nat = check_choice(nature, S.NATURES, "nature")
        herbs = [h for h in herbs if h["nature"] == nat]
    if flavor is not None:
        fl = check_choice(flavor, S.FLAVORS, "flavour")
        herbs = [h for h in herbs if fl in h["flavors"]]
    if channel is not None:
        ch = meridian_code(kb, channel)
        herbs = [h for h in herbs if ch in h["channels"]]
    if caution is not None:
        key = fold(caution)
        if not key:
            raise UsageError("--caution needs a value", [f"valid: pregnancy, toxic, banned, {', '.join(S.HERB_CAUTIONS)}"])
        kinds = [k for k in S.HERB_CAUTIONS if key in fold(k)]
        if key in ("toxic", "toxicity"):
            herbs = [h for h in herbs if h["toxicity"] != "none" or any(c["kind"] == "toxicity" for c in h["cautions"])]
        elif key in ("banned", "prohibited", "restricted"):
            herbs = [h for h in herbs if h["status"] == key]
            include_banned = True
        elif kinds:
            herbs = [h for h in herbs if any(c["kind"] in kinds for c in h["cautions"])]
        else:
            valid = list(S.HERB_CAUTIONS) + ["pregnancy", "toxic", "banned", "prohibited", "restricted"]
            check_choice(caution, valid, "caution")
    if interacts is not None:
        from acucli.check import herbs_interacting, resolve_drug

        label, classes = resolve_drug(kb, interacts)
        hits = herbs_interacting(kb, classes)
        herbs = [h for h in herbs if h["id"] in hits]
        notes.append(f"{interacts!r} read as {label} ({', '.join(sorted(classes))}); herbs not listed have no "
                     "interaction data, which does not mean they are safe")
        extra = {hid: interaction_summary(items) for hid, items in hits.items()}
    if search is not None:
        words = terms(search)
        herbs = [h for h in herbs if all(t in _herb_haystack(h) for t in words)]
    if not include_banned:
        hidden = [h for h in herbs if h["status"] in ("banned", "prohibited")]
        if hidden:
            notes.append(f"{len(hidden)} banned or prohibited items hidden (--include-banned shows them)")
        herbs = [h for h in herbs if h["status"] not in ("banned", "prohibited")]
    rows = [herb_row(h) for h in herbs]
    if interacts is not None:
        for r in rows:
            r.update(extra[r["id"]])
        rows.sort(key=lambda r: SEVERITY_RANK.get(r["severity"], 9))  # most serious first
    return Answer(rows, notes)


# Most serious first; "no-data" is a finding of acu check, never a severity in the data.
SEVERITY_RANK = {s: i for i, s in enumerate((*S.SEVERITIES, "no-data"))}


def interaction_summary(items: list[dict]) -> dict:
    """One herb's interactions with one drug: the worst severity, its effect, all sources."""
    worst = min(items, key=lambda i: SEVERITY_RANK.get(i.get("severity", "moderate"), 9))
    return {"severity": worst.get("severity", "moderate"), "effect": worst["effect"],
            "sources": sorted({s for i in items for s in i.get("sources", [])})}


def _herb_haystack(h: dict) -> str:
    parts = [h["id"], h["pinyin"], h["hanzi"], h["hanzi_traditional"], h["latin"], h["english"],
             *h["trade_names"], *h["aliases"], *h["actions"], *h["indications"]]
    return fold(" ".join(parts))


# ----------------------------------------------------------------- search
