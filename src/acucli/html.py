"""Standalone, printable HTML pages for a point and for a condition: inline SVG chart and
CSS, no network, A4 print styles. Every piece of text from the data is escaped.

    from acucli import html
    page = html.point_page(detail, svg)          # detail: what `acu point KI3 -f json` prints
    page = html.condition_page(detail, svg)      # detail: `acu condition osteoporosis -f json`

`references` (optional): {id: citation} or the list of reference records, to print the
sources in full rather than by id.
"""

from __future__ import annotations

from html import escape as _escape

CSS = """
:root{--ink:#1d1d1f;--muted:#5f6368;--line:#d9d9de;--warn:#b3261e;--warnbg:#fdecea;--flag:#8a4b00;--flagbg:#fff4e0}
*{box-sizing:border-box}
body{margin:0;padding:24px 28px;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--ink);max-width:1080px}
h1{font-size:26px;margin:0 0 2px}
h1 .han{font-weight:400;color:var(--muted);margin-left:.35em}
h2{font-size:17px;margin:22px 0 6px;border-bottom:1px solid var(--line);padding-bottom:3px}
h3{font-size:15px;margin:12px 0 4px}
p{margin:4px 0 8px}
ul{margin:4px 0 8px;padding-left:1.3em}
li{margin:2px 0}
.sub{color:var(--muted);margin:0 0 10px}
.tag{display:inline-block;border:1px solid var(--line);border-radius:10px;padding:0 8px;margin:1px 3px 1px 0;font-size:12.5px;color:var(--muted)}
.tag.warn{border-color:var(--warn);color:var(--warn)}
.box{border-radius:6px;padding:10px 14px;margin:14px 0}
.cautions{border:2px solid var(--warn);background:var(--warnbg)}
.cautions h2{color:var(--warn);border:none;margin-top:0}
.cautions li{font-weight:500}
.redflags{border:2px solid var(--flag);background:var(--flagbg)}
.redflags h2{color:var(--flag);border:none;margin-top:0}
.kind{font-weight:700;text-transform:uppercase;font-size:12px;letter-spacing:.03em;color:var(--warn);margin-right:.4em}
.src{color:var(--muted);font-size:12.5px}
figure.chart{margin:14px 0;text-align:center}
figure.chart svg{width:100%;height:auto;max-height:1100px}
figure.chart figcaption{color:var(--muted);font-size:12.5px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{border-bottom:1px solid var(--line);padding:5px 6px;text-align:left;vertical-align:top}
th{font-size:12.5px;color:var(--muted);font-weight:600}
td.code{font-weight:700;white-space:nowrap}
.grade{font-weight:700}
footer{margin-top:26px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);padding-top:6px}
@page{size:A4;margin:14mm 12mm}
@media print{
  body{padding:0;max-width:none;font-size:10.5pt}
  h1{font-size:18pt}
  h2{font-size:12.5pt;break-after:avoid}
  .box,figure.chart,tr,li{break-inside:avoid}
  figure.chart svg{max-height:235mm}
  .cautions,.redflags{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  a{color:inherit;text-decoration:none}
}
"""

DISCLAIMER = ("Printed from acu, an offline reference. It is not medical advice: needling is for "
              "trained practitioners, and the red flags above need medical assessment.")


def e(text) -> str:
    """Escaped text (None is empty)."""
    return "" if text is None else _escape(str(text), quote=True)


def _refs(references) -> dict:
    if not references:
        return {}
    if isinstance(references, dict):
        return {str(k): (v.get("citation", "") if isinstance(v, dict) else str(v)) for k, v in references.items()}
    out = {}
    for r in references:
        rid = r.get("id") if isinstance(r, dict) else getattr(r, "id", None)
        cit = r.get("citation") if isinstance(r, dict) else getattr(r, "citation", "")
        if rid:
            out[str(rid)] = cit or ""
    return out


