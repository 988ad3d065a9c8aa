"""The `acu` command: parses arguments, asks the core, hands the result to
output. Nothing else lives here."""

import sys
from typing import Annotated, List, Optional

import typer

from acucli import __version__
from acucli.options import (
    CategoryOpt,
    ConditionOpt,
    FieldsOpt,
    FormatOpt,
    MeridianOpt,
    NoColorOpt,
)
from acucli.options import complete as _complete
from acucli.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    AcuError,
    Ambiguous,
    DataError,
    NotFound,
)

HELP = """Offline reference for acupuncture points, Chinese herbs and the
conditions they are used for.

\b
Examples:
  acu point KI3                  one card (also: taixi, Tàixī, 太溪, K3, "Kidney 3")
  acu points --condition osteoporosis --pregnant
  acu points --meridian BL --format tsv | cut -f1,3
  acu points --category back-shu
  acu condition "chronic low back pain"
  acu herb du zhong              (also: duzhong, 杜仲, "Eucommiae Cortex", fo-ti)
  acu search "lumbar sprain"
  acu quiz --meridian KI -n 10
  acu study

\b
Output:
  a table on a terminal, TSV with a header line in a pipe;
  --format table|tsv|csv|json|jsonl|yaml|markdown; --fields picks columns.
  NO_COLOR, FORCE_COLOR, --no-color and COLUMNS are honoured.

\b
Exit codes:
  0    results
  1    nothing found (suggestions on stderr), or an ambiguous name
  2    usage error, unknown value of a closed list, or broken data
  3    internal error (a bug: please report it)
  4    acu check found a contraindicated or major problem
  130  interrupted (Ctrl-C)

\b
Files:
  ACU_HOME       progress database; overlays in ACU_HOME/data
  ACU_DATA_PATH  colon-separated overlay files or directories
  ACU_CACHE_DIR  cache of the parsed data
"""

