"""Study progress in SQLite: $ACU_HOME/progress.sqlite3.

- WAL mode: readers never block, two writers take turns. SQLite's own busy
  timeout is short (BUSY_TIMEOUT_MS) and the waiting is done here, in a loop
  that Ctrl-C can stop at any moment; the first wait says so on stderr
  ("waiting for the progress database"). After WAIT_LIMIT seconds the wait
  gives up with a StoreError that names the answer that was not saved.
- Every answer is one ``BEGIN IMMEDIATE … COMMIT``: Ctrl-C, kill or a crash
  lose at most the answer in flight. The card's state is re-read inside that
  transaction, so two sessions answering at once never undo each other.
- The schema is versioned with ``PRAGMA user_version`` and upgraded by the
  ``MIGRATIONS`` list, each step in its own transaction.
- A file that is not an acu progress database (random bytes, another
  program's database, a failed integrity check) or one written by a newer acu
  is reported as a StoreError naming the file, and left exactly as it was:
  nothing is written to it before those checks pass. So is a value that no
  acu wrote (a due time of 'abc' or 1e300): every row is checked as it is read.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from acucli.errors import StoreError

FILENAME = "progress.sqlite3"
BUSY_TIMEOUT_MS = 100  # one wait inside SQLite: short, so Ctrl-C is seen between waits
WAIT_LIMIT = 600.0  # seconds to wait for another acu before giving up
WAIT_MESSAGE = "waiting for the progress database (another acu is writing to it; Ctrl-C stops)"
# Times are unix seconds: anything outside these years was not written by acu.
TIME_MIN = 0.0
TIME_MAX = 32503680000.0  # 3000-01-01
SQLITE_MAGIC = b"SQLite format 3\x00"

# Each entry upgrades the schema from version i to i + 1.
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE cards (
            id TEXT PRIMARY KEY,          -- 'point:KI3:location'
            state INTEGER NOT NULL,       -- fsrs.State: 1 learning, 2 review, 3 relearning
            step INTEGER,
            stability REAL,
            difficulty REAL,
            due REAL NOT NULL,            -- unix seconds, UTC
            last_review REAL,
            reps INTEGER NOT NULL DEFAULT 0,
            lapses INTEGER NOT NULL DEFAULT 0,
            first_review REAL NOT NULL
        )""",
        "CREATE INDEX cards_due ON cards(due)",
        """CREATE TABLE review_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            card_id TEXT NOT NULL,
            reviewed_at REAL NOT NULL,    -- unix seconds, UTC
            rating INTEGER NOT NULL,      -- 1 again, 2 hard, 3 good, 4 easy
            elapsed_ms INTEGER,           -- time taken to answer
            elapsed_days REAL,            -- since the previous review (NULL for a new card)
            state_before INTEGER,         -- NULL for a new card
            due_after REAL NOT NULL,
            mode TEXT NOT NULL,           -- typed | self
            given TEXT                    -- the typed answer, if any
        )""",
        "CREATE INDEX review_log_time ON review_log(reviewed_at)",
        "CREATE INDEX review_log_card ON review_log(card_id)",
        """CREATE TABLE days (
            day TEXT PRIMARY KEY,         -- local date, YYYY-MM-DD
            new_cards INTEGER NOT NULL DEFAULT 0
        )""",
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)


def default_path() -> Path:
    from acucli.paths import home_dir

    return home_dir() / FILENAME


@dataclass
class CardState:
    id: str
    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: float
    last_review: float | None
    reps: int
    lapses: int
    first_review: float

    def interval_days(self) -> float:
        if self.last_review is None:
            return 0.0
        return (self.due - self.last_review) / 86400.0


@dataclass
class ReviewResult:
    card: CardState
    was_new: bool


