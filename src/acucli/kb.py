"""The knowledge base: bundled data plus the user's overlays, validated once
and cached as JSON.

Warm path: stat the YAML files, compare with the cache header, read only the
sections a command asks for. No yaml import, no validation. Cold path (first
run, or any file changed): parse, validate, cross-check, write the cache.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from pathlib import Path

from acucli import __version__
from acucli.errors import DataError, Problem
from acucli.schema import RECORD_KINDS as KINDS
from acucli.paths import bundled_data_dir, cache_dir, overlay_paths

# Bump for a change in how the cache is laid out; a change of the schema
# (acucli.models) changes the cache name by itself.
CACHE_FORMAT = 9
# Bundled files load in this order first (references, so everything can cite
# them), then every other data/*.yaml in name order.
BUNDLED_FIRST = ("references", "meridians", "points", "herbs")
KEYS = {name: key for name, key in KINDS.items() if key}
LISTS = tuple(k for k in KINDS if k not in KEYS)  # record kinds without a key (interactions)
# Name indexes are built with the cache, so a lookup by name folds no names.
NAME_INDEXES = ("point_names", "herb_names", "formula_names")
SECTIONS = (*KINDS, "safety", "notes", "files", *NAME_INDEXES)
DICT_SECTIONS = ("safety", *NAME_INDEXES)


class SourceFile:
    def __init__(self, path: Path, bundled: bool):
        self.path = path
        self.bundled = bundled

    def stat_key(self):
        st = self.path.stat()
        return [str(self.path), st.st_size, st.st_mtime_ns]


def bundled_files() -> list[SourceFile]:
    base = bundled_data_dir()
    first = [base / f"{name}.yaml" for name in BUNDLED_FIRST]
    rest = sorted(p for p in base.glob("*.yaml") if p not in first)
    return [SourceFile(p, True) for p in first + rest if p.is_file()]


def data_files(overlays: list | None = None) -> tuple[list[SourceFile], list]:
    """Every YAML file acu reads, bundled first; problems for unreadable overlay paths."""
    problems = []
    files = bundled_files()
    for p in overlay_paths() if overlays is None else overlays:
        try:
            if p.is_dir():
                try:
                    entries = sorted(p.iterdir())
                except OSError as exc:
                    problems.append(Problem(str(p), 0, f"cannot read directory: {exc.strerror or exc}"))
                    continue
                files += [SourceFile(e, False) for e in entries
                          if e.suffix in (".yaml", ".yml") and e.is_file()]
            elif p.is_file():
                files.append(SourceFile(p, False))
            elif p.exists():
                problems.append(Problem(str(p), 0, "not a file or directory"))
            elif p.is_symlink():
                problems.append(Problem(str(p), 0, "overlay path is a dangling symbolic link; ignored", False))
            elif overlays is not None or os.environ.get("ACU_DATA_PATH") is not None:
                # The default ACU_HOME/data may well not exist; a path the user named should.
                problems.append(Problem(str(p), 0, "overlay path does not exist; ignored", False))
        except OSError as exc:
            problems.append(Problem(str(p), 0, f"cannot read: {exc.strerror or exc}; ignored", False))
    return files, problems


def code_checksum(*names: str) -> int:
    """A checksum of some of acucli's own modules, for naming what they produce.
    zlib, not hashlib: importing hashlib costs ~4 ms on every lookup."""
    import zlib

    here = Path(__file__).resolve().parent
    crc = 0
    for name in names:
        crc = zlib.crc32((here / name).read_bytes(), crc)
    return crc


def _schema_digest() -> str:
    """A checksum of the schema as code (models.py, schema.py): a change to any
    kind, field or vocabulary renames the cache."""
    return f"{code_checksum('models.py', 'schema.py'):08x}"


def _cache_path(files: list[SourceFile]) -> Path:
    """One cache per schema and per set of data files: switching ACU_DATA_PATH
    back and forth does not rebuild each time."""
    import zlib

    joined = "\0".join(str(f.path) for f in files).encode()
    paths = f"{zlib.crc32(joined):08x}"
    return cache_dir() / f"kb-{__version__}-f{CACHE_FORMAT}-{_schema_digest()}-{paths}.json"


# ------------------------------------------------- validated bundled files
# Parsing and validating the bundled YAML is most of a cold build. Its result
# is kept beside the cache, so that a change to an overlay re-reads only the
# overlays. Named by version, by the code that shapes records and by the
# bundled files' paths; used only while their sizes and times are unchanged.


def _snapshot_path(bundled: list[SourceFile]) -> Path:
    import zlib

    crc = code_checksum("models.py", "schema.py", "validate.py", "yamlio.py")
    paths = zlib.crc32("\0".join(str(f.path) for f in bundled).encode())
    return cache_dir() / f"bundled-{__version__}-{crc:08x}-{paths:08x}.json"


def _read_snapshot(bundled: list[SourceFile]) -> list | None:
    """Each bundled file's validated records, or None (absent, stale or damaged)."""
    try:
        path = _snapshot_path(bundled)
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as fh:
            snap = json.loads(fh.read())
        manifest = [f.stat_key() for f in bundled]
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(snap, dict) or snap.get("manifest") != manifest:
        return None
    recs = snap.get("records")
    if not isinstance(recs, list) or len(recs) != len(bundled) or not all(map(_snapshot_file_ok, recs)):
        return None
    return recs