app = typer.Typer(
    help=HELP,
    # Plain help: Rich-formatted help costs ~70 ms of start-up for every --help.
    rich_markup_mode=None,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


# ----------------------------------------------------------- shared options


PregnantOpt = Annotated[bool, typer.Option("--pregnant", help="Mark points traditionally cautioned in pregnancy, with the reason.")]
BleedingOpt = Annotated[bool, typer.Option("--bleeding-risk", help="Mark bleeding and deep-vessel points (anticoagulants, bleeding disorders).")]
PacemakerOpt = Annotated[bool, typer.Option("--pacemaker", help="Warn against electroacupuncture.")]
OmitOpt = Annotated[bool, typer.Option("--omit-cautioned", help="With a patient flag: leave marked points out instead of marking them.")]


def _context(pregnant, bleeding, pacemaker, omit=False):
    from acucli.query import Context

    return Context(pregnant=pregnant, bleeding_risk=bleeding, pacemaker=pacemaker, omit=omit)


def _notes(notes) -> None:
    from acucli.output import say

    for n in notes:
        say(f"acu: {n}")


def _lib():
    from acucli.api import Library
    from acucli import kb

    k = kb.load()
    if not k.meta.get("warned"):
        k.meta["warned"] = True
        _notes(k.meta.get("warnings") or [])
    return Library(k)


def _kb():
    return _lib().kb


def _rows(answer, fmt, fields, no_color, title=None, empty="nothing matches") -> None:
    from acucli import output

    _notes(answer.notes)
    if not answer.items:
        raise NotFound(empty)
    output.emit_rows(answer.items, output.choose_format(fmt), fields, title=title,
                     style=output.Style(no_color), terminal_columns=answer.terminal_columns)


# ------------------------------------------------------------------ points


@app.command("point")
def point_cmd(
    query: Annotated[List[str], typer.Argument(help="Codes or names: KI3 taixi 太溪 'Kidney 3' ...", autocompletion=_complete("point"))],
    fmt: FormatOpt = None,
    fields: FieldsOpt = None,
    no_color: NoColorOpt = False,
    pregnant: PregnantOpt = False,
    bleeding_risk: BleedingOpt = False,
    pacemaker: PacemakerOpt = False,
):
    """One card per point: names, location, needling, categories, actions, cautions."""
    from acucli import output, query as q, views

    html = fmt == "html"
    out = output.configure(None if html else fmt, fields, no_color)
    lib = _lib()
    ctx = _context(pregnant, bleeding_risk, pacemaker)
    found, missed = _lookup_each(lib.point_record, views.split_queries(lib.kb, query), "point")
    details = [q.point_detail(lib.kb, p, ctx) for p in found]
    if html or out.fmt not in ("tsv", "csv"):  # the flat row has no chart column: skip the chart model
        views.add_charts(details)
    if ctx.active:
        _notes(q.context_notes(lib.kb, ctx))
    if html:
        from acucli import charts, html as page

        records = {d["code"]: d for d in details}
        sys.stdout.write(page.point_page(details[0], charts.svg(list(records), records), lib.kb.references)
                         if len(details) == 1 else "".join(
                             page.point_page(d, charts.svg([d["code"]], records), lib.kb.references) for d in details))
        _partial(missed)
        return
    cards = []
    if out.fmt in ("table", "markdown"):
        from acucli.cards import point_card

        cards = [point_card(d, lib.kb.safety.get("no_data", "")) for d in details]
    output.emit_cards(details, cards, out.fmt, fields, flat_columns=views.POINT_CARD_COLUMNS,
                      flatten=views.flat_point, style=out.style)
    _partial(missed)


def _lookup_each(lookup, names: list[str], what: str) -> tuple[list[dict], list[str]]:
    """Look up each name; a miss among hits is told after the hits (exit 1)."""
    from acucli.errors import NotFound

    found, missed = [], []
    for name in names:
        try:
            rec = lookup(name)
        except NotFound as exc:
            if len(names) == 1:
                raise
            missed.append(f"{exc.message}" + (f" ({exc.hints[0]})" if exc.hints else ""))
            continue
        if rec not in found:
            found.append(rec)
    if not found:
        raise NotFound(f"no {what} matches {', '.join(repr(n) for n in names)}")
    return found, missed


def _partial(missed: list[str]) -> None:
    if missed:
        raise NotFound("; ".join(missed))


@app.command("points")
def points_cmd(
    meridian: MeridianOpt = None,
    region: Annotated[Optional[str], typer.Option("--region", "-r", help="Body region: lower-back, knee, hand ...", autocompletion=_complete("region"))] = None,
    category: CategoryOpt = None,
    condition: ConditionOpt = None,
    search: Annotated[Optional[str], typer.Option("--search", "-s", help="Words that must all appear (name, location, actions, indications).")] = None,
    fmt: FormatOpt = None,
    fields: FieldsOpt = None,
    no_color: NoColorOpt = False,
    pregnant: PregnantOpt = False,
    bleeding_risk: BleedingOpt = False,
    pacemaker: PacemakerOpt = False,
    omit_cautioned: OmitOpt = False,
):
    """List points; filters combine (AND)."""
    from acucli import query as q

    answer = q.list_points(_kb(), meridian, region, category, condition, search,
                           _context(pregnant, bleeding_risk, pacemaker, omit_cautioned))
    title = f"Points for {condition}" if condition else "Points"
    _rows(answer, fmt, fields, no_color, title=title, empty="no points match these filters")


@app.command("meridians")
def meridians_cmd(fmt: FormatOpt = None, fields: FieldsOpt = None, no_color: NoColorOpt = False):
    """The channels and vessels, with point counts."""
    from acucli import query as q

    _rows(q.Answer(q.meridian_rows(_kb()), []), fmt, fields, no_color, title="Meridians")


@app.command("meridian")
def meridian_cmd(
    code: Annotated[str, typer.Argument(help="KI, UB, SJ, Liver, Du Mai ...", autocompletion=_complete("meridian"))],
    fmt: FormatOpt = None,
    fields: FieldsOpt = None,
    no_color: NoColorOpt = False,
):
    """One channel and its points in order."""
    from acucli import output, query as q

    m, rows = q.meridian_detail(_kb(), code)
    f = output.choose_format(fmt)
    if f == "table" and not fields:
        from acucli.cards import meridian_card

        output.emit_cards([m], [meridian_card(m, rows)], f, style=output.Style(no_color))
    elif f in ("json", "yaml") and not fields:
        output.emit_cards([{**m, "points": rows}], [], f)
    else:
        output.emit_rows(rows, f, fields, title=f"{m['code']} {m['english']}", style=output.Style(no_color))


# -------------------------------------------------------------- conditions


@app.command("conditions")
def conditions_cmd(fmt: FormatOpt = None, fields: FieldsOpt = None, no_color: NoColorOpt = False):
    """Conditions with evidence grade and core points."""
    from acucli import query as q

    _rows(q.Answer(q.condition_rows(_kb()), []), fmt, fields, no_color, title="Conditions",
          empty="no conditions in the data")


@app.command("condition")
def condition_cmd(
    name: Annotated[List[str], typer.Argument(help="Id or name: osteoporosis, LBP, 腰痛 ...", autocompletion=_complete("condition"))],
    fmt: FormatOpt = None,
    fields: FieldsOpt = None,
    no_color: NoColorOpt = False,
    pregnant: PregnantOpt = False,
    bleeding_risk: BleedingOpt = False,
    pacemaker: PacemakerOpt = False,
):
    """The full condition card: points, evidence, guidelines, red flags, claims."""
    from acucli import output, query as q, views

    html = fmt == "html"
    out = output.configure(None if html else fmt, fields, no_color)
    lib = _lib()
    ctx = _context(pregnant, bleeding_risk, pacemaker)
    d = q.condition_detail(lib.kb, " ".join(name), ctx)
    if html:
        from acucli import charts, html as page

        codes = [i["code"] for i in d["prescription"] if i.get("code")]
        records = {c: lib.kb.get("points", c) for c in codes}
        sys.stdout.write(page.condition_page(d, charts.svg(codes, records, title=d["name"]), lib.kb.references))
        return
    cards = []
    if out.fmt in ("table", "markdown"):
        from acucli.cards import condition_card

        cards = [condition_card(d)]
    elif ctx.active:
        _notes(d["context"]["notes"])
    output.emit_cards([d], cards, out.fmt, fields, flat_columns=views.CONDITION_CARD_COLUMNS,
                      flatten=views.flat_condition, style=out.style)


# ------------------------------------------------------------------- herbs


@app.command("herb")
def herb_cmd(
    name: Annotated[List[str], typer.Argument(help="du zhong, duzhong, 杜仲, 'Eucommiae Cortex', fo-ti ...", autocompletion=_complete("herb"))],
    fmt: FormatOpt = None,
    fields: FieldsOpt = None,
    no_color: NoColorOpt = False,
):
    """One herb card; an ambiguous name lists the candidates with their safety."""
    from acucli import output, query as q, views

    out = output.configure(fmt, fields, no_color)
    lib = _lib()
    h, notes = lib.herb_match(" ".join(name))
    details = [q.herb_detail(lib.kb, h)]
    _notes(notes)
    cards = []
    if out.fmt in ("table", "markdown"):
        from acucli.cards import herb_card

        cards = [herb_card(d, lib.kb.safety.get("no_data", "")) for d in details]
    output.emit_cards(details, cards, out.fmt, fields, flat_columns=views.HERB_CARD_COLUMNS,
                      flatten=views.flat_herb, style=out.style)


@app.command("herbs")
def herbs_cmd(
    category: Annotated[Optional[str], typer.Option("--category", help="tonifying, heat-clearing, ...", autocompletion=_complete("herb-category"))] = None,
    nature: Annotated[Optional[str], typer.Option("--nature", help="cold, cool, neutral, warm, hot")] = None,
    flavor: Annotated[Optional[str], typer.Option("--flavor", "--flavour", help="sour, bitter, sweet, acrid, salty, bland, astringent")] = None,
    channel: Annotated[Optional[str], typer.Option("--channel", help="Channel entered: KI, LR ...")] = None,
    condition: ConditionOpt = None,
    caution: Annotated[Optional[str], typer.Option("--caution", help="pregnancy, toxic, hepatotoxicity, banned, conservation ...")] = None,
    interacts: Annotated[Optional[str], typer.Option("--interacts", help="warfarin, anticoagulants, diuretics ...")] = None,
    search: Annotated[Optional[str], typer.Option("--search", "-s", help="Words that must all appear.")] = None,
    include_banned: Annotated[bool, typer.Option("--include-banned", help="Also list banned and prohibited items.")] = False,
    fmt: FormatOpt = None,
    fields: FieldsOpt = None,
    no_color: NoColorOpt = False,
):
    """List herbs; filters combine (AND). Safety is a column of its own."""
    from acucli import query as q

    answer = q.list_herbs(_kb(), category, nature, flavor, channel, condition, caution, interacts,
                          search, include_banned)
    _rows(answer, fmt, fields, no_color, title="Herbs", empty="no herbs match these filters")


# ---------------------------------------------------------------- formulas


@app.command("formula")
def formula_cmd(
    name: Annotated[List[str], typer.Argument(help="liu wei di huang wan, 六味地黄丸, Six-Ingredient Rehmannia Pill ...")],
    fmt: FormatOpt = None,
    fields: FieldsOpt = None,
    no_color: NoColorOpt = False,
):
    """One formula: composition with doses and roles, actions, and the cautions of its herbs."""
    from acucli import formulas, output, views

    out = output.configure(fmt, fields, no_color)
    lib = _lib()
    d = formulas.formula_detail(lib.kb, lib.formula_record(" ".join(name)))
    cards = []
    if out.fmt in ("table", "markdown"):
        from acucli.cards import formula_card

        cards = [formula_card(d)]
    output.emit_cards([d], cards, out.fmt, fields, flat_columns=views.FORMULA_CARD_COLUMNS,
                      flatten=views.flat_formula, style=out.style)


@app.command("formulas")
def formulas_cmd(
    herb: Annotated[Optional[str], typer.Option("--herb", help="Formulas that contain this herb.")] = None,
    category: Annotated[Optional[str], typer.Option("--category", help="tonifying, heat-clearing, blood-regulating ...")] = None,
    pattern: Annotated[Optional[str], typer.Option("--pattern", help="Words of a pattern or indication.")] = None,
    search: Annotated[Optional[str], typer.Option("--search", "-s", help="Words that must all appear.")] = None,
    fmt: FormatOpt = None,
    fields: FieldsOpt = None,
    no_color: NoColorOpt = False,
):
    """List formulas; filters combine (AND)."""
    from acucli import formulas, output

    out = output.configure(fmt, fields, no_color)
    lib = _lib()
    rows = [formulas.formula_row(lib.kb, f) for f in formulas.list_formulas(lib, herb, category, pattern, search)]
    if not rows:
        raise NotFound("no formulas match these filters")
    output.emit_rows(rows, out.fmt, fields, title="Formulas", style=out.style)


# ------------------------------------------------------------------- check


@app.command("check")
def check_cmd(
    items: Annotated[List[str], typer.Argument(help="Points, herbs and formulas: ST36 du-zhong 'du huo ji sheng tang' ...")],
    drug: Annotated[Optional[List[str]], typer.Option("--drug", help="A medicine the patient takes (repeat): warfarin, Eliquis, aspirin ...")] = None,
    dose: Annotated[Optional[List[str]], typer.Option("--dose", help="HERB=GRAMS (repeat): the dose you intend.")] = None,
    pregnant: PregnantOpt = False,
    bleeding_risk: BleedingOpt = False,
    pacemaker: PacemakerOpt = False,
    fmt: FormatOpt = None,
    fields: FieldsOpt = None,
    no_color: NoColorOpt = False,
):
    """Check a prescription against a patient: one finding per problem.

    Exit 0: nothing contraindicated or major; 4: a contraindicated or major
    finding; 1: an unknown item; 2: usage. A herb and a drug with no
    interaction data are reported as no-data, never as safe.
    """
    from acucli import check, output
    from acucli.errors import AcuError, EXIT_FINDINGS

    out = output.configure(fmt, fields, no_color)
    lib = _lib()
    report = check.check(lib, items, drugs=drug or [], pregnant=pregnant, bleeding_risk=bleeding_risk,
                         pacemaker=pacemaker, doses=check.parse_doses(dose))
    formula_ids = {i["id"] for i in report.items if i["kind"] == "formula"}
    top = [i["id"] for i in report.items if i["from"] not in formula_ids]
    expanded = [i["id"] for i in report.items if i["from"] in formula_ids]
    _notes([f"checked: {', '.join(top)}"] + ([f"formula herbs: {', '.join(expanded)}"] if expanded else []))
    rows = report.rows() or [{"severity": "none", "kind": "-", "items": [], "message": "no problem found in the data (this is not a guarantee of safety)", "sources": []}]
    output.emit_rows(rows, out.fmt, fields, title="Check", style=out.style,
                     columns=["severity", "kind", "items", "message", "sources"])
    if report.serious:
        n = sum(f.severity in check.SERIOUS for f in report.findings)
        raise AcuError(f"{n} contraindicated or major finding(s)", code=EXIT_FINDINGS)


# ------------------------------------------------------------------ search


@app.command("search")
def search_cmd(
    text: Annotated[List[str], typer.Argument(help="Words, lay phrases or hanzi: 'back of the knee', warfarin, 太溪 ...")],
    kind: Annotated[Optional[str], typer.Option("--kind", "-k", help="Only one kind: point, herb, formula, condition, reference, drug.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many results.")] = 30,
    fmt: FormatOpt = None,
    fields: FieldsOpt = None,
    no_color: NoColorOpt = False,
):
    """Ranked search over every record, for when you know neither code nor name.

    Columns: kind, id, name, detail, score (higher is better), matched (which
    parts of the record matched: name, category/indication, location, text, hanzi).
    """
    from acucli import output

    out = output.configure(fmt, fields, no_color)
    words = " ".join(text)
    rows = _lib().search(words, kind=kind, limit=limit)
    if not rows:
        raise NotFound(f"nothing matches {words!r}")
    output.emit_rows(rows, out.fmt, fields, title="Search", style=out.style)


# ------------------------------------------------------------- data files


@app.command("validate")
def validate_cmd(
    paths: Annotated[Optional[List[str]], typer.Argument(help="YAML files to check (default: bundled data and overlays).")] = None,
):
    """Check data files; every problem is reported as file:line: message (exit 2 if any)."""
    from acucli import datacheck

    problems, summary = datacheck.validate_paths(paths or [])
    if problems:
        raise DataError(problems)
    print(summary)


@app.command("sources")
def sources_cmd(fmt: FormatOpt = None, fields: FieldsOpt = None, no_color: NoColorOpt = False):
    """Which data files were loaded, and the cache in use."""
    from acucli import query as q

    kb = _kb()
    rows = []
    for f in kb.section("files"):
        rows.append({"path": f["path"], "kind": "bundled" if f["bundled"] else "overlay",
                     "records": dict(f["records"])})  # kind -> count
    _notes([f"cache: {kb.meta.get('cache')}"])
    _rows(q.Answer(rows, []), fmt, fields, no_color, title="Data files")


@app.command("references")
def references_cmd(fmt: FormatOpt = None, fields: FieldsOpt = None, no_color: NoColorOpt = False):
    """Every source the data cites, by id."""
    from acucli import query as q

    rows = [{"id": r["id"], "kind": r["kind"], "citation": r["citation"],
             "doi": r.get("doi", ""), "pmid": r.get("pmid", ""), "cochrane": r.get("cochrane", "")}
            for r in _kb().references]
    _rows(q.Answer(rows, []), fmt, fields, no_color, title="References")


# -------------------------------------------------------------------- study


def version_callback(value: bool):
    if value:
        print(f"acu {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[bool, typer.Option("--version", "-V", callback=version_callback, is_eager=True,
                                          help="Show the version and exit.")] = False,
):
    pass


