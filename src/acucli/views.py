"""Views: how each record kind becomes a listing row, a flat card row (TSV/CSV)
and the columns of each. The JSON shape of a record is its model's
(acucli.models); these add only derived, documented keys (docs/output.md)."""

from __future__ import annotations

from acucli import query as q


def split_queries(kb, words: list[str]) -> list[str]:
    """`acu point zu san li` is one name; `acu point KI3 ST36` is two points."""
    from acucli.resolve import resolver

    if len(words) > 1:
        r = resolver(kb)
        if not all(r.parse_code(w)[0] for w in words):
            joined = " ".join(words)
            if r.point(joined).records:
                return [joined]
    return words


def add_charts(details: list[dict]) -> None:
    """Each point card's `chart` (placements {view, x, y}) and, for a terminal, where to look."""
    from acucli import charts

    try:
        placed = charts.placements(details)
    except charts.ChartError:
        placed = {}
    for d in details:
        d["chart"] = placed.get(d["code"], [])
        d["chart_hint"] = charts.where(d["code"]) if d["chart"] else "no chart placement"


def candidate_rows(kind: str, kb, records: list[dict]) -> list[dict]:
    """The rows an ambiguous name lists, for any kind."""
    if kind == "points":
        return [q.point_row(kb, p) for p in records]
    if kind == "herbs":
        return [q.herb_row(h) for h in records]
    if kind == "conditions":
        return [q.condition_row(c) for c in records]
    if kind == "formulas":
        from acucli import formulas

        return [formulas.formula_row(kb, f) for f in records]
    return [{"id": r.get("id") or r.get("code")} for r in records]


POINT_CARD_COLUMNS = [
    "code", "pinyin", "hanzi", "hanzi_traditional", "english", "channel", "number", "regions",
    "location", "locating", "needling", "moxibustion", "categories", "actions", "indications",
    "cautions", "notes", "sources",
]


def flat_point(d: dict) -> dict:
    texts = {c["text"] for c in d["cautions"]}
    return {
        **{k: d[k] for k in ("code", "pinyin", "hanzi", "hanzi_traditional", "english", "channel",
                             "number", "regions", "location", "locating", "actions", "indications",
                             "sources")},
        "needling": d["needling_summary"],
        "moxibustion": d["needling"].get("moxibustion"),
        "categories": d["category_labels"],
        "cautions": [f"{c['kind']}: {c['text']}" for c in d["cautions"]]
        + [f"{w['flag']}: " + ("marked for this patient (caution above)" if w["text"] in texts else w["text"])
           for w in d.get("warnings", [])],
        "notes": d.get("notes", []),
    }


CONDITION_CARD_COLUMNS = ["id", "name", "grade", "summary", "points", "red_flags", "guidelines", "sources"]


def flat_condition(d: dict) -> dict:
    return {
        "id": d["id"], "name": d["name"], "grade": d["evidence"].get("grade"),
        "summary": d["summary"],
        "points": [f"{q.rx_label(i)} ({i['role']}, {i['status']})" for i in d["prescription"]],
        "red_flags": [r["text"] for r in d["red_flags"]],
        "guidelines": [f"{g['body']}: {g['position']}" for g in d["guidelines"]],
        "sources": d["sources"],
    }


HERB_CARD_COLUMNS = ["id", "pinyin", "hanzi", "latin", "english", "status", "category", "nature",
                     "flavors", "channels", "dose_g", "safety", "cautions", "interactions", "actions"]


def flat_herb(d: dict) -> dict:
    return {
        **{k: d[k] for k in ("id", "pinyin", "hanzi", "latin", "english", "status", "category",
                             "nature", "flavors", "channels", "safety", "actions")},
        "dose_g": f"{d['dose_g'][0]:g}-{d['dose_g'][1]:g}" if d["dose_g"] else "",
        "cautions": [f"{c['kind']}: {c['text']}" for c in d["cautions"]],
        "interactions": [f"{i['drug']}: {i['text']}" for i in d["interactions"]],
    }


FORMULA_CARD_COLUMNS = ["id", "pinyin", "hanzi", "english", "category", "source", "composition",
                        "safety", "actions", "indications", "cautions"]


def flat_formula(d: dict) -> dict:
    def dose(i):
        g = i.get("dose_g")
        return f" {g[0]:g}-{g[1]:g} g" if isinstance(g, list) else (f" {g:g} g" if g else "")
    return {
        **{k: d[k] for k in ("id", "pinyin", "hanzi", "english", "category", "safety", "actions", "indications")},
        "source": f"{d['source']['text']} ({d['source']['era']})",
        "composition": [f"{i['herb']}{dose(i)} ({i['role']})" for i in d["composition"]],
        "cautions": [f"{c['kind']}: {c['text']}" for c in d["cautions"]]
        + [f"{c['herb']} {c['kind']}: {c['text']}" for c in d["herb_cautions"]],
    }
