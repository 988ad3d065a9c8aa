"""Every output format, in one place.

- table: Rich tables and cards, for a terminal (Rich is imported only here, only then)
- tsv (default when stdout is not a terminal), csv: a header line, then rows
- json: a list of objects, UTF-8, no ANSI; jsonl: one object per line
- yaml, markdown

Text formats pass every string through text.clean(), so escape sequences in
data never reach a terminal.
"""

from __future__ import annotations

import json
import os
import sys

from acucli.errors import UsageError
from acucli.text import clean

# Columns a terminal listing leaves out unless --fields asks for them.
TERMINAL_HIDDEN = ("location", "why", "other_codes")

FORMATS = ("table", "tsv", "csv", "json", "jsonl", "yaml", "markdown")


def use_color(no_color: bool = False, stream=None) -> bool:
    """The one colour rule, for cards, tables, quiz and study alike:
    --no-color or NO_COLOR: never; FORCE_COLOR (not 0): always; else on a terminal."""
    if no_color or os.environ.get("NO_COLOR"):
        return False
    force = os.environ.get("FORCE_COLOR")
    if force is not None and force != "":
        return force != "0"
    stream = stream if stream is not None else sys.stdout
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Style:
    """Colour choice for the terminal renderer (see use_color)."""

    def __init__(self, no_color: bool = False):
        self.color = use_color(no_color)
        self.no_color = not self.color
        self.forced = self.color and bool(os.environ.get("FORCE_COLOR"))


class Settings:
    """What the command line asked for: format, fields, colour. Chosen once per
    command (configure) and read by whatever writes, including the error edge."""

    def __init__(self, fmt: str, fields: str | None, no_color: bool):
        self.fmt, self.fields, self.no_color = fmt, fields, no_color
        parse_fields(fields)  # an empty or repeated --fields is refused before any work

    @property
    def style(self) -> "Style":
        return Style(self.no_color)


current: Settings | None = None


def configure(fmt: str | None, fields: str | None = None, no_color: bool = False) -> Settings:
    global current
    current = Settings(choose_format(fmt), fields, no_color)
    return current


def emit_candidates(rows: list[dict], title: str) -> None:
    """An ambiguous name: the candidates as rows, in the chosen format."""
    s = current or Settings(choose_format(None), None, False)
    fields = s.fields if s.fields and rows and all(f in rows[0] for f in parse_fields(s.fields)) else None
    emit_rows(rows, s.fmt, fields, title=title, style=s.style)