from acucli.study.commands import register as _register_study  # noqa: E402 - needs `app`

_register_study(app)

from acucli.chart_cmd import register as _register_chart  # noqa: E402 - needs `app`

_register_chart(app)


# ----------------------------------------------------------------- the edge


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: the one place errors become exit codes."""
    import os

    from typer import Abort, Exit
    from typer.exceptions import TyperException

    _setup_streams()
    args = sys.argv[1:] if argv is None else argv
    code = 0
    try:
        command = typer.main.get_command(_app_for(args))
        rv = command.main(args=args, prog_name="acu", standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
        if code == EXIT_INTERRUPTED:  # Typer returns Ctrl-C as 130
            sys.stderr.write("\nacu: interrupted\n")
    except Exit as exc:
        code = exc.exit_code
        if code == EXIT_INTERRUPTED:  # Typer turns Ctrl-C into Exit(130)
            sys.stderr.write("\nacu: interrupted\n")
    except TyperException as exc:  # usage errors from argument parsing
        if hasattr(exc, "show"):
            exc.show()
        else:
            sys.stderr.write(f"acu: {exc.format_message()}\n")
        code = exc.exit_code
    except Ambiguous as exc:
        _ambiguous(exc)
        code = exc.code
    except AcuError as exc:
        _error(exc)
        code = exc.code
    except (KeyboardInterrupt, Abort):
        sys.stderr.write("\nacu: interrupted\n")
        code = EXIT_INTERRUPTED
    except (BrokenPipeError, _PipeClosed):
        code = 0  # `acu points | head -1`: the reader has what it wanted
    except _OutputFailed as exc:
        _say_stderr(f"acu: cannot write output: {exc}\n")
        _devnull_stdout()
        code = 2
    except RecursionError:
        sys.stderr.write("acu: input nested too deeply\n")
        code = 2
    except Exception as exc:  # the last line of defence: no traceback for users
        if os.environ.get("ACU_DEBUG"):
            raise
        sys.stderr.write(f"acu: internal error: {type(exc).__name__}: {exc}\n"
                         "acu: this is a bug; set ACU_DEBUG=1 to see the traceback\n")
        code = EXIT_INTERNAL
    failed = _flush_quietly()
    if failed and code in (0, 1):
        code = failed
    sys.exit(code)


def _app_for(args: list) -> typer.Typer:
    """Typer builds every command's parameters at start-up; build only the one asked for.

    `acu` and `acu --help` still get the whole app, so help lists everything.
    """
    if not args or args[0].startswith("-"):
        return app
    name = args[0]
    cmds = [c for c in app.registered_commands if (c.name or c.callback.__name__) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if not cmds and not groups:
        return app
    small = typer.Typer(rich_markup_mode=app.rich_markup_mode, pretty_exceptions_enable=False)
    small.info = app.info
    small.registered_callback = app.registered_callback
    small.registered_commands = cmds
    small.registered_groups = groups
    return small


def _ambiguous(exc: Ambiguous) -> None:
    """Every kind, one rule: the candidates as rows on stdout, the message on stderr."""
    from acucli import output, views

    _error(exc)
    output.emit_candidates(views.candidate_rows(exc.kind, _kb(), exc.candidates),
                           title=f"Which {exc.kind[:-1]}?")


def _error(exc: AcuError) -> None:
    from acucli.text import clean

    if isinstance(exc, DataError) and exc.problems:
        for p in exc.problems:
            sys.stderr.write(clean(str(p)) + "\n")
        sys.stderr.write(f"acu: {len(exc.problems)} problem(s) in the data\n")
    else:
        sys.stderr.write(f"acu: {clean(exc.message)}\n")
    for h in exc.hints:
        sys.stderr.write(f"acu: {clean(h)}\n")


class _PipeClosed(Exception):
    """stdout's reader went away. Not an OSError, so Typer's own EPIPE handler
    (which exits 1) does not see it; main() exits quietly with 0."""


class _OutputFailed(Exception):
    """stdout cannot be written (closed, disk full, an I/O error): exit 2 with a message."""


class _Stdout:
    """sys.stdout, with a closed pipe turned into _PipeClosed and any other write
    failure into _OutputFailed (neither is an OSError, so no handler of Typer's
    or Rich's takes them for its own)."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        if self._stream is None:
            raise _OutputFailed("standard output is closed")
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise _PipeClosed() from None
        except (OSError, ValueError) as exc:
            raise _OutputFailed(getattr(exc, "strerror", None) or str(exc)) from None

    def flush(self):
        if self._stream is None:
            return None
        try:
            return self._stream.flush()
        except BrokenPipeError:
            raise _PipeClosed() from None
        except (OSError, ValueError) as exc:
            raise _OutputFailed(getattr(exc, "strerror", None) or str(exc)) from None

    def isatty(self):
        try:
            return bool(self._stream is not None and self._stream.isatty())
        except (OSError, ValueError):
            return False

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _setup_streams() -> None:
    import io

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError, OSError):
            continue
    if not isinstance(sys.stdout, _Stdout):
        sys.stdout = _Stdout(sys.stdout)  # None (`>&-`) too: writing then says so
    if sys.stdin is None:
        sys.stdin = io.StringIO("")  # `<&-`: no input is the end of input
    if sys.stderr is None:
        sys.stderr = io.StringIO()
    elif not isinstance(sys.stderr, _Stderr):
        sys.stderr = _Stderr(sys.stderr)


