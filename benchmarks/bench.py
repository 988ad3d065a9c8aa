#!/usr/bin/env python3
"""Whole-process timings of `acu` against a bare Typer app in the same environment.

Run it with the Python of the environment acu is installed in:

    python benchmarks/bench.py            # 20 runs each
    python benchmarks/bench.py --runs 50

It prints medians and ratios to the bare Typer app, with the targets from the
issues, the Typer version in use, and the overlay scenario (10 overlay files
adding 10x the bundled number of points). Nothing here is a test: timings
vary with the machine, so no test asserts them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE_APP = '''
import typer
app = typer.Typer()

@app.command()
def main(name: str = "x"):
    print(name)

app()
'''


def acu_exe() -> str:
    exe = Path(sys.executable).with_name("acu")
    return str(exe) if exe.exists() else (shutil.which("acu") or "acu")


def timed(cmd: list[str], env: dict, runs: int) -> float:
    """Median wall time in ms over `runs` runs (after one warm-up)."""
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def cold(cmd: list[str], env: dict, touch: Path, runs: int) -> float:
    """Median of first runs after the data changed (the cache must be rebuilt)."""
    samples = []
    for i in range(runs):
        touch.write_text(touch.read_text() + f"\n# bench {i}\n")
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def peak_kb(cmd: list[str], env: dict) -> int | None:
    """Peak resident memory of one run, in KiB (from the child's rusage)."""
    try:
        import resource
    except ImportError:
        return None
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    return usage.ru_maxrss or before


def index_share(overlay_dir: Path, cache: Path, runs: int) -> tuple[float, float, float]:
    """Cold cache builds in this process, with and without the search index.

    Returns (full rebuild ms, a whole fresh index ms, rebuild after an overlay
    change ms, index share of the latter). In-process, so that start-up does
    not dilute the share."""
    import contextlib

    from acucli import kb as kbmod
    from acucli import search

    os.environ["ACU_CACHE_DIR"] = str(cache)
    note = overlay_dir / "note.yaml"
    real = search.rebuild
    samples: dict = {True: [], False: []}
    for i in range(runs):
        for with_index in (True, False):
            search.rebuild = real if with_index else (lambda kb, crcs=None: None)
            # An edit a user makes: one overlay point renamed, so the index has rows to change.
            note.write_text(OVERLAY_POINT.format(n=1, name=f"Bench Edit {i} {with_index}"), encoding="utf-8")
            kbmod.reset()
            t0 = time.perf_counter()
            kbmod.load(overlays=[overlay_dir])
            samples[with_index].append((time.perf_counter() - t0) * 1000)
    search.rebuild = real
    files, _ = kbmod.data_files([overlay_dir])
    t0 = time.perf_counter()
    data = kbmod.build(files, use_snapshot=False)
    full = (time.perf_counter() - t0) * 1000
    crcs = kbmod._write_cache(cache / "fresh.json", [], "", data)  # as a cold start writes it
    t0 = time.perf_counter()
    search.build(kbmod.KB(sections=data), cache / "fresh-index.sqlite3", crcs)  # a whole index, from nothing
    fresh = (time.perf_counter() - t0) * 1000
    with contextlib.suppress(OSError):
        note.unlink()
    a, b = statistics.median(samples[True]), statistics.median(samples[False])
    return full, fresh, a, (a - b) / b


OVERLAY_POINT = """points:
- code: XB{n}
  channel: EX
  number: {n}
  pinyin: Cèshì{n}
  hanzi: 测试
  hanzi_traditional: 測試
  english: {name}
  regions: [hand]
  location: On the back of the hand, a synthetic benchmark record.
  locating: Not a real point; written by benchmarks/bench.py.
  needling: {{method: filiform, angle: perpendicular, depth_cun: [0.1, 0.2], moxibustion: allowed}}
  categories: []
  actions: [none]
  indications: [none]
  cautions: []
  sources: [who2008]
"""


def write_overlays(directory: Path, bundled_points: int) -> None:
    """10 files adding 10x the bundled number of points (synthetic extra points)."""
    per_file = bundled_points
    for f in range(10):
        lines = ["points:"]
        for i in range(per_file):
            n = f * per_file + i + 1
            lines += [
                f"- code: XB{n}",
                "  channel: EX",
                f"  number: {n}",
                f"  pinyin: Cèshì{n}",
                "  hanzi: 测试",
                "  hanzi_traditional: 測試",
                f"  english: Bench point {n}",
                "  regions: [hand]",
                "  location: On the back of the hand, a synthetic benchmark record.",
                "  locating: Not a real point; written by benchmarks/bench.py.",
                "  needling: {method: filiform, angle: perpendicular, depth_cun: [0.1, 0.2], moxibustion: allowed}",
                "  categories: []",
                "  actions: [none]",
                "  indications: [none]",
                "  cautions: []",
                "  sources: [who2008]",
            ]
        (directory / f"bench-{f}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()

    import typer

    tmp = Path(tempfile.mkdtemp(prefix="acu-bench-"))
    bare = tmp / "bare.py"
    bare.write_text(BARE_APP)
    env = {**os.environ, "ACU_HOME": str(tmp / "home"), "ACU_CACHE_DIR": str(tmp / "cache"),
           "COLUMNS": "100"}
    env.pop("ACU_DATA_PATH", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    acu = acu_exe()
    runs = args.runs

    print(f"python {sys.version.split()[0]}, typer {typer.__version__} "
          f"(0.29 imports pydantic at start-up; we pin 0.28), {runs} runs each, median wall time")
    base = timed([sys.executable, str(bare)], env, runs)
    print(f"{'bare Typer app':48s} {base:7.1f} ms   1.00x")

    cases = [
        ("acu point KI3 --format tsv", [acu, "point", "KI3", "--format", "tsv"], 1.15),
        ("acu point taixi --format tsv (name lookup)", [acu, "point", "taixi", "--format", "tsv"], None),
        ("acu points --meridian BL --format tsv", [acu, "points", "--meridian", "BL", "--format", "tsv"], None),
        ("acu point KI3 (Rich card, terminal colours)", [acu, "point", "KI3", "--format", "table"], 1.5),
        ("acu points -m KI (Rich table)", [acu, "points", "-m", "KI", "--format", "table"], None),
        ("acu --help", [acu, "--help"], 2.0),
        ("acu herbs --format json", [acu, "herbs", "--format", "json"], None),
        ("acu herbs (Rich table of every herb)", [acu, "herbs", "--format", "table"], None),
        ("acu points --format json", [acu, "points", "--format", "json"], None),
        ("acu points (Rich table of every point)", [acu, "points", "--format", "table"], None),
        ("acu search 'lower back pain'", [acu, "search", "lower back pain", "--format", "tsv"], None),
        ("acu check (15-herb formula, 3 drugs)", [acu, "check", "du huo ji sheng tang", "--drug", "warfarin",
                                                  "--drug", "aspirin", "--drug", "Eliquis", "--format", "tsv"], None),
        ("acu chart --condition osteoporosis -o f.svg", [acu, "chart", "--condition", "osteoporosis", "-o",
                                                         str(tmp / "f.svg")], None),
    ]
    failed = []
    results = {}
    for label, cmd, target in cases:
        e = dict(env)
        if "table" in cmd:
            e["FORCE_COLOR"] = "1"
        ms = timed(cmd, e, runs)
        results[label] = ms
        ratio = ms / base
        verdict = ""
        if target:
            ok = ratio <= target
            verdict = f"target <= {target:.2f}x: {'ok' if ok else 'MISSED'}"
            if not ok:
                failed.append(label)
        print(f"{label:48s} {ms:7.1f} ms  {ratio:5.2f}x  {verdict}")

    # Ratios the issues set between commands, not against the bare app.
    lookup = results["acu point KI3 --format tsv"]
    relative = [
        ("herbs: terminal table / JSON", results["acu herbs (Rich table of every herb)"] / results["acu herbs --format json"], 2.0),
        ("points: terminal table / JSON", results["acu points (Rich table of every point)"] / results["acu points --format json"], 2.0),
        ("search / warm lookup", results["acu search 'lower back pain'"] / lookup, 1.3),
        ("check / warm lookup", results["acu check (15-herb formula, 3 drugs)"] / lookup, 1.5),
        ("chart / warm lookup", results["acu chart --condition osteoporosis -o f.svg"] / lookup, 2.0),
    ]
    for label, ratio, target in relative:
        ok = ratio <= target
        if not ok:
            failed.append(label)
        print(f"{label:48s} {ratio:13.2f}x  target <= {target:.2f}x: {'ok' if ok else 'MISSED'}")
    mem_bare, mem_acu = peak_kb([sys.executable, str(bare)], env), peak_kb([acu, "point", "KI3", "--format", "tsv"], env)
    if mem_bare and mem_acu:
        ratio = mem_acu / mem_bare
        if ratio > 1.2:
            failed.append("peak memory of a lookup")
        print(f"{'peak memory, lookup / bare app':48s} {ratio:13.2f}x  ({mem_acu} vs {mem_bare} KiB) "
              f"target <= 1.20x: {'ok' if ratio <= 1.2 else 'MISSED'}")

    # Cold: the first run after the data changed rebuilds the cache from YAML.
    data_copy = tmp / "data"
    from acucli.paths import bundled_data_dir

    shutil.copytree(bundled_data_dir(), data_copy, ignore=shutil.ignore_patterns("parts"))
    cold_env = {**env, "ACU_BUNDLED_DATA": str(data_copy), "ACU_CACHE_DIR": str(tmp / "cache-cold")}
    ms = cold([acu, "point", "KI3", "--format", "tsv"], cold_env, data_copy / "safety.yaml", max(3, runs // 4))
    print(f"{'cold: first run after a data change':48s} {ms:7.1f} ms  {ms / base:5.2f}x")

    # The search index's part of a cold build (in-process, see index_share).
    idx_dir = tmp / "index-overlay"
    idx_dir.mkdir()
    full, fresh, after_overlay, share = index_share(idx_dir, tmp / "cache-index", max(5, runs // 2))
    print(f"{'in-process: build from YAML, no snapshot':48s} {full:7.1f} ms  "
          f"(a whole search index: {fresh:.0f} ms more, {100 * fresh / full:.0f}%)")
    print(f"{'in-process: rebuild after an overlay change':48s} {after_overlay:7.1f} ms  "
          "(bundled files from their validated snapshot)")
    ok = share <= 0.30
    if not ok:
        failed.append("search index share of a cold build")
    print(f"{'search index share of that rebuild':48s} {100 * share:12.0f}%   target <= 30%: "
          f"{'ok' if ok else 'MISSED'}")

    # Overlays: 10 files, 10x the bundled number of points.
    overlay_dir = tmp / "overlays"
    overlay_dir.mkdir()
    import json

    listing = subprocess.run([acu, "points", "--format", "json", "--fields", "code"], env=env,
                             capture_output=True, text=True)
    n_points = len(json.loads(listing.stdout or "[]")) or 409
    write_overlays(overlay_dir, n_points)
    ov_env = {**env, "ACU_DATA_PATH": str(overlay_dir), "ACU_CACHE_DIR": str(tmp / "cache-ov")}
    plain = results["acu point KI3 --format tsv"]
    ms_ov = timed([acu, "point", "KI3", "--format", "tsv"], ov_env, runs)
    ratio = ms_ov / plain
    ok = ratio <= 1.3
    if not ok:
        failed.append("overlay warm lookup")
    print(f"{f'overlays ({10 * n_points} extra points), warm lookup':48s} {ms_ov:7.1f} ms  "
          f"{ratio:5.2f}x bundled-only  target <= 1.30x: {'ok' if ok else 'MISSED'}")
    ms_cold = cold([acu, "point", "KI3", "--format", "tsv"], ov_env, overlay_dir / "bench-0.yaml", 3)
    print(f"{'overlays, first run after an overlay change':48s} {ms_cold:7.1f} ms  {ms_cold / base:5.2f}x bare")

    shutil.rmtree(tmp, ignore_errors=True)
    if failed:
        print("missed targets: " + ", ".join(failed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
