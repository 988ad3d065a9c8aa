"""Body charts: every point placed on simple line-art views by the WHO proportional
(B-cun) rules its location states, and drawn as SVG.

The model lives in data/charts/ (not read by the main loader):

- views.yaml: the views (front, back, side, face, mouth, head-top, head-side, arm-hand,
  leg-foot), each one coordinate system with named landmarks, the B-cun segments that give
  each part its cun length (umbilicus to pubic symphysis 5 B-cun ...), and the outline.
- placements.yaml: one rule per point, e.g. `ST36: {along: leg, cun: 3}` or
  `BL23: {from: l2, lateral: 1.5}`, resolved here into coordinates.

    from acucli import charts
    charts.where("KI3")          # a one-line hint for the terminal
    charts.svg(["KI3", "SP6"], {})

Coordinates are in the view's units (about a millimetre of an adult); midline views have
the midline at x = 0; bilateral points are on the patient's left.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path

_NUM = re.compile(r"^([A-Z]+)(\d+)$")


class ChartError(Exception):
    """The chart data is inconsistent (a bug in data/charts, reported with its place)."""


# --------------------------------------------------------------------- data files


def charts_dir() -> Path:
    """data/charts: beside the bundled data, in the installed package, or in a checkout."""
    from acucli.paths import bundled_data_dir

    here = Path(__file__).resolve().parent
    for d in (bundled_data_dir() / "charts", here / "data" / "charts", here.parent.parent / "data" / "charts"):
        if (d / "views.yaml").is_file():
            return d
    raise ChartError("the chart data (data/charts/views.yaml) is missing")


def _read_yaml(path: Path):
    import yaml

    try:
        base = yaml.CSafeLoader
    except AttributeError:  # pragma: no cover - depends on the platform's wheel
        base = yaml.SafeLoader

    class Loader(base):  # type: ignore[misc, valid-type]
        def construct_mapping(self, node, deep=False):
            seen = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise ChartError(f"{path.name}:{key_node.start_mark.line + 1}: duplicate key {key!r}")
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=Loader)  # noqa: S506 - a safe loader


# ------------------------------------------------------------------------ the model


class Panel:
    """A figure within a view: its own landmarks, axes and shapes, at an offset (and zoom)."""

    def __init__(self, name: str, doc: dict):
        self.name = name
        self.label = doc.get("label", "")
        self.offset = tuple(float(v) for v in doc.get("offset", (0, 0)))
        self.zoom = float(doc.get("zoom", 1.0))  # a detail panel drawn larger
        self.origin = tuple(float(v) for v in doc.get("origin", (0, 0)))
        self.axes = {k: (float(v[0]), float(v[1])) for k, v in (doc.get("axes") or {}).items()}
        self.shapes = doc.get("shapes") or []

    def tx(self, x, y) -> tuple[float, float]:
        """Panel coordinates (as written) to the view's (author) coordinates."""
        return ((float(x) - self.origin[0]) * self.zoom + self.offset[0],
                (float(y) - self.origin[1]) * self.zoom + self.offset[1])


class View:
    def __init__(self, name: str, doc: dict):
        self.name = name
        self.title = doc.get("title", name)
        self.midline = bool(doc.get("midline"))
        self.left_sign = int(doc.get("left_sign", 1))
        self.scale = float(doc.get("scale", 1.0))
        # parts of a view drawn alone when only they are needed: a box [x0, y0, x1, y1]
        # (drawing coordinates) or a list of panels
        self.frames = {k: (list(v) if isinstance(v[0], str) else tuple(float(c) for c in v))
                       for k, v in (doc.get("frames") or {}).items()}
        self.ics = {int(k): (float(v[0]), float(v[1])) for k, v in (doc.get("ics") or {}).items()}
        self.panels: dict[str, Panel] = {}
        self.landmarks: dict[str, dict] = {}  # name -> {x, y, label, show, panel} (author coords)
        for pname, pdoc in (doc.get("panels") or {}).items():
            panel = Panel(pname, pdoc)
            self.panels[pname] = panel
            for lname, val in (pdoc.get("landmarks") or {}).items():
                if lname in self.landmarks:
                    raise ChartError(f"view {name}: landmark {lname!r} defined twice")
                x, y = panel.tx(val[0], val[1])
                label = str(val[2]) if len(val) > 2 else lname.replace("_", " ")
                show = bool(val[3]) if len(val) > 3 else False
                self.landmarks[lname] = {"x": x, "y": y, "label": label, "show": show, "panel": pname}
        self.segments: dict[str, tuple] = {}
        for sname, seg in (doc.get("segments") or {}).items():
            a, b, cun = seg[0], seg[1], float(seg[2])
            axis = seg[3] if len(seg) > 3 else "line"
            for end in (a, b):
                if end not in self.landmarks:
                    raise ChartError(f"view {name}: segment {sname} names an unknown landmark {end!r}")
            self.segments[sname] = (a, b, cun, axis)

    def unit(self, seg: str, panel: str | None = None) -> float:
        """The length of one B-cun along a segment, in view units (as drawn in `panel`,
        when that panel is zoomed differently from the segment's own)."""
        if seg not in self.segments:
            raise ChartError(f"view {self.name}: unknown segment {seg!r}")
        a, b, cun, axis = self.segments[seg]
        pa, pb = self.landmarks[a], self.landmarks[b]
        dx, dy = pb["x"] - pa["x"], pb["y"] - pa["y"]
        length = abs(dy) if axis == "y" else abs(dx) if axis == "x" else math.hypot(dx, dy)
        zoom = self.panels[panel].zoom / self.panels[pa["panel"]].zoom if panel else 1.0
        return length / cun * zoom

    def out(self, x: float, y: float) -> tuple[float, float]:
        """Author coordinates to the drawing's (the patient's left where left_sign puts it)."""
        return (x * self.left_sign if self.midline else x), y


