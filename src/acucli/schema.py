"""Closed vocabularies of the data format (docs/data-format.md).

Kept apart from validation so the CLI can offer them as choices and
completions without loading the validator.
"""

from __future__ import annotations

# Record kinds (top-level YAML keys) and the field each is keyed by, in load
# order. acucli.models gives each its class; None: a list without a key.
RECORD_KINDS = {
    "references": "id", "meridians": "code", "points": "code", "herbs": "id", "formulas": "id",
    "conditions": "id", "drug_classes": "id", "drugs": "id", "interactions": None,
    "incompatibilities": "id",
}

MERIDIAN_KINDS = ("primary", "extraordinary", "extra", "non-who")

REGIONS = (
    "head", "face", "neck", "shoulder", "upper-back", "lower-back", "sacrum", "chest",
    "abdomen", "axilla", "perineum", "upper-arm", "elbow", "forearm", "wrist", "hand",
    "buttock", "hip", "thigh", "knee", "lower-leg", "ankle", "foot",
)

PHASES = ("wood", "fire", "earth", "metal", "water")
ORGAN_CHANNELS = ("LU", "LI", "ST", "SP", "HT", "SI", "BL", "KI", "PC", "TE", "GB", "LR")
VESSELS = ("GV", "CV", "CHONG", "DAI", "YINQIAO", "YANGQIAO", "YINWEI", "YANGWEI")
ALL_CHANNELS = ORGAN_CHANNELS + VESSELS
HUI_TISSUES = ("zang", "fu", "qi", "blood", "sinew", "vessel", "bone", "marrow")
COMMAND_REGIONS = ("abdomen", "back", "head-neck", "face-mouth", "chest", "resuscitation")
SEAS = ("qi", "blood", "marrow", "nourishment")

FIVE_SHU = ("jing-well", "ying-spring", "shu-stream", "jing-river", "he-sea")

# category name -> what its qualifier must be (None: no qualifier)
CATEGORIES: dict[str, tuple | str | None] = {
    **{name: PHASES for name in FIVE_SHU},
    "yuan-source": None,
    "luo-connecting": None,
    "xi-cleft": "optional-vessel",  # BL59, GB35, KI8, KI9 are the xi-cleft of a vessel
    "back-shu": ORGAN_CHANNELS,
    "front-mu": ORGAN_CHANNELS,
    "lower-he-sea": ORGAN_CHANNELS,
    "hui-meeting": HUI_TISSUES,
    "confluent": VESSELS,
    "great-luo": None,
    "entry": None,
    "exit": None,
    "window-of-heaven": None,
    "heavenly-star": None,
    "ghost-point": None,
    "four-command-points": COMMAND_REGIONS[:4],
    "six-command-points": COMMAND_REGIONS,
    "crossing-point": "channels",
    "sea": SEAS,
}
# Names people type for categories -> canonical name
CATEGORY_ALIASES = {
    "well": "jing-well", "jing": "jing-well", "spring": "ying-spring", "ying": "ying-spring",
    "stream": "shu-stream", "river": "jing-river", "sea-point": "he-sea", "he": "he-sea",
    "source": "yuan-source", "yuan": "yuan-source", "luo": "luo-connecting",
    "connecting": "luo-connecting", "xi": "xi-cleft", "cleft": "xi-cleft", "accumulation": "xi-cleft",
    "shu": "back-shu", "back-transport": "back-shu", "mu": "front-mu", "alarm": "front-mu",
    "front-alarm": "front-mu", "lower-he": "lower-he-sea", "hui": "hui-meeting",
    "influential": "hui-meeting", "meeting": "hui-meeting", "eight-influential": "hui-meeting",
    "confluence": "confluent", "opening": "confluent", "master": "confluent",
    "eight-confluent": "confluent", "window-of-sky": "window-of-heaven",
    "ma-danyang": "heavenly-star", "ghost": "ghost-point", "sun-simiao": "ghost-point",
    "command": "six-command-points",
    "four-command": "four-command-points", "six-command": "six-command-points",
    "crossing": "crossing-point", "intersection": "crossing-point",
    "five-shu": "five-shu",
}

NEEDLE_METHODS = ("filiform", "prick", "filiform-or-prick", "not-needled")
NEEDLE_ANGLES = ("perpendicular", "oblique", "transverse", "none")
MOXA = ("allowed", "caution", "forbidden")
POINT_CAUTIONS = ("pregnancy", "organ", "vessel", "nerve", "not-needled", "pain", "bleeding", "general")