def _src(ids) -> str:
    ids = [i for i in (ids or []) if i]
    return f' <span class="src">[{e(", ".join(ids))}]</span>' if ids else ""


def _list(items, key="text") -> str:
    rows = []
    for it in items or []:
        if isinstance(it, dict):
            rows.append(f"<li>{e(it.get(key))}{_src(it.get('sources'))}</li>")
        else:
            rows.append(f"<li>{e(it)}</li>")
    return "<ul>" + "".join(rows) + "</ul>" if rows else ""


def _sources(ids, references) -> str:
    refs = _refs(references)
    ids = [i for i in dict.fromkeys(ids or []) if i]
    if not ids:
        return ""
    items = "".join(f"<li><b>{e(i)}</b>" + (f": {e(refs[i])}" if refs.get(i) else "") + "</li>" for i in ids)
    return f"<section><h2>Sources</h2><ul>{items}</ul></section>"


def _chart(svg: str, caption: str) -> str:
    if not svg:
        return ""
    body = svg.strip()
    if body.startswith("<?xml"):
        body = body[body.index("?>") + 2:].lstrip()
    # the SVG is ours (acucli.charts escapes its text); it is inlined as markup
    return f'<figure class="chart">{body}<figcaption>{e(caption)}</figcaption></figure>'


def _page(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n"
            f"<footer>{e(DISCLAIMER)}</footer>\n</body>\n</html>\n")


# ------------------------------------------------------------------- point


def point_page(detail: dict, svg: str, references=None) -> str:
    """One point: names, chart, location, cautions (prominent), needling, actions, sources."""
    d = detail or {}
    code = d.get("code", "")
    names = " ".join(x for x in (d.get("pinyin"), d.get("english") and f"({d.get('english')})") if x)
    parts = [f"<header><h1>{e(code)} {e(d.get('pinyin'))}<span class=\"han\">{e(d.get('hanzi'))}</span></h1>"]
    sub = [x for x in (d.get("english"), d.get("channel") and f"{d.get('channel')} channel",
                       ", ".join(d.get("regions") or [])) if x]
    parts.append(f"<p class=\"sub\">{e(' · '.join(sub))}</p>")
    tags = "".join(f'<span class="tag">{e(t)}</span>' for t in d.get("category_labels") or [])
    if tags:
        parts.append(f"<p>{tags}</p>")
    parts.append("</header>")
    parts.append(_point_cautions(d))
    parts.append(_chart(svg, f"{code}: bilateral points are drawn on the patient's left."))
    loc = [f"<p>{e(d.get('location'))}</p>"]
    if d.get("locating"):
        loc.append(f"<h3>Finding it</h3><p>{e(d.get('locating'))}</p>")
    parts.append("<section><h2>Location</h2>" + "".join(loc) + "</section>")
    parts.append(_needling(d))
    if d.get("actions"):
        parts.append("<section><h2>Actions</h2>" + _list(d.get("actions")) + "</section>")
    if d.get("indications"):
        parts.append("<section><h2>Indications</h2>" + _list(d.get("indications")) + "</section>")
    if d.get("notes"):
        parts.append("<section><h2>Notes</h2>" + _list(d.get("notes")) + "</section>")
    parts.append(_sources(list(d.get("sources") or []) + [s for c in d.get("cautions") or []
                                                          for s in (c.get("sources") or [])], references))
    return _page(f"{code} {names}".strip() + " - acu", "\n".join(p for p in parts if p))


def _point_cautions(d: dict) -> str:
    items = []
    for c in d.get("cautions") or []:
        kind = c.get("kind")
        items.append(f"<li>{f'<span class=kind>{e(kind)}</span>' if kind else ''}{e(c.get('text'))}"
                     f"{_src(c.get('sources'))}</li>")
    if not items:
        return ('<section class="box cautions"><h2>Cautions</h2><p>No point-specific caution is recorded. '
                'General needling safety, patient screening and clean technique still apply.</p></section>')
    return f'<section class="box cautions"><h2>Cautions</h2><ul>{"".join(items)}</ul></section>'


