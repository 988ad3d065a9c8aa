"""The public Python API (docs/api.md). The `acu` command is a client of it.

    import acucli
    kb = acucli.open()
    kb.point("taixi").code          # 'KI3'

Lookups return typed records (acucli.models); errors are the exceptions of
acucli.errors: NotFound, Ambiguous (with .candidates) and DataError (with
.problems, each `file:line: message`).
"""

from __future__ import annotations

from acucli import query as q
from acucli.errors import Ambiguous, NotFound, UsageError
from acucli.resolve import resolver


class _LazyModels:
    """acucli.models on first use: building its classes costs ~10 ms, which a
    command-line lookup that prints JSON does not need."""

    def __getattr__(self, name):
        from acucli import models

        return getattr(models, name)


M = _LazyModels()


class Context(q.Context):
    """Patient context: Context(pregnant=True, bleeding_risk=True, pacemaker=True)."""


class Library:
    """Read access to everything acu knows. Build it with acucli.open()."""

    def __init__(self, kb):
        self.kb = kb  # the loaded data (acucli.kb.KB); the methods below are the API

    # ---------------------------------------------------------- points

    def point_record(self, name: str) -> dict:
        """One point in its JSON shape (what `acu point NAME -f json` prints)."""
        _require(name, "point")
        m = resolver(self.kb).point(name)
        if not m.records:
            raise NotFound(f"no point matches {name!r}", _hint(self._point_hits(name, m.suggestions)))
        if m.ambiguous:
            raise Ambiguous(f"{name!r} names {len(m.records)} points; choose one by code",
                            m.records, "points")
        return m.records[0]

    def _point_hits(self, name: str, fuzzy: list[str]) -> list[str]:
        """Close spellings first, then what a search for the words finds."""
        from acucli import search

        out = list(fuzzy[:3])
        if len(name.strip()) >= 3 and not resolver(self.kb).parse_code(name)[0]:
            try:
                hits = search.search(self.kb, name, kind="point", limit=3)
            except UsageError:
                hits = []
            out += [f"{h['id']} {h['name']}" for h in hits if not any(x.startswith(h["id"] + " ") for x in out)]
        return out[:5]

    def point(self, name: str) -> M.Point:
        """A point by code or any name (KI3, taixi, 太溪, Kidney 3)."""
        return M.build(M.Point, self.point_record(name))

    def points(self, meridian=None, region=None, category=None, condition=None, search=None,
               context: q.Context | None = None) -> list[M.Point]:
        """Points matching every filter given (AND)."""
        codes = [r["code"] for r in q.list_points(self.kb, meridian, region, category, condition,
                                                   search, context).items]
        return [M.build(M.Point, self.kb.get("points", c)) for c in codes]

    # ----------------------------------------------------------- herbs

    def herb_record(self, name: str) -> dict:
        return self.herb_match(name)[0]

    def herb_match(self, name: str) -> tuple[dict, list[str]]:
        """A herb and what to tell the user beside it (the look-alikes an exact
        name was chosen over). A generic name whose herbs differ in safety is
        Ambiguous; when their safety is the same, the herb named exactly wins."""
        from acucli.text import fold

        _require(name, "herb")
        m = resolver(self.kb).herb(name)
        if not m.records:
            raise NotFound(f"no herb matches {name!r}", _hint(m.suggestions))
        if m.ambiguous:
            exact = [h for h in m.records if fold(name) in (fold(h["pinyin"]), fold(h["id"]))]
            if len(exact) != 1 or len({tuple(q.herb_safety(h)) for h in m.records}) > 1:
                raise Ambiguous(q.herb_ambiguity(name, m.records), m.records, "herbs")
            others = [f"{h['id']} {h['pinyin']} {h['hanzi']}" for h in m.records if h is not exact[0]]
            return exact[0], [*m.notes, f"see also: {', '.join(others)} (a different herb; the same safety labels)"]
        return m.records[0], m.notes

    def herb(self, name: str) -> M.Herb:
        """A herb by id, pinyin, hanzi, Latin or English name."""
        return M.build(M.Herb, self.herb_record(name))

    def herbs(self, category=None, nature=None, flavor=None, channel=None, condition=None,
              caution=None, interacts=None, search=None, include_banned=False) -> list[M.Herb]:
        rows = q.list_herbs(self.kb, category, nature, flavor, channel, condition, caution,
                            interacts, search, include_banned).items
        return [M.build(M.Herb, self.kb.get("herbs", r["id"])) for r in rows]

    # ------------------------------------------------------ conditions

    def condition_record(self, name: str) -> dict:
        _require(name, "condition")
        return q.get_condition(self.kb, name)

    def condition(self, name: str) -> M.Condition:
        """A condition by id or any name (LBP asks acute or chronic: Ambiguous)."""
        return M.build(M.Condition, self.condition_record(name))

    def conditions(self) -> list[M.Condition]:
        return [M.build(M.Condition, c) for c in self.kb.conditions]

    # -------------------------------------------------------- formulas

    def formula_record(self, name: str) -> dict:
        _require(name, "formula")
        m = resolver(self.kb).formula(name)
        if not m.records:
            raise NotFound(f"no formula matches {name!r}", _hint(m.suggestions))
        if m.ambiguous:
            raise Ambiguous(f"{name!r} names {len(m.records)} formulas; choose one by id",
                            m.records, "formulas")
        return m.records[0]

    def formula(self, name: str) -> M.Formula:
        """A formula by id, pinyin, hanzi or English name."""
        return M.build(M.Formula, self.formula_record(name))

    def formulas(self, herb=None, category=None, pattern=None, search=None) -> list[M.Formula]:
        from acucli import formulas as fq

        return [M.build(M.Formula, f) for f in fq.list_formulas(self, herb, category, pattern, search)]

    # ------------------------------------------------- search and check

    def search(self, text: str, kind: str | None = None, limit: int = 30) -> list[dict]:
        """Ranked hits across every record kind: {kind, id, name, detail, score, matched}."""
        from acucli import search as s

        return s.search(self.kb, text, kind=kind, limit=limit)

    def check(self, items: list[str], drugs=(), pregnant=False, bleeding_risk=False,
              pacemaker=False, doses: dict | None = None):
        """Check a prescription (points, herbs, formulas) against a patient: a Report."""
        from acucli import check as c

        return c.check(self, items, drugs=drugs, pregnant=pregnant, bleeding_risk=bleeding_risk,
                       pacemaker=pacemaker, doses=doses or {})

    def reference(self, rid: str) -> M.Reference:
        for r in self.kb.references:
            if r["id"] == rid:
                return M.build(M.Reference, r)
        raise NotFound(f"no reference {rid!r}", ["list them with: acu references"])


def _require(name: str, what: str) -> None:
    """An empty name is a usage error, not a miss (exit 2, not 1)."""
    if not isinstance(name, str) or not name.strip():
        raise UsageError(f"an empty {what} name", [f"give a {what} code or name"])


def _hint(suggestions: list[str]) -> list[str]:
    return [f"did you mean: {', '.join(suggestions)}?"] if suggestions else []


def open(data_path=None, use_cache: bool = True) -> Library:  # noqa: A001 - the documented name
    """The bundled data plus overlays. `data_path`: a file or directory, or a
    list of them, used instead of ACU_DATA_PATH; [] for bundled data only."""
    from acucli import kb

    if data_path is None:
        return Library(kb.load(use_cache))
    paths = [data_path] if isinstance(data_path, (str, bytes)) or hasattr(data_path, "__fspath__") else list(data_path)
    return Library(kb.load(use_cache, overlays=paths))


__all__ = ["Library", "Context", "open", "NotFound", "Ambiguous", "UsageError"]