class Store:
    """One connection to the progress database."""

    def __init__(self, conn: sqlite3.Connection, path: Path, notify=None):
        self.conn = conn
        self.path = path
        self.notify = notify or _say
        self._scheduler = None

    def _wait(self, fn, unsaved: str | None = None):
        return _wait_busy(fn, self.path, self.notify, unsaved)

    # ----------------------------------------------------------- opening

    @classmethod
    def open(cls, path: Path | None = None, create: bool = True, notify=None) -> "Store | None":
        """Open (and create or upgrade) the store; None if absent and create is False."""
        path = Path(path) if path else default_path()
        notify = notify or _say
        exists = path.exists()
        if not exists and not create:
            return None
        if exists:
            _check_file(path)
        else:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"{path.parent}: cannot create the directory for study progress: "
                                 f"{exc.strerror or exc}") from None
        try:
            conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise _db_error(path, exc) from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _wait_busy(lambda: _prepare(conn, path, exists), path, notify)
        except StoreError:
            conn.close()
            raise
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise _db_error(path, exc) from None
        except BaseException:
            conn.close()
            raise
        return cls(conn, path, notify)

    def wait_for_writing(self) -> None:
        """Return once this process could write an answer; wait (saying so) while
        another process holds the write lock. Called before the first question, so
        nobody answers into a database that cannot take the answer."""
        conn = self.conn

        def probe():
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")

        try:
            self._wait(probe)
        except sqlite3.DatabaseError as exc:
            _rollback(conn)
            raise _db_error(self.path, exc) from None

    def close(self) -> None:
        # Closing after an error: the error being reported is the one that matters.
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------ reading

    def cards(self, ids=None) -> dict[str, CardState]:
        """Card states by id (all of them, or those in ids)."""
        try:
            rows = self._wait(lambda: self.conn.execute(f"SELECT {_CARD_COLS} FROM cards").fetchall())
        except sqlite3.DatabaseError as exc:
            raise _db_error(self.path, exc) from None
        out = {}
        for r in rows:
            c = _card(self.path, r)
            out[c.id] = c
        if ids is not None:
            wanted = set(ids)
            out = {k: v for k, v in out.items() if k in wanted}
        return out

    def new_cards_on(self, day: str) -> int:
        try:
            row = self._wait(lambda: self.conn.execute("SELECT new_cards FROM days WHERE day = ?",
                                                       (day,)).fetchone())
        except sqlite3.DatabaseError as exc:
            raise _db_error(self.path, exc) from None
        if row is None:
            return 0
        if not _is_int(row[0]) or row[0] < 0:
            raise _damaged(self.path, f"day {day}: new_cards={row[0]!r} is not a count")
        return row[0]

    def reviews(self, since: float | None = None) -> list[tuple]:
        """(card_id, reviewed_at, rating, elapsed_ms) rows, oldest first."""
        sql = "SELECT card_id, reviewed_at, rating, elapsed_ms FROM review_log"
        args: tuple = ()
        if since is not None:
            sql += " WHERE reviewed_at >= ?"
            args = (since,)
        try:
            rows = self._wait(lambda: self.conn.execute(sql + " ORDER BY id", args).fetchall())
        except sqlite3.DatabaseError as exc:
            raise _db_error(self.path, exc) from None
        for r in rows:
            _check_log(self.path, r)
        return rows

    # ------------------------------------------------------------ writing

    def scheduler(self):
        if self._scheduler is None:
            from fsrs import Scheduler

            self._scheduler = Scheduler()
        return self._scheduler

    def review(self, card_id: str, rating: int, now: float | None = None, elapsed_ms: int | None = None,
               mode: str = "typed", given: str | None = None, day: str | None = None) -> ReviewResult:
        """Schedule one answer with FSRS and commit it, alone, in one transaction."""
        from datetime import datetime, timezone

        from fsrs import Card, Rating, State

        now = time.time() if now is None else now
        day = day or local_day(now)
        when = datetime.fromtimestamp(now, timezone.utc)
        conn = self.conn

        def write():
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute(f"SELECT {_CARD_COLS} FROM cards WHERE id = ?", (card_id,)).fetchone()
                old = _card(self.path, row) if row else None
                if old is None:
                    card = Card(card_id=0, due=when)
                else:
                    card = Card(card_id=0, state=State(old.state), step=old.step, stability=old.stability,
                                difficulty=old.difficulty, due=_dt(old.due),
                                last_review=_dt(old.last_review) if old.last_review is not None else None)
                card, _ = self.scheduler().review_card(card, Rating(rating), review_datetime=when)
                lapse = 1 if old is not None and old.state == State.Review and rating == 1 else 0
                new = CardState(
                    id=card_id, state=int(card.state), step=card.step, stability=card.stability,
                    difficulty=card.difficulty, due=card.due.timestamp(),
                    last_review=card.last_review.timestamp() if card.last_review else now,
                    reps=(old.reps if old else 0) + 1, lapses=(old.lapses if old else 0) + lapse,
                    first_review=old.first_review if old else now)
                conn.execute(
                    f"INSERT OR REPLACE INTO cards ({_CARD_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (new.id, new.state, new.step, new.stability, new.difficulty, new.due,
                     new.last_review, new.reps, new.lapses, new.first_review))
                elapsed_days = (now - old.last_review) / 86400.0 if old and old.last_review else None
                conn.execute(
                    "INSERT INTO review_log (card_id, reviewed_at, rating, elapsed_ms, elapsed_days, "
                    "state_before, due_after, mode, given) VALUES (?,?,?,?,?,?,?,?,?)",
                    (card_id, now, rating, elapsed_ms, elapsed_days, old.state if old else None,
                     new.due, mode, given))
                if old is None:
                    conn.execute("INSERT INTO days (day, new_cards) VALUES (?, 1) "
                                 "ON CONFLICT(day) DO UPDATE SET new_cards = new_cards + 1", (day,))
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise
            return new, old

        try:
            new, old = self._wait(write, unsaved=card_id)
        except sqlite3.DatabaseError as exc:
            raise _db_error(self.path, exc, unsaved=card_id) from None
        return ReviewResult(new, old is None)