def _snapshot_file_ok(recs) -> bool:
    """One file's part of the snapshot has the shape validate_document gives."""
    if not isinstance(recs, dict):
        return False
    for kind, items in recs.items():
        if kind == "safety":
            ok = isinstance(items, dict)
        elif kind == "shared_aliases":
            ok = isinstance(items, list) and all(isinstance(x, str) for x in items)
        elif kind == "notes" or kind in LISTS:
            ok = isinstance(items, list) and all(isinstance(x, dict) for x in items)
        elif kind in KEYS:
            ok = isinstance(items, list) and all(isinstance(x, dict) and isinstance(x.get(KEYS[kind]), str)
                                                 for x in items)
        else:
            ok = False
        if not ok:
            return False
    return True


def _write_snapshot(bundled: list[SourceFile], records: list[str]) -> None:
    """`records`: each file's validated records, already as JSON text."""
    try:
        path = _snapshot_path(bundled)
        manifest = json.dumps([f.stat_key() for f in bundled], ensure_ascii=False)
        _replace_file(path, [f'{{"manifest":{manifest},"records":[{",".join(records)}]}}'.encode()])
    except OSError:
        pass  # a slower next build, never a wrong one


def _hash_files(files: list[SourceFile]) -> str:
    import hashlib

    h = hashlib.sha256(__version__.encode())
    for f in files:
        h.update(str(f.path).encode() + b"\0")
        h.update(f.path.read_bytes())
    return h.hexdigest()


class CacheBroken(Exception):
    """Something in the cache file is not what its header promised."""


class KB:
    """Read access to records. Sections load on first use."""

    def __init__(self, sections: dict | None = None, reader=None, meta: dict | None = None):
        self._sections = dict(sections or {})
        self._reader = reader
        self.meta = meta or {}
        self._by_key: dict[str, dict] = {}
        self._resolver = None  # acucli.resolve builds it on first use

    def section(self, name: str):
        if name not in self._sections:
            if self._reader is not None:
                try:
                    self._sections[name] = self._reader(name)
                except CacheBroken:
                    self._recover()
                    return self.section(name)
            else:
                self._sections[name] = {} if name in DICT_SECTIONS else []
        return self._sections[name]

    def _recover(self) -> None:
        """The cache could not be read: discard it and use the data itself.
        A damaged cache costs one rebuild, never a wrong answer or a failure."""
        path = self._reader.path
        self._reader = None
        files, problems = data_files(self.meta.get("overlays"))
        if any(p.fatal for p in problems):
            raise DataError([p for p in problems if p.fatal])
        with contextlib.suppress(OSError):
            path.unlink()
        self._sections = build(files)
        self.meta["cache_used"] = False

    @property
    def points(self) -> list[dict]:
        return self.section("points")

    @property
    def meridians(self) -> list[dict]:
        return self.section("meridians")

    @property
    def herbs(self) -> list[dict]:
        return self.section("herbs")

    @property
    def conditions(self) -> list[dict]:
        return self.section("conditions")

    @property
    def references(self) -> list[dict]:
        return self.section("references")

    @property
    def safety(self) -> dict:
        return self.section("safety")

    def by_key(self, kind: str) -> dict:
        if kind not in self._by_key:
            key = KEYS[kind]
            self._by_key[kind] = {r[key]: r for r in self.section(kind)}
        return self._by_key[kind]

    def get(self, kind: str, key: str) -> dict | None:
        if kind not in self._by_key and kind not in self._sections and self._reader is not None:
            try:
                return self._reader.record(kind, key)
            except CacheBroken:
                self._recover()
        return self.by_key(kind).get(key)

    def has(self, kind: str, key: str) -> bool:
        if kind not in self._sections and self._reader is not None:
            return self._reader.has(kind, key)
        return key in self.by_key(kind)

    def old_codes(self) -> dict:
        """Old (pre-WHO) code -> the points that carried it in older books."""
        if self._reader is not None:
            return self._reader.old_codes  # in the cache header: no section read
        return self.section("point_names").get("old", {})

    def notes_for(self, kind: str, key: str) -> list[dict]:
        return [n for n in self.section("notes") if n["kind"] == kind and n["target"] == key]