def _needling(d: dict) -> str:
    n = d.get("needling") or {}
    rows = []
    if d.get("needling_summary"):
        rows.append(f"<p>{e(d.get('needling_summary'))}</p>")
    facts = []
    for key, label in (("method", "method"), ("angle", "angle"), ("direction", "direction"),
                       ("moxibustion", "moxibustion")):
        if n.get(key):
            facts.append(f"<li>{e(label)}: {e(n.get(key))}</li>")
    depth = n.get("depth_cun")
    if isinstance(depth, (list, tuple)) and depth:
        facts.append(f"<li>depth: {e('-'.join(f'{float(x):g}' for x in depth))} cun</li>")
    if facts:
        rows.append("<ul>" + "".join(facts) + "</ul>")
    return "<section><h2>Needling</h2>" + "".join(rows) + "</section>" if rows else ""


# --------------------------------------------------------------- condition


def condition_page(detail: dict, svg: str, references=None) -> str:
    """One condition: the prescription with its chart and locations, cautions and red flags
    (prominent), evidence, protocol and sources."""
    d = detail or {}
    name = d.get("name") or d.get("id") or ""
    parts = [f"<header><h1>{e(name)}</h1>"]
    han = " · ".join(f"{c.get('hanzi', '')} {c.get('pinyin', '')}".strip() for c in d.get("chinese") or []
                     if isinstance(c, dict))
    ev = d.get("evidence") or {}
    sub = [x for x in (han, ev.get("grade") and f"evidence: {ev.get('grade')}") if x]
    if sub:
        parts.append(f"<p class=\"sub\">{e(' · '.join(sub))}</p>")
    if d.get("summary"):
        parts.append(f"<p>{e(d.get('summary'))}</p>")
    parts.append("</header>")
    if d.get("red_flags"):
        parts.append('<section class="box redflags"><h2>Red flags: refer for medical assessment</h2>'
                     + _list(d.get("red_flags")) + "</section>")
    cautions = _list(d.get("cautions"))
    if cautions:
        parts.append(f'<section class="box cautions"><h2>Cautions</h2>{cautions}</section>')
    parts.append(_chart(svg, "The prescription's points; bilateral points are drawn on the patient's left."))
    parts.append(_prescription(d.get("prescription") or []))
    parts.append(_patterns(d.get("patterns") or []))
    parts.append(_remedies(d))
    parts.append(_protocol(d.get("protocol") or {}))
    if ev:
        body = f"<p><span class=\"grade\">Grade: {e(ev.get('grade'))}</span></p>" if ev.get("grade") else ""
        if ev.get("summary"):
            body += f"<p>{e(ev.get('summary'))}</p>"
        body += _list(ev.get("findings"))
        parts.append(f"<section><h2>Evidence</h2>{body}</section>")
    if d.get("guidelines"):
        items = "".join(f"<li><b>{e(g.get('body'))}</b>"
                        + (f" ({e(g.get('position'))})" if g.get("position") else "")
                        + f": {e(g.get('text'))}{_src(g.get('sources'))}</li>" for g in d.get("guidelines"))
        parts.append(f"<section><h2>Guidelines</h2><ul>{items}</ul></section>")
    if d.get("adverse_events"):
        parts.append("<section><h2>Side effects of acupuncture</h2>" + _list(d.get("adverse_events")) + "</section>")
    if d.get("claims"):
        items = "".join(f"<li><b>{e(c.get('claim'))}</b> <span class=\"tag\">{e(c.get('verdict'))}</span> "
                        f"{e(c.get('why'))}{_src(c.get('sources'))}</li>" for c in d.get("claims"))
        parts.append(f"<section><h2>Claims checked</h2><ul>{items}</ul></section>")
    if d.get("lifestyle"):
        parts.append("<section><h2>Self-care</h2>" + _list(d.get("lifestyle")) + "</section>")
    if d.get("notes"):
        parts.append("<section><h2>Notes</h2>" + _list(d.get("notes")) + "</section>")
    ids = list(d.get("sources") or [])
    for group in ("prescription", "red_flags", "cautions", "guidelines", "claims"):
        for it in d.get(group) or []:
            if isinstance(it, dict):
                ids.extend(it.get("sources") or [])
    parts.append(_sources(ids, references))
    return _page(f"{name} - acu", "\n".join(p for p in parts if p))


