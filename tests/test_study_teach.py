"""Study that teaches: interleaved new cards, a clean way out, multiple choice that
means what it shows, wrong answers explained, stats in plain words."""

from __future__ import annotations

import json
import random
import re
import sqlite3
import time

import pytest
from test_study_support import (  # noqa: F401
    WRONG, db_path, load_kb, log_count, one_question_per_kind, quiz_json, split_id, study_data)


def big_channel(kb) -> str:
    counts: dict = {}
    for p in kb.points:
        if p["channel"] != "EX":
            counts[p["channel"]] = counts.get(p["channel"], 0) + 1
    return sorted(counts, key=lambda c: (-counts[c], c))[0]


def longest_run(values) -> int:
    best = run = 0
    prev = object()
    for v in values:
        run = run + 1 if v == prev else 1
        prev = v
        best = max(best, run)
    return best


# ------------------------------------------------------------ interleaving


def _plan(kb, kinds, new, seed, store=None, now=None, **filters):
    from acucli.study import questions as Q
    from acucli.study import session

    sel = Q.select(kb, kinds, **filters)
    return session.plan(store, sel.items, now or time.time(), new, None, False, seed=seed, kb=kb)


def test_new_herb_cards_mix_categories():
    kb = load_kb()
    if len({h["category"] for h in kb.herbs}) < 3:
        pytest.skip("too few herb categories in the data")
    for seed in range(1, 6):
        q = _plan(kb, ["herb-category", "herb-nature", "herb-channels"], 60, seed).queue
        assert len(q) == 60
        cats = [kb.get("herbs", it.key)["category"] for it in q]
        assert longest_run(cats) < 5, cats
        # with this many categories they need never sit side by side at all
        assert longest_run(cats) == 1, cats


def test_new_point_cards_mix_channels_and_shuffle_with_the_seed():
    from acucli.study.questions import POINT_KINDS

    kb = load_kb()
    a = _plan(kb, list(POINT_KINDS), 40, 7).queue
    b = _plan(kb, list(POINT_KINDS), 40, 7).queue
    c = _plan(kb, list(POINT_KINDS), 40, 8).queue
    assert [it.id for it in a] == [it.id for it in b]  # same seed, same cards, same order
    assert [it.id for it in a] != [it.id for it in c]
    chans = [kb.get("points", it.key)["channel"] for it in a]
    assert longest_run(chans) < 5 and longest_run(chans) == 1
    # not the data order: the first cards are not the first points of the first channel
    data_order = [p["code"] for p in kb.points][:40]
    assert [it.key for it in a] != data_order[: len(a)]


def test_siblings_are_spaced_by_days(isolated):
    from acucli.study.store import Store

    kb = load_kb()
    ch = big_channel(kb)
    kinds = ["code-name", "name-code"]
    first = _plan(kb, kinds, 20, 3, meridian=ch).queue
    records = [it.key for it in first]
    assert len(first) == 20 and len(set(records)) == 20  # never a card and its sibling on one day
    now = time.time()
    with Store.open() as s:
        for it in first[:5]:
            s.review(it.id, 3, now=now - 5)
        # a card studied three days ago and now in review: its sibling may come today
        old = next(it for it in _plan(kb, kinds, 200, 4, meridian=ch).queue if it.key not in records)
        s.review(old.id, 4, now=now - 3 * 86400)
        p = _plan(kb, kinds, 200, 3, store=s, now=now, meridian=ch)
    keys = [it.key for it in p.queue if it.id not in {x.id for x in first[:5]}]
    assert not set(keys) & set(records[:5]), "a sibling of a card seen today came the same day"
    assert old.key in keys
    assert p.new_deferred >= 5


def test_cli_study_follows_the_seed(cli, isolated):
    from acucli.study import questions as Q
    from acucli.study import session

    kb = load_kb()
    ch = big_channel(kb)
    sel = Q.select(kb, ["name-code"], ch)
    want = session.plan(None, sel.items, time.time(), 3, None, False, seed=42, kb=kb).queue
    r = cli("study", "-k", "name-code", "-m", ch, "--new", "3", "--seed", "42",
            input="".join(f"{it.key}\n" for it in want))
    assert r.exit_code == 0, r.output
    assert r.stdout.count("correct") == 3
    conn = sqlite3.connect(db_path(isolated))
    got = [row[0] for row in conn.execute("SELECT card_id FROM review_log ORDER BY id")]
    conn.close()
    assert got == [it.id for it in want]