def choose_format(fmt: str | None) -> str:
    """The one place the format is decided: --format, else ACU_FORMAT, else by TTY."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r}", [f"valid: {', '.join(FORMATS)}"])
        return fmt
    env = os.environ.get("ACU_FORMAT")
    if env is not None:
        if env not in FORMATS:
            raise UsageError(f"ACU_FORMAT is {env!r}, not a format", [f"valid: {', '.join(FORMATS)}"])
        return env
    try:
        tty = sys.stdout.isatty()
    except (AttributeError, ValueError):
        tty = False
    return "table" if tty else "tsv"


def parse_fields(fields: str | None) -> list[str] | None:
    """--fields as a list; empty, unknown-looking or repeated names are usage errors."""
    if fields is None:
        return None
    wanted = [f.strip() for f in fields.split(",")]
    if not any(wanted) or "" in wanted:
        raise UsageError(f"--fields {fields!r} has an empty field name",
                         ["give comma-separated names, e.g. --fields code,pinyin"])
    repeated = sorted({f for f in wanted if wanted.count(f) > 1})
    if repeated:
        raise UsageError(f"--fields names {', '.join(repeated)} more than once")
    return wanted


def pick_fields(available: list[str], fields: str | None) -> list[str]:
    wanted = parse_fields(fields)
    if not wanted:
        return available
    bad = [f for f in wanted if f not in available]
    if bad:
        raise UsageError(f"unknown field(s) {', '.join(bad)}", [f"fields: {', '.join(available)}"])
    return wanted


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return "; ".join(cell(v) for v in value)
    if isinstance(value, dict):
        if "text" in value:  # a warning or caution object: "flag: text"
            label = value.get("flag") or value.get("kind") or value.get("severity")
            return f"{cell(label)}: {cell(value['text'])}" if label else cell(value["text"])
        return "; ".join(f"{k}={cell(v)}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:g}"
    return clean(str(value))


def _ascii_json() -> bool:
    enc = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return enc not in ("utf8", "utf8sig")


def _write(text: str) -> None:
    sys.stdout.write(text)


def to_json(obj) -> str:
    return json.dumps(obj, ensure_ascii=_ascii_json(), indent=2)


def emit_rows(rows: list[dict], fmt: str, fields: str | None = None, title: str | None = None,
              columns: list[str] | None = None, style: Style | None = None,
              styles: dict | None = None, terminal_columns: list[str] | None = None) -> None:
    """A listing. Columns: `columns`, else the keys of the first row.
    `terminal_columns`: the narrower default for a terminal table."""
    available = columns or (list(rows[0]) if rows else [])
    cols = pick_fields(available, fields)
    if fmt == "table" and not fields:
        if terminal_columns:
            cols = [c for c in terminal_columns if c in available]
        else:
            # Long prose wraps into tall rows: on a terminal, cards carry it instead.
            cols = [c for c in cols if c not in TERMINAL_HIDDEN] or cols
    if fmt in ("json", "jsonl", "yaml"):
        objs = [{c: r.get(c) for c in cols} for r in rows]
        _emit_objects(objs, fmt)
    elif fmt == "tsv":
        lines = ["\t".join(cols)]
        for r in rows:
            lines.append("\t".join(cell(r.get(c)).replace("\t", " ").replace("\n", " ") for c in cols))
        _write("\n".join(lines) + "\n")
    elif fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            w.writerow([cell(r.get(c)) for c in cols])
        _write(buf.getvalue())
    elif fmt == "markdown":
        out = [f"## {clean(title)}\n"] if title else []
        out.append("| " + " | ".join(cols) + " |")
        out.append("|" + "|".join("---" for _ in cols) + "|")
        for r in rows:
            out.append("| " + " | ".join(cell(r.get(c)).replace("|", "\\|").replace("\n", " ") for c in cols) + " |")
        _write("\n".join(out) + "\n")
    else:
        from acucli import render_rich

        render_rich.table(rows, cols, title, style or Style(), styles or {}, fixed=bool(fields))


def _emit_objects(objs: list[dict], fmt: str) -> None:
    if fmt == "json":
        _write(to_json(objs) + "\n")
    elif fmt == "jsonl":
        ascii_ = _ascii_json()
        _write("".join(json.dumps(o, ensure_ascii=ascii_) + "\n" for o in objs))
    else:
        from acucli.yamlio import dump

        _write(clean(dump(objs)))


def emit_cards(details: list[dict], cards: list, fmt: str, fields: str | None = None,
               flat_columns: list[str] | None = None, flatten=None, style: Style | None = None) -> None:
    """One card per record. JSON-like formats get the whole record;
    TSV/CSV get one row per record; table and markdown get the card view."""
    if fmt in ("json", "jsonl", "yaml"):
        if fields:
            keys = pick_fields(list(details[0]) if details else [], fields)
            details = [{k: d.get(k) for k in keys} for d in details]
        _emit_objects(details, fmt)
    elif fmt in ("tsv", "csv"):
        rows = [flatten(d) for d in details]
        emit_rows(rows, fmt, fields, columns=flat_columns)
    elif fmt == "markdown":
        _write("\n".join(card_markdown(c) for c in cards))
    else:
        from acucli import render_rich

        render_rich.cards(cards, style or Style())


def card_markdown(card) -> str:
    out = [f"## {clean(card.title)}", ""]
    if card.subtitle:
        out += [f"*{clean(card.subtitle)}*", ""]
    for alert in card.alerts:
        out += [f"> **{clean(alert)}**", ""]
    for heading, body in card.sections:
        out.append(f"**{clean(heading)}**")
        if isinstance(body, list):
            out += [f"- {clean(b)}" for b in body]
        else:
            out.append(clean(body))
        out.append("")
    return "\n".join(out) + "\n"


def say(message: str) -> None:
    """A note for the user: stderr, never mixed with data."""
    sys.stderr.write(clean(message) + "\n")