_CARD_COLS = "id, state, step, stability, difficulty, due, last_review, reps, lapses, first_review"


def local_day(ts: float) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(ts))


def _dt(ts: float):
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ts, timezone.utc)


def _rollback(conn) -> None:
    # Called while another error propagates; a failed rollback must not mask it
    # (SQLite rolls back an unfinished transaction itself when the connection closes).
    with contextlib.suppress(sqlite3.Error):
        if conn.in_transaction:
            conn.execute("ROLLBACK")


def _check_file(path: Path) -> None:
    """Before SQLite sees the file: is it a regular file with a SQLite header?"""
    try:
        if not path.is_file():
            raise StoreError(f"{path}: not a regular file; study progress cannot be kept there")
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the study progress database: {exc.strerror or exc}") from None
    if head and head != SQLITE_MAGIC:
        raise StoreError(
            f"{path}: not a SQLite database (corrupt or overwritten); it was left untouched",
            ["move it away to start afresh (or restore a backup), or set ACU_HOME to another directory"])


def _integrity(conn, path: Path) -> None:
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        raise _db_error(path, exc) from None
    if rows != [("ok",)]:
        detail = "; ".join(str(r[0]) for r in rows[:3])
        raise StoreError(f"{path}: the study progress database is damaged (integrity check: {detail}); "
                         "it was left untouched",
                         ["move it away to start afresh (or restore a backup), or set ACU_HOME to another directory"])


def _tables(conn) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _migrate(conn, path: Path) -> None:
    while True:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version >= SCHEMA_VERSION:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"{path}: this progress database was written by a newer acu "
                                 f"(schema {version}); it was left untouched")
            if version == 0 and _tables(conn) - {"sqlite_sequence"}:
                raise StoreError(f"{path}: not an acu progress database (it holds other tables); "
                                 "it was left untouched")
            if version < SCHEMA_VERSION:
                for stmt in MIGRATIONS[version]:
                    conn.execute(stmt)
                conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise


def _is_busy(exc: Exception) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _say(message: str) -> None:
    from acucli.output import say

    say(f"acu: {message}")


def _wait_busy(fn, path: Path, notify, unsaved: str | None = None):
    """fn() again and again while another connection holds the lock.

    Each try waits at most BUSY_TIMEOUT_MS inside SQLite; the sleeps between tries
    are Python's, so Ctrl-C (KeyboardInterrupt) stops the wait at once. The first
    wait is announced through notify; after WAIT_LIMIT seconds a StoreError says
    what was not saved.
    """
    start = time.monotonic()
    told = False
    pause = 0.02
    while True:
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
            if time.monotonic() - start >= WAIT_LIMIT:
                what = f"the answer to {unsaved} was not saved: " if unsaved else ""
                raise StoreError(f"{path}: {what}the study progress database stayed busy for "
                                 f"{WAIT_LIMIT:g} s ({exc}); another acu is holding it",
                                 ["finish or stop the other acu session, then try again"]) from None
            if not told:
                told = True
                notify(WAIT_MESSAGE)
            time.sleep(pause)
            pause = min(pause * 2, 0.25)


