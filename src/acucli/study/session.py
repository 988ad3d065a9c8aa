"""`acu study`: spaced repetition with FSRS.

A session shows the cards that are due (oldest first), then new cards up to
the day's limit, then the cards that FSRS put back into short learning steps
(1 and 10 minutes by default) once they come due. Cards due within
LEARN_AHEAD seconds are shown early rather than ending the session.
Every answer is committed on its own (store.Store.review). ``--cram`` goes
through everything selected, due or not, and writes nothing.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from dataclasses import dataclass, field

from acucli.study.questions import Item

LEARN_AHEAD = 20 * 60
RATINGS = {"1": 1, "2": 2, "3": 3, "4": 4, "a": 1, "h": 2, "g": 3, "e": 4,
           "again": 1, "hard": 2, "good": 3, "easy": 4}
RATING_NAMES = {1: "again", 2: "hard", 3: "good", 4: "easy"}
LEARNING_STATES = (1, 3)  # fsrs.State.Learning, fsrs.State.Relearning


def parse_rating(text: str) -> int | None:
    return RATINGS.get(text.strip().lower())


@dataclass
class Plan:
    queue: list[Item]
    learning: list[tuple[float, Item]] = field(default_factory=list)  # (due, item)
    due_total: int = 0
    new_total: int = 0  # new cards in the selection
    new_today: int = 0  # new cards already introduced today
    new_taken: int = 0


def plan(store, items: list[Item], now: float, new_limit: int, max_cards: int | None, cram: bool) -> Plan:
    from acucli.study.questions import KINDS
    from acucli.study.store import local_day

    states = store.cards([it.id for it in items]) if store else {}
    seen = [it for it in items if it.id in states]
    fresh = [it for it in items if it.id not in states]
    kind_order = {k: i for i, k in enumerate(KINDS)}
    if cram:
        queue = sorted(seen, key=lambda it: states[it.id].due) + fresh
        p = Plan(queue, new_total=len(fresh))
    else:
        due = sorted((it for it in seen if states[it.id].due <= now), key=lambda it: states[it.id].due)
        soon = sorted(((states[it.id].due, it) for it in seen
                       if now < states[it.id].due and states[it.id].state in LEARNING_STATES),
                      key=lambda x: x[0])
        new_today = store.new_cards_on(local_day(now)) if store else 0
        room = max(0, new_limit - new_today)
        # Sibling cards of one record (its name, its code, ...) are spread apart.
        new = sorted(enumerate(fresh[:room]), key=lambda x: (kind_order[x[1].kind], x[0]))
        p = Plan(due + [it for _, it in new], learning=soon, due_total=len(due), new_total=len(fresh),
                 new_today=new_today, new_taken=len(new))
    if max_cards is not None and len(p.queue) > max_cards:
        p.queue = p.queue[:max_cards]
        if not cram:
            p.due_total = min(p.due_total, max_cards)
            p.new_taken = len(p.queue) - p.due_total
    return p


@dataclass
class SessionResult:
    answers: int = 0
    cards: set = field(default_factory=set)
    ratings: Counter = field(default_factory=Counter)
    new: int = 0
    learning_left: int = 0
    next_learning: float | None = None
    ended_by_eof: bool = False


def _next(queue: deque, learning: list, now: float):
    learning.sort(key=lambda x: x[0])
    if learning and learning[0][0] <= now:
        return learning.pop(0)[1]
    if queue:
        return queue.popleft()
    if learning and learning[0][0] <= now + LEARN_AHEAD:
        return learning.pop(0)[1]
    return None


def run(kb, store, p: Plan, con, mode: str = "typed", cram: bool = False, choices: int = 0,
        seed: int | None = None) -> SessionResult:
    import random

    from acucli.study.questions import make_question

    rng = random.Random(seed)
    res = SessionResult()
    queue = deque(p.queue)
    learning = list(p.learning)
    total = len(queue)
    while True:
        item = _next(queue, learning, time.time())
        if item is None:
            break
        q = make_question(kb, item, rng, choices if mode == "typed" else 0)
        done = total - len(queue)
        con.line()
        con.line(f"[{done}/{total}] {q.kind}" + (" (again)" if item.id in res.cards else ""), "dim")
        con.line(q.prompt)
        if q.choices:
            for j, c in enumerate(q.choices):
                con.line(f"  {j + 1}) {c}")
        start = time.monotonic()
        got = _ask_typed(kb, q, con) if mode == "typed" else _ask_self(q, con)
        if got is None:
            res.ended_by_eof = True
            break
        rating, given = got
        elapsed = int((time.monotonic() - start) * 1000)
        res.answers += 1
        res.cards.add(item.id)
        res.ratings[rating] += 1
        if cram:
            continue
        r = store.review(item.id, rating, now=time.time(), elapsed_ms=elapsed, mode=mode, given=given)
        res.new += r.was_new
        if r.card.state in LEARNING_STATES:
            learning.append((r.card.due, item))
    res.learning_left = len(learning)
    if learning:
        res.next_learning = min(d for d, _ in learning)
    return res


def _ask_typed(kb, q, con):
    from acucli.study.questions import grade
    from acucli.study.quiz import feedback

    given = con.read()
    if given is None:
        return None
    v = grade(kb, q, given)
    feedback(con, q, v)
    return (3 if v.ok else 1), given


def _ask_self(q, con):
    """Enter shows the answer, then a rating; a rating typed at once also counts."""
    line = con.read("(Enter shows the answer) ")
    if line is None:
        return None
    rating = parse_rating(line)
    con.line(f"answer: {q.answer}", "good")
    while rating is None:
        line = con.read("again, hard, good, easy [1-4 or a/h/g/e]: ")
        if line is None:
            return None
        rating = parse_rating(line)
        if rating is None:
            con.line("answer 1, 2, 3 or 4 (or a, h, g, e)", "bad")
    return rating, None


def show_summary(con, res: SessionResult, cram: bool) -> None:
    con.line()
    parts = ", ".join(f"{RATING_NAMES[r]} {res.ratings[r]}" for r in sorted(res.ratings))
    con.line(f"{'Crammed' if cram else 'Reviewed'} {len(res.cards)} card(s), {res.answers} answer(s)"
             + (f": {parts}" if parts else ""), "bold")
    if cram:
        con.line("cram mode: scheduling not changed", "dim")
    elif res.learning_left:
        when = time.strftime("%H:%M", time.localtime(res.next_learning))
        con.line(f"{res.learning_left} card(s) still in learning steps; next due at {when} (run acu study again)")
