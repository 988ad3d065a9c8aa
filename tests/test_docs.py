"""docs/api.md: every Python example runs against the bundled data."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT

EXAMPLES = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "api.md").read_text(encoding="utf-8"), re.S)


def test_the_api_page_has_examples():
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("n", range(len(EXAMPLES)))
def test_api_example_runs(n, capsys):
    exec(compile(EXAMPLES[n], f"docs/api.md example {n + 1}", "exec"), {})


def test_data_format_reference_is_the_schema():
    """docs/data-format.md's reference part is what the schema says (regenerate:
    python -m acucli.schema_doc)."""
    from acucli.schema_doc import BEGIN, END, reference_markdown

    text = (ROOT / "docs" / "data-format.md").read_text(encoding="utf-8")
    assert BEGIN in text and END in text
    got = text[text.index(BEGIN):text.index(END) + len(END)] + "\n"
    assert got == reference_markdown()


def test_every_yaml_example_in_the_data_format_docs_is_valid(tmp_path):
    """The examples in docs/data-format.md use only keys and values the schema accepts."""
    from acucli import models as M
    from acucli.validate import _Ctx, check

    text = (ROOT / "docs" / "data-format.md").read_text(encoding="utf-8")
    import yaml

    for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
        doc = yaml.safe_load(block)
        for kind, items in (doc or {}).items():
            if kind not in M.KINDS or not isinstance(items, list):
                continue
            for item in items:
                ctx = _Ctx("docs")
                check(ctx, M.KINDS[kind].model, item, kind, allowed=("extends",))
                unknown = [p.message for p in ctx.problems if "unknown key" in p.message or "expected one of" in p.message]
                assert not unknown, unknown