class Model:
    def __init__(self, views_doc: dict, placements_doc: dict):
        self.views = {n: View(n, d) for n, d in views_doc["views"].items()}
        self.breaks = {ch: {tuple(p) for p in pairs} for ch, pairs in (placements_doc.get("breaks") or {}).items()}
        # code -> [(view, panel, spec, group)], primary groups first, in file order
        self.specs: dict[str, list] = {}
        secondary: list = []
        for gi, group in enumerate(placements_doc["groups"]):
            view = group["view"]
            if view not in self.views:
                raise ChartError(f"placements group {gi + 1}: unknown view {view!r}")
            for code, rule in (group.get("points") or {}).items():
                sites = rule if isinstance(rule, list) else [rule]
                entry = (code, view, group, sites)
                (secondary if group.get("secondary") else self.specs.setdefault(code, [])).append(entry)
        for entry in secondary:
            self.specs.setdefault(entry[0], []).append(entry)
        self._cache: dict[tuple, list] = {}
        self._busy: set = set()
        self.placed: dict[str, list[dict]] = {}
        for code, entries in self.specs.items():
            seen = []
            for _, view, _, _ in entries:
                if view not in seen:
                    seen.append(view)
            self.placed[code] = [s for v in seen for s in self._sites(code, v)]

    # ----------------------------------------------------------- resolution

    def _sites(self, code: str, view: str) -> list[dict]:
        """Every site of a point in one view: [{view, panel, x, y, side, ...author coords}]."""
        key = (code, view)
        if key in self._cache:
            return self._cache[key]
        if key in self._busy:
            raise ChartError(f"placement of {code} in {view} refers to itself")
        self._busy.add(key)
        try:
            out = []
            for c, v, group, sites in self.specs.get(code, []):
                if v != view:
                    continue
                for n, spec in enumerate(sites):
                    ax, ay, panel = self._resolve(self.views[view], spec, group, f"{code} ({view})")
                    vw = self.views[view]
                    x, y = vw.out(ax, ay)
                    side = spec.get("side") or ("midline" if vw.midline and abs(ax) < 1e-6 else "left")
                    out.append({"view": view, "panel": panel, "x": round(x, 2), "y": round(y, 2),
                                "side": side, "site": n + 1, "_ax": ax, "_ay": ay, "_spec": spec,
                                "_group": group})
            self._cache[key] = out
            return out
        finally:
            self._busy.discard(key)

    def ref(self, vw: View, name: str, where: str) -> tuple[float, float, str]:
        """A landmark or an already placed point, in author coordinates, with its panel."""
        if name in vw.landmarks:
            lm = vw.landmarks[name]
            return lm["x"], lm["y"], lm["panel"]
        if name in self.specs:
            sites = self._sites(name, vw.name)
            if sites:
                return sites[0]["_ax"], sites[0]["_ay"], sites[0]["panel"]
        raise ChartError(f"{where}: {name!r} is neither a landmark nor a point placed in view {vw.name!r}")

    def _seg_for(self, vw: View, spec: dict, group: dict, direction: str, vec) -> str:
        axis = "x" if abs(vec[0]) > abs(vec[1]) else "y"
        for source in (spec.get("seg"), group.get("seg")):
            if isinstance(source, str):
                return source
            if isinstance(source, dict):
                for key in (direction, axis, "any"):
                    if key in source:
                        return source[key]
        raise ChartError(f"view {vw.name}: no segment gives the B-cun for {direction!r}")

    def _resolve(self, vw: View, spec: dict, group: dict, where: str):
        x = y = None
        panel = group.get("panel")
        first_panel = None

        def grab(name):
            nonlocal first_panel
            rx, ry, rp = self.ref(vw, name, where)
            first_panel = first_panel or rp
            return rx, ry

        if "at" in spec:
            x, y = grab(spec["at"])
        elif "from" in spec:
            x, y = grab(spec["from"])
        elif "between" in spec:
            (x1, y1), (x2, y2) = grab(spec["between"][0]), grab(spec["between"][1])
            t = float(spec["t"])
            x, y = x1 + (x2 - x1) * t, y1 + (y2 - y1) * t
        elif "path" in spec:
            x, y = _along_polyline([grab(n) for n in spec["path"]], float(spec["t"]))
        elif "along" in spec:
            seg = spec["along"]
            if seg not in vw.segments:
                raise ChartError(f"{where}: unknown segment {seg!r}")
            a, b, cun, _ = vw.segments[seg]
            (x1, y1), (x2, y2) = grab(a), grab(b)
            t = float(spec["cun"]) / cun
            x, y = x1 + (x2 - x1) * t, y1 + (y2 - y1) * t
        if "x_of" in spec:
            x = grab(spec["x_of"])[0]
        if "y_of" in spec:
            y = grab(spec["y_of"])[1]
        if "x" in spec:
            x = float(spec["x"])
        if x is None and vw.midline:
            x = 0.0  # "N B-cun lateral to the midline"
        panel = panel or first_panel or next(iter(vw.panels))
        axes = vw.panels[panel].axes
        for key, val in spec.items():
            if key in axes:
                vec = axes[key]
                u = vw.unit(self._seg_for(vw, spec, group, key, vec), panel)
                if x is None and vec[0]:
                    raise ChartError(f"{where}: {key} needs a starting x")
                if y is None and vec[1]:
                    raise ChartError(f"{where}: {key} needs a starting level")
                x = x + vec[0] * float(val) * u if vec[0] else x
                y = y + vec[1] * float(val) * u if vec[1] else y
            elif key == "snap":
                (x1, y1), (x2, y2) = grab(val[0]), grab(val[1])
                if abs(y2 - y1) >= abs(x2 - x1):
                    x = x1 + (x2 - x1) * (y - y1) / (y2 - y1)
                else:
                    y = y1 + (y2 - y1) * (x - x1) / (x2 - x1)
            elif key not in ("at", "from", "between", "t", "path", "along", "cun", "x_of", "y_of", "x", "seg",
                             "ics", "side", "hint"):
                raise ChartError(f"{where}: unknown key {key!r}")
        if "ics" in spec:
            n = int(spec["ics"])
            if n not in vw.ics:
                raise ChartError(f"{where}: view {vw.name} has no intercostal space {n}")
            y0, slope = vw.ics[n]
            y = y0 + slope * abs(x)
        if x is None or y is None:
            raise ChartError(f"{where}: the rule does not give both x and y")
        return x, y, panel

    # ------------------------------------------------------------------ API

    def public(self, code: str) -> list[dict]:
        return [{k: v for k, v in s.items() if not k.startswith("_")} for s in self.placed.get(code, [])]