# ------------------------------------------------------------------ build


def build(files: list[SourceFile], strict: bool = False, use_snapshot: bool = True) -> dict:
    """Parse, validate, merge overlays and cross-check. Raises DataError on a
    fatal problem (on any problem when strict, as `acu validate` is)."""
    from acucli.validate import cross_check, load_and_validate, validate_document
    from acucli.yamlio import YamlProblem, load_file

    problems: list = []
    merged: dict = {k: [] for k in KINDS}
    merged["safety"] = {}
    merged["notes"] = []
    merged["shared_aliases"] = []
    index: dict = {k: {} for k in KEYS}
    names: dict = {k: {} for k in KEYS}
    file_info = []
    bundled = [f for f in files if f.bundled]
    snapshot = _read_snapshot(bundled) if use_snapshot and bundled else None
    fresh: list | None = None if snapshot else []
    for f in files:
        shown = str(f.path)
        if f.bundled and snapshot:
            recs, probs = snapshot.pop(0), []
        elif not f.bundled:
            # Overlays may extend bundled records: merge raw fields, then validate.
            try:
                doc = load_file(f.path)
            except YamlProblem as exc:
                problems.append(Problem(shown, exc.line, exc.message))
                continue
            doc = _apply_extends(doc, index, shown, problems)
            recs, probs = validate_document(doc, shown)
        else:
            recs, probs = load_and_validate(f.path, shown)
            if fresh is not None:
                # Written now: merging below changes the records in place.
                fresh.append(None if probs else json.dumps(recs, ensure_ascii=False, separators=(",", ":")))
        problems += probs
        counts = {}
        for kind, items in recs.items():
            if kind == "safety":
                clash = [k for k in items if k in merged["safety"] and not f.bundled]
                for k in clash:
                    problems.append(Problem(shown, 0, f"safety {k!r}: an overlay may not replace a bundled "
                                                      "safety text; add a note instead"))
                merged["safety"].update({k: v for k, v in items.items() if k not in clash})
                continue
            if kind in ("notes", "shared_aliases") or kind in LISTS:
                merged[kind] += items
                counts[kind] = len(items)
                continue
            counts[kind] = len(items)
            key = KEYS[kind]
            for rec in items:
                k = rec[key]
                rec["_bundled"] = f.bundled
                if k in index[kind]:
                    old = index[kind][k]
                    if rec.pop("_extends", False) and not f.bundled:
                        merged[kind][merged[kind].index(old)] = rec
                        index[kind][k] = rec
                        continue
                    problems.append(_clash(rec, old, f"{kind[:-1]} {k!r}"))
                    continue
                name_key = _name_key(kind, rec)
                if name_key and name_key in names[kind] and not rec.get("_extends"):
                    old = names[kind][name_key]
                    if old.get("_bundled") != rec["_bundled"] or not f.bundled:
                        problems.append(_clash(rec, old, f"{kind[:-1]} name {name_key!r}"))
                        continue
                rec.pop("_extends", None)
                index[kind][k] = rec
                if name_key:
                    names[kind].setdefault(name_key, rec)
                merged[kind].append(rec)
        file_info.append({"path": shown, "bundled": f.bundled, "records": counts})
    if fresh and None not in fresh and len(fresh) == len(bundled):
        _write_snapshot(bundled, fresh)
    if not any(p.fatal for p in problems):
        problems += cross_check(merged)
    if any(p.fatal or strict for p in problems):
        raise DataError(problems)
    # Each herb knows the drugs its structured interactions name, so that every
    # listing's safety labels show them without reading the interactions.
    for it in merged["interactions"]:
        h = index["herbs"].get(it["herb"])
        if h is not None and it["drug"] not in h.setdefault("_drugs", []):
            h["_drugs"].append(it["drug"])
    merged["files"] = file_info
    del merged["shared_aliases"]
    from acucli.resolve import formula_name_index, herb_name_index, point_name_index

    merged["point_names"] = point_name_index(merged["points"])
    merged["herb_names"] = herb_name_index(merged["herbs"])
    merged["formula_names"] = formula_name_index(merged["formulas"])
    return merged


