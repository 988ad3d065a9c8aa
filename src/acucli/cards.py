"""Cards: what a record looks like as a page of text, independent of how it
is drawn (Rich panel, Markdown). Safety goes first, as alerts."""

from __future__ import annotations

from dataclasses import dataclass, field

from acucli.query import needling_label


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
    names = d["aliases"] + [f"{c['hanzi']} {c['pinyin']}" for c in d["chinese"]]
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
        label = f"{item['code']} {item.get('pinyin', '')} {item.get('hanzi', '')}".strip()
        status = "" if item["status"] == "core" else f" [{item['status'].upper()}]"
        warn = "".join(f" [{w['flag'].upper()}: see caution]" for w in item.get("warnings", []))
        caution = f" (cautions: {', '.join(item['cautions'])})" if item.get("cautions") else ""
        rx.append(f"{label} - {item['role']}{status}: {item['why']}{caution}{warn}")
    card.sections.append(("Points", rx))
    if d["patterns"]:
        card.sections.append(("Patterns (traditional)", [
            f"{p['name']}: add {', '.join(p['add_points']) or '-'}"
            + (f"; herbs {', '.join(p['herbs'])}" if p["herbs"] else "") for p in d["patterns"]]))
    if d["herbs"]:
        card.sections.append(("Herbs (traditional)", [
            f"{h.get('pinyin', h['id'])} {h.get('hanzi', '')}: {h['why']}"
            + (f" [{'; '.join(h['safety'])}]" if h.get("safety") else "") for h in d["herbs"]]))
    p = d["protocol"]
    if p:
        ret = f"retain {p['retention_min'][0]:g}-{p['retention_min'][1]:g} min; " if p.get("retention_min") else ""
        card.sections.append(("Protocol", f"{ret}{p['frequency']}; {p['course']}"
                              + (f". {p['notes']}" if p.get("notes") else "")
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


def meridian_card(m: dict, rows: list[dict]) -> Card:
    card = Card(f"{m['code']}  {m['english']}  {m['hanzi']}", m["pinyin"])
    card.sections.append(("Summary", m["summary"]))
    if m["other_codes"]:
        card.sections.append(("Other codes", ", ".join(m["other_codes"])))
    card.sections.append(("Points", [f"{r['code']} {r['pinyin']} {r['hanzi']}" for r in rows] or ["none of its own"]))
    return card
