"""Turn what people type into records.

Points: WHO codes in any spelling (ST36, St-36, st 36, Stomach 36, S36, UB40,
SJ5, Ren 4, EX-HN3, GV29), pinyin with or without tones, hanzi (simplified or
traditional), English names and lay aliases. Herbs: id, pinyin, hanzi,
pharmaceutical Latin, English, trade names. Exact first; otherwise suggestions
("did you mean"), never a silent guess. A name that fits several records
returns them all, marked ambiguous.
"""

from __future__ import annotations

import functools
import re

from acucli.text import fold, fold_tones

_CODE_RE = re.compile(r"^(3e|[a-zü]+?)0*(\d{1,3})$")
_EX_REGIONS = ("hn", "ca", "b", "ue", "le")

# Letters that mean different channels in different traditions. English usage
# wins; the note tells the user what else the letters can mean.
_PREFERRED = {
    "p": ("PC", "P is read as Pericardium (English usage); in French, Italian and German tables P means Lung (LU)"),
    "h": ("HT", "H is read as Heart (English usage); in Spanish tables H means Liver (LR)"),
    "du": ("GV", "Du is read as the Du Mai (GV); in German tables Dü means Small Intestine (SI)"),
    "co": ("LI", "Co is read as Large Intestine (colon); some tables use Co for the Conception Vessel (CV)"),
}


class Match:
    def __init__(self, records=None, notes=None, suggestions=None, ambiguous=False):
        self.records = records or []
        self.notes = notes or []  # said on stderr, never block the answer
        self.suggestions = suggestions or []
        self.ambiguous = ambiguous


def _close(word, candidates, n, cutoff):
    import difflib

    return difflib.get_close_matches(word, candidates, n=n, cutoff=cutoff)


def point_name_index(points: list) -> dict:
    """Folded names -> point codes: tone-aware (pinyin, hanzi), tone-less (pinyin,
    English, aliases), other standards' codes, and older numbering."""
    exact: dict = {}
    loose: dict = {}
    others: dict = {}
    old: dict = {}
    for p in points:
        code = p["code"]
        for name in (p["pinyin"], p["hanzi"], p["hanzi_traditional"]):
            exact.setdefault(fold_tones(name), []).append(code)
        for name in (p["pinyin"], p["english"], *[a["name"] for a in p["aliases"]]):
            lst = loose.setdefault(fold(name), [])
            if code not in lst:
                lst.append(code)
        for oc in p["other_codes"]:
            others[fold(oc)] = code
        for oc in p["old_codes"]:
            old.setdefault(oc.upper(), []).append(code)
    return {"exact": exact, "loose": loose, "others": others, "old": old}


