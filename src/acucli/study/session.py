"""`acu study`: spaced repetition with FSRS.

A session shows the cards that are due (oldest first), then new cards up to
the day's limit, then the cards that FSRS put back into short learning steps
(1 and 10 minutes by default) once they come due. Cards due within
LEARN_AHEAD seconds are shown early rather than ending the session.
Every answer is committed on its own (store.Store.review). ``--cram`` goes
through everything selected, due or not, and writes nothing.

New cards are interleaved (see ``interleave``): drawn at random with the
session's seed, at most one card of a record a day (a point's name->code and
code->name cards are siblings and come on different days), and ordered so
that neighbours differ in channel (points) or category (herbs) wherever the
selection allows. ``q``, ``quit`` or end of input ends a session.
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
    new_deferred: int = 0  # new cards left for another day because a sibling comes first
    new_limit: int = 0


def group_of(kb, item: Item) -> tuple:
    """What two neighbouring new cards should not share: a point's channel, a herb's category."""
    if kb is None:
        return (item.record_kind,)
    rec = item.record(kb) or {}
    if item.record_kind == "point":
        return ("point", rec.get("channel"))
    if item.record_kind == "herb":
        return ("herb", rec.get("category"))
    return (item.record_kind, item.key)


def interleave(items: list[Item], rng, group=lambda it: it.kind) -> list[Item]:
    """The items shuffled with rng, then ordered so that no two neighbours share a group
    where the counts allow it (the largest group left goes next unless it just went);
    among a group's cards, the next differs in kind from the card before when it can."""
    pools: dict = {}
    shuffled = list(items)
    rng.shuffle(shuffled)
    for it in shuffled:
        pools.setdefault(group(it), []).append(it)
    order = list(pools)  # first-seen order: random, from the shuffle
    out: list[Item] = []
    last_group = None
    while pools:
        cands = [g for g in order if g in pools and g != last_group] or [last_group]
        most = max(len(pools[g]) for g in cands)
        g = next(g for g in cands if len(pools[g]) == most)
        pool = pools[g]
        prev_kind = out[-1].kind if out else None
        i = next((i for i, it in enumerate(pool) if it.kind != prev_kind), 0)
        out.append(pool.pop(i))
        if not pool:
            del pools[g]
        last_group = g
    return out


def pick_new(fresh: list[Item], room: int, rng, busy_records: set, group=lambda it: it.kind):
    """Up to room new cards: at random, at most one per record, none of a record that
    already had a card today. Returns (picked in interleaved order, deferred count)."""
    pool = list(fresh)
    rng.shuffle(pool)
    taken: list[Item] = []
    records = set(busy_records)
    deferred = 0
    for it in pool:
        rec = (it.record_kind, it.key)
        if rec in records:
            deferred += 1
            continue
        if len(taken) >= room:
            continue
        taken.append(it)
        records.add(rec)
    return interleave(taken, rng, group), deferred


def plan(store, items: list[Item], now: float, new_limit: int, max_cards: int | None, cram: bool,
         seed: int | None = None, kb=None) -> Plan:
    import random

    from acucli.study.store import local_day

    rng = random.Random(seed)
    group = (lambda it: group_of(kb, it))
    states = store.cards([it.id for it in items]) if store else {}
    seen = [it for it in items if it.id in states]
    fresh = [it for it in items if it.id not in states]
    if cram:
        queue = sorted(seen, key=lambda it: states[it.id].due) + interleave(fresh, rng, group)
        p = Plan(queue, new_total=len(fresh))
    else:
        due = sorted((it for it in seen if states[it.id].due <= now), key=lambda it: states[it.id].due)
        soon = sorted(((states[it.id].due, it) for it in seen
                       if now < states[it.id].due and states[it.id].state in LEARNING_STATES),
                      key=lambda x: x[0])
        new_today = store.new_cards_on(local_day(now)) if store else 0
        room = max(0, new_limit - new_today)
        # Siblings (other cards of one record) are spaced by days: a record that had a
        # card introduced or reviewed today, or is due now, gets no new card today.
        today = local_day(now)
        busy = {(it.record_kind, it.key) for it in seen
                if local_day(states[it.id].first_review) == today
                or (states[it.id].last_review is not None and local_day(states[it.id].last_review) == today)
                or states[it.id].due <= now or states[it.id].state in LEARNING_STATES}
        new, deferred = pick_new(fresh, room, rng, busy, group)
        p = Plan(due + new, learning=soon, due_total=len(due), new_total=len(fresh),
                 new_today=new_today, new_taken=len(new), new_deferred=deferred, new_limit=new_limit)
    if max_cards is not None and len(p.queue) > max_cards:
        p.queue = p.queue[:max_cards]
        if not cram:
            p.due_total = min(p.due_total, max_cards)
            p.new_taken = len(p.queue) - p.due_total
    return p


