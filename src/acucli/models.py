"""The one schema: every record kind as a typed dataclass.

Validation (acucli.validate), the JSON shape of records, the cache key
(acucli.kb) and the reference part of docs/data-format.md (acucli.schema_doc)
are all derived from the classes below. To add a field, add it here: the
validator accepts it, the cache is rebuilt, and the docs test says what to
paste into the docs.

Each field's metadata says how the YAML value is checked:

  check:    text | cjk | texts | choice | choices | int | number | range | flag |
            record | records | custom name (a function in acucli.validate)
  required: the key must be present and non-empty (default True for text)
  values:   the closed vocabulary for choice / choices
  doc:      one line for the docs
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field

from acucli import schema as S


def f(check: str, doc: str, *, required: bool = True, values=None, default=None, model=None,
      null_ok: bool = False):
    """A field of a record kind (see the module docstring)."""
    meta = {"check": check, "doc": doc, "required": required, "values": values, "model": model,
            "null_ok": null_ok}
    if check in ("texts", "choices", "records"):
        return field(default_factory=list, metadata=meta)
    if check == "record":
        return field(default=None, metadata=meta)
    return field(default=default, metadata=meta)


# ------------------------------------------------------------ claim items


def sources_field():
    return f("texts", "reference ids", required=False)


def basis_field():
    return f("choice", "when no source: traditional, theoretical or consensus", required=False,
             values=S.BASIS)


# A class with CLAIM = True makes a claim: it needs `sources` or `basis`.


@dataclass
class Claim:
    """Anything that makes a claim: its text, and its sources or basis."""
    CLAIM = True
    text: str = f("text", "the claim, in our own words")
    sources: list = sources_field()
    basis: typing.Optional[str] = basis_field()


@dataclass
class PointCaution:
    CLAIM = True
    kind: str = f("choice", "what the caution is about", values=S.POINT_CAUTIONS)
    text: str = f("text", "what to watch for")
    sources: list = sources_field()
    basis: typing.Optional[str] = basis_field()


@dataclass
class HerbCaution:
    CLAIM = True
    kind: str = f("choice", "what the caution is about", values=S.HERB_CAUTIONS)
    text: str = f("text", "what to watch for")
    sources: list = sources_field()
    basis: typing.Optional[str] = basis_field()


@dataclass
class HerbInteraction:
    CLAIM = True
    drug: str = f("choice", "drug class", values=S.DRUGS)
    text: str = f("text", "what to watch for")
    sources: list = sources_field()
    basis: typing.Optional[str] = basis_field()


# ----------------------------------------------------------------- kinds


@dataclass
class Reference:
    id: str = f("text", "the id records cite")
    citation: str = f("text", "full citation")
    kind: str = f("choice", "kind of source", values=S.REFERENCE_KINDS)
    doi: typing.Optional[str] = f("text", "DOI, as given by the publisher", required=False)
    pmid: typing.Optional[str] = f("text", "PubMed id", required=False)
    pmcid: typing.Optional[str] = f("text", "PubMed Central id", required=False)
    cochrane: typing.Optional[str] = f("text", "Cochrane review id", required=False)
    url: typing.Optional[str] = f("text", "where the source can be read", required=False)


@dataclass
class Meridian:
    code: str = f("text", "channel code (KI, GV, EX)")
    kind: str = f("choice", "kind of channel", values=S.MERIDIAN_KINDS)
    english: str = f("text", "English name")
    pinyin: str = f("text", "pinyin with tone marks")
    hanzi: str = f("cjk", "simplified hanzi")
    hanzi_traditional: typing.Optional[str] = f("cjk", "traditional hanzi", required=False)
    point_count: typing.Optional[int] = f("int", "number of points; null for vessels without their own",
                                          required=False)
    other_codes: list = f("texts", "other codes people type (K, R, N)", required=False)
    other_names: list = f("texts", "other names people type", required=False)
    phase: typing.Optional[str] = f("choice", "five phase (primary channels)", required=False,
                                    values=S.PHASES)
    summary: str = f("text", "what the channel is")
    sources: list = f("texts", "reference ids", required=False)


@dataclass
class Alias:
    name: str = f("text", "a name people type")
    note: typing.Optional[str] = f("text", "where the name comes from, or what it gets wrong",
                                   required=False)


@dataclass
class Needling:
    method: str = f("choice", "how the point is treated", values=S.NEEDLE_METHODS)
    angle: str = f("choice", "angle of insertion", values=S.NEEDLE_ANGLES)
    depth_cun: typing.Optional[list] = f("range", "[min, max] depth in cun; null when not needled",
                                         null_ok=True)
    direction: typing.Optional[str] = f("text", "direction of the needle", required=False)
    moxibustion: str = f("choice", "moxibustion rule (docs: 'Moxibustion')", values=S.MOXA)


@dataclass
class Category:
    name: str = f("choice", "category name", values=tuple(S.CATEGORIES))
    value: typing.Any = f("text", "qualifier (see Categories)", required=False)


@dataclass
class Point:
    code: str = f("text", "WHO code (ST36, EX-HN3), or upper-case pinyin for a non-WHO point")
    channel: str = f("text", "meridian code; EX for WHO extra points, NW for non-WHO points")
    number: int = f("int", "number on its channel (or list)")
    pinyin: str = f("text", "pinyin with tone marks")
    hanzi: str = f("cjk", "simplified hanzi")
    hanzi_traditional: str = f("cjk", "traditional hanzi")
    english: str = f("text", "English name, unique to this point")
    aliases: list = f("custom:aliases", "other names people type: a name, or {name, note}",
                      required=False, model=Alias)
    other_codes: list = f("texts", "codes in other standards that mean this point", required=False)
    old_codes: list = f("texts", "codes this point had in older numbering (shown, never resolved silently)",
                        required=False)
    regions: list = f("choices", "body regions", values=S.REGIONS)
    location: str = f("text", "where it is, in our own words")
    locating: str = f("text", "how to find it")
    needling: Needling = f("record", "needling", model=Needling)
    categories: list = f("custom:categories", "a name, or a single-key mapping name: qualifier",
                         model=Category)
    actions: list = f("texts", "traditional actions, short phrases")
    indications: list = f("texts", "traditional indications, short phrases")
    cautions: list = f("records", "cautions (may be empty: [])", model=PointCaution)
    sources: list = f("texts", "reference ids")


@dataclass
class HerbForm:
    name: str = f("text", "processed form (法半夏)")
    note: typing.Optional[str] = f("text", "what the processing changes", required=False)


@dataclass
class Herb:
    id: str = f("text", "lower-case pinyin joined by hyphens")
    pinyin: str = f("text", "pinyin with tone marks")
    hanzi: str = f("cjk", "simplified hanzi")
    hanzi_traditional: str = f("cjk", "traditional hanzi")
    latin: str = f("text", "pharmaceutical Latin (ChP order: Eucommiae Cortex)")
    species: list = f("texts", "source species (binomial and authority)")
    english: str = f("text", "English name")
    trade_names: list = f("texts", "English trade and common names", required=False)
    aliases: list = f("texts", "other names people type (variant hanzi, processed forms ...)",
                      required=False)
    category: str = f("choice", "materia medica chapter", values=tuple(S.HERB_CATEGORIES))
    subcategory: str = f("text", "section of the chapter (see Herb categories)")
    nature: str = f("choice", "temperature", values=S.NATURES)
    flavors: list = f("choices", "flavours", values=S.FLAVORS)
    channels: list = f("choices", "channels entered", values=S.ORGAN_CHANNELS)
    actions: list = f("texts", "traditional actions")
    indications: list = f("texts", "traditional indications")
    dose_g: typing.Optional[list] = f("range", "[min, max] daily dose in g; null when not taken internally",
                                      null_ok=True)
    preparation: str = f("text", "how it is prepared and used")
    forms: list = f("records", "processed forms", required=False, model=HerbForm)
    toxicity: str = f("choice", "toxicity grade", values=S.TOXICITY)
    status: str = f("choice", "legal and safety status", values=S.HERB_STATUS)
    cautions: list = f("records", "cautions (may be empty: [])", model=HerbCaution)
    interactions: list = f("records", "short interaction notes by drug class", required=False,
                           model=HerbInteraction)
    confusable: list = f("texts", "herb ids it is confused with", required=False)
    substitute: typing.Optional[str] = f("text", "herb id used in its place", required=False)
    sources: list = f("texts", "reference ids")


@dataclass
class ChineseName:
    hanzi: str = f("cjk", "simplified hanzi")
    hanzi_traditional: typing.Optional[str] = f("cjk", "traditional hanzi", required=False)
    pinyin: str = f("text", "pinyin with tone marks")
    note: typing.Optional[str] = f("text", "what the name means or covers", required=False)


@dataclass
class Pattern:
    CLAIM = True
    name: str = f("text", "pattern name")
    features: typing.Optional[str] = f("text", "how it presents", required=False)
    add_points: list = f("texts", "point codes added", required=False)
    herbs: list = f("texts", "herb ids", required=False)
    formulas: list = f("texts", "formula ids", required=False)
    sources: list = sources_field()
    basis: typing.Optional[str] = basis_field()


@dataclass
class PrescriptionItem:
    CLAIM = True
    code: typing.Optional[str] = f("text", "point code (a WHO, extra or non-WHO point)", required=False)
    site: typing.Optional[str] = f("choice", "instead of a code: a site that is not one point",
                                   required=False, values=S.RX_SITES)
    level: typing.Optional[str] = f("text", "for site jiaji: the spinal levels (C4-C7)", required=False)
    ear_point: typing.Optional[str] = f("text", "for site ear: the auricular point", required=False)
    role: str = f("choice", "why it is chosen", values=S.RX_ROLES)
    status: str = f("choice", "core, optional, or named by others but not standard",
                    values=S.RX_STATUS)
    why: str = f("text", "why, in our own words")
    sources: list = sources_field()
    basis: typing.Optional[str] = basis_field()


@dataclass
class Suggestion:
    """A herb or formula suggested for a condition."""
    CLAIM = True
    id: str = f("text", "herb or formula id")
    why: str = f("text", "why")
    sources: list = sources_field()
    basis: typing.Optional[str] = basis_field()


@dataclass
class Protocol:
    retention_min: typing.Optional[list] = f("range", "[min, max] minutes; null if unknown", null_ok=True)
    frequency: str = f("text", "how often")
    course: str = f("text", "how long")
    notes: typing.Optional[str] = f("text", "anything else", required=False)
    sources: list = f("texts", "reference ids", required=False)


@dataclass
class Evidence:
    grade: str = f("choice", "honest grade", values=S.GRADES)
    traditional_only: bool = f("flag", "true when there is no clinical evidence", required=False,
                               default=False)
    summary: str = f("text", "what is known, and what is not")
    findings: list = f("records", "findings, each with sources", required=False, model=Claim)


@dataclass
class Guideline:
    CLAIM = True
    body: typing.Optional[str] = f("text", "guideline and year", required=False)
    position: str = f("choice", "its position on acupuncture", values=S.GUIDELINE_POSITIONS)
    text: str = f("text", "what it says")
    sources: list = sources_field()
    basis: typing.Optional[str] = basis_field()


@dataclass
class ClaimVerdict:
    CLAIM = True
    claim: typing.Optional[str] = f("text", "a claim you may have read", required=False)
    verdict: str = f("choice", "what the evidence says of it", values=S.VERDICTS)
    why: str = f("text", "why")
    sources: list = sources_field()
    basis: typing.Optional[str] = basis_field()


@dataclass
class Condition:
    id: str = f("text", "lower-case words joined by hyphens")
    name: str = f("text", "name")
    aliases: list = f("texts", "names people type: synonyms, abbreviations, lay phrasing, hanzi",
                      required=False)
    chinese: list = f("records", "TCM disease names", required=False, model=ChineseName)
    group: typing.Optional[str] = f("text", "a shared name for subtypes (back pain)", required=False)
    summary: str = f("text", "plain-language summary")
    patterns: list = f("records", "traditional pattern-based additions", required=False, model=Pattern)
    prescription: list = f("records", "points and sites", model=PrescriptionItem)
    herbs: list = f("records", "herbs", required=False, model=Suggestion)
    formulas: list = f("records", "formulas", required=False, model=Suggestion)
    protocol: typing.Optional[Protocol] = f("record", "how treatment is given", required=False,
                                            model=Protocol)
    evidence: Evidence = f("record", "the evidence", model=Evidence)
    guidelines: list = f("records", "guideline positions", required=False, model=Guideline)
    red_flags: list = f("records", "refer first when", required=False, model=Claim)
    lifestyle: list = f("records", "self-care", required=False, model=Claim)
    claims: list = f("records", "claims you may have read, with verdicts", required=False,
                     model=ClaimVerdict)
    cautions: list = f("records", "condition-specific cautions", required=False, model=Claim)
    sources: list = f("texts", "reference ids")


@dataclass
class FormulaSource:
    text: str = f("cjk", "the classical text, in hanzi")
    pinyin: typing.Optional[str] = f("text", "its pinyin", required=False)
    english: typing.Optional[str] = f("text", "its English title", required=False)
    author: typing.Optional[str] = f("text", "author", required=False)
    era: str = f("text", "dynasty or era")
    year: typing.Optional[int] = f("int", "year, where well established", required=False)


@dataclass
class Ingredient:
    herb: str = f("text", "herb id")
    dose_g: typing.Any = f("custom:dose", "modern textbook dose in g: a number or [min, max]",
                           required=False)
    role: str = f("choice", "chief 君, deputy 臣, assistant 佐, envoy 使", values=S.FORMULA_ROLES)
    note: typing.Optional[str] = f("text", "how it is added", required=False)


@dataclass
class FormulaCaution:
    CLAIM = True
    kind: str = f("choice", "what the caution is about", values=S.FORMULA_CAUTIONS)
    text: str = f("text", "what to watch for")
    sources: list = sources_field()
    basis: typing.Optional[str] = basis_field()


@dataclass
class Formula:
    id: str = f("text", "lower-case pinyin joined by hyphens")
    pinyin: str = f("text", "pinyin with tone marks")
    hanzi: str = f("cjk", "simplified hanzi")
    hanzi_traditional: str = f("cjk", "traditional hanzi")
    english: str = f("text", "English name")
    aliases: list = f("texts", "other names people type", required=False)
    source: FormulaSource = f("record", "where it comes from", model=FormulaSource)
    category: str = f("choice", "formulas chapter", values=S.FORMULA_CATEGORIES)
    subcategory: typing.Optional[str] = f("text", "section of the chapter", required=False)
    composition: list = f("records", "herbs, doses and roles", model=Ingredient)
    preparation: str = f("text", "how it is prepared")
    actions: list = f("texts", "traditional actions")
    indications: list = f("texts", "traditional indications")
    patterns: list = f("texts", "patterns it treats", required=False)
    modifications: list = f("records", "common modifications", required=False, model=Claim)
    cautions: list = f("records", "its own cautions (its herbs' cautions are added)", required=False,
                       model=FormulaCaution)
    sources: list = f("texts", "reference ids")


@dataclass
class DrugClass:
    id: str = f("text", "class id (anticoagulants)")
    name: str = f("text", "name shown")
    note: typing.Optional[str] = f("text", "what it covers", required=False)


@dataclass
class Drug:
    id: str = f("text", "generic name, lower case")
    names: list = f("texts", "generic and brand names people type")
    classes: list = f("texts", "drug class ids")


@dataclass
class Interaction:
    CLAIM = True
    herb: str = f("text", "herb id")
    drug: str = f("text", "drug id or drug class id")
    effect: str = f("text", "what happens")
    mechanism: typing.Optional[str] = f("text", "why, as far as known", required=False)
    severity: str = f("choice", "how serious", values=S.SEVERITIES)
    evidence: str = f("choice", "kind of evidence", values=S.EVIDENCE_KINDS)
    sources: list = sources_field()
    basis: typing.Optional[str] = basis_field()


@dataclass
class Incompatibility:
    CLAIM = True
    id: str = f("text", "pair id")
    set: str = f("choice", "十八反 or 十九畏", values=S.INCOMPATIBILITY_SETS)
    group: typing.Optional[str] = f("text", "classical group (乌头反)", required=False)
    herbs: list = f("texts", "herb ids on one side")
    against: list = f("texts", "herb ids on the other side")
    classical_source: typing.Optional[str] = f("text", "classical text", required=False)
    pharmacopoeia: typing.Optional[str] = f("text", "how the pharmacopoeia words it", required=False)
    note: typing.Optional[str] = f("text", "anything else", required=False)
    sources: list = sources_field()
    basis: typing.Optional[str] = basis_field()


@dataclass
class Note:
    text: str = f("text", "your note")
    point: typing.Optional[str] = f("text", "a point code", required=False)
    herb: typing.Optional[str] = f("text", "a herb id", required=False)
    condition: typing.Optional[str] = f("text", "a condition id", required=False)
    formula: typing.Optional[str] = f("text", "a formula id", required=False)


# ------------------------------------------------------------ the kinds


@dataclass(frozen=True)
class Kind:
    name: str          # top-level YAML key
    model: type
    key: str           # the field records are keyed by
    singular: str


_CLASSES = {
    "references": (Reference, "reference"), "meridians": (Meridian, "meridian"), "points": (Point, "point"),
    "herbs": (Herb, "herb"), "formulas": (Formula, "formula"), "conditions": (Condition, "condition"),
    "drug_classes": (DrugClass, "drug class"), "drugs": (Drug, "drug"),
    "interactions": (Interaction, "interaction"), "incompatibilities": (Incompatibility, "incompatibility"),
}
# The kinds and their keys are acucli.schema.RECORD_KINDS (the warm path reads
# them without importing this module); here each gets its class.
KINDS = {name: Kind(name, _CLASSES[name][0], key or "_auto", _CLASSES[name][1])
         for name, key in S.RECORD_KINDS.items()}
KEYED = {name: key for name, key in S.RECORD_KINDS.items() if key}
# Top-level keys that are not lists of records.
OTHER_TOP_LEVEL = ("safety", "notes", "shared_aliases")
TOP_LEVEL = tuple(KINDS) + OTHER_TOP_LEVEL


def fields_of(model: type) -> list:
    return list(dataclasses.fields(model))


def field_names(model: type) -> list[str]:
    return [x.name for x in dataclasses.fields(model)]


def describe(model: type, seen=None) -> str:
    """A canonical text of a model and its nested models (for the cache key)."""
    seen = seen if seen is not None else set()
    if model in seen:
        return model.__name__
    seen.add(model)
    parts = [model.__name__]
    for x in dataclasses.fields(model):
        m = x.metadata
        sub = describe(m["model"], seen) if m.get("model") else ""
        values = ",".join(map(str, m["values"])) if m.get("values") else ""
        parts.append(f"{x.name}:{m['check']}:{m['required']}:{values}:{sub}")
    return "(" + ";".join(parts) + ")"


def schema_digest() -> str:
    """A digest of the schema as code (models.py and schema.py): any change to a
    kind, field or vocabulary changes it, and with it the cache's name."""
    from acucli.kb import _schema_digest

    return _schema_digest()


_T = typing.TypeVar("_T")


def build(model: typing.Type[_T], data: dict) -> _T:
    """A typed record from its JSON shape (as validated and cached)."""
    kwargs = {}
    for x in dataclasses.fields(model):
        if x.name not in data:
            continue
        v = data[x.name]
        sub = x.metadata.get("model")
        if sub is not None and v is not None:
            if isinstance(v, list):
                v = [build(sub, i) if isinstance(i, dict) else i for i in v]
            elif isinstance(v, dict):
                v = build(sub, v)
        kwargs[x.name] = v
    return model(**kwargs)


def to_dict(record) -> dict:
    """The JSON shape of a typed record."""
    return dataclasses.asdict(record)