def _prescription(items: list) -> str:
    if not items:
        return ""
    rows = []
    for it in items:
        code = it.get("code")
        label = code or " ".join(str(x) for x in (it.get("site"), it.get("ear_point"), it.get("level")) if x) or "site"
        name = " ".join(x for x in (it.get("pinyin"), it.get("hanzi")) if x)
        kinds = "".join(f'<span class="tag warn">{e(k)}</span>' for k in it.get("caution_kinds") or [])
        role = " · ".join(x for x in (it.get("status"), it.get("role")) if x)
        rows.append(f"<tr><td class=\"code\">{e(label)}</td><td>{e(name)}<br><span class=\"src\">{e(role)}</span>"
                    f"</td><td>{e(it.get('location'))}{('<br>' + kinds) if kinds else ''}</td>"
                    f"<td>{e(it.get('why'))}{_src(it.get('sources'))}</td></tr>")
    return ("<section><h2>Prescription</h2><table><thead><tr><th>Point</th><th>Name</th><th>Location</th>"
            "<th>Why</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></section>")


def _patterns(patterns: list) -> str:
    if not patterns:
        return ""
    items = []
    for p in patterns:
        add = ", ".join(p.get("add_points") or [])
        items.append(f"<li><b>{e(p.get('name'))}</b>: {e(p.get('features'))}"
                     + (f" <i>Add: {e(add)}</i>" if add else "") + f"{_src(p.get('sources'))}</li>")
    return f"<section><h2>Patterns</h2><ul>{''.join(items)}</ul></section>"


def _remedies(d: dict) -> str:
    """Herbs and formulas with their safety labels: a handout never shows one without them."""
    items = []
    for h in d.get("herbs") or []:
        items.append(f"<li><b>{e(h.get('pinyin') or h.get('id'))} {e(h.get('hanzi'))}</b>: {e(h.get('why'))}"
                     f"{_safety(h.get('safety'))}{_src(h.get('sources'))}</li>")
    for f in d.get("formulas") or []:
        items.append(f"<li><b>{e(f.get('pinyin') or f.get('id'))} {e(f.get('hanzi'))}</b> (formula): "
                     f"{e(f.get('why'))}{_safety(f.get('safety'))}{_src(f.get('sources'))}</li>")
    for f in d.get("pattern_formulas") or []:
        items.append(f"<li><b>{e(f.get('pinyin') or f.get('id'))} {e(f.get('hanzi'))}</b> (formula): for the "
                     f"{e(' and '.join(f.get('patterns') or []))} pattern{_safety(f.get('safety'))}</li>")
    if not items:
        return ""
    return ("<section><h2>Herbs and formulas (traditional use)</h2><p>Only from a qualified herbalist who "
            "knows every medicine you take.</p><ul>" + "".join(items) + "</ul></section>")


def _safety(labels) -> str:
    return "".join(f' <span class="tag warn">{e(x)}</span>' for x in labels or [])


def _protocol(p: dict) -> str:
    if not p:
        return ""
    facts = []
    r = p.get("retention_min")
    if isinstance(r, (list, tuple)) and r:
        facts.append(f"<li>needle retention: {e('-'.join(str(x) for x in r))} minutes</li>")
    for key in ("frequency", "course", "notes"):
        if p.get(key):
            facts.append(f"<li>{e(key)}: {e(p.get(key))}</li>")
    return f"<section><h2>Protocol</h2><ul>{''.join(facts)}</ul>{_src(p.get('sources'))}</section>" if facts else ""
