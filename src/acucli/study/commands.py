"""Study commands, registered on the main app: quiz, study, stats, export.

Everything heavy (fsrs, sqlite3, genanki, random) is imported inside the
command functions, so `acu point` never pays for it.
"""

from __future__ import annotations

from typing import Annotated, List, Optional

import typer

from acucli.options import CategoryOpt, ConditionOpt, FieldsOpt, FormatOpt, MeridianOpt, NoColorOpt

KIND_HELP = ("Question kinds, repeatable or comma-separated: code-name, name-code, location-point, "
             "point-channel, point-categories, condition-points, herb-category, herb-nature, "
             "herb-channels (also: points, herbs, all).")


def _complete_kind(incomplete: str):
    from acucli.study.questions import KIND_GROUPS, KINDS

    return [k for k in [*KINDS, *KIND_GROUPS] if k.startswith(incomplete)]


KindOpt = Annotated[Optional[List[str]], typer.Option("--kind", "-k", help=KIND_HELP, autocompletion=_complete_kind)]
ChoicesOpt = Annotated[int, typer.Option("--choices", min=0, max=26,
                                         help="Multiple choice with this many options (0: type the answer).")]


def _kb():
    from acucli import kb

    return kb.load()


def _selection(kb, kind, meridian, category, condition):
    from acucli.errors import NotFound
    from acucli.output import say
    from acucli.study import questions as Q

    sel = Q.select(kb, Q.parse_kinds(kind), meridian, category, condition)
    for n in sel.notes:
        say(f"acu: {n}")
    if not sel.items:
        raise NotFound("no questions match these filters",
                       [f"kinds asked: {', '.join(sel.kinds)}"])
    return sel


def _check_choices(choices: int) -> None:
    from acucli.errors import UsageError

    if choices == 1:
        raise UsageError("--choices needs at least 2 options (or 0 for typed answers)")


def register(app) -> None:
    app.command("quiz")(quiz_cmd)
    app.command("study")(study_cmd)
    app.command("stats")(stats_cmd)
    export = typer.Typer(rich_markup_mode=None, help="Export flashcards: an Anki deck, or rows for other tools.",
                         no_args_is_help=True)
    export.command("anki")(export_anki_cmd)
    export.command("cards")(export_cards_cmd)
    app.add_typer(export, name="export")


# ------------------------------------------------------------------- quiz


def quiz_cmd(
    kind: KindOpt = None,
    meridian: MeridianOpt = None,
    category: CategoryOpt = None,
    condition: ConditionOpt = None,
    n: Annotated[int, typer.Option("-n", "--number", min=1, help="How many questions.")] = 10,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Same seed, same questions in the same order.")] = None,
    choices: ChoicesOpt = 0,
    fmt: FormatOpt = None,
    fields: FieldsOpt = None,
    no_color: NoColorOpt = False,
):
    """A quiz drawn from the records. Answers are read from stdin, one per line.

    Typed answers take every form a lookup takes (KI3, k 3, Kidney 3, taixi,
    Tàixī, 太溪, Great Ravine) and ignore case, tone marks, spaces and
    punctuation. A near miss is called "close" and counts as wrong; a wrong
    answer is explained (what the point given is, and how to tell the two
    apart). With --choices N the choices are numbered: answer with a number
    (or the text of a choice); anything else is asked again. q, quit or end
    of input ends the quiz; the rest count as unanswered.

    Without --format: questions, feedback and a score as plain text on stdout.
    --format json: one object {seed, kinds, total, answered, correct, close,
    wrong, unanswered, percent, questions: [{n, id, kind, record, prompt,
    choices, answer, accepted, correct_choice, given, chosen, result, correct}]};
    given is the line typed, chosen the text of the choice it picked (or null);
    result is correct|close|wrong|unanswered. Other formats: one row per
    question (n, id, kind, prompt, given, result, answer).
    """
    import random

    from acucli import output
    from acucli.study import quiz
    from acucli.study.console import Console

    _check_choices(choices)
    if fmt is not None:
        output.choose_format(fmt)
    kb = _kb()
    sel = _selection(kb, kind, meridian, category, condition)
    if seed is None:
        seed = random.SystemRandom().randrange(1, 1_000_000)
    questions = quiz.build(kb, sel, n, seed, choices)
    if len(questions) < n:
        output.say(f"acu: only {len(questions)} question(s) match these filters")
    con = Console(no_color=no_color, quiet=fmt is not None)
    outcomes = quiz.run(kb, questions, con)
    if fmt is None:
        quiz.show_summary(con, outcomes, seed)
    elif fmt == "json" and not fields:
        import sys

        sys.stdout.write(output.to_json(quiz.result_json(kb, outcomes, seed, sel.kinds)) + "\n")
    else:
        output.emit_rows(quiz.result_rows(outcomes), fmt, fields, title="Quiz",
                         style=output.Style(no_color))


# ------------------------------------------------------------------ study