# ------------------------------------------------------------ a clean way out


@pytest.mark.parametrize("stop", ["q", "quit", "Q ", None])
def test_q_quit_and_end_of_input_end_a_session_without_a_wrong_answer(cli, isolated, stop):
    from acucli.study import questions as Q
    from acucli.study import session

    kb = load_kb()
    ch = big_channel(kb)
    sel = Q.select(kb, ["name-code"], ch)
    want = session.plan(None, sel.items, time.time(), 5, None, False, seed=9, kb=kb).queue
    script = f"{want[0].key}\n" + (f"{stop}\n{want[1].key}\n" if stop else "")
    r = cli("study", "-k", "name-code", "-m", ch, "--new", "5", "--seed", "9", input=script)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert any("Type q" in line for line in lines[:3])  # said at the start
    assert "1 answer saved" in r.stdout
    assert log_count(isolated) == 1  # q was not graded, and nothing after it was read
    assert "wrong" not in r.stdout


def test_q_in_self_grading_and_in_a_quiz(cli, isolated):
    kb = load_kb()
    ch = big_channel(kb)
    r = cli("study", "--self", "-k", "code-name", "-m", ch, "--new", "5", input="g\nq\n")
    assert r.exit_code == 0 and "1 answer saved" in r.stdout
    assert log_count(isolated) == 1
    r = cli("study", "--self", "-k", "code-name", "-m", ch, "--new", "5", input="\nquit\n")
    assert r.exit_code == 0 and "0 answers saved" in r.stdout
    res = quiz_json(cli, "--seed", "3", "-n", "4", input="q\nKI3\n")
    assert (res["answered"], res["wrong"], res["unanswered"]) == (0, 0, 4)
    r = cli("quiz", "--seed", "3", "-n", "4", input="q\n")
    assert "Not answered: 4" in r.stdout and "Review:" not in r.stdout
    assert "type q" in r.stdout.lower().split("question 1/4")[0]


