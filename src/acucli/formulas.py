"""Formulas (方剂): listing rows, the card as data, and the cautions a formula
inherits from its herbs. Plain data; no terminals."""

from __future__ import annotations

from acucli import query as q
from acucli.text import fold

# Herb cautions a formula card repeats, because they travel with the herb.
INHERITED = ("pregnancy-contraindicated", "pregnancy-caution", "toxicity", "hepatotoxicity",
             "nephrotoxicity", "regulatory", "dose-limit")


def formula_row(kb, f: dict) -> dict:
    return {
        "id": f["id"], "pinyin": f["pinyin"], "hanzi": f["hanzi"], "english": f["english"],
        "category": f["category"], "herbs": [i["herb"] for i in f["composition"]],
        "safety": formula_safety(kb, f),
    }


def formula_safety(kb, f: dict) -> list[str]:
    """Short labels, never empty: what nobody should miss about this formula."""
    out = []
    drugs: dict = {}  # drug -> the herbs that interact with it
    for ing in f["composition"]:
        h = kb.get("herbs", ing["herb"])
        if h is None:
            out.append(f"no data: {ing['herb']}")
            continue
        for drug in q.herb_drugs(h):
            drugs.setdefault(drug, []).append(h["id"])
        for label in q.herb_safety(h):
            if not label.startswith("interacts: ") and label not in ("see cautions", "no data"):
                tag = f"{label}: {h['id']}"
                if tag not in out:
                    out.append(tag)
    out += [f"interacts: {drug} ({', '.join(dict.fromkeys(ids))})" for drug, ids in drugs.items()]
    out += [c["kind"] for c in f["cautions"] if c["kind"] not in out]
    return out or ["see cautions"]


def inherited_cautions(kb, f: dict) -> list[dict]:
    """Each herb's own safety cautions, named by herb, for the formula card."""
    out = []
    for ing in f["composition"]:
        h = kb.get("herbs", ing["herb"])
        if h is None:
            out.append({"herb": ing["herb"], "kind": "general", "text": "no record of this herb: no data",
                        "sources": [], "basis": None})
            continue
        if h["status"] in ("banned", "prohibited"):
            out.append({"herb": h["id"], "kind": "regulatory",
                        "text": f"{h['pinyin']} is {h['status']}" + (
                            f"; use {h['substitute']}" if h.get("substitute") else ""),
                        "sources": h["sources"], "basis": None})
        for c in h["cautions"]:
            if c["kind"] in INHERITED:
                out.append({"herb": h["id"], **c})
    return out


def formula_detail(kb, f: dict) -> dict:
    from acucli.check import pairs_within

    out = q.public(f)
    comp = []
    for ing in f["composition"]:
        h = kb.get("herbs", ing["herb"])
        comp.append({**ing, "pinyin": h["pinyin"] if h else None, "hanzi": h["hanzi"] if h else None,
                     "safety": q.herb_safety(h) if h else ["no data"]})
    out["composition"] = comp
    out["safety"] = formula_safety(kb, f)
    out["herb_cautions"] = inherited_cautions(kb, f)
    out["incompatible_pairs"] = pairs_within(kb, [i["herb"] for i in f["composition"]])
    out["notes"] = [n["text"] for n in kb.notes_for("formulas", f["id"])]
    return out


def list_formulas(lib, herb=None, category=None, pattern=None, search=None) -> list[dict]:
    from acucli import schema as S

    kb = lib.kb
    forms = list(kb.section("formulas"))
    if herb is not None:
        hid = lib.herb_record(herb)["id"]
        forms = [f for f in forms if any(i["herb"] == hid for i in f["composition"])]
    if category is not None:
        cat = q.check_choice(category, S.FORMULA_CATEGORIES, "formula category")
        forms = [f for f in forms if f["category"] == cat]
    if pattern is not None:
        words = q.terms(pattern)
        forms = [f for f in forms if all(w in fold(" ".join(f["patterns"] + f["indications"])) for w in words)]
    if search is not None:
        words = q.terms(search)
        forms = [f for f in forms if all(w in _haystack(f) for w in words)]
    return forms


def _haystack(f: dict) -> str:
    return fold(" ".join([f["id"], f["pinyin"], f["hanzi"], f["english"], *f["aliases"], *f["actions"],
                          *f["indications"], *f["patterns"], f["category"]]))