def study_cmd(
    kind: KindOpt = None,
    meridian: MeridianOpt = None,
    category: CategoryOpt = None,
    condition: ConditionOpt = None,
    n: Annotated[Optional[int], typer.Option("-n", "--number", min=1, help="At most this many cards this session.")] = None,
    new: Annotated[int, typer.Option("--new", min=0, help="New cards per day (counted per calendar day).")] = 20,
    grade: Annotated[str, typer.Option("--grade", help="typed: type the answer, graded pass (good) or fail (again); "
                                                       "self: see the answer, rate again/hard/good/easy (1-4 or a/h/g/e).")] = "typed",
    self_grade: Annotated[bool, typer.Option("--self", help="Same as --grade self.")] = False,
    cram: Annotated[bool, typer.Option("--cram", help="Review everything selected, due or not; scheduling is not changed.")] = False,
    choices: ChoicesOpt = 0,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Same seed, same order of new cards and choices.")] = None,
    no_color: NoColorOpt = False,
):
    """Spaced repetition (FSRS): due cards first, then new ones, one answer per line on stdin.

    A card is one fact of one record (its name, code, location, channel,
    categories; a condition's core points; a herb's category, nature,
    channels). New cards come shuffled, channels and herb categories mixed,
    and at most one card of a record a day (KI3's name->code and code->name
    cards are introduced on different days). q, quit or end of input (Ctrl-D)
    ends the session. Progress is kept in ACU_HOME/progress.sqlite3; every
    answer is saved as it is given, so Ctrl-C or a crash loses nothing already
    answered. If another acu is writing to it, the session says so and waits.
    """
    import random
    import time

    from acucli.errors import StoreError, UsageError
    from acucli.study import session
    from acucli.study.console import Console
    from acucli.study.store import Store

    mode = "self" if self_grade else grade.strip().lower()
    if mode not in ("typed", "self"):
        raise UsageError(f"unknown --grade {grade!r}", ["valid: typed, self"])
    _check_choices(choices)
    kb = _kb()
    sel = _selection(kb, kind, meridian, category, condition)
    if seed is None:
        seed = random.SystemRandom().randrange(1, 1_000_000)
    store = Store.open(create=not cram)
    try:
        now = time.time()
        p = session.plan(store, sel.items, now, new, n, cram, seed=seed, kb=kb)
        con = Console(no_color=no_color)
        if not p.queue and not any(d <= now + session.LEARN_AHEAD for d, _ in p.learning):
            _nothing_due(con, store, sel, p)
            return
        if not cram:
            store.wait_for_writing()  # before the first question, not after its answer
            con.line(session.new_cards_line(p, new), "dim")
        res = session.SessionResult()
        try:
            session.run(kb, store, p, con, mode=mode, cram=cram, choices=choices, seed=seed, res=res)
        except (KeyboardInterrupt, StoreError):
            # The answers given so far are saved; say how many, and which one is not.
            session.show_summary(con, res, cram)
            raise
        session.show_summary(con, res, cram)
    finally:
        if store:
            store.close()


def _nothing_due(con, store, sel, p) -> None:
    import time

    states = store.cards([it.id for it in sel.items]) if store else {}
    upcoming = sorted(c.due for c in states.values())
    con.line("Nothing to study now.")
    if upcoming:
        con.line("Next review: " + time.strftime("%Y-%m-%d %H:%M", time.localtime(upcoming[0])))
    if p.new_total and not p.new_taken:
        if p.new_today < p.new_limit:
            con.line(f"{p.new_deferred} new card(s) wait for another day: their sibling cards "
                     "(the same point or herb) were studied today.")
        else:
            con.line(f"{p.new_total} new card(s) wait; today's new-card limit is reached (--new raises it).")


# ------------------------------------------------------------------ stats


def stats_cmd(
    kind: KindOpt = None,
    meridian: MeridianOpt = None,
    category: CategoryOpt = None,
    condition: ConditionOpt = None,
    fmt: FormatOpt = None,
    fields: FieldsOpt = None,
    no_color: NoColorOpt = False,
):
    """Study progress: what is due, what is learnt, how well it is remembered.

    One row; JSON is a list with one object whose keys are:
    cards (in the selection, plus every studied card when no filter is given),
    studied (reviewed at least once), new (never reviewed), learning (in
    learning or relearning steps), review (graduated), young and mature
    (review cards; mature: stability or interval of 21 days or more),
    due_now, due_today (by local midnight, overdue included),
    due_day1 .. due_day7 (due on each of the next 7 calendar days),
    new_today (cards of the selection first seen today), reviews_total,
    reviews_30d, retention_30d (percent of the last 30 days' reviews not rated
    "again"; null without reviews). Filters (-k, --meridian, --category,
    --condition) count only the cards they select, as `acu study` would.
    A terminal table or markdown shows one line per count, in plain words
    ("Due tomorrow (Thu 3 Dec)"); --fields still takes the keys above.
    """
    from acucli import output
    from acucli.study import questions as Q
    from acucli.study import stats
    from acucli.study.store import Store

    f = output.choose_format(fmt)
    kb = _kb()
    filtered = any((kind, meridian, category, condition))
    sel = Q.select(kb, Q.parse_kinds(kind), meridian, category, condition)
    store = Store.open(create=False)
    try:
        row = stats.compute(store, [it.id for it in sel.items], all_cards=not filtered)
    finally:
        if store:
            store.close()
    if f in ("table", "markdown"):
        keys = output.pick_fields(list(row), fields)
        words = stats.labels()
        rows = [{"progress": words.get(k, k), "count": stats.display_value(k, row[k])} for k in keys]
        output.emit_rows(rows, f, None, title="Study progress", style=output.Style(no_color))
    else:
        output.emit_rows([row], f, fields, title="Study progress", style=output.Style(no_color))


