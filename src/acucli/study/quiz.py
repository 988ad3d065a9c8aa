"""`acu quiz`: a run of questions, one typed or chosen answer per line, a score."""

from __future__ import annotations

from dataclasses import dataclass

from acucli.study.questions import CLOSE, CORRECT, UNANSWERED, WRONG, Question, Verdict

STOP_HINT = "(type q, or press Ctrl-D, to stop)"


@dataclass
class Outcome:
    question: Question
    given: str | None
    verdict: Verdict | None  # None: unanswered
    chosen: str | None = None  # the text of the choice picked, in multiple choice

    @property
    def shown_answer(self) -> str | None:
        """What the user answered, as they saw it: the chosen text, not its number."""
        return self.chosen if self.chosen is not None else self.given

    @property
    def result(self) -> str:
        return self.verdict.result if self.verdict else UNANSWERED

    @property
    def correct(self) -> bool:
        return self.result == CORRECT


def build(kb, selection, n: int, seed: int, choices: int = 0) -> list[Question]:
    """The questions for this seed: same seed and filters, same questions in the same order."""
    import random

    from acucli.study.questions import make_question, sample

    rng = random.Random(seed)
    items = sample(kb, selection, n, rng)
    return [make_question(kb, it, rng, choices) for it in items]


def show_question(con, i: int, total: int, q: Question) -> None:
    con.line()
    con.line(f"Question {i}/{total} [{q.kind}]", "bold")
    con.line(q.prompt)
    show_choices(con, q)


def show_choices(con, q: Question) -> None:
    if q.choices:
        for j, c in enumerate(q.choices):
            con.line(f"  {j + 1}) {c}")
        con.line(f"(answer with a number from 1 to {len(q.choices)})", "dim")


def ask(kb, q: Question, con):
    """Read one answer: (given, verdict, chosen index), or None when the user stops
    (q, quit, end of input). In multiple choice, input that is not one of the
    choices is asked again, never graded."""
    from acucli.study.questions import choice_index, grade, grade_choice, is_quit

    while True:
        given = con.read()
        if given is None or is_quit(given):
            return None
        if not q.choices:
            return given, grade(kb, q, given), None
        idx = choice_index(q, given)
        if idx is not None:
            return given, grade_choice(q, idx), idx
        con.line(f"answer with a number from 1 to {len(q.choices)} (q to stop)", "close")


def feedback(con, q: Question, v: Verdict, kb=None, given: str | None = None, chosen: int | None = None) -> None:
    extra = f" ({v.note})" if v.note else ""
    if v.result == CORRECT:
        con.line("correct" + (f": {q.answer}" if q.kind in ("condition-points", "point-categories") else ""),
                 "good")
        return
    if v.result == CLOSE:
        con.line(f"close, but not right{extra}: the answer is {q.answer}", "close")
    else:
        con.line(f"wrong{extra}: the answer is {q.answer}", "bad")
    if kb is not None:
        from acucli.study.questions import explain

        for line in explain(kb, q, given, chosen):
            con.line("  " + line)


def run(kb, questions: list[Question], con) -> list[Outcome]:
    """Ask every question; q, quit or end of input leaves the rest unanswered."""
    outcomes: list[Outcome] = []
    total = len(questions)
    ended = False
    if questions:
        con.line(STOP_HINT, "dim")
    for i, q in enumerate(questions, 1):
        if ended:
            outcomes.append(Outcome(q, None, None))
            continue
        show_question(con, i, total, q)
        got = ask(kb, q, con)
        if got is None:
            ended = True
            outcomes.append(Outcome(q, None, None))
            continue
        given, v, idx = got
        feedback(con, q, v, kb, given, idx)
        outcomes.append(Outcome(q, given, v, q.choices[idx] if idx is not None else None))
    return outcomes


def summary(outcomes: list[Outcome]) -> dict:
    total = len(outcomes)
    right = sum(o.correct for o in outcomes)
    answered = sum(o.verdict is not None for o in outcomes)
    return {
        "total": total,
        "answered": answered,
        "correct": right,
        "close": sum(o.result == CLOSE for o in outcomes),
        "wrong": sum(o.result == WRONG for o in outcomes),
        "unanswered": total - answered,
        "percent": round(100.0 * right / total, 1) if total else 0.0,
    }


def show_summary(con, outcomes: list[Outcome], seed: int) -> None:
    s = summary(outcomes)
    con.line()
    con.line(f"Score: {s['correct']}/{s['total']} ({s['percent']:g}%)", "bold")
    if s["unanswered"]:
        con.line(f"Not answered: {s['unanswered']}")
    missed = [(i, o) for i, o in enumerate(outcomes, 1) if o.result in (WRONG, CLOSE)]
    if missed:
        con.line("Review:")
        for i, o in missed:
            con.line(f"  {i}. {o.question.prompt}")
            con.line(f"     you answered: {o.shown_answer!s}" + ("  (close)" if o.result == CLOSE else ""), "bad")
            con.line(f"     answer: {o.question.answer}", "good")
    con.line(f"(same questions again: --seed {seed})", "dim")


def result_json(kb, outcomes: list[Outcome], seed: int, kinds: list[str]) -> dict:
    """The machine-readable result of a quiz (see `acu quiz --help`)."""
    from acucli.study.questions import accepted_examples

    return {
        "seed": seed,
        "kinds": kinds,
        **summary(outcomes),
        "questions": [{
            "n": i,
            "id": o.question.id,
            "kind": o.question.kind,
            "record": o.question.item.key,
            "prompt": o.question.prompt,
            "choices": o.question.choices,
            "answer": o.question.answer,
            "accepted": accepted_examples(kb, o.question),
            "correct_choice": (o.question.correct_choice + 1) if o.question.choices else None,
            "given": o.given,
            "chosen": o.chosen,
            "result": o.result,
            "correct": o.correct,
        } for i, o in enumerate(outcomes, 1)],
    }


def result_rows(outcomes: list[Outcome]) -> list[dict]:
    return [{"n": i, "id": o.question.id, "kind": o.question.kind, "prompt": o.question.prompt,
             "given": o.given, "result": o.result, "answer": o.question.answer}
            for i, o in enumerate(outcomes, 1)]
