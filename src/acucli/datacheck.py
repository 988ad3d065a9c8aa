"""`acu validate`: the loader's own validation, on bundled data, overlays or any file."""

from __future__ import annotations

from pathlib import Path

from acucli.errors import DataError


def validate_paths(paths: list[str]) -> tuple[list, str]:
    """All problems in the given files (or in everything acu loads), and a summary."""
    from acucli import kb as kbmod
    from acucli.validate import Problem

    if not paths:
        files, problems = kbmod.data_files()
        if any(p.fatal for p in problems):
            return problems, ""
        try:
            data = kbmod.build(files, strict=True)
        except DataError as exc:
            return exc.problems, ""
        n = sum(len(data[k]) for k in kbmod.KINDS)
        return [], _warnings(data) + f"ok: {len(files)} files, {n} records"
    # Standalone files are checked against the bundled data (so an overlay may
    # cite a reference or note a point that the bundled files define).
    bundled = kbmod.bundled_files()
    extra = []
    problems = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            extra += [kbmod.SourceFile(e, False) for e in sorted(path.iterdir())
                      if e.suffix in (".yaml", ".yml") and e.is_file()]
        elif path.exists():
            extra.append(kbmod.SourceFile(path, False))
        else:
            problems.append(Problem(p, 0, "no such file"))
    # A bundled file named explicitly is checked once, as part of the bundled set.
    resolved = {f.path.resolve() for f in bundled}
    extra = [f for f in extra if f.path.resolve() not in resolved]
    try:
        data = kbmod.build(bundled + extra, strict=True)
    except DataError as exc:
        problems += exc.problems
        return problems, ""
    if problems:
        return problems, ""
    n = sum(len(data[k]) for k in kbmod.KINDS)
    return [], _warnings(data) + f"ok: {len(bundled) + len(extra)} files, {n} records"


def _warnings(data: dict) -> str:
    """Overlays that removed a bundled caution: allowed when they say why, never silent."""
    out = []
    for kind in ("points", "herbs"):
        for rec in data.get(kind, []):
            for w in rec.get("_weakened") or []:
                out.append(f"warning: {w['file']}:{w['line']}: {kind[:-1]} {rec.get('code') or rec.get('id')} "
                           f"removes the bundled {', '.join(w['removed'])} caution(s) (reason: {w['reason']})\n")
    return "".join(out)