def _name_key(kind: str, rec: dict) -> str | None:
    from acucli.text import fold_tones

    if kind == "points":
        return fold_tones(rec["pinyin"]) + "|" + rec["hanzi"]
    if kind == "herbs":
        return rec["hanzi"] + "|" + rec["latin"].casefold()
    if kind == "conditions":
        return rec["name"].casefold()
    if kind == "formulas":
        return rec["hanzi"] + "|" + fold_tones(rec["pinyin"])
    return None


def _clash(rec: dict, old: dict, what: str):
    file, _, line = rec["_origin"].rpartition(":")
    return Problem(
        file, int(line) if line.isdigit() else 0,
        f"{what} is already defined at {old['_origin']}; "
        "add 'extends: true' to change that record, or use a new code or name",
    )


def _apply_extends(doc, index: dict, shown: str, problems: list):
    """Fill the fields an overlay record leaves out from the record it extends."""
    from acucli.yamlio import LINE, LINES

    if not isinstance(doc, dict):
        return doc
    for kind, key in KEYS.items():
        items = doc.get(kind)
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            if not isinstance(item, dict) or item.get("extends") is not True:
                continue
            base = index[kind].get(item.get(key))
            if base is None:
                problems.append(Problem(shown, item.get(LINE, 0),
                                        f"{kind[:-1]} {item.get(key)!r} says 'extends: true' "
                                        "but no loaded record has that key"))
                continue
            raw = _to_raw(kind, base)
            line = item.get(LINE, 0)
            what = f"{kind[:-1]} {item.get(key)}"
            safety = _guard_safety(kind, base, item, shown, line, what, problems)
            raw.update({k: v for k, v in item.items() if k not in ("cautions", "remove_cautions", "reason")})
            raw["cautions"] = safety["cautions"]
            raw[LINES] = {**{k: item.get(LINE, 0) for k in raw}, **item.get(LINES, {})}
            if safety["weakened"]:
                raw["_weakened"] = safety["weakened"]
            items[i] = raw
    return doc


# What an overlay may not change in a bundled record, and the safety it may not soften.
IDENTITY = {"points": ("code", "channel", "number"), "herbs": ("id",), "conditions": ("id",),
            "formulas": ("id",), "meridians": ("code",)}
STATUS_RANK = {"ok": 0, "restricted": 1, "banned": 2, "prohibited": 2}
TOXICITY_RANK = {"none": 0, "slight": 1, "moderate": 2, "high": 3}


def _guard_safety(kind, base, item, shown, line, what, problems) -> dict:
    """An overlay adds cautions; it never removes or softens a bundled caution,
    toxicity, banned status or identity, unless it says so explicitly
    (remove_cautions: [kind] with a reason), and then everyone is told."""
    for field in IDENTITY.get(kind, ()):
        if field in item and item[field] != base.get(field):
            problems.append(Problem(shown, line, f"{what}: an overlay may not change '{field}' "
                                                 f"({base.get(field)!r} -> {item[field]!r})"))
    if kind == "herbs":
        if "status" in item and STATUS_RANK.get(item["status"], 9) < STATUS_RANK.get(base["status"], 0):
            problems.append(Problem(shown, line, f"{what}: an overlay may not soften its status "
                                                 f"({base['status']} -> {item['status']})"))
        if "toxicity" in item and TOXICITY_RANK.get(item["toxicity"], 9) < TOXICITY_RANK.get(base["toxicity"], 0):
            problems.append(Problem(shown, line, f"{what}: an overlay may not lower its toxicity "
                                                 f"({base['toxicity']} -> {item['toxicity']})"))
    old = [_raw_item(c) for c in base.get("cautions") or []]
    new = item.get("cautions")
    new = [c for c in new if isinstance(c, dict)] if isinstance(new, list) else []
    remove = item.get("remove_cautions") or []
    weakened = []
    if remove:
        reason = item.get("reason")
        if not isinstance(remove, list) or not all(isinstance(k, str) for k in remove):
            problems.append(Problem(shown, line, f"{what}: 'remove_cautions' is a list of caution kinds"))
            remove = []
        elif not isinstance(reason, str) or not reason.strip():
            problems.append(Problem(shown, line, f"{what}: 'remove_cautions' needs a 'reason'"))
            remove = []
        else:
            gone = [c for c in old if c.get("kind") in remove]
            if gone:
                weakened.append({"file": shown, "line": line, "removed": sorted({c["kind"] for c in gone}),
                                 "reason": " ".join(reason.split())})
    kept = [c for c in old if c.get("kind") not in remove]
    texts = {(c.get("kind"), c.get("text")) for c in kept}
    merged = kept + [c for c in new if (c.get("kind"), c.get("text")) not in texts]
    return {"cautions": merged, "weakened": weakened}


