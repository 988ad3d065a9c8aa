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


_ALIAS_MESSAGE = "anchors and aliases (*name) are not supported in acu data; write the value out"
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _AliasFound(Exception):
    """A node reached twice: the document uses an anchor and an alias."""


class _Builder:
    """Python objects from the composed node tree (the C composer's output).

    PyYAML's constructor machinery costs more than parsing; data files are
    mostly strings, mappings and lists, so those are built here directly.
    Other scalars (bools, floats, nulls) go through PyYAML's safe constructor.
    Every mapping records its own line and each key's line for messages."""

    def __init__(self):
        self.safe = yaml.SafeLoader("")  # only its constructor methods are used
        self.seen: set = set()

    def build(self, node, depth: int = 0):
        if id(node) in self.seen:
            raise _AliasFound
        self.seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            tag = node.tag
            if tag == _STR or tag == _TIMESTAMP:  # timestamps stay text (JSON has no dates)
                return node.value
            if tag == _INT:
                return _int(self.safe, node)
            return self.safe.construct_object(node, deep=True)
        depth += 1
        if depth > MAX_DEPTH:
            raise YamlProblem(node.start_mark.line + 1, f"nesting deeper than {MAX_DEPTH} levels")
        if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
            return [self.build(child, depth) for child in node.value]
        if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
            return self.mapping(node, depth)
        raise YamlProblem(node.start_mark.line + 1, f"unsupported YAML tag {node.tag!r}")

    def mapping(self, node, depth: int) -> dict:
        self.safe.flatten_mapping(node)  # "<<" merge keys
        mapping: dict = {}
        lines: dict = {}
        for key_node, value_node in node.value:
            key = self.build(key_node, depth)
            line = key_node.start_mark.line + 1
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise YamlProblem(line, f"unsupported mapping key {key!r}")
            key = str(key) if not isinstance(key, str) else key
            if key in (LINE, LINES):
                raise YamlProblem(line, f"reserved key {key!r}")
            if key in mapping:
                raise YamlProblem(line, f"duplicate key {key!r} (first at line {lines[key]})")
            mapping[key] = self.build(value_node, depth)
            lines[key] = line
        mapping[LINE] = node.start_mark.line + 1
        mapping[LINES] = lines
        return mapping


def _int(safe, node):
    # A 5,000-digit number is refused by Python's int(); keep it as text so the
    # validator reports it at its line, with every other problem of the file.
    digits = node.value.replace("_", "").lstrip("+-")
    if len(digits) > 18:
        return node.value
    return safe.construct_yaml_int(node)


def _check_events(text: str) -> None:
    """Find the line of an alias (or of absurd nesting) from the parser's events."""
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
            raise YamlProblem(event.start_mark.line + 1, _ALIAS_MESSAGE)


def load_text(text: str):
    """Parse one YAML document. Raises YamlProblem with a 1-based line."""
    try:
        node = yaml.compose(text, Loader=_BaseLoader)
        return None if node is None else _Builder().build(node)
    except _AliasFound:
        _check_events(text)  # the slow pass, only to name the alias's line
        raise YamlProblem(1, _ALIAS_MESSAGE) from None
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
