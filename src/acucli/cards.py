"""Cards: what a record looks like as a page of text, independent of how it
is drawn (Rich panel, Markdown). Safety goes first, as alerts."""

from __future__ import annotations

from dataclasses import dataclass, field

from acucli.query import needling_label, rx_label


@dataclass
class Card:
    title: str
    subtitle: str = ""
    alerts: list = field(default_factory=list)
    sections: list = field(default_factory=list)  # (heading, str | list[str])


def _cite(item: dict) -> str:
    if item.get("sources"):
        return f" [{', '.join(item['sources'])}]"
    if item.get("basis"):
        return f" ({item['basis']})"
    return ""


def point_card(d: dict, no_data: str = "") -> Card:
    title = f"{d['code']}  {d['pinyin']}  {d['hanzi']}"
    if d["hanzi_traditional"] != d["hanzi"]:
        title += f" ({d['hanzi_traditional']})"
    card = Card(title, f"{d['english']} · {d['channel']} {d['number']}")
    for change in d.get("overlay_changes", []):
        card.alerts.append(f"CHANGED BY AN OVERLAY: {change}")
    for w in d.get("warnings", []):
        card.alerts.append(f"{w['flag'].upper()}: {w['text']}")
    n = d["needling"]
    if n.get("method") == "not-needled":
        card.alerts.append("NOT NEEDLED: this point is a landmark or is treated by other means only.")
    aliases = [a["name"] + (f" ({a['note']})" if a.get("note") else "") for a in d["aliases"]]
    other = d["other_codes"] + [f"{c} (older numbering)" for c in d["old_codes"]]
    if aliases:
        card.sections.append(("Also called", aliases))
    if other:
        card.sections.append(("Other codes", ", ".join(other)))
    card.sections.append(("Region", ", ".join(d["regions"])))
    if d.get("chart_hint"):
        card.sections.append(("Chart", f"{d['chart_hint']} (acu chart {d['code']} -o {d['code']}.svg)"))
    card.sections.append(("Location", d["location"]))
    card.sections.append(("Locating", d["locating"]))
    moxa = {"allowed": "moxibustion: yes", "caution": "moxibustion: with caution",
            "forbidden": "moxibustion: FORBIDDEN"}.get(n.get("moxibustion"), "")
    card.sections.append(("Needling", "; ".join(x for x in (needling_label(n), moxa) if x)))
    if d["category_labels"]:
        card.sections.append(("Categories", d["category_labels"]))
    card.sections.append(("Actions (traditional)", d["actions"]))
    card.sections.append(("Indications (traditional)", d["indications"]))
    cautions = [f"{c['kind']}: {c['text']}{_cite(c)}" for c in d["cautions"]]
    card.sections.append(("Cautions", cautions or [no_data or "none recorded; general precautions apply"]))
    if d.get("pregnancy_caveat"):
        card.sections.append(("Pregnancy evidence", d["pregnancy_caveat"]))
    if d.get("notes"):
        card.sections.append(("Your notes", d["notes"]))
    card.sections.append(("Sources", ", ".join(d["sources"])))
    return card