# ----------------------------------------------------------------- export


WhatOpt = Annotated[str, typer.Option("--what", "-w", help="points, herbs or condition (one note per record).")]


def export_anki_cmd(
    output_file: Annotated[str, typer.Option("--output", "-o", help="The .apkg file to write (- for stdout).")],
    what: WhatOpt = "points",
    condition: ConditionOpt = None,
    meridian: MeridianOpt = None,
    category: CategoryOpt = None,
    progress: Annotated[bool, typer.Option("--progress", help="Carry your `acu study` progress (FSRS state) "
                                                              "into Anki's scheduling.")] = False,
):
    """An Anki package (.apkg). Re-importing a newer export updates the same notes.

    Note types, each fact in its own field: "acu point" (Code, Pinyin, Hanzi,
    Traditional, English, Channel, Location, LocationClue, Locating, Needling,
    Categories, Actions, Indications, Cautions, Chart, Id) with cards code ->
    name, name -> code and location -> point; "acu point categories (cloze)"
    with a cloze card per category; "acu herb" (category, nature, channels,
    Latin -> herb); "acu condition" (condition -> points). Cautions are always
    on the back ("no data" where the data has none).

    --progress: cards studied with `acu study` keep their state (learning,
    review, due date, interval, reps, lapses, FSRS stability and difficulty);
    import with "Import any learning progress" (scheduling) on to keep it.
    -o - writes to stdout; a device or a pipe is written straight, never replaced.
    """
    from acucli.output import say
    from acucli.study import export

    kb = _kb()
    export._what(what)
    states = None
    if progress:
        from acucli.study.store import Store

        store = Store.open(create=False)
        if store is None:
            say("acu: no study progress yet; every card is exported as new")
            states = {}
        else:
            try:
                states = store.cards()
            finally:
                store.close()
    count = export.export_anki(kb, what, output_file, condition, meridian, category, progress=states)
    where = "stdout" if output_file == "-" else output_file
    say(f"acu: wrote {count} note(s) to {where}")


def export_cards_cmd(
    what: WhatOpt = "points",
    condition: ConditionOpt = None,
    meridian: MeridianOpt = None,
    category: CategoryOpt = None,
    output_file: Annotated[Optional[str], typer.Option("--output", "-o", help="File to write (default or -: stdout).")] = None,
    fmt: FormatOpt = None,
    fields: FieldsOpt = None,
    no_color: NoColorOpt = False,
):
    """Flashcards as rows for other tools: front, back, id, tags.

    --format csv|tsv|json|jsonl|yaml (default: from the -o suffix, else tsv in
    a pipe). Tags are a list in JSON, space-separated in csv/tsv. -o - is
    stdout; a device or a pipe is written straight, a symlink is followed to
    its file, and nothing that is not a regular file is ever replaced.
    """
    from acucli import output
    from acucli.study import export, outfile

    if output_file == "-":
        output_file = None
    if fmt is None and output_file:
        suffix = output_file.rsplit(".", 1)[-1].lower() if "." in output_file else ""
        fmt = {"csv": "csv", "tsv": "tsv", "txt": "tsv", "json": "json", "jsonl": "jsonl",
               "yaml": "yaml", "yml": "yaml", "md": "markdown"}.get(suffix, "tsv")
    f = output.choose_format(fmt)
    if output_file and f == "table":
        f = "tsv"
    if output_file:
        outfile.target(output_file)  # refuse a bad -o before any work
    kb = _kb()
    rows = export.rows(export.notes(kb, what, condition, meridian, category), f)
    if not output_file:
        output.emit_rows(rows, f, fields, title="Cards", style=output.Style(no_color))
        return
    _write_rows_to(output_file, rows, f, fields)
    output.say(f"acu: wrote {len(rows)} card(s) to {output_file}")


def _write_rows_to(path: str, rows, fmt, fields) -> None:
    import contextlib

    from acucli import output
    from acucli.study import outfile

    def produce(fh):
        with contextlib.redirect_stdout(fh):
            output.emit_rows(rows, fmt, fields)

    outfile.write(path, produce, binary=False)
