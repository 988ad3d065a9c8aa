"""Options shared by every command that lists or shows records: defined once,
so `--format`, `--fields`, `--meridian` ... read and complete the same everywhere."""

from typing import Annotated, Optional

import typer

from acucli.errors import AcuError


def complete(kind: str):
    """A completion callback for one kind of name (reads the warm cache)."""

    def candidates(incomplete: str):
        try:
            from acucli import completion

            return completion.candidates(kind, incomplete)
        except AcuError:  # broken data: no candidates, and no traceback in the shell
            return []

    return candidates


FORMAT_NAMES = ["table", "tsv", "csv", "json", "jsonl", "yaml", "markdown"]

FormatOpt = Annotated[
    Optional[str],
    typer.Option("--format", "-f", help="table|tsv|csv|json|jsonl|yaml|markdown; html for acu point and acu condition (default: table on a terminal, tsv otherwise)",
                 autocompletion=lambda: FORMAT_NAMES),
]
FieldsOpt = Annotated[Optional[str], typer.Option("--fields", help="Comma-separated columns (or JSON keys), in order.")]
NoColorOpt = Annotated[bool, typer.Option("--no-color", help="No colour (also NO_COLOR=1).")]
MeridianOpt = Annotated[Optional[str], typer.Option("--meridian", "-m", help="Channel code or name: KI, UB, SJ, Liver, Ren ...",
                                                    autocompletion=complete("meridian"))]
ConditionOpt = Annotated[Optional[str], typer.Option("--condition", "-c", help="A condition id or name (acu conditions lists them).",
                                                     autocompletion=complete("condition"))]
CategoryOpt = Annotated[Optional[str], typer.Option("--category", help="Point category: back-shu, yuan-source, he-sea, hui-meeting:bone ...",
                                                    autocompletion=complete("category"))]
