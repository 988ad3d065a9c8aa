"""Terminal drawing with Rich. Imported only when output goes to a terminal
(or --format table), so scripts never pay for it."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from acucli.output import cell


def _console(style) -> Console:
    # The colour decision is output.use_color's; Rich only draws it.
    return Console(
        no_color=style.no_color,
        color_system=None if style.no_color else "auto",
        force_terminal=True if style.forced else None,
        highlight=False,
        soft_wrap=False,
        emoji=False,
    )


ALERT_COLUMNS = ("cautions", "caution_kinds", "warnings", "safety")
# Short values never wrap; prose columns share the rest of the width by weight.
SHORT_COLUMNS = ("code", "id", "pinyin", "hanzi", "channel", "role", "status", "kind", "grade", "points")
PROSE_WEIGHT = {"location": 5, "why": 5, "warnings": 4, "citation": 4, "detail": 2}
# With prose present, these shrink with it instead of claiming their natural width.
FLEX_WEIGHT = {**PROSE_WEIGHT, "cautions": 3, "caution_kinds": 2, "safety": 3, "english": 2,
               "category_labels": 2}


# Never hidden to fit a narrow terminal: what identifies a row and what warns.
KEEP_COLUMNS = ("code", "id", "kind", "severity", *ALERT_COLUMNS)
# A warning column needs room to be read.
MIN_ALERT = 20


def fit_columns(rows, cols, width: int, fixed: bool) -> tuple[list, list]:
    """The columns that fit `width` without Rich cropping the table's right edge
    (where the safety column usually is), and those left out. `fixed`: the
    user chose them with --fields, so none is left out."""
    if fixed:
        return list(cols), []

    def need(c):
        values = [cell(r.get(c)) for r in rows]
        if c in SHORT_COLUMNS:
            from rich.cells import cell_len

            w = max([cell_len(v) for v in values] + [len(c)])
        else:
            longest = max((len(word) for v in values for word in v.split()), default=0)
            # Rich folds no column below its longest word: that is its minimum.
            w = max(len(c), longest, MIN_ALERT if c in ALERT_COLUMNS else 0)
        return w + 2  # one space of padding each side

    widths = {c: need(c) for c in cols}
    kept = list(cols)
    for c in reversed(cols):
        if sum(widths[k] for k in kept) + 2 <= width:
            break
        if c not in KEEP_COLUMNS:
            kept.remove(c)
    return kept, [c for c in cols if c not in kept]


def table(rows, cols, title, style, styles, fixed: bool = False) -> None:
    console = _console(style)
    cols, hidden = fit_columns(rows, cols, console.width, fixed)
    if hidden:
        from acucli.output import say

        say(f"acu: at {console.width} columns, {', '.join(hidden)} left out (a wider terminal, "
            "--fields or --format tsv shows them)")
    prose = any(c in PROSE_WEIGHT for c in cols)
    t = Table(title=escape(title) if title else None, box=box.SIMPLE_HEAD, show_lines=False,
              header_style="bold", expand=prose)
    for c in cols:
        t.add_column(c, overflow="fold", no_wrap=c in SHORT_COLUMNS, min_width=len(c),
                     ratio=FLEX_WEIGHT.get(c) if prose else None,
                     style=styles.get(c, "red" if c in ALERT_COLUMNS else None))
    for r in rows:
        t.add_row(*(Text(cell(r.get(c))) for c in cols))
    console.print(t)


def cards(cards_, style) -> None:
    console = _console(style)
    for card in cards_:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold cyan", no_wrap=True)
        grid.add_column(overflow="fold")
        for alert in card.alerts:
            grid.add_row(Text("!", style="bold red"), Text(alert, style="bold red"))
        for heading, body in card.sections:
            if isinstance(body, list):
                value = Text("\n".join(f"• {cell(b)}" for b in body))
            else:
                value = Text(cell(body))
            grid.add_row(Text(heading), value)
        console.print(Panel(grid, title=Text(card.title, style="bold"),
                            subtitle=Text(card.subtitle) if card.subtitle else None,
                            title_align="left", subtitle_align="left", box=box.ROUNDED))