def _prepare(conn, path: Path, exists: bool) -> None:
    """The checks and set-up of Store.open; safe to repeat from the start after a busy error."""
    # Read-only checks first: nothing is written to a file we cannot vouch for.
    # Version and tables are read in one snapshot: another process may be
    # creating the schema right now, and a mixed view would look foreign.
    conn.execute("BEGIN")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        foreign = version == 0 and bool(_tables(conn) - {"sqlite_sequence"})
    except BaseException:
        # A failed read (disk I/O, disk full) has its own message; a COMMIT here
        # would only replace it with "no transaction is active".
        _rollback(conn)
        raise
    conn.execute("COMMIT")
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: this progress database was written by a newer acu "
            f"(schema {version}; this acu knows up to {SCHEMA_VERSION}); it was left untouched",
            ["upgrade acu, or set ACU_HOME to another directory"])
    if exists:
        _integrity(conn, path)
        if foreign:
            raise StoreError(f"{path}: not an acu progress database (it holds other tables); "
                             "it was left untouched",
                             ["move it away, or set ACU_HOME to another directory"])
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    _migrate(conn, path)


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_time(v) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            and TIME_MIN <= v <= TIME_MAX)


def _is_real(v, lo: float, hi: float) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and lo <= v <= hi


def _damaged(path: Path, detail: str) -> StoreError:
    return StoreError(f"{path}: the study progress database is damaged ({detail}); it was left untouched",
                      ["move it away to start afresh (or restore a backup), or set ACU_HOME to another directory"])


def _card(path: Path, row) -> CardState:
    """A row of `cards`, checked: a value acu never writes means the file was damaged or edited."""
    cid, state, step, stability, difficulty, due, last, reps, lapses, first = row
    bad = None
    if not isinstance(cid, str) or not cid:
        bad = f"id={cid!r}"
    elif not _is_int(state) or state not in (1, 2, 3):
        bad = f"state={state!r}"
    elif step is not None and not (_is_int(step) and 0 <= step <= 1000):
        bad = f"step={step!r}"
    elif stability is not None and not _is_real(stability, 0.0, 1e7):
        bad = f"stability={stability!r}"
    elif difficulty is not None and not _is_real(difficulty, 0.0, 11.0):
        bad = f"difficulty={difficulty!r}"
    elif not _is_time(due):
        bad = f"due={due!r} is not a time"
    elif last is not None and not _is_time(last):
        bad = f"last_review={last!r} is not a time"
    elif not (_is_int(reps) and 0 <= reps < 10**9):
        bad = f"reps={reps!r}"
    elif not (_is_int(lapses) and 0 <= lapses < 10**9):
        bad = f"lapses={lapses!r}"
    elif not _is_time(first):
        bad = f"first_review={first!r} is not a time"
    if bad:
        name = cid if isinstance(cid, str) else repr(cid)
        raise _damaged(path, f"card {name[:80]}: {bad[:80]}")
    return CardState(cid, state, step, None if stability is None else float(stability),
                     None if difficulty is None else float(difficulty), float(due),
                     None if last is None else float(last), reps, lapses, float(first))


def _check_log(path: Path, row) -> None:
    cid, at, rating, ms = row
    if not isinstance(cid, str) or not _is_time(at) or not _is_int(rating) or rating not in (1, 2, 3, 4) \
            or (ms is not None and not (_is_int(ms) and ms >= 0)):
        raise _damaged(path, f"review of {str(cid)[:80]}: reviewed_at={at!r}, rating={rating!r}")


def _db_error(path: Path, exc: sqlite3.DatabaseError, unsaved: str | None = None) -> StoreError:
    text = str(exc)
    what = f"the answer to {unsaved} was not saved: " if unsaved else ""
    if _is_busy(exc):
        return StoreError(f"{path}: {what}the study progress database stayed busy ({text}); "
                          "another acu may be holding it; try again")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreError(f"{path}: the study progress database is damaged ({text}); it was left untouched",
                          ["move it away to start afresh (or restore a backup), or set ACU_HOME to another directory"])
    hints = []
    free = _free_bytes(path.parent)
    if "full" in text or "I/O" in text or free is not None and free < 65536:
        if free is not None and free < 65536:
            hints.append(f"the disk holding {path.parent} is full ({free} bytes free); free some space and try again")
        else:
            hints.append(f"check the disk holding {path.parent} (free space, errors)")
    return StoreError(f"{path}: {what}study progress database error: {text}", hints)


def _free_bytes(directory: Path) -> int | None:
    import shutil

    try:
        return shutil.disk_usage(directory).free
    except OSError:
        return None