def _along_polyline(pts: list, t: float) -> tuple[float, float]:
    lengths = [math.hypot(b[0] - a[0], b[1] - a[1]) for a, b in zip(pts, pts[1:])]
    target = t * sum(lengths)
    for (a, b), seg in zip(zip(pts, pts[1:]), lengths):
        if target <= seg or seg == lengths[-1] and b == pts[-1]:
            f = target / seg if seg else 0.0
            return a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f
        target -= seg
    return pts[-1]


@lru_cache(maxsize=4)
def _model_for(directory: str) -> Model:
    d = Path(directory)
    return Model(*_docs(d))


def _docs(d: Path) -> tuple[dict, dict]:
    """The two YAML files, parsed; kept as JSON in the cache directory (parsing YAML is
    the slow part: ~70 ms against ~2 ms)."""
    import hashlib
    import json
    import os

    files = [d / "views.yaml", d / "placements.yaml"]
    stamp = hashlib.sha1(repr([(str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files]).encode()).hexdigest()
    cache = None
    try:
        from acucli.paths import cache_dir

        cache = cache_dir() / f"charts-{stamp[:16]}.json"
        with open(cache, encoding="utf-8") as fh:
            data = json.load(fh)
        return data["views"], data["placements"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    views_doc, placements_doc = _read_yaml(files[0]), _read_yaml(files[1])
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump({"views": views_doc, "placements": placements_doc}, fh)
            os.replace(tmp, cache)
        except OSError:
            pass
    return views_doc, placements_doc


def model() -> Model:
    """The chart model, built once per process (a few milliseconds)."""
    return _model_for(str(charts_dir()))


# --------------------------------------------------------------------------- API


def views() -> list[dict]:
    """The views: [{name, title, midline, left_sign, panels: [{name, label, axes}]}];
    axes: direction name -> unit vector in drawing coordinates (y grows downwards)."""
    return [{"name": v.name, "title": v.title, "midline": v.midline, "left_sign": v.left_sign,
             "panels": [{"name": p.name, "label": p.label,
                         "axes": {k: (a[0] * (v.left_sign if v.midline else 1), a[1]) for k, a in p.axes.items()}}
                        for p in v.panels.values()]}
            for v in model().views.values()]


def landmarks() -> list[dict]:
    """Every named landmark: [{view, name, x, y}], in the views' drawing coordinates."""
    out = []
    for v in model().views.values():
        for name, lm in v.landmarks.items():
            x, y = v.out(lm["x"], lm["y"])
            out.append({"view": v.name, "name": name, "x": round(x, 2), "y": round(y, 2)})
    return out


def landmark_label(view: str, name: str) -> str:
    v = model().views[view]
    return v.landmarks[name]["label"] if name in v.landmarks else name


def segments() -> list[dict]:
    """The B-cun segments: [{view, name, from, to, cun, axis, unit}] (unit: view units per B-cun)."""
    out = []
    for v in model().views.values():
        for name, (a, b, cun, axis) in v.segments.items():
            out.append({"view": v.name, "name": name, "from": a, "to": b, "cun": cun, "axis": axis,
                        "unit": round(v.unit(name), 4)})
    return out


def placements(points: list[dict]) -> dict[str, list[dict]]:
    """Where each point is drawn: {code: [{view, panel, x, y, side, site}]}, primary first.

    Codes without a chart placement are left out."""
    m = model()
    out = {}
    for p in points:
        code = p["code"] if isinstance(p, dict) else getattr(p, "code", p)
        if code in m.placed:
            out[code] = m.public(code)
    return out


def where(code: str) -> str:
    """A one-line hint: which chart view shows the point, and how it is found there."""
    m = model()
    sites = m.placed.get(code)
    if not sites:
        return f"{code} is not on the charts"
    s = sites[0]
    vw = m.views[s["view"]]
    panel = vw.panels[s["panel"]].label
    text = s["_spec"].get("hint") or _describe(m, vw, s["_spec"], s["panel"])
    if s["side"] == "midline" and "midline" not in text:
        text += ", on the midline"
    return f"chart view '{vw.name}'" + (f", {panel}" if panel else "") + f": {text}"


_WORDS = {"up": "above", "down": "below", "lateral": "lateral to", "medial": "medial to",
          "anterior": "in front of", "posterior": "behind", "radial": "on the radial side of",
          "ulnar": "on the ulnar side of", "front": "in front of", "back": "behind"}


def _num(v) -> str:
    return f"{float(v):g}"


def _frac(t) -> str:
    t = float(t)
    for den, word in ((2, "half"), (3, "third"), (4, "quarter")):
        n = round(t * den)
        if abs(t * den - n) < 0.01 and 0 < n < den:
            words = {1: "one", 2: "two", 3: "three"}
            return f"{words[n]} {word}" + ("s" if n > 1 else "") if den > 2 else "half"
    return f"{t:g}"


def _describe(m: Model, vw: View, spec: dict, panel: str) -> str:
    def name(n):
        return f"the {vw.landmarks[n]['label']}" if n in vw.landmarks else n

    parts = []
    offsets = [(k, float(v)) for k, v in spec.items() if k in vw.panels[panel].axes]
    if "at" in spec:
        parts.append(f"at {name(spec['at'])}")
    elif "between" in spec:
        a, b = spec["between"]
        t = float(spec["t"])
        parts.append(f"midway between {name(a)} and {name(b)}" if abs(t - 0.5) < 1e-6
                     else f"{_frac(t)} of the way from {name(a)} to {name(b)}")
    elif "path" in spec:
        parts.append(f"{_frac(spec['t'])} of the way along the curve from {name(spec['path'][0])} "
                     f"to {name(spec['path'][-1])}")
    elif "along" in spec:
        a, b, _, _ = vw.segments[spec["along"]]
        parts.append(f"{_num(spec['cun'])} B-cun from {name(a)} on the line to {name(b)}")
    axes = vw.panels[panel].axes
    groups: dict = {}
    for k, v in offsets:
        vec = axes[k]
        axis = "x" if abs(vec[0]) > abs(vec[1]) else "y"
        ref = spec.get("x_of") if axis == "x" and "x_of" in spec else (
            spec.get("y_of") if axis == "y" and "y_of" in spec else spec.get("from"))
        groups.setdefault(ref, []).append(
            f"{_num(abs(v))} B-cun " + _WORDS.get(k if v >= 0 else _opposite(k), k))
    phrases = []
    for ref, moves in groups.items():
        text = " and ".join(moves)
        if ref:
            phrases.append(f"{text} {name(ref)}")
        elif parts:
            parts[0] = f"{text} the point {parts[0]}"
        else:
            phrases.append(f"{text} the midline")
    if "from" in spec and spec["from"] not in groups:
        phrases.insert(0, f"at {name(spec['from'])}")
    parts = phrases + parts
    if "x_of" in spec and spec["x_of"] not in groups:
        parts.append(f"in line with {name(spec['x_of'])}")
    if "y_of" in spec and spec["y_of"] not in groups:
        parts.append(f"level with {name(spec['y_of'])}")
    if "x" in spec:
        parts.append("on the midline")
    if "snap" in spec:
        parts.append(f"on the line from {name(spec['snap'][0])} to {name(spec['snap'][1])}")
    if "ics" in spec:
        parts.append(f"in the {_ordinal(int(spec['ics']))} intercostal space")
    return ", ".join(parts)


def _opposite(k: str) -> str:
    return {"up": "down", "down": "up", "lateral": "medial", "medial": "lateral", "anterior": "posterior",
            "posterior": "anterior", "radial": "ulnar", "ulnar": "radial", "front": "back",
            "back": "front"}.get(k, k)


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def number_of(code: str) -> tuple[str, int] | None:
    """KI3 -> ("KI", 3); codes outside the 14 channels -> None."""
    mt = _NUM.match(code)
    return (mt.group(1), int(mt.group(2))) if mt else None


# --------------------------------------------------------------------------- SVG

MAX_ROW = 1500  # px: views wrap onto a new row past this width
PAD = 14
CAPTION = 46

CSS = """
svg .body{fill:#fff;stroke:#3a3a3a;stroke-width:1.3;stroke-linejoin:round}
svg .detail{fill:none;stroke:#6b6b6b;stroke-width:.9}
svg .faint{fill:none;stroke:#b9b9b9;stroke-width:.8}
svg .bone{fill:none;stroke:#9a8f7a;stroke-width:.9}
svg .brow{fill:none;stroke:#6b6b6b;stroke-width:2}
svg .nail{fill:#f4f1ea;stroke:#9a9a9a;stroke-width:.7}
svg .vein{fill:none;stroke:#5b7fb0;stroke-width:1.3}
svg .dash{stroke-dasharray:4 3}
svg .small{font:10px sans-serif;fill:#8a8a8a}
svg .lm{stroke:#8a8a8a;stroke-width:1}
svg .lml{font:italic 9.5px sans-serif;fill:#7a7a7a}
svg .title{font:bold 17px sans-serif;fill:#222}
svg .vt{font:bold 13px sans-serif;fill:#333}
svg .pl{font:10.5px sans-serif;fill:#666}
svg .note{font:11px sans-serif;fill:#555}
svg .path{fill:none;stroke:#1f6fb2;stroke-width:2.2;stroke-opacity:.55;stroke-linejoin:round;stroke-linecap:round}
svg .pt{fill:#c62828;stroke:#fff;stroke-width:1.3}
svg .pt2{fill:#c62828;fill-opacity:.75;stroke:#fff;stroke-width:1}
svg .lbl{font:bold 11px sans-serif;fill:#1a1a1a;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
svg .lead{stroke:#c62828;stroke-width:.8;stroke-opacity:.7}
"""


def _esc(text) -> str:
    """Text for XML content and attributes (control characters dropped)."""
    text = "".join(ch for ch in str(text) if ch >= " " or ch in "\t\n")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _f(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _smooth(pts: list, closed: bool) -> str:
    """A Catmull-Rom spline through the points, as SVG cubic Béziers."""
    if len(pts) < 3:
        return "M" + " L".join(f"{_f(x)},{_f(y)}" for x, y in pts) + (" Z" if closed else "")
    n = len(pts)
    d = [f"M{_f(pts[0][0])},{_f(pts[0][1])}"]
    last = n if closed else n - 1
    for i in range(last):
        p0 = pts[(i - 1) % n] if (closed or i > 0) else pts[0]
        p1, p2 = pts[i], pts[(i + 1) % n]
        p3 = pts[(i + 2) % n] if (closed or i + 2 < n) else pts[n - 1]
        c1 = (p1[0] + (p2[0] - p0[0]) / 6, p1[1] + (p2[1] - p0[1]) / 6)
        c2 = (p2[0] - (p3[0] - p1[0]) / 6, p2[1] - (p3[1] - p1[1]) / 6)
        d.append(f"C{_f(c1[0])},{_f(c1[1])} {_f(c2[0])},{_f(c2[1])} {_f(p2[0])},{_f(p2[1])}")
    if closed:
        d.append("Z")
    return " ".join(d)


class _Cell:
    """One view drawn at its scale: author coordinates -> page pixels."""

    def __init__(self, vw: View, box: tuple, ox: float, oy: float):
        self.vw, self.box, self.ox, self.oy = vw, box, ox, oy
        self.s = vw.scale
        self.w = max((box[2] - box[0]) * self.s + 2 * PAD, 170.0)
        self.h = (box[3] - box[1]) * self.s + 2 * PAD + CAPTION
        self.items: list = []
        self.panels = None

    def px(self, x: float, y: float) -> tuple[float, float]:
        """Drawing coordinates (after the left/right flip) to page pixels."""
        return (self.ox + PAD + (x - self.box[0]) * self.s,
                self.oy + CAPTION + PAD + (y - self.box[1]) * self.s)

    def apx(self, ax: float, ay: float) -> tuple[float, float]:
        return self.px(*self.vw.out(ax, ay))


def _view_bbox(vw: View, panels: list | None = None) -> tuple:
    xs, ys = [], []
    for p in vw.panels.values():
        if panels is not None and p.name not in panels:
            continue
        for sh in p.shapes:
            coords = []
            if "path" in sh:
                coords = [(float(x), float(y)) for x, y in sh["path"]]
            elif "ellipse" in sh:
                cx, cy, rx, ry = sh["ellipse"]
                coords = [(cx - rx, cy - ry), (cx + rx, cy + ry)]
            elif "capsule" in sh:
                x1, y1, x2, y2, r = sh["capsule"]
                coords = [(min(x1, x2) - r, min(y1, y2) - r), (max(x1, x2) + r, max(y1, y2) + r)]
            for x, y in coords:
                for mx in ((x, -x) if sh.get("mirror") else (x,)):
                    ox, oy = vw.out(*p.tx(mx, y))
                    xs.append(ox)
                    ys.append(oy)
    for lm in vw.landmarks.values():
        if panels is None or lm["panel"] in panels:
            x, y = vw.out(lm["x"], lm["y"])
            xs.append(x)
            ys.append(y)
    return (min(xs) - 6, min(ys) - 6, max(xs) + 6, max(ys) + 6)


def _panel_left(vw: View, p: Panel) -> float:
    xs = []
    for sh in p.shapes:
        if sh.get("cls") == "body" and "path" in sh:
            for x, y in sh["path"]:
                for mx in ((x, -x) if sh.get("mirror") else (x,)):
                    xs.append(vw.out(*p.tx(mx, y))[0])
    return min(xs) if xs else vw.out(*p.tx(0, 0))[0]


def _frame_boxes(vw: View, sites: list[dict]) -> list[tuple]:
    """The parts of a view to draw, each as its own cell: the frames that hold the sites,
    each site counted in the first frame that holds it (the whole view when it has no
    frames). [(frame name or "", box, panels or None)]"""
    full = _view_bbox(vw)
    if not vw.frames or not sites:
        return [("", full, None)]
    frames = []
    for name, fr in vw.frames.items():
        if isinstance(fr, list):
            frames.append((name, _view_bbox(vw, fr), fr))
        else:
            frames.append((name, (max(fr[0], full[0]), max(fr[1], full[1]), min(fr[2], full[2]),
                                  min(fr[3], full[3])), None))
    used = set()
    for s in sites:
        for i, (_, box, panels) in enumerate(frames):
            if _in_frame(s, box, panels):
                used.add(i)
                break
    return [f for i, f in enumerate(frames) if i in used] or [("", full, None)]


def _in_frame(s: dict, box: tuple, panels) -> bool:
    if panels is not None:
        return s["panel"] in panels
    return box[0] <= s["x"] <= box[2] and box[1] <= s["y"] <= box[3]


def _draw_shapes(cell: _Cell, out: list, clip_id: str) -> None:
    vw = cell.vw
    out.append(f'<g clip-path="url(#{clip_id})">')
    for body_pass in (True, False):
        for p in vw.panels.values():
            z = p.zoom
            for sh in p.shapes:
                cls = sh.get("cls", "detail")
                if (cls == "body") != body_pass:
                    continue
                klass = cls + (" dash" if sh.get("dash") else "")
                mirror = bool(sh.get("mirror"))
                if "text" in sh:
                    x, y = cell.apx(*p.tx(*sh["at"]))
                    anchor = sh.get("anchor", "start")
                    out.append(f'<text class="{sh.get("cls", "small")}" x="{_f(x)}" y="{_f(y)}" '
                               f'text-anchor="{anchor}">{_esc(sh["text"])}</text>')
                elif "path" in sh:
                    half = [(float(x), float(y)) for x, y in sh["path"]]
                    if mirror and cls == "body":
                        rev = [(-x, y) for x, y in reversed(half)]
                        if rev and abs(rev[0][0] - half[-1][0]) < 1e-6:
                            rev = rev[1:]
                        if rev and abs(rev[-1][0] - half[0][0]) < 1e-6:
                            rev = rev[:-1]
                        loops = [half + rev]
                        closed = True
                    else:
                        loops = [half] + ([[(-x, y) for x, y in half]] if mirror else [])
                        closed = bool(sh.get("closed")) or cls == "body"
                    for loop in loops:
                        pts = [cell.apx(*p.tx(x, y)) for x, y in loop]
                        d = (_smooth(pts, closed) if not sh.get("sharp") else
                             "M" + " L".join(f"{_f(a)},{_f(b)}" for a, b in pts) + (" Z" if closed else ""))
                        out.append(f'<path class="{klass}" d="{d}"/>')
                elif "ellipse" in sh:
                    cx, cy, rx, ry = (float(v) for v in sh["ellipse"])
                    for sx in ((1, -1) if mirror else (1,)):
                        x, y = cell.apx(*p.tx(sx * cx, cy))
                        out.append(f'<ellipse class="{klass}" cx="{_f(x)}" cy="{_f(y)}" '
                                   f'rx="{_f(rx * z * cell.s)}" ry="{_f(ry * z * cell.s)}"/>')
                elif "capsule" in sh:
                    x1, y1, x2, y2, r = (float(v) for v in sh["capsule"])
                    for sx in ((1, -1) if mirror else (1,)):
                        a, b = cell.apx(*p.tx(sx * x1, y1)), cell.apx(*p.tx(sx * x2, y2))
                        length = math.hypot(b[0] - a[0], b[1] - a[1])
                        ang = math.degrees(math.atan2(b[1] - a[1], b[0] - a[0]))
                        cx, cy, rr = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2, r * z * cell.s
                        out.append(f'<rect class="{klass}" x="{_f(cx - length / 2 - rr)}" y="{_f(cy - rr)}" '
                                   f'width="{_f(length + 2 * rr)}" height="{_f(2 * rr)}" rx="{_f(rr)}" '
                                   f'transform="rotate({_f(ang)} {_f(cx)} {_f(cy)})"/>')
    out.append("</g>")


class _Placer:
    """Greedy label placement: each label takes the first free spot around its point."""

    def __init__(self, bounds):
        self.boxes: list[tuple] = []
        self.bounds = bounds

    def block(self, x, y, r=4.5):
        self.boxes.append((x - r, y - r, x + r, y + r))

    def free(self, box) -> bool:
        bx0, by0, bx1, by1 = self.bounds
        if box[0] < bx0 or box[1] < by0 or box[2] > bx1 or box[3] > by1:
            return False
        return not any(box[0] < b[2] and box[2] > b[0] and box[1] < b[3] and box[3] > b[1] for b in self.boxes)

    def place(self, x, y, w, h, prefer: int):
        """(text x, text y, anchor, leader?) for a label of w x h px at point (x, y)."""
        for dist in (6, 12, 20, 30, 42):
            cands = []
            for dy in (0, -1, 1, -2, 2):
                for side in (prefer, -prefer):
                    cands.append((side, dy))
            for side, dy in cands:
                tx = x + side * dist
                ty = y + dy * (h * 0.75 if dist < 20 else h)
                x0 = tx if side > 0 else tx - w
                box = (x0 - 1, ty - h / 2, x0 + w + 1, ty + h / 2)
                if self.free(box):
                    self.boxes.append(box)
                    return tx, ty, ("start" if side > 0 else "end"), dist > 12
        box = (x + 6, y - h / 2, x + 6 + w, y + h / 2)
        self.boxes.append(box)
        return x + 6, y, "start", False


def _text_w(text: str, px: float = 11) -> float:
    return len(text) * px * 0.62 + 2


def svg(codes: list[str], points_by_code: dict, channel: str | None = None, title: str = "") -> str:
    """A standalone SVG: the views needed for `codes`, side by side, each point marked and
    labelled with its code; with `channel`, its points joined in number order per view.

    points_by_code: code -> point record (for the names shown on hover); may be empty."""
    m = model()
    wanted = []
    for c in codes:
        if c and c not in wanted:
            wanted.append(c)
    charted = [c for c in wanted if m.placed.get(c)]
    missing = [c for c in wanted if not m.placed.get(c)]
    # the views: each point's primary view, unless another view already drawn shows it too
    need = []
    for c in charted:
        v = m.placed[c][0]["view"]
        if v not in need:
            need.append(v)
    shown: dict[str, list] = {v: [] for v in need}
    for c in charted:
        in_need = [s for s in m.placed[c] if s["view"] in need]
        primary_view = m.placed[c][0]["view"]
        views_for_c = {primary_view} | ({s["view"] for s in in_need} if channel else set())
        for s in m.placed[c]:
            if s["view"] in views_for_c:
                shown[s["view"]].append((c, s))
    order = [v for v in m.views if v in need]

    cells: list[_Cell] = []
    x, y, row_h = 0.0, 36.0 if title else 8.0, 0.0
    for vname in order:
        vw = m.views[vname]
        for fname, box, panels in _frame_boxes(vw, [s for _, s in shown[vname]]):
            cell = _Cell(vw, box, x, y)
            if x > 0 and x + cell.w > MAX_ROW:
                x, y, row_h = 0.0, y + row_h + 10, 0.0
                cell = _Cell(vw, box, x, y)
            cell.items = [(c, s) for c, s in shown[vname] if _in_frame(s, box, panels)]
            cell.all_items = shown[vname]
            cell.panels = panels
            cells.append(cell)
            x += cell.w + 10
            row_h = max(row_h, cell.h)
    width = max([c.ox + c.w for c in cells] + [420.0])
    notes = [line for n in _notes(charted, missing) for line in _wrap(n, width - 2 * PAD, 11)]
    height = (max([c.oy + c.h for c in cells]) if cells else y) + 14 + 16 * len(notes)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(width)}" height="{_f(height)}" '
           f'viewBox="0 0 {_f(width)} {_f(height)}" font-family="sans-serif">',
           f"<title>{_esc(title or 'acu chart')}</title>", f"<style>{CSS}</style>",
           f'<rect x="0" y="0" width="{_f(width)}" height="{_f(height)}" fill="#fff"/>']
    if title:
        out.append(f'<text class="title" x="{PAD}" y="24">{_esc(title)}</text>')
    import hashlib

    uid = hashlib.sha1(repr((wanted, channel, title)).encode()).hexdigest()[:8]
    for i, cell in enumerate(cells):
        _draw_cell(m, cell, cell.items, points_by_code, channel, out, f"acu{uid}c{i}")
    ny = height - 10 - 16 * (len(notes) - 1)
    for n, note in enumerate(notes):
        out.append(f'<text class="note" x="{PAD}" y="{_f(ny + 16 * n)}">{_esc(note)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _wrap(text: str, width: float, px: float) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if line and _text_w(trial, px) * 0.9 > width:
            lines.append(line)
            line = word
        else:
            line = trial
    return lines + ([line] if line else [])


def _notes(charted: list, missing: list) -> list[str]:
    notes = []
    if charted:
        notes.append("Bilateral points are shown on the patient's left; they lie on both sides. "
                     "Positions follow the WHO proportional B-cun measures; the figures are schematic.")
    if missing:
        notes.append("Not on the charts: " + ", ".join(missing))
    return notes


def _draw_cell(m: Model, cell: _Cell, items: list, records: dict, channel, out: list, cid: str) -> None:
    vw = cell.vw
    x0, y0 = cell.ox, cell.oy
    out.append(f'<g class="view" id="view-{_esc(vw.name)}">')
    out.append(f'<rect x="{_f(x0)}" y="{_f(y0)}" width="{_f(cell.w)}" height="{_f(cell.h)}" fill="none" '
               f'stroke="#e2e2e2"/>')
    out.append(f'<text class="vt" x="{_f(x0 + PAD)}" y="{_f(y0 + 17)}">{_esc(vw.title)}</text>')
    if len(vw.panels) == 1 or (cell.panels is not None and len(cell.panels) == 1):
        label = vw.panels[cell.panels[0]].label if cell.panels else next(iter(vw.panels.values())).label
        out.append(f'<text class="pl" x="{_f(x0 + PAD)}" y="{_f(y0 + 30)}">{_esc(label)}</text>')
    else:
        right = [x0 + PAD, x0 + PAD]
        for p in sorted(vw.panels.values(), key=lambda p: _panel_left(vw, p)):
            if cell.panels is not None and p.name not in cell.panels:
                continue
            px = max(x0 + PAD, cell.px(_panel_left(vw, p), 0)[0])
            if px > x0 + cell.w - 40 or cell.px(_view_bbox(vw, [p.name])[2], 0)[0] < x0 + 20:
                continue
            row = 0 if px >= right[0] else 1
            px = max(px, right[row])
            out.append(f'<text class="pl" x="{_f(px)}" y="{_f(y0 + 30 + 11 * row)}">{_esc(p.label)}</text>')
            right[row] = px + _text_w(p.label, 10.5) * 0.92 + 8
    bx0, by0 = x0 + 2, y0 + CAPTION
    bounds = (bx0, by0, x0 + cell.w - 2, y0 + cell.h - 2)
    clip_w = (cell.box[2] - cell.box[0]) * cell.s + 2 * PAD - 4
    out.append(f'<clipPath id="{cid}"><rect x="{_f(bx0)}" y="{_f(by0)}" width="{_f(clip_w)}" '
               f'height="{_f(cell.h - CAPTION - 2)}"/></clipPath>')
    _draw_shapes(cell, out, cid)

    placer = _Placer(bounds)
    pts = []
    for code, s in items:
        px, py = cell.px(s["x"], s["y"])
        pts.append((code, s, px, py))
        placer.block(px, py)

    # the channel's path, in number order, one polyline per panel and run
    if channel:
        chain = sorted(((number_of(c)[1], c, s) for c, s in getattr(cell, "all_items", items)
                        if number_of(c) and number_of(c)[0] == channel and s["site"] == 1),
                       key=lambda t: t[0])
        runs, run, prev = [], [], None
        for num, c, s in chain:
            if prev and (prev[1]["panel"] != s["panel"] or (prev[0], num) in m.breaks.get(channel, set())):
                runs.append(run)
                run = []
            run.append(cell.px(s["x"], s["y"]))
            prev = (num, s)
        runs.append(run)
        out.append(f'<g clip-path="url(#{cid})">')
        for r in runs:
            if len(r) > 1:
                out.append('<polyline class="path" points="' + " ".join(f"{_f(a)},{_f(b)}" for a, b in r) + '"/>')
        out.append("</g>")

    # points and their labels
    labelled = set()
    for code, s, px, py in pts:
        rec = records.get(code) or {}
        name = " ".join(str(rec.get(k, "")) for k in ("pinyin", "english") if rec.get(k))
        tip = f"{code} {name}".strip()
        out.append(f'<g class="point" data-code="{_esc(code)}"><title>{_esc(tip)}</title>'
                   f'<circle class="{"pt" if s["site"] == 1 else "pt2"}" cx="{_f(px)}" cy="{_f(py)}" '
                   f'r="{4 if s["site"] == 1 else 3.2}"/></g>')
    for code, s, px, py in pts:
        if (code, s["panel"]) in labelled:
            continue
        labelled.add((code, s["panel"]))
        w = _text_w(code)
        prefer = 1
        if vw.midline:
            prefer = (1 if s["x"] > 0 else -1) if abs(s["x"]) > 1e-6 else -vw.left_sign
        tx, ty, anchor, lead = placer.place(px, py, w, 13, prefer)
        if lead:
            ex = tx - 2 if anchor == "start" else tx + 2
            out.append(f'<line class="lead" x1="{_f(px)}" y1="{_f(py)}" x2="{_f(ex)}" y2="{_f(ty)}"/>')
        out.append(f'<text class="lbl" x="{_f(tx)}" y="{_f(ty + 4)}" text-anchor="{anchor}">{_esc(code)}</text>')

    # named landmarks, where there is room
    for name, lm in vw.landmarks.items():
        if not lm["show"]:
            continue
        lx, ly = cell.apx(lm["x"], lm["y"])
        if not (bounds[0] < lx < bounds[2] and bounds[1] < ly < bounds[3]):
            continue
        text = lm["label"]
        w = _text_w(text, 9.5)
        centre = cell.px(0, 0)[0] if vw.midline else (bounds[0] + bounds[2]) / 2
        ax = 1 if lx >= centre else -1
        if vw.midline and abs(lm["x"]) < 1e-6:
            ax = -vw.left_sign  # midline landmarks are named on the side without points
        spot = None
        for side in (ax, -ax):
            for dist in (6, 11):
                for dy in (0, -8, 8):
                    tx = lx + side * dist
                    bx = tx if side > 0 else tx - w
                    box = (bx, ly + dy - 6, bx + w, ly + dy + 5)
                    if placer.free(box):
                        spot = (tx, ly + dy, box, side)
                        break
                if spot:
                    break
            if spot:
                break
        out.append(f'<path class="lm" d="M{_f(lx - 3)},{_f(ly)} h6 M{_f(lx)},{_f(ly - 3)} v6"/>')
        if spot:
            placer.boxes.append(spot[2])
            out.append(f'<text class="lml" x="{_f(spot[0])}" y="{_f(spot[1] + 3)}" '
                       f'text-anchor="{"start" if spot[3] > 0 else "end"}">{_esc(text)}</text>')
    out.append("</g>")
