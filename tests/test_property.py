"""Random argv and random unicode at every command: no traceback, a documented exit code."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_acu

DOCUMENTED = {0, 1, 2}

COMMANDS = ["point", "points", "meridians", "meridian", "search", "conditions", "condition",
            "herb", "herbs", "validate", "sources", "references", "stats", "quiz", "study", "export"]
OPTIONS = ["--format", "--fields", "--meridian", "--region", "--category", "--condition", "--search",
           "--pregnant", "--bleeding-risk", "--pacemaker", "--no-color", "-f", "-m", "-n", "--kind",
           "--nature", "--flavor", "--channel", "--caution", "--interacts", "--limit", "--seed"]

words = st.one_of(
    st.sampled_from(OPTIONS + ["KI3", "ST36", "taixi", "太溪", "json", "tsv", "BL", "back-shu", "osteoporosis",
                               "du zhong", "-", "--", "", " ", "\x1b[31m", "%s", "{}", "../../etc/passwd"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12),
    st.text(alphabet=string.printable.replace("\x00", ""), max_size=8),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cmd=st.sampled_from(COMMANDS), rest=st.lists(words, max_size=4))
def test_random_argv_never_tracebacks(tmp_path_factory, cmd, rest):
    # Run where stray output files (acu export -o ...) cannot land in the repository.
    proc = run_acu(cmd, *rest, input="", cwd=str(tmp_path_factory.mktemp("cwd")))
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stdout
    assert proc.returncode in DOCUMENTED, (cmd, rest, proc.returncode, proc.stderr[-500:])


@settings(max_examples=40, deadline=None)
@given(query=st.text(max_size=20))
def test_random_unicode_lookups_in_process(query):
    from acucli import kb
    from acucli.resolve import resolver

    r = resolver(kb.load())
    for fn in (r.point, r.herb, r.condition):
        m = fn(query)
        assert isinstance(m.records, list)
