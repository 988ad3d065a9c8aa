"""`acu chart`: body charts as SVG (see acucli.charts).

    acu chart KI3 SP6 -o ankle.svg
    acu chart --meridian KI -o kidney.svg
    acu chart --condition osteoporosis -o osteoporosis.svg
    acu chart --category back-shu > back-shu.svg
    acu chart --landmarks --format json

Registered on the main app by `register(app)`.
"""

from __future__ import annotations

import sys
from typing import Annotated, List, Optional

import typer

from acucli.options import CategoryOpt, ConditionOpt, FormatOpt, MeridianOpt
from acucli.options import complete as _complete

LANDMARK_FORMATS = ["table", "tsv", "csv", "json", "jsonl", "yaml", "markdown"]


def register(app: typer.Typer) -> None:
    """Add the `chart` command to `app`."""

    @app.command("chart")
    def chart_cmd(
        points: Annotated[Optional[List[str]], typer.Argument(help="Point codes or names: KI3 taixi 'Kidney 3' ...",
                                                             autocompletion=_complete("point"))] = None,
        meridian: MeridianOpt = None,
        condition: ConditionOpt = None,
        category: CategoryOpt = None,
        output: Annotated[Optional[str], typer.Option("--output", "-o", help="Write the SVG to this file (default: stdout).")] = None,
        title: Annotated[Optional[str], typer.Option("--title", help="A title for the chart.")] = None,
        landmarks: Annotated[bool, typer.Option("--landmarks", help="List the charts' anatomical landmarks instead.")] = False,
        fmt: FormatOpt = None,
    ):
        """Draw points on body charts (SVG): the views they need, each point marked and
        labelled; with --meridian, the channel's path. --landmarks lists the landmarks."""
        run(points or [], meridian, condition, category, output, title, landmarks, fmt)


def run(points: list[str], meridian, condition, category, output, title, landmarks: bool, fmt) -> None:
    from acucli.errors import UsageError

    if landmarks:
        if points or meridian or condition or category or output:
            raise UsageError("--landmarks lists the landmarks; it takes no points, filters or -o")
        _emit_landmarks(fmt)
        return
    if fmt is not None and fmt != "svg":
        raise UsageError(f"acu chart writes SVG only, not {fmt!r}",
                         ["--format applies to --landmarks (table, tsv, csv, json ...)"])
    if output and not output.lower().endswith(".svg"):
        raise UsageError(f"acu chart writes SVG only: {output!r} does not end in .svg",
                         ["PNG is not supported: open the SVG in a browser and print or export it"])
    if not (points or meridian or condition or category):
        raise UsageError("nothing to chart: give points, --meridian, --condition or --category",
                         ["for example: acu chart KI3 SP6 -o ankle.svg", "or: acu chart --meridian KI -o kidney.svg"])
    text, heading, channel, notes = build(points, meridian, condition, category, title)
    if output:
        _write(output, text)
        sys.stderr.write(f"acu: wrote {output} ({heading})\n")
    else:
        sys.stdout.write(text)
    for n in notes:
        sys.stderr.write(f"acu: {n}\n")


def build(points: list[str], meridian=None, condition=None, category=None, title=None):
    """(svg text, a short description, channel or None, notes) for the chosen points."""
    import acucli
    from acucli import charts
    from acucli.errors import NotFound

    lib = acucli.open()
    codes: list[str] = []
    notes: list[str] = []
    parts: list[str] = []
    channel = None

    def add(code):
        if code and code not in codes:
            codes.append(code)

    if points:
        from acucli.views import split_queries

        names = split_queries(lib.kb, points)
        missed = []
        for name in names:
            try:
                add(lib.point_record(name)["code"])
            except NotFound as exc:
                if len(names) == 1 and not (meridian or condition or category):
                    raise
                missed.append(exc.message)
        if missed:
            notes.extend(missed)
        parts.append(", ".join(codes))
    if meridian:
        found = lib.points(meridian=meridian)
        if not found:
            raise NotFound(f"no points on the channel {meridian!r}")
        channel = found[0].channel
        for p in found:
            add(p.code)
        m = lib.kb.get("meridians", channel) or {}
        parts.append(f"{channel} {m.get('english', 'channel')}")
    if condition:
        rec = lib.condition_record(condition)
        items = rec.get("prescription") or []
        sites = [it for it in items if not it.get("code")]
        for it in items:
            add(it.get("code"))
        if sites:
            notes.append(f"{len(sites)} prescription item(s) without a point code (ear or other sites) are not charted")
        parts.append(rec.get("name") or rec.get("id") or condition)
    if category:
        found = lib.points(category=category)
        if not found:
            raise NotFound(f"no points in the category {category!r}")
        for p in found:
            add(p.code)
        parts.append(category)
    if not codes:
        raise NotFound("no points to chart")
    records = {}
    for c in codes:
        try:
            records[c] = lib.point_record(c)
        except NotFound:
            records[c] = {}
    placed = charts.placements([{"code": c} for c in codes])
    if not placed:
        raise NotFound("none of these points is on the charts: " + ", ".join(codes))
    missing = [c for c in codes if c not in placed]
    if missing:
        notes.append("not on the charts: " + ", ".join(missing))
    heading = title or " + ".join(p for p in parts if p)
    text = charts.svg(codes, records, channel=channel, title=heading)
    views = sorted({placed[c][0]["view"] for c in placed})
    return text, f"{len(placed)} point(s); views: {', '.join(views)}", channel, notes


def _write(path: str, text: str) -> None:
    from acucli.errors import UsageError

    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def _emit_landmarks(fmt) -> None:
    from acucli import charts, output

    f = output.choose_format(fmt)
    rows = charts.landmarks()
    output.emit_rows(rows, f, None, title="Chart landmarks", columns=["view", "name", "x", "y"])
