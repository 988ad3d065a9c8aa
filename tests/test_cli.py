"""The command line, in-process (CliRunner) and as the installed `acu`."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, acu_exe, run_acu


def test_version_in_process_and_installed(cli):
    from acucli import __version__

    res = cli("--version")
    assert res.exit_code == 0 and __version__ in res.stdout
    proc = run_acu("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"acu {__version__}"


def test_help_shows_examples_first_and_exit_codes():
    for flag in ("--help", "-h"):
        proc = run_acu(flag)
        assert proc.returncode == 0
        out = proc.stdout
        assert out.index("Examples") < out.index("Commands")
        assert "130" in out and "Exit codes" in out


COMMANDS = ["point", "points", "meridians", "meridian", "search", "validate", "sources", "references",
            "conditions", "condition", "herbs", "herb", "quiz", "study", "stats", "export"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    proc = run_acu(command, "--help")
    assert proc.returncode == 0
    assert f"Usage: acu {command}" in proc.stdout


def test_readme_documents_the_exit_codes_that_help_shows():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code in ("0", "1", "2", "3", "130"):
        assert f"| {code} " in readme or f"`{code}`" in readme


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    setup = readme.split("## Set up")[1].split("\n## ")[0]
    blocks = [b.split("```")[0].strip() for b in setup.split("```sh")[1:]]
    test_cmd = [b for b in blocks if "pytest" in b]
    assert len(blocks) == 2 and len(test_cmd) == 1
    assert test_cmd[0] in ci


def test_point_card_in_process(cli):
    res = cli("point", "KI3", "--format", "json")
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert data[0]["code"] == "KI3" and data[0]["hanzi"] == "太溪"


def test_tsv_is_default_in_a_pipe_with_header():
    proc = run_acu("points", "--meridian", "KI")
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[0].split("\t")[:3] == ["code", "pinyin", "hanzi"]
    assert len(lines) == 28
    assert "\x1b" not in proc.stdout and "│" not in proc.stdout and "─" not in proc.stdout


def test_cut_fields_are_stable():
    proc = run_acu("points", "--meridian", "BL", "--format", "tsv")
    rows = [l.split("\t") for l in proc.stdout.splitlines()[1:]]
    assert [r[0] for r in rows][:3] == ["BL1", "BL2", "BL3"]
    assert rows[0][2] == "睛明"


@pytest.mark.parametrize("fmt", ["table", "tsv", "csv", "json", "jsonl", "yaml", "markdown"])
def test_every_format_for_a_card_and_a_listing(fmt):
    card = run_acu("point", "SP6", "--format", fmt)
    listing = run_acu("points", "--category", "yuan-source", "--format", fmt)
    for proc in (card, listing):
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip()
        assert "\x1b" not in proc.stdout or fmt == "table"
    if fmt == "json":
        assert json.loads(card.stdout)[0]["code"] == "SP6"
        assert len(json.loads(listing.stdout)) == 12
    if fmt == "jsonl":
        assert len(listing.stdout.splitlines()) == 12
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(listing.stdout)))
        assert rows[0][0] == "code" and len(rows) == 13
    if fmt == "table":
        assert "SP6" in card.stdout and "Sānyīnjiāo" in card.stdout


def test_fields_pick_and_order_columns():
    proc = run_acu("points", "-m", "LU", "--fields", "hanzi,code", "-f", "tsv")
    assert proc.stdout.splitlines()[:2] == ["hanzi\tcode", "中府\tLU1"]
    bad = run_acu("points", "-m", "LU", "--fields", "nope")
    assert bad.returncode == 2 and "unknown field" in bad.stderr


def test_json_fields_pick_keys():
    proc = run_acu("point", "KI3", "-f", "json", "--fields", "code,location")
    assert list(json.loads(proc.stdout)[0]) == ["code", "location"]


def test_exit_codes():
    assert run_acu("point", "ZZ99").returncode == 1
    assert run_acu("points", "--meridian", "XX").returncode == 2
    assert run_acu("points", "--format", "nope").returncode == 2
    assert run_acu("points", "--category", "nonsense").returncode == 2
    assert run_acu("points", "-m", "KI", "--region", "face").returncode == 1
    assert run_acu("search", "qqqxxzz").returncode == 1
    assert run_acu("nosuchcommand").returncode == 2


def test_not_found_goes_to_stderr_with_suggestions():
    proc = run_acu("point", "zusanly")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "did you mean" in proc.stderr and "ST36" in proc.stderr


def test_filters_combine():
    proc = run_acu("points", "-m", "BL", "--category", "back-shu", "--region", "lower-back", "-f", "tsv")
    codes = [l.split("\t")[0] for l in proc.stdout.splitlines()[1:]]
    assert codes and set(codes) <= {"BL22", "BL23", "BL24", "BL25", "BL26", "BL27", "BL28"}
    assert "BL23" in codes and "BL13" not in codes


def test_category_qualifier_and_aliases():
    bone = run_acu("points", "--category", "hui-meeting:bone", "-f", "tsv")
    assert [l.split("\t")[0] for l in bone.stdout.splitlines()[1:]] == ["BL11"]
    source = run_acu("points", "--category", "source", "-f", "tsv")
    assert len(source.stdout.splitlines()) == 13


def test_meridians_and_meridian():
    proc = run_acu("meridians", "-f", "json")
    rows = {r["code"]: r for r in json.loads(proc.stdout)}
    assert rows["BL"]["points"] == 67 and rows["EX"]["points"] == 48
    ki = run_acu("meridian", "K", "-f", "tsv")
    assert [l.split("\t")[0] for l in ki.stdout.splitlines()[1:]][:2] == ["KI1", "KI2"]


def test_search_ranks_names_first():
    proc = run_acu("search", "zusanli", "-f", "tsv")
    first = proc.stdout.splitlines()[1].split("\t")
    assert first[:2] == ["point", "ST36"]


def test_head_closes_pipe_quietly():
    p1 = subprocess.Popen([acu_exe(), "points"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=os.environ.copy())
    p2 = subprocess.run(["head", "-1"], stdin=p1.stdout, capture_output=True, text=True)
    p1.stdout.close()
    err = p1.stderr.read().decode()
    p1.wait(timeout=30)
    assert p2.stdout.startswith("code\t")
    assert err == "" and p1.returncode == 0


@pytest.mark.parametrize("lang", ["C", "POSIX", "en_US.ISO-8859-1"])
def test_any_locale_prints_and_never_crashes(lang):
    env = {"LANG": lang, "LC_ALL": lang, "PYTHONIOENCODING": ""}
    proc = run_acu("point", "KI3", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "KI3" in proc.stdout and "Traceback" not in proc.stderr
    j = run_acu("point", "KI3", "-f", "json", env=env)
    assert json.loads(j.stdout)[0]["hanzi"] == "太溪"


def test_no_color_and_force_color():
    plain = run_acu("point", "KI3", "-f", "table", env={"NO_COLOR": "1"})
    assert "\x1b[" not in plain.stdout
    forced = run_acu("point", "KI3", "-f", "table", env={"FORCE_COLOR": "1"})
    assert "\x1b[" in forced.stdout
    flag = run_acu("point", "KI3", "-f", "table", "--no-color", env={"FORCE_COLOR": "1"})
    assert "\x1b[" not in flag.stdout


def test_columns_is_honoured():
    narrow = run_acu("point", "KI3", "-f", "table", env={"COLUMNS": "60"})
    assert max(len(l) for l in narrow.stdout.splitlines()) <= 60
    wide = run_acu("point", "KI3", "-f", "table", env={"COLUMNS": "150"})
    assert max(len(l) for l in wide.stdout.splitlines()) > 60


def test_warm_tsv_path_imports_neither_rich_nor_yaml():
    run_acu("point", "KI3", "-f", "tsv")  # warm the cache
    code = (
        "import sys\n"
        "sys.argv=['acu','point','KI3','--format','tsv']\n"
        "from acucli.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "bad=[m for m in ('rich','yaml','acucli.validate','fsrs','sqlite3') if m in sys.modules]\n"
        "sys.stderr.write('LOADED:'+','.join(bad)+'\\n')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy())
    assert "KI3" in proc.stdout
    assert "LOADED:\n" in proc.stderr, proc.stderr


def test_ambiguous_name_lists_candidates_and_exits_1():
    proc = run_acu("point", "futu", "-f", "tsv")
    assert proc.returncode == 1
    codes = [l.split("\t")[0] for l in proc.stdout.splitlines()[1:]]
    assert set(codes) == {"LI18", "ST32"}
    assert "2 points" in proc.stderr


def test_multi_word_names_and_several_codes():
    one = run_acu("point", "zu", "san", "li", "-f", "tsv")
    assert [l.split("\t")[0] for l in one.stdout.splitlines()[1:]] == ["ST36"]
    two = run_acu("point", "KI3", "ST36", "-f", "tsv")
    assert [l.split("\t")[0] for l in two.stdout.splitlines()[1:]] == ["KI3", "ST36"]


def test_escape_sequences_never_reach_the_terminal(tmp_path):
    overlay = tmp_path / "evil.yaml"
    overlay.write_text(
        "notes:\n- point: KI3\n  text: \"evil \\e[31mred\\e[0m \\e]0;title\\a end\"\n", encoding="utf-8")
    env = {"ACU_DATA_PATH": str(overlay)}
    for fmt in ("table", "tsv", "csv", "markdown", "yaml"):
        proc = run_acu("point", "KI3", "-f", fmt, env={**env, "NO_COLOR": "1"})
        assert proc.returncode == 0, proc.stderr
        assert "evil" in proc.stdout and "\x1b" not in proc.stdout and "\x07" not in proc.stdout, fmt
    j = run_acu("point", "KI3", "-f", "json", env=env)
    assert "\x1b" not in j.stdout and json.loads(j.stdout)[0]["notes"][0].startswith("evil \x1b[31m")
    # acu validate still reports it, with file:line.
    v = run_acu("validate", str(overlay))
    assert v.returncode == 2 and f"{overlay}:3:" in v.stderr and "control characters" in v.stderr
    assert "\x1b[31m" not in v.stderr


def test_sources_lists_loaded_files():
    proc = run_acu("sources", "-f", "tsv")
    assert "points.yaml" in proc.stdout and "bundled" in proc.stdout


def test_shell_completion_offers_codes_channels_and_conditions():
    env = {"_ACU_COMPLETE": "complete_bash", "COMP_WORDS": "acu point KI2", "COMP_CWORD": "2"}
    proc = run_acu(env=env)
    assert proc.returncode == 0
    assert proc.stdout.split() == ["KI2"] + [f"KI2{i}" for i in range(10) if i <= 7]
    env = {"_ACU_COMPLETE": "complete_bash", "COMP_WORDS": "acu points --meridian G", "COMP_CWORD": "3"}
    assert set(run_acu(env=env).stdout.split()) == {"GB", "GV"}
    env = {"_ACU_COMPLETE": "complete_bash", "COMP_WORDS": "acu condition osteo", "COMP_CWORD": "2"}
    assert run_acu(env=env).stdout.split() == ["osteoporosis"]


def test_ctrl_c_exits_130_without_traceback(tmp_path):
    import signal
    import time

    proc = subprocess.Popen([acu_exe(), "quiz", "-n", "3", "--seed", "1"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy())
    # Wait until the first question is out, so the process is blocked reading an answer.
    first = proc.stdout.readline()
    while first and not first.strip():
        first = proc.stdout.readline()
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert b"Traceback" not in err and b"interrupted" in err


def test_pacemaker_flag_travels_in_listing_json():
    rows = json.loads(run_acu("points", "-m", "CV", "--pacemaker", "-f", "json").stdout)
    assert all(any(w["flag"] == "pacemaker" for w in r["warnings"]) for r in rows)


@pytest.mark.parametrize("args", [["herbs", "-f", "json"], ["points", "-f", "yaml"], ["search", "qi", "-f", "jsonl"],
                                  ["points", "-f", "table"]])
def test_large_output_into_a_closed_pipe_is_quiet(args):
    p1 = subprocess.Popen([acu_exe(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env={**os.environ, "COLUMNS": "80"})
    p1.stdout.readline()
    p1.stdout.close()  # the reader goes away after one line
    err = p1.stderr.read().decode()
    p1.wait(timeout=60)
    assert p1.returncode == 0, (p1.returncode, err)
    assert "Traceback" not in err and "Broken pipe" not in err and "Exception" not in err, err


def test_help_lists_every_command_the_readme_uses():
    """Docs checked against --help: every `acu X` in the README is a real command."""
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    used = set(re.findall(r"^acu ([a-z]+)", readme, flags=re.M)) | set(re.findall(r"; acu ([a-z]+)", readme))
    listed = run_acu("--help").stdout
    for cmd in used:
        assert re.search(rf"^  {cmd}\b", listed, flags=re.M), cmd


@pytest.mark.parametrize("args", [["point", "KI3"], ["condition", "osteoporosis"], ["herb", "du-zhong"]])
def test_json_has_no_bookkeeping_keys(args):
    text = run_acu(*args, "-f", "json").stdout

    def walk(obj):
        if isinstance(obj, dict):
            for k, v in obj.items():
                assert not k.startswith("_"), k
                walk(v)
        elif isinstance(obj, list):
            for v in obj:
                walk(v)

    walk(json.loads(text))


@pytest.mark.parametrize("width", ["60", "80"])
@pytest.mark.parametrize("args,alert", [(["herbs"], "safety"), (["herbs", "--interacts", "warfarin"], "severity"),
                                        (["points", "-m", "BL"], "caution_kinds"),
                                        (["formulas", "--herb", "fu-zi"], "safety")])
def test_a_narrow_terminal_never_loses_the_safety_column(cli, monkeypatch, width, args, alert):
    """Rich crops a table that is too wide at its right edge, where safety sits:
    other columns make way instead, and stderr says which."""
    monkeypatch.setenv("COLUMNS", width)
    res = cli(*args, "-f", "table", "--no-color")
    assert res.exit_code == 0, res.stderr
    header = next(line for line in res.stdout.splitlines() if line.strip().startswith(("id", "code")))
    assert alert in header.split(), header
    assert all(len(line) <= int(width) for line in res.stdout.splitlines())
    assert "left out" in res.stderr


def test_fields_chosen_are_never_left_out(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    res = cli("herbs", "-f", "table", "--no-color", "--fields", "id,latin,channels")
    header = next(line for line in res.stdout.splitlines() if line.strip().startswith("id"))
    assert header.split() == ["id", "latin", "channels"]
    assert "left out" not in res.stderr


@pytest.mark.parametrize("args,code", [(["check", "gan-cao", "gan-sui"], 4), (["point", "KI33"], 1),
                                       (["points", "-m", "KI"], 0), (["point", ""], 2)])
def test_a_closed_stderr_keeps_the_exit_code(args, code):
    """`acu check ... 2>&1 | head -1`: when nobody reads the messages any more,
    the exit code still says what happened."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to stderr now fails with a broken pipe
    try:
        proc = subprocess.run([acu_exe(), *args, "-f", "tsv"], stdout=subprocess.DEVNULL, stderr=write_end,
                              env={**os.environ}, timeout=60)
    finally:
        os.close(write_end)
    assert proc.returncode == code
