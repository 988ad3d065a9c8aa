"""acu study and acu stats: FSRS scheduling, the SQLite progress store, crash safety."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

from conftest import acu_exe
from test_study_support import load_kb, study_data  # noqa: F401


def db_path(home: Path) -> Path:
    return Path(home) / "progress.sqlite3"


def ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)


def log_rows(path: Path) -> list[tuple]:
    conn = ro(path)
    try:
        return conn.execute("SELECT card_id, rating, elapsed_ms FROM review_log ORDER BY id").fetchall()
    finally:
        conn.close()


def snapshot(path: Path) -> tuple:
    conn = ro(path)
    try:
        return (conn.execute("SELECT * FROM cards ORDER BY id").fetchall(),
                conn.execute("SELECT * FROM review_log ORDER BY id").fetchall(),
                conn.execute("SELECT * FROM days").fetchall())
    finally:
        conn.close()


def a_channel(kb) -> str:
    counts: dict = {}
    for p in kb.points:
        counts[p["channel"]] = counts.get(p["channel"], 0) + 1
    # a channel with plenty of points, the same one every run
    return sorted((c for c in counts if c != "EX" and counts[c] >= 9), key=lambda c: (-counts[c], c))[0]


# --------------------------------------------------------------- sessions


def test_study_typed_answers_are_scheduled_and_logged(cli, isolated):
    from acucli.study import questions as Q
    from acucli.study import session

    kb = load_kb()
    ch = a_channel(kb)
    # name-code cards, new ones in the order this seed gives: the first answer is right, the second wrong
    sel = Q.select(kb, ["name-code"], ch)
    first = session.plan(None, sel.items, time.time(), 2, None, False, seed=5, kb=kb).queue
    answers = f"{first[0].key}\nqqqq\n"
    r = cli("study", "--kind", "name-code", "-m", ch, "--new", "2", "--seed", "5", input=answers)
    assert r.exit_code == 0, r.output
    assert "correct" in r.stdout and "wrong" in r.stdout
    rows = log_rows(db_path(isolated))
    assert [(c, rating) for c, rating, _ in rows] == [(first[0].id, 3), (first[1].id, 1)]
    assert all(ms is not None and ms >= 0 for _, _, ms in rows)
    conn = ro(db_path(isolated))
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    from acucli.study.store import SCHEMA_VERSION

    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    cards = dict(conn.execute("SELECT id, due FROM cards").fetchall())
    conn.close()
    assert set(cards) == {c for c, _, _ in rows}
    assert all(due > time.time() - 5 for due in cards.values())  # FSRS put them in the future


def test_learning_steps_new_limit_and_nothing_due(cli, isolated):
    kb = load_kb()
    ch = a_channel(kb)
    args = ("study", "--self", "--kind", "code-name", "-m", ch, "--new", "3")
    r = cli(*args, input="g\n" * 20)
    assert r.exit_code == 0, r.output
    rows = log_rows(db_path(isolated))
    ids = {c for c, _, _ in rows}
    assert len(ids) == 3  # the daily new-card limit
    # FSRS learning steps bring each new card back within the session before it graduates
    assert len(rows) > 3
    conn = ro(db_path(isolated))
    assert conn.execute("SELECT new_cards FROM days").fetchall() == [(3,)]
    states = dict(conn.execute("SELECT id, state FROM cards").fetchall())
    conn.close()
    assert set(states.values()) == {2}  # all graduated to review
    r = cli(*args, input="g\n" * 5)
    assert r.exit_code == 0
    assert "Nothing to study now" in r.stdout
    assert "limit" in r.stdout
    assert len(log_rows(db_path(isolated))) == len(rows)
    # a higher limit lets more new cards in on the same day
    r = cli("study", "--self", "--kind", "code-name", "-m", ch, "--new", "4", "-n", "1", input="e\n")
    assert len({c for c, _, _ in log_rows(db_path(isolated))}) == 4


def test_self_grading_accepts_every_rating_spelling(cli, isolated):
    kb = load_kb()
    ch = a_channel(kb)
    lines = ["1", "", "2", "g", "", "easy", "h", "x", "4"]
    r = cli("study", "--self", "--kind", "code-name", "-m", ch, "--new", "6", "-n", "6",
            input="\n".join(lines) + "\n")
    assert r.exit_code == 0, r.output
    assert [rating for _, rating, _ in log_rows(db_path(isolated))][:6] == [1, 2, 3, 4, 2, 4]


def test_cram_does_not_change_scheduling(cli, isolated):
    kb = load_kb()
    ch = a_channel(kb)
    cli("study", "--self", "-k", "code-name", "-m", ch, "--new", "2", input="e\ne\n")
    before = snapshot(db_path(isolated))
    r = cli("study", "--cram", "--self", "-k", "code-name", "-m", ch, "-n", "4", input="1\n1\n1\n1\n")
    assert r.exit_code == 0, r.output
    assert "Crammed 4 card(s)" in r.stdout and "not changed" in r.stdout
    assert snapshot(db_path(isolated)) == before


def test_study_filters_and_bad_grade(acu, cli):
    r = acu("study", "--grade", "nonsense")
    assert r.returncode == 2
    r = acu("study", "--kind", "nope")
    assert r.returncode == 2


# ------------------------------------------------------- crash and kill


def _poll(fn, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError("timed out")


def test_sigkill_keeps_every_committed_answer(isolated):
    kb = load_kb()
    ch = a_channel(kb)
    path = db_path(isolated)
    proc = subprocess.Popen([acu_exe(), "study", "--self", "-k", "name-code", "-m", ch, "--new", "50"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=os.environ.copy())
    try:
        n = 0
        for want in (3, 7):
            while n < want:
                proc.stdin.write(b"g\n")
                n += 1
            proc.stdin.flush()
            _poll(lambda: path.exists() and _count(path) == want)
        time.sleep(0.05)  # the session now waits for the next answer
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert _count(path) == 7
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()
    # and the next session carries on from there
    r = subprocess.run([acu_exe(), "stats", "--format", "json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["reviews_total"] == 7


def _count(path: Path) -> int:
    try:
        conn = ro(path)
        try:
            return conn.execute("SELECT count(*) FROM review_log").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return -1  # not created yet


def test_two_processes_answering_at_once(isolated):
    kb = load_kb()
    ch = a_channel(kb)
    n = 30
    procs = [subprocess.Popen([acu_exe(), "study", "--self", "-k", kind, "-m", ch, "--new", "100", "-n", str(n)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=os.environ.copy())
             for kind in ("code-name,name-code", "name-code,code-name")]
    outs = [p.communicate(input=b"g\n" * n, timeout=60) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err.decode()
        assert b"locked" not in err and b"Traceback" not in err
    path = db_path(isolated)
    assert _count(path) == 2 * n
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    # both sessions started on the same new cards: each card's reps match its log
    reps = dict(conn.execute("SELECT id, reps FROM cards").fetchall())
    logged = dict(conn.execute("SELECT card_id, count(*) FROM review_log GROUP BY card_id").fetchall())
    assert reps == logged
    conn.close()


def test_threads_writing_at_once(isolated):
    from acucli.study.store import Store

    errors = []
    per, threads = 40, 4

    def work(t):
        try:
            with Store.open() as s:
                for i in range(per):
                    s.review(f"point:T{t}-{i % 7}:code", 1 + (i % 4), elapsed_ms=i)
        except Exception as exc:  # pragma: no cover - the failure is reported below
            errors.append(exc)

    Store.open().close()
    ts = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    assert _count(db_path(isolated)) == per * threads


# ---------------------------------------------------- damaged databases


def _untouched(acu, path: Path, *, expect: str):
    before = path.read_bytes()
    listing = sorted(os.listdir(path.parent))
    for args in (("study", "-n", "1"), ("stats",), ("study", "--cram", "-n", "1")):
        r = acu(*args, input="g\n")
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert str(path) in r.stderr and expect in r.stderr
        assert "Traceback" not in r.stderr
    assert path.read_bytes() == before
    assert sorted(os.listdir(path.parent)) == listing  # no -wal, no -shm, no replacement


def test_random_bytes_are_reported_and_kept(acu, isolated):
    import random

    path = db_path(isolated)
    path.write_bytes(bytes(random.Random(7).randrange(256) for _ in range(8192)))
    _untouched(acu, path, expect="not a SQLite database")


def test_damaged_pages_are_reported_and_kept(acu, isolated):
    from acucli.study.store import Store

    path = db_path(isolated)
    with Store.open() as s:
        for i in range(300):
            s.review(f"point:X{i}:code", 3)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 4 * page
    data[2 * page:4 * page] = bytes(range(256)) * (2 * page // 256)
    path.write_bytes(bytes(data))
    _untouched(acu, path, expect="damaged")


def test_newer_schema_is_reported_and_kept(acu, isolated):
    from acucli.study.store import SCHEMA_VERSION

    path = db_path(isolated)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE cards (id TEXT PRIMARY KEY, future TEXT)")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 3}")
    conn.commit()
    conn.close()
    _untouched(acu, path, expect="newer acu")


def test_someone_elses_database_is_kept(acu, isolated):
    path = db_path(isolated)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.execute("INSERT INTO recipes VALUES ('soup')")
    conn.commit()
    conn.close()
    _untouched(acu, path, expect="not an acu progress database")


# ------------------------------------------------------------------ stats


def test_stats_without_progress_does_not_create_it(cli, isolated):
    r = cli("stats", "--format", "json")
    assert r.exit_code == 0
    row = json.loads(r.stdout)[0]
    assert row["studied"] == 0 and row["reviews_total"] == 0 and row["retention_30d"] is None
    assert row["new"] == row["cards"] > 0
    assert not db_path(isolated).exists()


def test_stats_after_reviews_json_and_tsv(cli, isolated):
    from acucli.study import stats

    kb = load_kb()
    ch = a_channel(kb)
    # 4 new cards: again, good, easy, hard; learning steps bring some back
    r = cli("study", "--self", "-k", "name-code", "-m", ch, "--new", "4", "-n", "4", input="1\n3\n4\n2\n")
    assert r.exit_code == 0, r.output
    rows = log_rows(db_path(isolated))
    conn = ro(db_path(isolated))
    cards = conn.execute("SELECT state, due, stability FROM cards").fetchall()
    conn.close()
    r = cli("stats", "--format", "json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert len(data) == 1 and list(data[0]) == list(stats.KEYS)
    s = data[0]
    now = time.time()
    assert s["reviews_total"] == s["reviews_30d"] == len(rows)
    assert s["studied"] == len(cards) == 4
    assert s["learning"] == sum(1 for st, _, _ in cards if st in (1, 3))
    assert s["review"] == sum(1 for st, _, _ in cards if st == 2)
    assert s["review"] == s["young"] + s["mature"]
    assert s["due_now"] == sum(1 for _, due, _ in cards if due <= now)
    assert s["new_today"] == 4
    not_again = sum(1 for _, rating, _ in rows if rating != 1)
    assert s["retention_30d"] == round(100 * not_again / len(rows), 1)
    assert s["due_today"] + sum(s[f"due_day{i}"] for i in range(1, 8)) <= s["studied"]
    r = cli("stats", "--format", "tsv")
    header, line = r.stdout.splitlines()
    assert header.split("\t") == list(stats.KEYS)
    assert dict(zip(header.split("\t"), line.split("\t")))["reviews_total"] == str(len(rows))
    r = cli("stats", "--format", "csv", "--fields", "studied,reviews_total")
    assert r.stdout.splitlines() == ["studied,reviews_total", f"4,{len(rows)}"]
    r = cli("stats", "--format", "markdown")
    assert f"| Answers, all time | {len(rows)} |" in r.stdout and "reviews_total" not in r.stdout
    # filters narrow the counts to the selected cards
    r = cli("stats", "--format", "json", "--kind", "code-name")
    assert json.loads(r.stdout)[0]["studied"] == 0


def test_stats_mature_after_a_long_interval():
    from acucli.study.stats import compute
    from acucli.study.store import Store

    now = time.time()
    with Store.open() as s:
        t = now - 400 * 86400
        for _ in range(6):  # easy every time it comes due: the interval grows past 21 days
            r = s.review("point:Z1:code", 4, now=t)
            t = max(r.card.due, t + 60)
        s.review("point:Z2:code", 1, now=now)
        out = compute(s, [], now=now)
    assert out["review"] >= 1 and out["mature"] == 1
    assert out["learning"] == 1