class Resolver:
    """Indexes over one knowledge base, built on first use."""

    def __init__(self, kb):
        self.kb = kb
        self._channels = None
        self._indexes: dict = {}

    # ----------------------------------------------------------- channels

    def channel_map(self) -> dict:
        if self._channels is None:
            out: dict = {}
            clashes: dict = {}
            for m in self.kb.meridians:
                keys = [m["code"], *m["other_codes"], m["english"], *m.get("other_names", []),
                        m["pinyin"], m["hanzi"]]
                if m.get("hanzi_traditional"):
                    keys.append(m["hanzi_traditional"])
                for k in keys:
                    f = fold(k)
                    if not f:
                        continue
                    if f in out and out[f] != m["code"]:
                        clashes.setdefault(f, {out[f]}).add(m["code"])
                    else:
                        out.setdefault(f, m["code"])
            for f in clashes:
                if f in _PREFERRED:
                    out[f] = _PREFERRED[f][0]
            self._channels = out
        return self._channels

    def channel(self, text: str) -> str | None:
        return self.channel_map().get(fold(text))

    def channel_suggestions(self, text: str) -> list[str]:
        codes = [m["code"] for m in self.kb.meridians]
        close = _close(fold(text), list(self.channel_map()), n=5, cutoff=0.5)
        seen = []
        for c in close:
            code = self.channel_map()[c]
            if code not in seen:
                seen.append(code)
        return seen or codes

    # --------------------------------------------------------------- points

    def parse_code(self, query: str) -> tuple[str | None, list[str]]:
        """A point code from any code spelling, plus notes; (None, []) if not code-like."""
        f = fold(query)
        m = _CODE_RE.match(f)
        if not m:
            return None, []
        prefix, num = m.group(1), int(m.group(2))
        if prefix.startswith("ex") and prefix[2:] in _EX_REGIONS:
            return f"EX-{prefix[2:].upper()}{num}", []
        code = self.channel_map().get(prefix)
        if code is None:
            return None, []
        notes = []
        if prefix in _PREFERRED and prefix.upper() != code:
            notes.append(_PREFERRED[prefix][1])
        return f"{code}{num}", notes

    def _point_index(self):
        if "points" not in self._indexes:
            # Built once when the cache is written; rebuilt here only without a cache.
            idx = self.kb.section("point_names") or point_name_index(self.kb.points)
            self._indexes["points"] = (idx["exact"], idx["loose"], idx["others"])
        return self._indexes["points"]

    def point(self, query: str, suggest: bool = True) -> Match:
        kb = self.kb
        q = query.strip()
        if not q:
            return Match(suggestions=[])
        code, notes = self.parse_code(q)
        if code is None and kb.has("points", q.upper()):
            code = q.upper()  # a code outside the WHO pattern, e.g. an overlay's EX-ANMIAN
        if code is not None and kb.has("points", code):
            # The hot path: a plain code reads one record and builds no index.
            for newer in kb.old_codes().get(code, []):
                p = kb.get("points", newer)
                notes.append(f"older books number {p['code']} {p['pinyin']} {p['hanzi']} as {code}; "
                             f"showing the WHO {code}")
            return Match([kb.get("points", code)], notes=notes)
        exact, loose, others = self._point_index()
        other = others.get(fold(q))
        if other:
            return Match([kb.get("points", other)], notes=[f"{q} is {other} in the WHO standard"])
        if code is not None:
            return Match(notes=notes, suggestions=self._code_suggestions(code) if suggest else [])
        hits = exact.get(fold_tones(q)) or loose.get(fold(q)) or []
        if hits:
            recs = [kb.get("points", c) for c in dict.fromkeys(hits)]
            return Match(recs, ambiguous=len(recs) > 1)
        bare = _TRAILING_POINT.sub("", q)
        if bare != q and bare:
            return self.point(bare, suggest)  # "Union Valley point", "hegu points"
        return Match(suggestions=self._point_suggestions(q) if suggest else [])

    def _code_suggestions(self, code: str) -> list[str]:
        codes = list(self.kb.by_key("points"))
        close = _close(code, codes, n=5, cutoff=0.6)
        return [self._label(c) for c in close]

    def _label(self, code: str) -> str:
        p = self.kb.get("points", code)
        return f"{code} {p['pinyin']} {p['hanzi']}" if p else code

    def _point_suggestions(self, q: str) -> list[str]:
        exact, loose, _ = self._point_index()
        keys = list(loose) + [k for k in exact if k not in loose]
        close = _close(fold(q), keys, n=6, cutoff=0.6)
        out = []
        for k in close:
            for c in loose.get(k) or exact.get(k) or []:
                if c not in out:
                    out.append(c)
        return [self._label(c) for c in out[:5]]

    # ---------------------------------------------------------------- herbs

    def _herb_index(self):
        if "herbs" not in self._indexes:
            # Built once when the cache is written; rebuilt here only without a cache.
            self._indexes["herbs"] = self.kb.section("herb_names") or herb_name_index(self.kb.herbs)
        return self._indexes["herbs"]

    def _herb_words(self):
        """Single English words of herb names (peony, notoginseng) -> herb ids."""
        if "herb-words" not in self._indexes:
            words: dict = {}
            for h in self.kb.herbs:
                for name in [h["english"], *h["trade_names"]]:
                    for w in re.findall(r"[a-z]{4,}", name.casefold()):
                        lst = words.setdefault(w, [])
                        if h["id"] not in lst:
                            lst.append(h["id"])
            self._indexes["herb-words"] = words
        return self._indexes["herb-words"]

    def herb(self, query: str, suggest: bool = True) -> Match:
        if TONE_NUMBERS.match(query.strip()):
            query = re.sub(r"[1-5]", "", query)  # du4 zhong4 -> du zhong
        q = fold(query)
        if not q:
            return Match()
        get = functools.partial(self.kb.get, "herbs")  # one record at a time, not every herb
        idx = self._herb_index()
        ids = list(idx.get(q, []))
        tq = fold_tones(query)
        if ids and tq != fold(query):
            # Tone marks that are typed are respected: Dà Jì (大蓟) is not Dà Jǐ (大戟).
            same = [h["id"] for h in self.kb.herbs if fold_tones(h["pinyin"]) == tq]
            ends = [h["id"] for h in self.kb.herbs if fold_tones(h["pinyin"]).endswith(tq)]
            if same or ends:
                ids = same or ends
                if len(ids) > 1:
                    return Match([get(i) for i in ids], ambiguous=True)
        if not ids:
            ids = [i for w in wade_giles_readings(query) for i in idx.get(w, [])][:6]
            ids = list(dict.fromkeys(ids))
        if not ids:
            # A processed form typed in pinyin: zhi fu zi, chao bai zhu, shu di (huang) ...
            words = query.strip().split()
            if len(words) >= 2 and fold(words[0]) in PROCESSING:
                m = self.herb(" ".join(words[1:]), suggest)
                if m.records and not m.ambiguous:
                    h = m.records[0]
                    m.notes.append(f"{query.strip()!r}: {PROCESSING[fold(words[0])]} {h['pinyin']}; "
                                   "see its forms for how processing changes it")
                    return m
        if not ids and re.fullmatch(r"[a-z]{4,}", query.strip().casefold()):
            ids = list(self._herb_words().get(query.strip().casefold(), []))
            if len(ids) > 1:
                return Match([get(i) for i in ids], ambiguous=True)
        if not ids and len(q) >= 4:
            # A generic name ("fang ji") is the tail of the specific ones (Fen Fang Ji, Guang Fang Ji).
            ids = [h["id"] for h in self.kb.herbs
                   if fold(h["pinyin"]).endswith(q) or fold(h["id"]).endswith(q)]
            if len(ids) > 1:
                return Match([get(i) for i in ids], ambiguous=True)
        if not ids and not suggest:
            return Match()
        if not ids:
            close = _close(q, list(idx), n=6, cutoff=0.6)
            sugg = []
            for k in close:
                for hid in idx[k]:
                    h = get(hid)
                    label = f"{h['pinyin']} {h['hanzi']} ({hid})"
                    if label not in sugg:
                        sugg.append(label)
            return Match(suggestions=sugg[:5])
        toned = fold_tones(query) != fold(query)
        if len(ids) == 1 and query.strip().casefold() != ids[0]:
            # A generic name (Fang Ji, Mu Tong, He Shou Wu) must show its look-alikes,
            # unless the tone marks typed already tell them apart.
            for other in get(ids[0])["confusable"]:
                o = get(other)
                if toned and not fold_tones(o["pinyin"] if o else "").endswith(fold_tones(query)):
                    continue
                if o and (fold(o["pinyin"]).endswith(q) or q in map(fold, o["trade_names"] + o["aliases"])):
                    ids.append(other)
        recs = [get(i) for i in dict.fromkeys(ids)]
        return Match(recs, ambiguous=len(recs) > 1)

    # ------------------------------------------------------------- formulas

    def formula(self, query: str, suggest: bool = True) -> Match:
        if "formulas" not in self._indexes:
            self._indexes["formulas"] = self.kb.section("formula_names") or formula_name_index(
                self.kb.section("formulas"))
        idx = self._indexes["formulas"]
        q = fold(query)
        ids = idx.get(q, []) if q else []
        if not ids:
            if not suggest:
                return Match()
            sugg = []
            # Close spellings, then names that begin with what was typed ("liu wei").
            starts = [k for k in idx if len(q) >= 3 and k.startswith(q)] if q else []
            for k in _close(q, list(idx), n=6, cutoff=0.7) + sorted(starts, key=len):
                for fid in idx[k]:
                    if fid not in sugg:
                        sugg.append(fid)
            return Match(suggestions=sugg[:5])
        recs = [self.kb.get("formulas", i) for i in ids]
        return Match(recs, ambiguous=len(recs) > 1)

    # ----------------------------------------------------------- conditions

    def _condition_index(self):
        if "conditions" not in self._indexes:
            idx: dict = {}
            groups: dict = {}
            for c in self.kb.conditions:
                keys = [c["id"], c["name"], *c["aliases"]]
                for ch in c["chinese"]:
                    keys += [ch["hanzi"], ch["pinyin"], ch.get("hanzi_traditional") or ""]
                for k in keys:
                    lst = idx.setdefault(fold(k), [])
                    if c["id"] not in lst:
                        lst.append(c["id"])
                if c.get("group"):
                    groups.setdefault(fold(c["group"]), []).append(c["id"])
            self._indexes["conditions"] = (idx, groups)
        return self._indexes["conditions"]

    def condition(self, query: str) -> Match:
        q = fold(query)
        idx, groups = self._condition_index()
        by_id = self.kb.by_key("conditions")
        ids = idx.get(q) or groups.get(q) or []
        if ids:
            recs = [by_id[i] for i in ids]
            return Match(recs, ambiguous=len(recs) > 1)
        keys = list(idx) + list(groups)
        # Only names that really are close: short names (IBS, OA) match too easily.
        close = _close(q, keys, n=6, cutoff=0.8 if len(q) <= 5 else 0.7)
        sugg = []
        for k in close:
            for cid in idx.get(k) or groups.get(k) or []:
                if cid not in sugg:
                    sugg.append(cid)
        return Match(suggestions=sugg[:5])

    def condition_names(self) -> list[str]:
        return [c["id"] for c in self.kb.conditions]