def _raw_item(c: dict) -> dict:
    return {k: v for k, v in c.items() if not k.startswith("_") and v is not None}


def _to_raw(kind: str, rec: dict) -> dict:
    """A validated record back in input form, so it can be validated again."""
    raw = {k: v for k, v in rec.items() if not k.startswith("_")}
    if kind == "points":
        raw["categories"] = [c["name"] if c["value"] is None else {c["name"]: c["value"]}
                             for c in rec["categories"]]
    for k, v in list(raw.items()):
        if isinstance(v, list):
            raw[k] = [{kk: vv for kk, vv in x.items() if not kk.startswith("_") and vv is not None}
                      if isinstance(x, dict) else x for x in v]
        elif isinstance(v, dict):
            raw[k] = {kk: vv for kk, vv in v.items() if vv is not None}
    return {k: v for k, v in raw.items() if v is not None}


# ------------------------------------------------------------------ cache


def _write_cache(path: Path, manifest: list, digest: str, data: dict) -> dict:
    """Write the cache; returns kind -> key -> checksum of each record's JSON
    (the search index updates the records whose checksum changed)."""
    import zlib

    blobs, offsets, records, pos, crcs = {}, {}, {}, 0, {}
    for name in SECTIONS:
        value = data.get(name, [])
        if name in KEYS and name != "references":
            # Each record's own slice, so a lookup by key reads one record, not all.
            parts = [json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode() for r in value]
            inner, at = {}, pos + 1
            for r, b in zip(value, parts):
                inner[r[KEYS[name]]] = [at, len(b)]
                at += len(b) + 1
            records[name] = inner
            crcs[name] = {r[KEYS[name]]: zlib.crc32(b) for r, b in zip(value, parts)}
            blobs[name] = b"[" + b",".join(parts) + b"]"
        else:
            blobs[name] = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        offsets[name] = [pos, len(blobs[name])]
        pos += len(blobs[name])
    header = json.dumps({"format": CACHE_FORMAT, "version": __version__, "manifest": manifest,
                         "digest": digest, "sections": offsets, "records": records,
                         "old_codes": data["point_names"]["old"]}, ensure_ascii=False).encode()
    _replace_file(path, [header + b"\n", *(blobs[name] for name in SECTIONS)])
    return crcs


def _replace_file(path: Path, chunks) -> None:
    """Write a file whole or not at all: into a temporary beside it, then renamed.
    Something at `path` that is not a regular file is never replaced."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
        if path.exists() and not path.is_file():
            raise OSError(f"{path} is not a regular file")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


class _CacheReader:
    def __init__(self, path: Path, start: int, header: dict):
        self.path, self.start = path, start
        self.sections = header["sections"]
        self.records = header.get("records", {})
        self.old_codes = header.get("old_codes", {})
        self._records: dict = {}  # one read per record, and the same dict every time

    def _read(self, off, length):
        if not (_offset(off) and _offset(length)):
            raise CacheBroken("bad offset")
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.start + off)
                blob = fh.read(length)
            if len(blob) != length:
                raise CacheBroken("truncated")
            return json.loads(blob)
        except (OSError, ValueError, RecursionError) as exc:
            raise CacheBroken(str(exc)) from None

    def __call__(self, name: str):
        where = self.sections.get(name)
        if where is None:
            return {} if name in DICT_SECTIONS else []
        value = self._read(*where)
        want = dict if name in DICT_SECTIONS else list
        if not isinstance(value, want):
            raise CacheBroken(f"section {name} has the wrong shape")
        return value

    def record(self, kind: str, key: str):
        if (kind, key) not in self._records:
            where = self.records.get(kind, {}).get(key)
            rec = self._read(*where) if where else None
            # A record is served only as itself: its key must be the one asked for.
            if rec is not None and (not isinstance(rec, dict) or rec.get(KEYS.get(kind, "id")) != key):
                raise CacheBroken(f"record {kind}/{key} does not match its index entry")
            self._records[kind, key] = rec
        return self._records[kind, key]

    def has(self, kind: str, key: str) -> bool:
        return key in self.records.get(kind, {})


def _offset(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and 0 <= x < 1 << 40


def _header_ok(header) -> bool:
    """Every offset in the header is a pair of whole numbers, and the sections add up."""
    if not isinstance(header, dict) or not isinstance(header.get("sections"), dict):
        return False
    if not isinstance(header.get("manifest"), list) or not isinstance(header.get("records", {}), dict):
        return False
    pairs = list(header["sections"].values())
    for inner in header.get("records", {}).values():
        if not isinstance(inner, dict):
            return False
        pairs += list(inner.values())
    return all(isinstance(p, list) and len(p) == 2 and _offset(p[0]) and _offset(p[1]) for p in pairs) and \
        isinstance(header.get("old_codes", {}), dict)


def _read_header(path: Path):
    try:
        # A FIFO, a directory or a device at the cache path is no cache (and is never opened).
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as fh:
            line = fh.readline(1 << 22)
            header = json.loads(line)
            if not _header_ok(header):
                return None
            if header.get("format") != CACHE_FORMAT or header.get("version") != __version__:
                return None
            size = os.fstat(fh.fileno()).st_size
        total = sum(length for _, length in header["sections"].values())
        if size != len(line) + total:
            return None  # truncated or padded: never trusted
        return header, len(line)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


_KB: KB | None = None


def load(use_cache: bool = True, overlays: list | None = None) -> KB:
    """The knowledge base for this process (bundled data + overlays).

    `overlays` (files or directories) replaces ACU_DATA_PATH; such a KB is
    built for the caller and not kept as the process's own."""
    global _KB
    if overlays is not None:
        return _load(use_cache, [Path(p) for p in overlays])
    if _KB is not None:
        return _KB
    _KB = _load(use_cache, None)
    return _KB