def herb_card(d: dict, no_data: str = "") -> Card:
    title = f"{d['pinyin']}  {d['hanzi']}"
    if d["hanzi_traditional"] != d["hanzi"]:
        title += f" ({d['hanzi_traditional']})"
    card = Card(title, f"{d['latin']} · {d['english']} · id {d['id']}")
    for change in d.get("overlay_changes", []):
        card.alerts.append(f"CHANGED BY AN OVERLAY: {change}")
    if d["status"] == "prohibited":
        sub = f"; substitute: {d['substitute_name']}" if d.get("substitute_name") else ""
        card.alerts.append(f"PROHIBITED: never use{sub}.")
    elif d["status"] == "banned":
        card.alerts.append("BANNED: DO NOT USE.")
    elif d["status"] == "restricted":
        card.alerts.append("RESTRICTED: legal or conservation limits apply (see cautions).")
    if d["toxicity"] != "none":
        card.alerts.append(f"TOXIC ({d['toxicity']}).")
    for c in d["cautions"]:
        if c["kind"] in ("hepatotoxicity", "nephrotoxicity", "pregnancy-contraindicated"):
            card.alerts.append(f"{c['kind'].upper()}: {c['text']}")
    for i in d["interactions"]:
        card.alerts.append(f"INTERACTS with {i['drug']}: {i['text']}{_cite(i)}")
    if d["trade_names"] or d["aliases"]:
        card.sections.append(("Also called", d["trade_names"] + d["aliases"]))
    card.sections.append(("Source", ", ".join(d["species"])))
    card.sections.append(("Category", f"{d['category']} / {d['subcategory']}"))
    card.sections.append(("Nature, flavour", f"{d['nature']}; {', '.join(d['flavors'])}"))
    card.sections.append(("Channels", ", ".join(d["channels"])))
    card.sections.append(("Actions (traditional)", d["actions"]))
    card.sections.append(("Indications (traditional)", d["indications"]))
    dose = f"{d['dose_g'][0]:g}-{d['dose_g'][1]:g} g a day in decoction" if d["dose_g"] else "no dose: not for use"
    card.sections.append(("Dose", dose))
    card.sections.append(("Preparation", d["preparation"]))
    if d["forms"]:
        card.sections.append(("Forms", [f["name"] + (f": {f['note']}" if f.get("note") else "") for f in d["forms"]]))
    cautions = [f"{c['kind']}: {c['text']}{_cite(c)}" for c in d["cautions"]]
    card.sections.append(("Cautions", cautions or [no_data or "no data; that is not proof of safety"]))
    if d["confusable"]:
        card.sections.append(("Do not confuse with", d["confusable"]))
    if d.get("notes"):
        card.sections.append(("Your notes", d["notes"]))
    card.sections.append(("Sources", ", ".join(d["sources"])))
    return card


def condition_card(d: dict) -> Card:
    ev = d["evidence"]
    card = Card(d["name"], f"id {d['id']} · evidence: {ev.get('grade', '?')}"
                + (" (traditional only)" if ev.get("traditional_only") else ""))
    for note in (d.get("context") or {}).get("notes", []):
        card.alerts.append(note)
    chinese = {c["hanzi"] for c in d["chinese"]} | {c.get("hanzi_traditional") for c in d["chinese"]}
    names = [a for a in d["aliases"] if a not in chinese] + [
        f"{c['hanzi']}" + (f" ({c['hanzi_traditional']})" if c.get("hanzi_traditional") else "")
        + f" {c['pinyin']}" for c in d["chinese"]]
    if names:
        card.sections.append(("Also called", ", ".join(names)))
    card.sections.append(("Summary", d["summary"]))
    card.sections.append(("Red flags: see a doctor first", [f"{r['text']}" for r in d["red_flags"]] or ["none listed"]))
    card.sections.append(("Evidence", ev.get("summary", "")))
    card.sections.append(("Findings", [f"{f['text']}{_cite(f)}" for f in ev.get("findings", [])] or ["none"]))
    if d["guidelines"]:
        card.sections.append(("Guidelines", [f"{g['body']}: {g['position'].upper()}. {g['text']}{_cite(g)}"
                                             for g in d["guidelines"]]))
    rx = []
    for item in d["prescription"]:
        label = f"{rx_label(item)} {item.get('pinyin', '')} {item.get('hanzi', '')}".strip()
        status = "" if item["status"] == "core" else f" [{item['status'].upper()}]"
        warn = "".join(f" [{w['flag'].upper()}: see caution]" for w in item.get("warnings", []))
        caution = f" (cautions: {', '.join(item['caution_kinds'])})" if item.get("caution_kinds") else ""
        rx.append(f"{label} - {item['role']}{status}: {item['why']}{caution}{warn}")
    card.sections.append(("Points", rx))
    if d["patterns"]:
        card.sections.append(("Patterns (traditional)", [
            f"{p['name']}: add {', '.join(p['add_points']) or '-'}"
            + (f"; herbs {', '.join(p['herbs'])}" if p["herbs"] else "")
            + (f"; formulas {', '.join(p['formulas'])}" if p["formulas"] else "") for p in d["patterns"]]))
    formulas = [f"{f.get('pinyin') or f['id']} {f.get('hanzi') or ''}: {f['why']} [{'; '.join(f['safety'])}]"
                for f in d.get("formulas") or []]
    formulas += [f"{f.get('pinyin') or f['id']} {f.get('hanzi') or ''}: for the {' and '.join(f['patterns'])} "
                 f"pattern [{'; '.join(f['safety'])}]" for f in d.get("pattern_formulas") or []]
    if formulas:
        card.sections.append(("Formulas (traditional)", formulas))
    if d["herbs"]:
        card.sections.append(("Herbs (traditional)", [
            f"{h.get('pinyin', h['id'])} {h.get('hanzi', '')}: {h['why']}"
            + (f" [{'; '.join(h['safety'])}]" if h.get("safety") else "") for h in d["herbs"]]))
    p = d["protocol"]
    if p:
        ret = f"retain {p['retention_min'][0]:g}-{p['retention_min'][1]:g} min; " if p.get("retention_min") else ""
        card.sections.append(("Protocol", sentences(ret + p["frequency"], p["course"], p.get("notes"))
                              + (f" [{', '.join(p['sources'])}]" if p.get("sources") else "")))
    if d["cautions"]:
        card.sections.append(("Cautions", [f"{c['text']}{_cite(c)}" for c in d["cautions"]]))
    if d.get("adverse_events"):
        card.sections.append(("Side effects", d["adverse_events"]))
    if d["lifestyle"]:
        card.sections.append(("What else helps", [f"{x['text']}{_cite(x)}" for x in d["lifestyle"]]))
    if d["claims"]:
        card.sections.append(("Claims you may have read", [
            f"\"{c['claim']}\" - {c['verdict'].upper()}: {c['why']}{_cite(c)}" for c in d["claims"]]))
    if d.get("notes"):
        card.sections.append(("Your notes", d["notes"]))
    card.sections.append(("Sources", ", ".join(d["sources"])))
    return card