# Pinyin of processing words that prefix a herb name.
PROCESSING = {"zhi": "processed (制/炙)", "chao": "dry-fried (炒)", "sheng": "raw (生)", "shu": "prepared (熟)",
              "jiang": "ginger-processed (姜)", "fa": "processed (法)", "pao": "blast-fried (炮)",
              "duan": "calcined (煅)", "cu": "vinegar-processed (醋)", "jiu": "wine-processed (酒)",
              "yan": "salt-processed (盐)", "mi": "honey-fried (蜜)", "jiao": "charred (焦)"}
_TRAILING_POINT = re.compile(r"\s+(acu)?points?$", re.I)
TONE_NUMBERS = re.compile(r"^[A-Za-z]+[1-5](\s*[A-Za-z]+[1-5])*$")


# Wade-Giles initials and finals -> pinyin candidates (aspiration marks are often dropped).
_WG_INITIALS = [("ch'", ["q", "ch"]), ("ts'", ["c"]), ("tz'", ["c"]), ("hs", ["x"]), ("ch", ["zh", "j", "q", "ch"]),
                ("ts", ["z", "c"]), ("tz", ["z", "c"]), ("k'", ["k"]), ("p'", ["p"]), ("t'", ["t"]),
                ("k", ["g", "k"]), ("p", ["b", "p"]), ("t", ["d", "t"]), ("j", ["r"])]