def _load(use_cache: bool, overlays: list | None) -> KB:
    files, problems = data_files(overlays)
    if any(p.fatal for p in problems):
        raise DataError([p for p in problems if p.fatal])
    kb = _load_files(use_cache, overlays, files)
    kb.meta["warnings"] = [str(p) for p in problems]
    return kb


def _load_files(use_cache: bool, overlays: list | None, files: list) -> KB:
    try:
        manifest = [f.stat_key() for f in files]
    except OSError as exc:
        raise DataError([], f"{exc.filename}: cannot read: {exc.strerror}") from None
    path = _cache_path(files)
    meta = {"cache": str(path), "cache_used": True, "overlays": overlays}
    if not use_cache:
        kb = KB(sections=build(files), meta={**meta, "cache": None, "cache_used": False})
        return kb
    kb = _from_cache(path, files, manifest, meta)
    if kb is not None:
        return kb
    # Cold: build once even when many processes start together (the others wait, then read).
    with _build_lock(path):
        kb = _from_cache(path, files, manifest, meta)
        if kb is not None:
            return kb
        data = build(files)
        kb = KB(sections=data, meta={**meta, "cache_used": False})
        try:
            digest = _hash_files(files)
        except OSError:
            digest = ""
        crcs = _try_write(path, manifest, digest, data)
        if crcs is not None:
            from acucli import search

            search.rebuild(kb, crcs)
    return kb


def _from_cache(path: Path, files, manifest, meta) -> KB | None:
    found = _read_header(path)
    if not found:
        return None
    header, start = found
    if header["manifest"] == manifest:
        return KB(reader=_CacheReader(path, start, header), meta=meta)
    # Files touched but maybe not changed: compare content hashes.
    try:
        digest = _hash_files(files)
    except OSError:
        return None
    if digest != header.get("digest"):
        return None
    try:
        reader = _CacheReader(path, start, header)
        data = {name: reader(name) for name in SECTIONS}
    except CacheBroken:
        return None
    _try_write(path, manifest, digest, data)
    return KB(sections=data, meta=meta)


@contextlib.contextmanager
def _build_lock(path: Path):
    """An advisory lock beside the cache; without one (no fcntl, read-only dir) build anyway."""
    try:
        import fcntl

        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path.with_name(path.name + ".lock"), "a+b")
    except (ImportError, OSError):
        yield
        return
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        yield
    finally:
        fh.close()


def _try_write(path: Path, manifest, digest, data) -> dict | None:
    """The records' checksums (see _write_cache), or None when it could not write."""
    try:
        return _write_cache(path, manifest, digest, data)
    except OSError:
        # A read-only or full cache directory costs speed, not correctness.
        return None


def reset() -> None:
    """Forget the loaded knowledge base (tests, long-running callers)."""
    global _KB
    _KB = None
