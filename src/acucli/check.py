"""`acu check`: a prescription (points, herbs, formulas) against a patient.

One finding per problem. It fails closed: a herb and a drug with no
interaction data give a `no-data` finding, never silence.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from acucli.errors import NotFound, UsageError
from acucli.query import SEVERITY_RANK, interaction_summary
from acucli.text import fold

SERIOUS = ("contraindicated", "major")
PAIR_NAMES = {"eighteen-incompatibilities": "十八反 (eighteen incompatibilities)",
              "nineteen-antagonisms": "十九畏 (nineteen antagonisms)"}


@dataclass
class Finding:
    severity: str
    kind: str
    items: list
    message: str
    sources: list = field(default_factory=list)


@dataclass
class Report:
    items: list          # what was checked: {kind, id, name, from}
    findings: list       # Finding, most serious first

    @property
    def serious(self) -> bool:
        return any(f.severity in SERIOUS for f in self.findings)

    def rows(self) -> list[dict]:
        return [asdict(f) for f in self.findings]


# ------------------------------------------------------------------ drugs


def drug_index(kb) -> dict:
    """Every name people type for a drug or a class -> (label, set of class and drug ids)."""
    idx = {}
    for c in kb.section("drug_classes"):
        idx[fold(c["id"])] = (c["id"], {c["id"]})
        idx[fold(c["name"])] = (c["id"], {c["id"]})
    for d in kb.section("drugs"):
        for name in d["names"]:
            idx[fold(name)] = (d["id"], {d["id"], *d["classes"]})
    return idx


def resolve_drug(kb, text: str) -> tuple[str, set]:
    """'Coumadin 5 mg' -> ('warfarin', {warfarin, anticoagulants}); unknown: UsageError."""
    name = re.sub(r"\s*\d[\d.,]*\s*(mg|mcg|µg|g|ml|iu|units?)?\b.*$", "", text.strip(), flags=re.I) or text
    idx = drug_index(kb)
    hit = idx.get(fold(name))
    if hit:
        return hit
    import difflib

    close = difflib.get_close_matches(fold(name), list(idx), n=3, cutoff=0.75)
    raise UsageError(f"unknown drug {text!r}: its interactions cannot be checked",
                     [f"did you mean: {', '.join(idx[c][0] for c in close)}?"] if close else
                     ["give the generic name or a class (anticoagulants, antiplatelets, nsaids ...)"])


def herbs_interacting(kb, classes: set, herb_ids=None) -> dict:
    """herb id -> interaction items (structured data plus the short notes on herb records).

    `herb_ids`: only these herbs (a check reads the records it needs, not all)."""
    from acucli import schema as S

    out: dict = {}
    for it in kb.section("interactions"):
        if it["drug"] in classes and (herb_ids is None or it["herb"] in herb_ids):
            out.setdefault(it["herb"], []).append(it)
    family = set()
    for c in classes:
        family |= set(S.DRUG_FAMILIES.get(c, (c,)))
    herbs = kb.herbs if herb_ids is None else [h for h in (kb.get("herbs", i) for i in herb_ids) if h]
    for h in herbs:
        for note in h["interactions"]:
            if note["drug"] in family:
                out.setdefault(h["id"], []).append({"herb": h["id"], "drug": note["drug"], "effect": note["text"],
                                                   "severity": "moderate", "sources": note["sources"]})
    return out


def pairs_within(kb, herb_ids: list[str]) -> list[dict]:
    """The 十八反 / 十九畏 pairs that a set of herbs contains."""
    have = set(herb_ids)
    out = []
    for p in kb.section("incompatibilities"):
        a = sorted(have & set(p["herbs"]))
        b = sorted(have & set(p["against"]))
        if a and b:
            out.append({"id": p["id"], "set": p["set"], "herbs": a, "against": b,
                        "sources": p["sources"], "note": p.get("note")})
    return out


def partners(kb, herb_id: str) -> list[dict]:
    """Every pair a herb belongs to, with the herbs on the other side."""
    out = []
    for p in kb.section("incompatibilities"):
        if herb_id in p["herbs"]:
            out.append({"set": p["set"], "group": p.get("group"), "with": p["against"], "sources": p["sources"]})
        elif herb_id in p["against"]:
            out.append({"set": p["set"], "group": p.get("group"), "with": p["herbs"], "sources": p["sources"]})
    return out


# ------------------------------------------------------------------ check


def _resolve(lib, text: str) -> tuple[str, dict]:
    """A point, a formula or a herb, in that order of preference for codes.

    The first pass asks each kind for an exact match only: a formula name must
    not pay for the fuzzy point suggestions and point search of a miss."""
    from acucli.resolve import resolver

    if not text.strip():
        raise UsageError("an empty item", ["give a point, herb or formula"])
    r = resolver(lib.kb)
    kinds = (("point", r.point, lib.point_record), ("formula", r.formula, lib.formula_record),
             ("herb", r.herb, lib.herb_record))
    for kind, find, record in kinds:
        m = find(text, suggest=False)
        if m.records:
            # An ambiguous name goes through the API, which decides it or raises Ambiguous.
            return kind, record(text) if m.ambiguous else m.records[0]
    import difflib

    # Each kind's closest names, the closest of all first (a formula's typo is not a point).
    close = [s for _, find, _ in kinds for s in find(text).suggestions[:2]]
    close.sort(key=lambda s: -difflib.SequenceMatcher(None, fold(text), fold(s)).ratio())
    raise NotFound(f"{text!r} is not a point, herb or formula",
                   ([f"did you mean: {', '.join(close)}?"] if close else []) +
                   ["look for it with: acu search " + repr(text)])


def parse_doses(values) -> dict:
    out = {}
    for v in values or []:
        name, sep, grams = v.partition("=")
        try:
            g = float(grams)
        except ValueError:
            g = -1
        if not sep or not name.strip() or not 0 < g <= 1000:
            raise UsageError(f"--dose {v!r} must be HERB=GRAMS, e.g. --dose fu-zi=30")
        out[name.strip()] = g
    return out


def check(lib, items: list[str], drugs=(), pregnant=False, bleeding_risk=False, pacemaker=False,
          doses: dict | None = None) -> Report:
    kb = lib.kb
    if not items:
        raise UsageError("acu check needs at least one point, herb or formula")
    checked, points, herbs = [], [], {}  # herbs: id -> grams or None
    for text in items:
        kind, rec = _resolve(lib, text)
        if kind == "point":
            points.append(rec)
            checked.append({"kind": "point", "id": rec["code"], "name": rec["pinyin"], "from": text})
        elif kind == "herb":
            herbs.setdefault(rec["id"], None)
            checked.append({"kind": "herb", "id": rec["id"], "name": rec["pinyin"], "from": text})
        else:
            checked.append({"kind": "formula", "id": rec["id"], "name": rec["pinyin"], "from": text})
            for ing in rec["composition"]:
                d = ing.get("dose_g")
                g = max(d) if isinstance(d, list) else d
                herbs[ing["herb"]] = (herbs.get(ing["herb"]) or 0) + g if g else herbs.get(ing["herb"])
                checked.append({"kind": "herb", "id": ing["herb"], "name": ing["herb"], "from": rec["id"]})
    for name, grams in (doses or {}).items():
        hid = lib.herb_record(name)["id"]
        herbs[hid] = grams
    records = {hid: kb.get("herbs", hid) for hid in herbs}
    f: list[Finding] = []
    f += _pair_findings(kb, list(herbs))
    f += _herb_findings(kb, records, herbs, pregnant)
    f += _drug_findings(kb, records, drugs)
    f += _point_findings(kb, points, pregnant, bleeding_risk, pacemaker)
    if bleeding_risk:
        f += _drug_findings(kb, records, ["anticoagulants"], context="bleeding risk")
    for rec in [*points, *[r for r in records.values() if r]]:
        for w in rec.get("_weakened") or []:
            f.append(Finding("moderate", "overlay", [rec.get("code") or rec.get("id")],
                             f"overlay {w['file']}:{w['line']} removed the bundled {', '.join(w['removed'])} "
                             f"caution(s): {w['reason']}"))
    f.sort(key=lambda x: SEVERITY_RANK[x.severity])
    return Report(checked, f)


def _pair_findings(kb, herb_ids) -> list[Finding]:
    return [Finding("contraindicated", "incompatibility", p["herbs"] + p["against"],
                    f"{PAIR_NAMES[p['set']]}: {', '.join(p['herbs'])} with {', '.join(p['against'])}"
                    " is a classical prohibited combination", p["sources"]) for p in pairs_within(kb, herb_ids)]


def _herb_findings(kb, records, grams, pregnant) -> list[Finding]:
    out = []
    for hid, h in records.items():
        if h is None:
            out.append(Finding("no-data", "unknown-herb", [hid], f"{hid}: no record, so no safety data"))
            continue
        if h["status"] in ("banned", "prohibited"):
            sub = f"; use {h['substitute']}" if h.get("substitute") else ""
            out.append(Finding("contraindicated", "banned", [hid], f"{h['pinyin']} is {h['status']}{sub}", h["sources"]))
        sev = {"high": "major", "moderate": "moderate", "slight": "minor"}.get(h["toxicity"])
        if sev:
            out.append(Finding(sev, "toxic", [hid], f"{h['pinyin']} is toxic ({h['toxicity']}): processed form and dose matter",
                               h["sources"]))
        for other in h["confusable"]:
            o = kb.get("herbs", other)
            if o and o["status"] in ("banned", "prohibited"):
                out.append(Finding("major", "look-alike", [hid, other],
                                   f"{h['pinyin']} is confused with {o['pinyin']} ({o['status']}): check the label and species",
                                   o["sources"]))
        g = grams.get(hid)
        if g and h["dose_g"] and g > h["dose_g"][1]:
            sev = "major" if h["toxicity"] != "none" else "moderate"
            out.append(Finding(sev, "dose", [hid], f"{h['pinyin']} {g:g} g is above the usual range "
                                                  f"{h['dose_g'][0]:g}-{h['dose_g'][1]:g} g", ["chp2020"]))
        if pregnant:
            kinds = {c["kind"]: c for c in h["cautions"]}
            if "pregnancy-contraindicated" in kinds:
                c = kinds["pregnancy-contraindicated"]
                out.append(Finding("contraindicated", "pregnancy", [hid], f"{h['pinyin']}: {c['text']}", c["sources"]))
            elif "pregnancy-caution" in kinds:
                c = kinds["pregnancy-caution"]
                out.append(Finding("moderate", "pregnancy", [hid], f"{h['pinyin']}: {c['text']}", c["sources"]))
    return out


def _drug_findings(kb, records, drugs, context=None) -> list[Finding]:
    out = []
    for text in drugs or []:
        label, classes = resolve_drug(kb, text)
        hits = herbs_interacting(kb, classes, list(records))
        silent = []
        for hid in records:
            items = hits.get(hid)
            if not items:
                silent.append(hid)
                continue
            worst = interaction_summary(items)
            what = context or label
            out.append(Finding(worst["severity"], "interaction", [hid, label],
                               f"{hid} with {what}: {worst['effect']}", worst["sources"]))
        if silent and context is None:
            out.append(Finding("no-data", "interaction", [*silent, label],
                               f"no interaction data for {label} with {', '.join(silent)}: not known to be safe"))
    return out


def _point_findings(kb, points, pregnant, bleeding_risk, pacemaker) -> list[Finding]:
    out = []
    caveat = [i["text"] for i in kb.safety.get("pregnancy_caveat", [])]
    for p in points:
        for c in p["cautions"]:
            if c["kind"] == "pregnancy" and pregnant:
                note = f" ({caveat[0]})" if caveat else ""
                out.append(Finding("moderate", "pregnancy", [p["code"]], f"{p['code']}: {c['text']}{note}",
                                   c["sources"] + ["carr2015"]))
            elif c["kind"] == "organ":
                out.append(Finding("moderate", "organ-risk", [p["code"]], f"{p['code']}: {c['text']}", c["sources"]))
            elif c["kind"] in ("vessel", "bleeding"):
                sev = "major" if bleeding_risk else "minor"
                out.append(Finding(sev, "vessel-risk", [p["code"]], f"{p['code']}: {c['text']}", c["sources"]))
    if pacemaker and points:
        out.append(Finding("major", "pacemaker", [p["code"] for p in points],
                           "implanted device: no electroacupuncture; manual needling only"))
    return out