BASIS = ("traditional", "theoretical", "consensus")
REFERENCE_KINDS = (
    "standard", "textbook", "guideline", "review", "trial", "cohort", "case-report",
    "regulation", "database", "other",
)

HERB_CATEGORIES: dict[str, tuple] = {
    "exterior-releasing": ("warm-acrid", "cool-acrid"),
    "heat-clearing": ("fire-draining", "heat-drying-dampness", "blood-cooling", "toxin-clearing", "deficiency-heat"),
    "purgative": ("attacking", "moist-laxative", "harsh-expellant"),
    "wind-damp-dispelling": ("wind-damp-cold", "wind-damp-heat", "sinew-bone-strengthening"),
    "damp-transforming": ("aromatic",),
    "water-draining": ("damp-percolating", "damp-heat-draining", "jaundice"),
    "interior-warming": ("interior-warming",),
    "qi-regulating": ("qi-regulating",),
    "food-stagnation": ("digestive",),
    "parasite-expelling": ("anthelmintic",),
    "bleeding-stopping": ("blood-cooling", "astringent", "stasis-resolving", "warming"),
    "blood-invigorating": ("blood-moving", "stasis-breaking", "trauma"),
    "phlegm-cough": ("cold-phlegm", "hot-phlegm", "cough-wheeze"),
    "calming": ("heavy-settling", "heart-nourishing"),
    "liver-wind": ("yang-subduing", "wind-extinguishing"),
    "orifice-opening": ("orifice-opening",),
    "tonifying": ("qi", "yang", "blood", "yin"),
    "astringent": ("exterior-stabilising", "lung-intestine", "essence-urine-leukorrhea"),
    "emetic": ("emetic",),
    "external": ("external",),
}
NATURES = ("cold", "cool", "neutral", "warm", "hot")
FLAVORS = ("sour", "bitter", "sweet", "acrid", "salty", "bland", "astringent")
TOXICITY = ("none", "slight", "moderate", "high")
HERB_STATUS = ("ok", "restricted", "banned", "prohibited")
HERB_CAUTIONS = (
    "pregnancy-contraindicated", "pregnancy-caution", "toxicity", "hepatotoxicity",
    "nephrotoxicity", "regulatory", "conservation", "dose-limit", "incompatibility", "general",
)
DRUGS = (
    "warfarin", "anticoagulants", "antiplatelets", "antihypertensives", "diuretics", "digoxin",
    "stimulants", "maois", "hypoglycemics", "sedatives", "immunosuppressants", "nsaids",
    "antidepressants", "cyp3a4-substrates", "hormones",
)
# `--interacts warfarin` must also find herbs flagged for anticoagulants in general.
DRUG_FAMILIES = {
    "warfarin": ("warfarin", "anticoagulants", "antiplatelets"),
    "anticoagulants": ("warfarin", "anticoagulants", "antiplatelets"),
    "antiplatelets": ("anticoagulants", "antiplatelets", "warfarin"),
}

RX_ROLES = ("local", "adjacent", "distal", "pattern", "command", "meeting", "empirical")
RX_STATUS = ("core", "optional", "non-standard")
RX_SITES = ("ashi", "jiaji", "ear")
GRADES = ("insufficient", "very-low", "low", "low-moderate", "moderate", "moderate-high", "high")
GUIDELINE_POSITIONS = (
    "recommended", "conditional", "consider", "not-recommended", "not-included", "historical",
    "none-found",
)
VERDICTS = ("true", "partly-true", "misleading", "unsupported", "false")

FORMULA_CATEGORIES = (
    "exterior-releasing", "purgative", "harmonizing", "heat-clearing", "summer-heat-clearing",
    "interior-warming", "exterior-interior-releasing", "tonifying", "astringent", "calming",
    "orifice-opening", "qi-regulating", "blood-regulating", "wind-treating", "dryness-treating",
    "damp-dispelling", "phlegm-dispelling", "digestive", "anthelmintic", "emetic", "abscess-healing",
)
FORMULA_ROLES = ("chief", "deputy", "assistant", "envoy")
FORMULA_CAUTIONS = ("pregnancy", "toxicity", "substitution", "cinnabar", "animal-part", "general")
SEVERITIES = ("contraindicated", "major", "moderate", "minor")
EVIDENCE_KINDS = ("case-report", "clinical-study", "pharmacological", "theoretical", "review", "database")
INCOMPATIBILITY_SETS = ("eighteen-incompatibilities", "nineteen-antagonisms")