def test_ctrl_c_says_how_many_answers_were_saved(isolated):
    import os
    import signal
    import subprocess

    from conftest import acu_exe

    kb = load_kb()
    ch = big_channel(kb)
    proc = subprocess.Popen([acu_exe(), "study", "--self", "-k", "name-code", "-m", ch, "--new", "20"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=os.environ.copy())
    try:
        proc.stdin.write(b"g\ng\n")
        proc.stdin.flush()
        end = time.monotonic() + 20
        while log_count(isolated) < 2 and time.monotonic() < end:
            time.sleep(0.02)
        time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert b"2 answers saved" in out
    assert b"Traceback" not in err
    assert log_count(isolated) == 2


# --------------------------------------------------------- multiple choice


def test_choices_are_numbered_and_only_numbers_or_their_text_count(cli):
    args = ("--seed", "4", "-n", "1", "--choices", "4", "-k", "name-code")
    plan = quiz_json(cli, *args)["questions"][0]
    k = plan["correct_choice"]
    r = cli("quiz", *args, input=f"a\n9\nnonsense\n{k}\n")
    assert r.exit_code == 0, r.output
    for i, c in enumerate(plan["choices"], 1):
        assert f"  {i}) {c}" in r.stdout
    assert "letter" not in r.stdout
    # a letter, a number out of range and free text are asked again, not graded
    assert r.stdout.count("answer with a number from 1 to 4 (q to stop)") == 3
    assert "Score: 1/1" in r.stdout
    res = quiz_json(cli, *args, input=f"b\n{k}\n")
    assert res["correct"] == 1 and res["questions"][0]["given"] == str(k)


def test_review_shows_the_text_that_was_chosen(cli):
    args = ("--seed", "6", "-n", "2", "--choices", "4", "-k", "code-name")
    plan = quiz_json(cli, *args)["questions"]
    wrong = [q["correct_choice"] % 4 + 1 for q in plan]
    r = cli("quiz", *args, input="".join(f"{w}\n" for w in wrong))
    review = r.stdout.split("Review:")[1]
    for q, w in zip(plan, wrong):
        assert f"you answered: {q['choices'][w - 1]}" in review
    assert not re.search(r"you answered: \d+\s*$", review, re.M)


def test_location_distractors_come_from_the_same_part_of_the_body():
    from acucli.study.questions import Item, body_parts, make_question, near_regions

    kb = load_kb()
    rng = random.Random(0)
    near_misses = total = 0
    for p in kb.points:
        if not p["location"].strip():
            continue
        q = make_question(kb, Item("location-point", "point", p["code"]), rng, 4)
        assert len(q.choices) == 4
        allowed = body_parts(p["regions"])
        for code in q.choice_keys:
            if code == p["code"]:
                continue
            d = kb.get("points", code)
            assert set(d["regions"]) & allowed, (p["code"], p["regions"], code, d["regions"])
            total += 1
            near_misses += bool(set(d["regions"]) & near_regions(p["regions"]))
        if "foot" in p["regions"]:
            for code in q.choice_keys:
                assert not {"face", "head"} & set(kb.get("points", code)["regions"])
    assert near_misses / total > 0.95  # almost always the same or the neighbouring region


def test_code_and_name_distractors_come_from_the_channel_segment():
    from acucli.study.questions import SEGMENT, Item, code_series, make_question, near_regions

    kb = load_kb()
    rng = random.Random(1)
    for p in kb.points[::3]:
        same = [x for x in kb.points if code_series(x["code"]) == code_series(p["code"])]
        if len(same) < 8:
            continue
        for kind in ("name-code", "code-name"):
            q = make_question(kb, Item(kind, "point", p["code"]), rng, 4)
            for code in q.choice_keys:
                d = kb.get("points", code)
                in_segment = code_series(code) == code_series(p["code"]) and abs(d["number"] - p["number"]) <= SEGMENT
                assert in_segment or set(d["regions"]) & near_regions(p["regions"]), (kind, p["code"], code)


# ------------------------------------------------------------ explaining


def _neighbours(kb):
    """Two points of one channel, next to each other, both with a location."""
    by = {p["code"]: p for p in kb.points}
    for p in kb.points:
        if p["channel"] == "EX" or not p["location"].strip():
            continue
        other = by.get(f"{p['channel']}{p['number'] + 2}")
        if other and other["location"].strip() and other["pinyin"] != p["pinyin"]:
            return p, other
    pytest.skip("no neighbouring points with locations")


def test_a_wrong_code_is_explained(cli):
    from acucli.study.questions import Item, explain, make_question, point_name

    kb = load_kb()
    asked, given = _neighbours(kb)
    q = make_question(kb, Item("name-code", "point", asked["code"]), random.Random(0))
    lines = explain(kb, q, given["code"])
    text = "\n".join(lines)
    assert f"{given['code']} is {point_name(given)} ({given['english']})" in text
    assert given["location"].split(",")[0].strip().lower()[:20] in text.lower()
    assert asked["code"] in text  # and the asked point, to tell the two apart
    assert explain(kb, q, asked["code"]) == []  # nothing to explain about the right answer
    # through the CLI: the feedback carries it
    r = cli("quiz", "-k", "name-code", "-m", asked["channel"], "-n", "200", "--seed", "1",
            input=f"{given['code']}\n" * 200)
    block = next(b for b in r.stdout.split("Question ") if f"code of {point_name(asked)}?" in b)
    assert f"{given['code']} is {point_name(given)}" in block


def test_a_wrong_name_and_a_wrong_location_answer_are_explained():
    from acucli.study.questions import Item, explain, make_question, point_name
    from acucli.text import strip_tones

    kb = load_kb()
    asked, given = _neighbours(kb)
    q = make_question(kb, Item("code-name", "point", asked["code"]), random.Random(0))
    text = "\n".join(explain(kb, q, strip_tones(given["pinyin"])))
    assert f"{given['code']} is {point_name(given)}" in text
    assert f"{asked['code']} {point_name(asked)}" in text
    q = make_question(kb, Item("location-point", "point", asked["code"]), random.Random(0))
    text = "\n".join(explain(kb, q, given["code"].lower()))
    assert f"{given['code']} is {point_name(given)}" in text
    # multiple choice: the option chosen is explained
    q = make_question(kb, Item("location-point", "point", asked["code"]), random.Random(0), 4)
    wrong = next(i for i in range(4) if i != q.correct_choice)
    text = "\n".join(explain(kb, q, str(wrong + 1), wrong))
    assert text.startswith(f"{q.choice_keys[wrong]} is ")


def test_tell_apart_names_the_differing_parts():
    from acucli.study.questions import tell_apart

    a = {"code": "X1", "regions": ["lower-leg"], "location": "On the front of the lower leg, 3 B-cun below ST35."}
    b = {"code": "X2", "regions": ["lower-leg"], "location": "On the front of the lower leg, 8 B-cun below ST35."}
    assert tell_apart(a, b) == "X1: 3 B-cun below ST35 - X2: 8 B-cun below ST35"
    c = {"code": "X3", "regions": ["face"], "location": "In the depression below the eye."}
    assert tell_apart(a, c) == "X1 is on the lower leg; X3 is on the face"


def test_explaining_never_fails_on_any_text():
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from acucli.study.questions import explain

    kb = load_kb()
    questions = one_question_per_kind(kb)

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.one_of(st.text(max_size=30), st.sampled_from([p["code"] for p in kb.points[:50]])))
    def check(text):
        for q in questions:
            assert all(isinstance(line, str) for line in explain(kb, q, text))

    check()


