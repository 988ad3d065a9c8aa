"""Read YAML safely: C loader when present, no duplicate keys, no aliases,
bounded size and depth, and the line of every mapping and key kept for
error messages.

Only this module imports yaml, and only the cold path (cache rebuild,
`acu validate`) imports this module.
"""

from __future__ import annotations

from pathlib import Path

import yaml

try:  # libyaml is ~8x faster; fall back to pure Python where it is missing
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on the platform's wheel
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

MAX_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 40

# Keys added to every mapping so that validation can report file:line.
LINE = "__line__"
LINES = "__lines__"


class YamlProblem(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    def construct_mapping(self, node, deep=False):  # noqa: D401 - PyYAML hook
        if not isinstance(node, yaml.MappingNode):
            raise YamlProblem(node.start_mark.line + 1, "expected a mapping")
        self.flatten_mapping(node)
        mapping: dict = {}
        lines: dict = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise YamlProblem(key_node.start_mark.line + 1, f"unsupported mapping key {key!r}")
            key = str(key) if not isinstance(key, str) else key
            if key in (LINE, LINES):
                raise YamlProblem(key_node.start_mark.line + 1, f"reserved key {key!r}")
            if key in mapping:
                raise YamlProblem(
                    key_node.start_mark.line + 1,
                    f"duplicate key {key!r} (first at line {lines[key]})",
                )
            mapping[key] = self.construct_object(value_node, deep=deep)
            lines[key] = key_node.start_mark.line + 1
        mapping[LINE] = node.start_mark.line + 1
        mapping[LINES] = lines
        return mapping


def _construct_map(loader, node):
    return loader.construct_mapping(node, deep=True)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
# Timestamps would reach JSON as datetime objects; keep them as text.
_Loader.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
)


def _construct_int(loader, node):
    # A 5,000-digit number is refused by Python's int(); keep it as text so the
    # validator reports it at its line, with every other problem of the file.
    value = loader.construct_scalar(node)
    digits = value.replace("_", "").lstrip("+-")
    if len(digits) > 18:
        return value
    return _BaseLoader.construct_yaml_int(loader, node)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _check_events(text: str) -> None:
    """Refuse aliases and absurd nesting before building any objects."""
    depth = 0
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlProblem(
                    event.start_mark.line + 1, f"nesting deeper than {MAX_DEPTH} levels"
                )
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            raise YamlProblem(
                event.start_mark.line + 1,
                "anchors and aliases (*name) are not supported in acu data; write the value out",
            )


def load_text(text: str):
    """Parse one YAML document. Raises YamlProblem with a 1-based line."""
    try:
        _check_events(text)
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = exc.problem or exc.context or "invalid YAML"
        raise YamlProblem(line, f"YAML syntax error: {what}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(1, f"YAML error: {exc}") from None
    except RecursionError:
        raise YamlProblem(1, "document nested too deeply") from None


def load_file(path: Path):
    """Read and parse a file. Raises YamlProblem (line 0 for file-level problems).

    Only regular files are read (a FIFO would hang, /dev/zero never ends), and
    never more than MAX_BYTES, whatever st_size says."""
    import stat

    try:
        st = path.stat()
    except OSError as exc:
        raise YamlProblem(0, f"cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise YamlProblem(0, "not a regular file")
    if st.st_size > MAX_BYTES:
        raise YamlProblem(0, f"file is {st.st_size} bytes; the limit is {MAX_BYTES} bytes")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise YamlProblem(0, f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise YamlProblem(0, f"file is over the limit of {MAX_BYTES} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlProblem(line, "not valid UTF-8") from None
    return load_text(text)


def dump(obj) -> str:
    """YAML text for --format yaml (unicode kept, keys in record order)."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(obj, Dumper=dumper, allow_unicode=True, sort_keys=False, width=100)
