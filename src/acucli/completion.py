"""Shell-completion candidates. Reads the warm cache, so every TAB stays fast."""

from __future__ import annotations

from acucli import schema as S


def candidates(kind: str, incomplete: str) -> list:
    inc = incomplete.casefold()
    if kind == "region":
        return [r for r in S.REGIONS if r.startswith(inc)]
    if kind == "category":
        return [c for c in S.CATEGORIES if c.startswith(inc)]
    if kind == "herb-category":
        return [c for c in S.HERB_CATEGORIES if c.startswith(inc)]
    from acucli.kb import load

    kb = load()
    if kind == "point":
        return [(p["code"], f"{p['pinyin']} {p['english']}") for p in kb.points
                if p["code"].casefold().startswith(inc)]
    if kind == "meridian":
        return [(m["code"], m["english"]) for m in kb.meridians if m["code"].casefold().startswith(inc)]
    if kind == "condition":
        return [(c["id"], c["name"]) for c in kb.conditions if c["id"].startswith(inc)]
    if kind == "herb":
        return [(h["id"], h["pinyin"]) for h in kb.herbs if h["id"].startswith(inc)]
    return []