class _Stderr:
    """Messages for a reader who may have gone (`acu ... 2>&1 | head -1`): once
    stderr cannot be written, what is left to say is dropped. The exit code
    still tells the outcome."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        if self._stream is not None:
            try:
                self._stream.write(text)
            except (OSError, ValueError):
                self._gone()
        return len(text)

    def flush(self) -> None:
        if self._stream is not None:
            try:
                self._stream.flush()
            except (OSError, ValueError):
                self._gone()

    def _gone(self) -> None:
        import os

        self._stream = None
        try:  # Python's own flush at exit must not fail on it again
            fd = os.open(os.devnull, os.O_WRONLY)
            os.dup2(fd, 2)
            os.close(fd)
        except OSError:
            pass

    def isatty(self) -> bool:
        try:
            return bool(self._stream is not None and self._stream.isatty())
        except (OSError, ValueError):
            return False

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _say_stderr(text: str) -> None:
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):
        return


def _flush_quietly() -> int | None:
    """Flush stdout at the end. After a closed pipe or a failed write, Python's own
    flush at exit would fail again: point the descriptor at devnull. Returns 2
    when output could not be written."""
    try:
        sys.stdout.flush()
        return None
    except _OutputFailed as exc:
        _say_stderr(f"acu: cannot write output: {exc}\n")
        _devnull_stdout()
        return 2
    except (BrokenPipeError, _PipeClosed, ValueError, OSError):
        _devnull_stdout()
        return None


def _devnull_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno())
    except (OSError, ValueError, AttributeError):
        return