def formula_card(d: dict) -> Card:
    src = d["source"]
    card = Card(f"{d['pinyin']}  {d['hanzi']}", f"{d['english']} · {d['category']} · {src['text']} ({src['era']})")
    for p in d["incompatible_pairs"]:
        card.alerts.append(f"Contains a classical prohibited pair: {', '.join(p['herbs'])} with {', '.join(p['against'])}")
    for c in d["cautions"]:
        card.alerts.append(f"{c['kind']}: {c['text']}")

    def dose(i):
        g = i.get("dose_g")
        return f" {g[0]:g}-{g[1]:g} g" if isinstance(g, list) else (f" {g:g} g" if g else " (dose not given)")
    card.sections.append(("Composition", [
        f"{i['hanzi'] or ''} {i['pinyin'] or i['herb']}{dose(i)}, {i['role']}"
        + (f" [{'; '.join(i['safety'])}]" if i["safety"] and i["safety"] != ["see cautions"] else "")
        + (f" ({i['note']})" if i.get("note") else "") for i in d["composition"]]))
    card.sections.append(("Preparation", d["preparation"]))
    card.sections.append(("Actions (traditional)", d["actions"]))
    card.sections.append(("Indications (traditional)", d["indications"]))
    if d["patterns"]:
        card.sections.append(("Patterns", d["patterns"]))
    if d["modifications"]:
        card.sections.append(("Modifications", [m["text"] for m in d["modifications"]]))
    if d["herb_cautions"]:
        card.sections.append(("Cautions of its herbs", [f"{c['herb']}: {c['text']}" for c in d["herb_cautions"]]))
    if d.get("notes"):
        card.sections.append(("Your notes", d["notes"]))
    card.sections.append(("Sources", ", ".join(d["sources"])))
    return card


def sentences(*parts) -> str:
    """Join sentences without doubling their punctuation (no ".;" or "..")."""
    out = []
    for part in parts:
        part = (part or "").strip()
        if not part:
            continue
        if part[-1] not in ".!?":
            part += "."
        out.append(part[0].upper() + part[1:])
    return " ".join(out)


def meridian_card(m: dict, rows: list[dict]) -> Card:
    card = Card(f"{m['code']}  {m['english']}  {m['hanzi']}", m["pinyin"])
    card.sections.append(("Summary", m["summary"]))
    if m["other_codes"]:
        card.sections.append(("Other codes", ", ".join(m["other_codes"])))
    card.sections.append(("Points", [f"{r['code']} {r['pinyin']} {r['hanzi']}" for r in rows] or ["none of its own"]))
    return card