# ------------------------------------------------------------------ stats


def test_stats_table_speaks_plainly(cli, isolated):
    from acucli.study import stats

    kb = load_kb()
    ch = big_channel(kb)
    cli("study", "--self", "-k", "code-name", "-m", ch, "--new", "2", "-n", "2", input="3\n3\n")
    for fmt in ("table", "markdown"):
        r = cli("stats", "--format", fmt)
        assert r.exit_code == 0, r.output
        for key in stats.KEYS:
            if "_" in key:  # due_day1, new_today ...: never shown to people
                assert key not in r.stdout, (fmt, key)
        for line in r.stdout.splitlines():
            first = line.strip(" |").split("|")[0].strip()
            assert first not in stats.KEYS, (fmt, line)
        assert "Due tomorrow" in r.stdout and "New cards started today" in r.stdout
    # machine formats keep the keys
    r = cli("stats", "--format", "json")
    assert list(json.loads(r.stdout)[0]) == list(stats.KEYS)


def test_stats_honour_the_study_filters(cli, isolated):
    kb = load_kb()
    chans = sorted({p["channel"] for p in kb.points if p["channel"] != "EX"})
    a, b = chans[0], chans[1]
    assert cli("study", "--self", "-k", "code-name", "-m", a, "--new", "3", "-n", "3",
               input="4\n4\n4\n").exit_code == 0
    # the daily limit of new cards counts every kind: 3 are taken already
    assert cli("study", "--self", "-k", "name-code", "-m", b, "--new", "5", "-n", "2",
               input="4\n4\n").exit_code == 0

    def stats(*args):
        r = cli("stats", "--format", "json", *args)
        assert r.exit_code == 0, r.output
        return json.loads(r.stdout)[0]

    everything = stats()
    assert everything["studied"] == 5 and everything["new_today"] == 5
    only_a = stats("-k", "code-name")
    assert (only_a["studied"], only_a["new_today"], only_a["reviews_total"]) == (3, 3, 3)
    only_b = stats("--kind", "name-code", "--meridian", b)
    assert (only_b["studied"], only_b["new_today"]) == (2, 2)
    assert only_b["cards"] == sum(1 for p in kb.points if p["channel"] == b)
    neither = stats("-k", "name-code", "--meridian", a)
    assert (neither["studied"], neither["new_today"], neither["reviews_total"]) == (0, 0, 0)


def test_new_cards_today_is_never_more_than_the_limit_shown(cli, isolated):
    kb = load_kb()
    ch = big_channel(kb)
    # five new cards today, each rated again: they stay in learning steps, due within minutes
    assert cli("study", "--self", "-k", "code-name", "-m", ch, "--new", "5", "-n", "5",
               input="1\n" * 5).exit_code == 0
    r = cli("study", "--self", "-k", "code-name", "-m", ch, "--new", "3", input="q\n")
    assert r.exit_code == 0, r.output
    for a, b in re.findall(r"(\d+)/(\d+)", r.stdout):
        assert int(a) <= int(b), r.stdout
    assert "limit of 3 is reached" in r.stdout