_WG_FINALS = [("ieh", "ie"), ("ien", "ian"), ("ung", "ong"), ("ih", "i"), ("ueh", "ue"), ("uei", "ui")]


def wade_giles_readings(text: str) -> list[str]:
    """Folded pinyin readings a Wade-Giles name may stand for ("Huang Chi" -> huangqi ...)."""
    sylls = re.findall(r"[a-z']+", text.casefold().replace("’", "'"))
    if not 1 < len(sylls) <= 4:
        return []
    options = []
    for s in sylls:
        init, rest = "", s
        for wg, _ in _WG_INITIALS:
            if s.startswith(wg):
                init, rest = wg, s[len(wg):]
                break
        rest = rest.replace("'", "")
        for a, b in _WG_FINALS:
            if rest.endswith(a):
                rest = rest[: -len(a)] + b
        heads = dict(_WG_INITIALS).get(init, [init]) if init else [""]
        cands = [h + rest for h in heads]
        if rest == "i" and init in ("ch", "ch'", "ts", "tz", "ts'", "tz'", "hs", "j"):
            cands += [h + "i" for h in heads]
        options.append(list(dict.fromkeys(cands)))
    out = [""]
    for opts in options:
        out = [o + c for o in out for c in opts][:64]
    return out


def herb_name_forms(h: dict) -> list[str]:
    """Names of a herb that follow from its record: pharmaceutical Latin in the
    older order (Radix Aristolochiae Fangchi), species binomials (Panax ginseng),
    and the hanzi of its processed forms (法半夏)."""
    out = []
    words = h["latin"].split()
    if len(words) >= 2:
        out.append(" ".join([words[-1], *words[:-1]]))
    for sp in h["species"]:
        parts = sp.split()
        if len(parts) >= 2:
            out.append(" ".join(parts[:2]))
    for form in h.get("forms") or []:
        out += re.findall(r"[\u4e00-\u9fff]{2,}", form["name"])
    return out


def _name_index(records: list, names) -> dict:
    idx: dict = {}
    for r in records:
        for k in names(r):
            lst = idx.setdefault(fold(k), [])
            if r["id"] not in lst:
                lst.append(r["id"])
    return idx


def herb_name_index(herbs: list) -> dict:
    """Folded names of every herb -> herb ids (written into the cache)."""
    return _name_index(herbs, lambda h: [h["id"], h["pinyin"], h["hanzi"], h["hanzi_traditional"], h["latin"],
                                         h["english"], *h["trade_names"], *h["aliases"], *herb_name_forms(h)])


def formula_name_index(formulas: list) -> dict:
    """Folded names of every formula -> formula ids (written into the cache)."""
    return _name_index(formulas, lambda f: [f["id"], f["pinyin"], f["hanzi"], f["hanzi_traditional"],
                                            f["english"], *f["aliases"]])


def resolver(kb) -> Resolver:
    """The resolver of this knowledge base, built once and kept on it."""
    r = getattr(kb, "_resolver", None)
    if r is None:
        r = kb._resolver = Resolver(kb)
    return r
