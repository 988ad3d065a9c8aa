"""`acu stats`: what is due, how much is learnt, how well it is remembered."""

from __future__ import annotations

import time

MATURE_DAYS = 21.0
RETENTION_DAYS = 30
FORECAST_DAYS = 7

# Documented in `acu stats --help`, in this order.
KEYS = (
    "cards", "studied", "new", "learning", "review", "young", "mature",
    "due_now", "due_today", *(f"due_day{i}" for i in range(1, FORECAST_DAYS + 1)),
    "new_today", "reviews_total", f"reviews_{RETENTION_DAYS}d", f"retention_{RETENTION_DAYS}d",
)


def labels(now: float | None = None) -> dict[str, str]:
    """Plain words for each key, for people (a terminal table, markdown)."""
    now = time.time() if now is None else now
    days = {}
    for i in range(1, FORECAST_DAYS + 1):
        when = time.localtime(_day_start(now, i))
        date = time.strftime("%a %d %b", when).replace(" 0", " ")
        days[f"due_day{i}"] = f"Due tomorrow ({date})" if i == 1 else f"Due in {i} days ({date})"
    return {
        "cards": "Cards",
        "studied": "Studied (seen at least once)",
        "new": "New (never seen)",
        "learning": "In learning steps",
        "review": "Learnt (in review)",
        "young": f"Young (interval under {MATURE_DAYS:g} days)",
        "mature": f"Mature ({MATURE_DAYS:g} days or more)",
        "due_now": "Due now",
        "due_today": "Due by the end of today",
        **days,
        "new_today": "New cards started today",
        "reviews_total": "Answers, all time",
        f"reviews_{RETENTION_DAYS}d": f"Answers, last {RETENTION_DAYS} days",
        f"retention_{RETENTION_DAYS}d": f"Remembered, last {RETENTION_DAYS} days",
    }


def display_value(key: str, value) -> str:
    if value is None:
        return "-"
    if key.startswith("retention_"):
        return f"{value:g}%"
    return str(value)


def _day_start(ts: float, offset_days: int = 0) -> float:
    """Local midnight, offset_days after the day of ts."""
    lt = time.localtime(ts)
    return time.mktime((lt.tm_year, lt.tm_mon, lt.tm_mday + offset_days, 0, 0, 0, 0, 0, -1))


def compute(store, deck_ids: list[str] | None, now: float | None = None, all_cards: bool = True) -> dict:
    """Counts over the cards of deck_ids (plus every studied card when all_cards)."""
    from acucli.study.store import local_day

    now = time.time() if now is None else now
    states = store.cards() if store else {}
    deck = set(deck_ids or [])
    if not all_cards:
        states = {k: v for k, v in states.items() if k in deck}
    ids = set(states)
    out = dict.fromkeys(KEYS, 0)
    out["cards"] = len(deck | ids)
    out["studied"] = len(states)
    out["new"] = len(deck - ids)
    end_today = _day_start(now, 1)
    bounds = [_day_start(now, i) for i in range(1, FORECAST_DAYS + 2)]
    for c in states.values():
        if c.state in (1, 3):
            out["learning"] += 1
        else:
            out["review"] += 1
            if (c.stability or 0) >= MATURE_DAYS or c.interval_days() >= MATURE_DAYS:
                out["mature"] += 1
        if c.due <= now:
            out["due_now"] += 1
        if c.due < end_today:
            out["due_today"] += 1
        for i in range(FORECAST_DAYS):
            if bounds[i] <= c.due < bounds[i + 1]:
                out[f"due_day{i + 1}"] += 1
    out["young"] = out["review"] - out["mature"]
    if store:
        if all_cards:
            out["new_today"] = store.new_cards_on(local_day(now))
        else:  # only the selected cards: the ones first seen since local midnight
            start = _day_start(now)
            out["new_today"] = sum(1 for c in states.values() if c.first_review >= start)
        logs = store.reviews()
        if not all_cards:
            logs = [r for r in logs if r[0] in ids]
        out["reviews_total"] = len(logs)
        since = now - RETENTION_DAYS * 86400
        recent = [r for r in logs if r[1] >= since]
        out[f"reviews_{RETENTION_DAYS}d"] = len(recent)
        kept = sum(1 for r in recent if r[2] != 1)
        out[f"retention_{RETENTION_DAYS}d"] = round(100.0 * kept / len(recent), 1) if recent else None
    else:
        out[f"retention_{RETENTION_DAYS}d"] = None
    return out