def new_cards_line(p: Plan, limit: int) -> str:
    """'3 due, 5 new (12 of 20 new cards for today)': never '21/20'."""
    started = p.new_today + p.new_taken
    head = f"{p.due_total} due, {p.new_taken} new"
    if started <= limit:
        return f"{head} ({started} of {limit} new cards for today)"
    return f"{head} ({started} new cards today; the limit of {limit} is reached)"


@dataclass
class SessionResult:
    answers: int = 0
    saved: int = 0
    cards: set = field(default_factory=set)
    ratings: Counter = field(default_factory=Counter)
    new: int = 0
    learning_left: int = 0
    next_learning: float | None = None
    stopped: bool = False  # q or quit
    unsaved: str | None = None  # the prompt of an answer that could not be saved


STOP_HINT = "Type q (or press Ctrl-D) to stop; every answer is saved as you give it."


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
        seed: int | None = None, res: SessionResult | None = None) -> SessionResult:
    """Ask until the plan is done or the user stops. res, when given, is filled in as
    the session goes, so a caller still has the counts after an interruption."""
    import random

    from acucli.study.questions import make_question
    from acucli.study.quiz import show_choices

    rng = random.Random(seed)
    res = res if res is not None else SessionResult()
    queue = deque(p.queue)
    learning = list(p.learning)
    total = len(queue)
    con.line(STOP_HINT if not cram else "Type q (or press Ctrl-D) to stop.", "dim")
    while True:
        item = _next(queue, learning, time.time())
        if item is None:
            break
        q = make_question(kb, item, rng, choices if mode == "typed" else 0)
        done = total - len(queue)
        con.line()
        con.line(f"[{done}/{total}] {q.kind}" + (" (again)" if item.id in res.cards else ""), "dim")
        con.line(q.prompt)
        show_choices(con, q)
        start = time.monotonic()
        got = _ask_typed(kb, q, con) if mode == "typed" else _ask_self(q, con)
        if got is None:
            res.stopped = True
            break
        rating, given = got
        elapsed = int((time.monotonic() - start) * 1000)
        res.answers += 1
        res.cards.add(item.id)
        res.ratings[rating] += 1
        if cram:
            continue
        res.unsaved = q.prompt
        r = store.review(item.id, rating, now=time.time(), elapsed_ms=elapsed, mode=mode, given=given)
        res.unsaved = None
        res.saved += 1
        res.new += r.was_new
        if r.card.state in LEARNING_STATES:
            learning.append((r.card.due, item))
    res.learning_left = len(learning)
    if learning:
        res.next_learning = min(d for d, _ in learning)
    return res


def _ask_typed(kb, q, con):
    from acucli.study.quiz import ask, feedback

    got = ask(kb, q, con)
    if got is None:
        return None
    given, v, idx = got
    feedback(con, q, v, kb, given, idx)
    return (3 if v.ok else 1), (q.choices[idx] if idx is not None else given)


def _ask_self(q, con):
    """Enter shows the answer, then a rating; a rating typed at once also counts."""
    from acucli.study.questions import is_quit

    line = con.read("(Enter shows the answer) ")
    if line is None or is_quit(line):
        return None
    rating = parse_rating(line)
    con.line(f"answer: {q.answer}", "good")
    while rating is None:
        line = con.read("again, hard, good, easy [1-4 or a/h/g/e]: ")
        if line is None or is_quit(line):
            return None
        rating = parse_rating(line)
        if rating is None:
            con.line("answer 1, 2, 3 or 4 (or a, h, g, e; q to stop)", "bad")
    return rating, None


def saved_line(res: SessionResult, cram: bool) -> str:
    if cram:
        return "cram mode: nothing saved, scheduling not changed"
    n = res.saved
    return f"{n} answer{'s' if n != 1 else ''} saved"


def show_summary(con, res: SessionResult, cram: bool) -> None:
    con.line()
    parts = ", ".join(f"{RATING_NAMES[r]} {res.ratings[r]}" for r in sorted(res.ratings))
    con.line(f"{'Crammed' if cram else 'Reviewed'} {len(res.cards)} card(s), {res.answers} answer(s)"
             + (f": {parts}" if parts else ""), "bold")
    con.line(saved_line(res, cram), "dim" if cram else None)
    if res.unsaved:
        con.line(f"not saved: the answer to \"{res.unsaved}\"", "bad")
    if not cram and res.learning_left:
        when = time.strftime("%H:%M", time.localtime(res.next_learning))
        con.line(f"{res.learning_left} card(s) still in learning steps; next due at {when} (run acu study again)")
