"""The link audit: which SDG links an outcome's (or question's) text supports, which it does not, measured
against the hand-made links.

The scorer is transparent on purpose: each unit's text (with its objective's or study group's) and each
SDG's goal title and target texts become stemmed words (Snowball's English stemmer, scikit-learn's
English stop words), weighted by TF-IDF over all of those texts (so a word every outcome uses, such as
"ICT", counts little), and a unit's score for an SDG is the cosine similarity with the SDG's best-matching
text (a target or the goal's title). Every suggestion carries its evidence: the targets that matched and
the words the unit shares with them. Nothing is downloaded at run time: the target texts are
data/reference/sdg_targets.csv (open-sdg/sdg-translations, pinned; data/reference/open-sdg/SOURCE.toml).

`evaluate` measures the method honestly, leaving one unit out at a time: for each unit, the SDGs are
ranked using only the texts and the other units' links, and the ranking is compared with the unit's own
hand-made links (precision and recall at k, area under the ROC curve), against two baselines that use no
text: the SDGs most often linked by the other units, and by the other units of the same objective (equal
counts there ordered by the counts over all the other units). Blanket units (linked to every SDG) are
evaluated apart: any ranking of them is perfect. `uncertainty` says how sure that is: bootstrap intervals
over the units (a fixed seed, so the same at every run) and the counts behind precision.

Action Line links are not audited: no public copy of the Geneva Plan of Action's Action Line texts under
a licence that lets the project ship it was found.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from itud.analysis.coverage import Mapping, blanket_units
from itud.data import ids

K_VALUES = (3, 5)  # the ranks at which precision and recall are reported
SUGGESTIONS_PER_UNIT = 3  # at most this many links to add are suggested for one unit
DISTINCTIVE = 0.05  # a word used by at most this share of all texts is evidence ("development" is not)
EVIDENCE_WORDS = 2  # a link to add needs at least this many distinctive words shared with its best texts
PARENT_MARK = "*"  # after a shared word that comes from the parent's text (the objective's), not the unit's own
WORD = re.compile(r"[a-z][a-z0-9]+")


@lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    """A word's Snowball stem, once per word (the stemmer is pure Python; 1,000 outcomes share their words)."""
    return _stemmer().stemWord(word)


def words(text: str) -> list[tuple[str, str]]:
    """(stem, word) for every content word of `text`: lower case, stop words and one-letter words left out."""
    found = [w for w in WORD.findall(str(text).lower().replace("’", "'")) if w not in _stop_words()]
    return [(_stem(w), w) for w in found]


@dataclass
class Scores:
    """A unit x SDG score matrix with what it was computed from, for evidence."""

    scores: pd.DataFrame  # units x SDGs: the best cosine similarity with the SDG's title or targets
    best: pd.DataFrame  # units x SDGs: the id of that best-matching text ("9.c", or "goal 9")
    similarity: pd.DataFrame  # units x texts: the cosine similarity with every target and goal title
    texts: pd.DataFrame  # text id, SDG, text: the targets and goal titles
    unit_words: dict[str, dict[str, str]]  # unit -> stem -> the first word of the unit's text with it
    text_stems: dict[str, set[str]]  # text id -> its stems
    spread: dict[str, float]  # stem -> the share of all texts (units, titles, targets) that use it
    own_stems: dict[str, set[str]]  # unit -> the stems of its own text (the rest come from its parent's)
    # made on first use by `evidence`: unit -> row of `similarity`, SDG -> (its texts' columns, their ids)
    _rows: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _texts_of: dict = field(default_factory=dict, init=False, repr=False, compare=False)


def reference_texts(targets: pd.DataFrame, goal_titles: pd.DataFrame) -> pd.DataFrame:
    """Every text an SDG is scored by: its goal title ("goal 9") and its targets ("9.c"), with their SDG."""
    goals = pd.DataFrame({"id": [f"goal {int(s)}" for s in goal_titles["sdg"]], "sdg": goal_titles["sdg"].astype(int),
                          "text": goal_titles["title"].astype(str)})  # fmt: skip
    found = pd.DataFrame({"id": targets["target"].astype(str), "sdg": targets["sdg"].astype(int),
                          "text": targets["text"].astype(str)})  # fmt: skip
    return pd.concat([goals, found], ignore_index=True)


def score(units: pd.DataFrame, targets: pd.DataFrame, goal_titles: pd.DataFrame) -> Scores:
    """Score every unit against every SDG. `units`: columns `unit` (id), `text` (its own text, and its
    parent's after it: both are what the unit is about)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = reference_texts(targets, goal_titles)
    unit_stems = [[s for s, _ in words(t)] for t in units["text"]]
    text_stems = [[s for s, _ in words(t)] for t in texts["text"]]
    # One vocabulary and one IDF for all texts, units and targets alike. (The analyzer is the identity: the
    # words are already stemmed, and TfidfVectorizer's own tokenizer would split them differently.)
    vectorizer = TfidfVectorizer(analyzer=lambda stems: stems, sublinear_tf=True, norm="l2")
    matrix = vectorizer.fit_transform(text_stems + unit_stems)
    reference, own = matrix[: len(texts)], matrix[len(texts) :]
    similarity = pd.DataFrame((own @ reference.T).toarray(), index=list(units["unit"]), columns=list(texts["id"]))
    sdgs = sorted(texts["sdg"].unique())
    by_sdg = {s: list(texts.loc[texts["sdg"] == s, "id"]) for s in sdgs}
    scores = pd.DataFrame({s: similarity[by_sdg[s]].max(axis=1) for s in sdgs})
    best = pd.DataFrame({s: similarity[by_sdg[s]].idxmax(axis=1) for s in sdgs})
    unit_words, own_stems = {}, {}
    own_texts = units["own"] if "own" in units else units["text"]
    for unit, text, own in zip(units["unit"], units["text"], own_texts, strict=True):
        found: dict[str, str] = {}
        for stem, word in words(text):
            found.setdefault(stem, word)
        unit_words[unit] = found
        own_stems[unit] = {stem for stem, _ in words(own)}
    documents = [set(s) for s in text_stems + unit_stems]
    counts = Counter(stem for document in documents for stem in document)  # one pass: linear in the texts
    spread = {stem: counts[stem] / len(documents) for stem in set().union(*documents)}
    return Scores(scores.round(6), best, similarity, texts, unit_words,
                  {i: set(s) for i, s in zip(texts["id"], text_stems, strict=True)}, spread, own_stems)  # fmt: skip


def evidence(scores: Scores, unit: str, sdg: int, top: int = 2) -> tuple[list[str], list[str]]:
    """The targets (or goal title) of `sdg` that match `unit` best, and the distinctive words of the unit
    they share (used by at most `DISTINCTIVE` of all texts), rarest first."""
    if not scores._rows:  # positions, once: a look-up by label in pandas costs more than the rest of a call
        scores._rows.update((u, n) for n, u in enumerate(scores.similarity.index))
        for s in scores.texts["sdg"].unique():
            texts = list(scores.texts.loc[scores.texts["sdg"] == s, "id"])
            scores._texts_of[s] = (scores.similarity.columns.get_indexer(texts), texts)
        scores._texts_of["values"] = scores.similarity.to_numpy()
    columns, texts = scores._texts_of[sdg]
    values = scores._texts_of["values"][scores._rows[unit], columns]
    # highest first, equal values in the texts' order (as pandas' stable descending sort)
    matched = [texts[i] for i in _descending(values) if values[i] > 0][:top]
    stems = {stem for text in matched for stem in scores.text_stems[text]} & set(scores.unit_words[unit])
    distinctive = sorted((s for s in stems if scores.spread[s] <= DISTINCTIVE), key=lambda s: (scores.spread[s], s))
    # a word only the parent's text (the objective's) has is marked so: every unit of that parent shares it
    return matched, [scores.unit_words[unit][s] + ("" if s in scores.own_stems[unit] else PARENT_MARK)
                     for s in distinctive]  # fmt: skip


def _descending(values: np.ndarray) -> np.ndarray:
    """Positions of `values` from the highest, equal values in their order (pandas' stable descending sort)."""
    return np.argsort(-values, kind="stable")


def _linked(mapping: Mapping) -> pd.DataFrame:
    """Units x SDGs: 1 where the hand-made links join them."""
    units = list(mapping.units[mapping.unit])
    table = mapping.links["sdg"]
    matrix = pd.crosstab(table[mapping.unit], table["sdg"]).reindex(index=units, fill_value=0)
    return (matrix.reindex(columns=list(ids.ALL_SDGS), fill_value=0) > 0).astype(int)


def review(mapping: Mapping, scores: Scores) -> pd.DataFrame:
    """The links to review, per unit in the mapping's order: links the text supports that the hand-made
    links lack (among the unit's best `SUGGESTIONS_PER_UNIT` SDGs, and at least as strong as the median
    of its own links), then links the hand-made links have that the text does not support (no word in
    common with the SDG's title or targets, or none of its distinctive words and a score below the median
    of the SDGs the unit is not linked to); each with its score and evidence."""
    linked = _linked(mapping)
    blanket = set(blanket_units(mapping))
    group = dict(zip(mapping.units[mapping.unit], mapping.units[mapping.group], strict=True))
    # rows and columns by position (numpy): a look-up by label per unit and SDG was most of the time
    found_rows = {u: n for n, u in enumerate(scores.scores.index)}
    sdgs = list(scores.scores.columns)
    values = scores.scores.to_numpy()
    is_linked = linked.to_numpy() != 0
    rows = []
    for position, unit in enumerate(linked.index):
        if unit not in found_rows:
            continue
        own = dict(zip(sdgs, values[found_rows[unit]].tolist(), strict=True))
        links = [s for s, yes in zip(linked.columns, is_linked[position], strict=True) if yes]
        bar = float(np.median([own[s] for s in links])) if links else 0.0
        ranked = [sdgs[i] for i in _descending(values[found_rows[unit]])]
        if unit not in blanket:
            for sdg in [s for s in ranked[:SUGGESTIONS_PER_UNIT] if s not in links]:
                found = evidence(scores, unit, sdg)
                if own[sdg] > 0 and own[sdg] >= bar and len(found[1]) >= EVIDENCE_WORDS:
                    rows.append([unit, group[unit], int(sdg), ADD, round(float(own[sdg]), 3), *found])
            unlinked = [own[s] for s in linked.columns if s not in links]
            floor = float(np.median(unlinked)) if unlinked else 0.0
            for sdg in sorted(links, key=lambda s: (own[s], s)):
                found = evidence(scores, unit, sdg)
                if own[sdg] == 0 or (own[sdg] < floor and not found[1]):
                    rows.append([unit, group[unit], int(sdg), CHECK, round(float(own[sdg]), 3), *found])
    columns = [mapping.unit, mapping.group, "SDG", "suggestion", "score", "matched", "shared words"]
    return pd.DataFrame(rows, columns=columns)


ADD = "add: the text supports it, the links lack it"
CHECK = "check: linked, but the text shares no distinctive word with it and supports it less than most others"


# --- The evaluation ------------------------------------------------------------------------------------

METHODS = {
    "targets": "the text against the SDGs' titles and targets",
    "neighbours": "the links of the outcomes whose texts are most alike",
    "targets and neighbours": "both, each scaled to 0-1, averaged",
    "most linked": "baseline: the SDGs the other outcomes link most",
    "most linked in the objective": "baseline: the SDGs the other outcomes of the same objective link most "
                                    "(equal counts ordered by all the other outcomes' links)",
}


def _unit_vectors(units: pd.DataFrame):
    """Units x stems, sparse: each unit's text as TF-IDF of its stemmed words, each row of length 1."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    stems = [[s for s, _ in words(t)] for t in units["text"]]
    return TfidfVectorizer(analyzer=lambda s: s, sublinear_tf=True).fit_transform(stems)


def _unit_similarity(units: pd.DataFrame) -> pd.DataFrame:
    """Units x units: cosine similarity of their texts (TF-IDF of stemmed words), 0 on the diagonal."""
    matrix = _unit_vectors(units)
    similar = (matrix @ matrix.T).toarray()
    np.fill_diagonal(similar, 0.0)
    return pd.DataFrame(similar, index=list(units["unit"]), columns=list(units["unit"]))


DENSE_UNITS = 2_000  # up to this many units the similarity is a units x units matrix (32 MB); beyond, never


def _neighbours(units: pd.DataFrame, links: np.ndarray) -> np.ndarray:
    """Units x SDGs: each unit's similarity with every other unit, times that unit's links, summed (its own left
    out). Up to `DENSE_UNITS` units through the units x units similarity matrix; beyond, as V (Vᵀ links) less
    each unit's own share, from the sparse text vectors V: linear in the units (10,000 units made a 800 MB
    matrix, and copies of it). The two agree but for the rounding of the last digit."""
    if len(units) <= DENSE_UNITS:
        return _unit_similarity(units).to_numpy() @ links
    vectors = _unit_vectors(units)
    own = np.asarray(vectors.multiply(vectors).sum(axis=1))  # each unit's similarity with itself (1, or 0)
    return np.asarray(vectors @ (vectors.T @ links)) - own * links


def _scaled(values: np.ndarray) -> np.ndarray:
    low, high = values.min(), values.max()
    return (values - low) / (high - low) if high > low else np.zeros_like(values, dtype=float)


def rankings(mapping: Mapping, units: pd.DataFrame, scores: Scores) -> dict[str, pd.DataFrame]:
    """Per method, units x SDGs scores computed leaving each unit's own links out. (As matrices: the unit
    similarity has a zero diagonal, so a unit's own links never count for it; 0.2 s instead of 15 s for
    1,000 outcomes.)"""
    linked = _linked(mapping).loc[list(units["unit"])]
    links = linked.to_numpy(dtype=float)
    group = dict(zip(mapping.units[mapping.unit], mapping.units[mapping.group], strict=True))
    # the other units of the same objective: its links summed, less the unit's own (whole numbers, so exactly
    # what a units x units matrix of "same objective" gave, without its n x n memory)
    _, objective = np.unique(np.array([str(group[u]) for u in linked.index], dtype=object), return_inverse=True)
    per_objective = np.zeros((objective.max() + 1 if len(objective) else 0, links.shape[1]))
    np.add.at(per_objective, objective, links)
    targets = scores.scores.loc[linked.index, linked.columns].to_numpy(dtype=float)
    neighbours = _neighbours(units, links)
    popular = links.sum(axis=0)[None, :] - links
    found = {
        "targets": targets,
        "neighbours": neighbours,
        "targets and neighbours": (np.apply_along_axis(_scaled, 1, targets)
                                   + np.apply_along_axis(_scaled, 1, neighbours)) / 2,  # fmt: skip
        "most linked": popular,
        # ties within the objective are broken by the overall counts (a thousandth of a link each)
        "most linked in the objective": (per_objective[objective] - links) + popular / 1000,
    }
    return {name: pd.DataFrame(found[name], index=linked.index, columns=linked.columns) for name in METHODS}


def _aucs(truth: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each row's area under the ROC curve, as the Mann-Whitney statistic (a tie counts half): what
    sklearn.metrics.roc_auc_score gives for one row, for all rows at once (scipy's ranks; 5,000 calls of
    roc_auc_score took 10 s for 1,000 outcomes). Every row has linked and unlinked SDGs."""
    from scipy.stats import rankdata

    ranks = rankdata(values, axis=1)  # average ranks of ties
    positives = truth.sum(axis=1)
    negatives = truth.shape[1] - positives
    return ((ranks * truth).sum(axis=1) - positives * (positives + 1) / 2) / (positives * negatives)


def _ranked(values: pd.Series, k: int) -> list:
    """The `k` best SDGs: highest score first, the lower SDG number first among equal scores."""
    return sorted(values.index, key=lambda s: (-values[s], s))[:k]


def by_unit(mapping: Mapping, units: pd.DataFrame, scores: Scores) -> pd.DataFrame:
    """Every method of `METHODS` on every unit evaluated, one row each (leave-one-out: `rankings`): how many
    of the unit's `k` best-ranked SDGs it is linked to and its recall at each k of `K_VALUES`, and its area
    under the ROC curve. Blanket units, and units linked to no SDG, are not evaluated."""
    linked = _linked(mapping).loc[list(units["unit"])]
    blanket = set(blanket_units(mapping))
    counts = linked.sum(axis=1)
    judged = [u for u, n in counts.items() if u not in blanket and 0 < n < linked.shape[1]]
    truth = linked.loc[judged].to_numpy()
    totals = counts.loc[judged].to_numpy()
    # every unit's SDGs ranked at once: the highest value first, the lower SDG first among equal values (`_ranked`)
    sdgs = np.broadcast_to(np.asarray(linked.columns), truth.shape)
    frames = []
    for name, table in rankings(mapping, units, scores).items():
        rows = pd.DataFrame({"method": [name] * len(judged), "unit": judged})
        values = table.loc[judged].to_numpy()
        order = np.lexsort((sdgs, -values), axis=1) if judged else np.zeros((0, 0), dtype=int)
        for k in K_VALUES:
            hits = np.take_along_axis(truth > 0, order[:, :k], axis=1).sum(axis=1)
            rows[f"linked among the {k} best"] = hits.astype(np.int64)
            rows[f"recall at {k}"] = hits / totals if judged else []
        aucs = _aucs(truth, values) if judged else []
        rows["area under the ROC curve"] = list(aucs)
        frames.append(rows)
    return pd.concat(frames, ignore_index=True)


def evaluation(per_unit: pd.DataFrame, plural: str = "outcomes") -> pd.DataFrame:
    """`by_unit` averaged over the units, one row per method: precision and recall at each k of `K_VALUES`
    and ROC AUC, with the counts behind precision (the SDGs ranked among the k best of all units, and how
    many of them the unit is linked to: precision at k is the one divided by the other)."""
    rows = []
    for name in METHODS:
        found = per_unit[per_unit["method"] == name]
        judged = len(found)
        row = {"method": name, "what it ranks by": METHODS[name], f"{plural} evaluated": judged}
        for k in K_VALUES:
            hits = int(found[f"linked among the {k} best"].sum())
            row[f"precision at {k}"] = round(hits / (k * judged), 3) if judged else None
            row[f"recall at {k}"] = round(float(found[f"recall at {k}"].mean()), 3) if judged else None
        row["area under the ROC curve"] = round(float(found["area under the ROC curve"].mean()), 3) if judged else None
        for k in K_VALUES:
            row[f"SDGs ranked among the {k} best"] = k * judged
            row[f"linked SDGs among the {k} best"] = int(found[f"linked among the {k} best"].sum())
        rows.append(row)
    return pd.DataFrame(rows)


def evaluate(mapping: Mapping, units: pd.DataFrame, scores: Scores) -> pd.DataFrame:
    """Precision and recall at each k of `K_VALUES` and ROC AUC, averaged over the units that are not
    blanket, for every method of `METHODS` (leave-one-out: `rankings`), with the counts behind precision."""
    return evaluation(by_unit(mapping, units, scores), plural_unit(mapping))


def plural_unit(mapping: Mapping) -> str:
    return f"{mapping.unit}s"


def units_with_text(mapping: Mapping, texts: dict[str, str], parent_texts: dict[str, str]) -> pd.DataFrame:
    """The units of `mapping` with what the scorer reads: the unit's own text, then its parent's."""
    units = mapping.units
    return pd.DataFrame({
        "unit": list(units[mapping.unit]),
        "text": [f"{texts.get(u, '')} {parent_texts.get(g, '')}".strip()
                 for u, g in zip(units[mapping.unit], units[mapping.group], strict=True)],
        "own": [texts.get(u, "") for u in units[mapping.unit]],
    })  # fmt: skip


BASELINES = ("most linked", "most linked in the objective")


# A method beats a baseline when its area under the ROC curve is higher by at least this much. No statistical
# reason: a convention of this report, stated as such in it. The area under the ROC curve is the share of
# pairs of a linked and an unlinked SDG that a ranking puts in the right order (averaged over the units), so
# 0.02 means two more pairs in every hundred; `uncertainty` says how much chance alone moves it.
MARGIN = 0.02
TOP = 3  # the k of precision at k that the report quotes, with its counts (one of `K_VALUES`)
RESAMPLES = 10_000  # the bootstrap's resamples of the units evaluated
SEED = 2019  # the bootstrap's seed: fixed, so the interval is the same at every run, byte for byte
LEVEL = 0.95  # the bootstrap interval's coverage


def summary(evaluation: pd.DataFrame) -> dict:
    """What the report says of the evaluation: the best method that reads the texts, by how much its area
    under the ROC curve exceeds the better baseline's, and whether that is at least `MARGIN`."""
    auc = dict(zip(evaluation["method"], evaluation["area under the ROC curve"], strict=True))
    text = [m for m in evaluation["method"] if m not in BASELINES and auc[m] is not None]
    baselines = [auc[b] for b in BASELINES if auc.get(b) is not None]
    if not text or not baselines:
        return {"best_text_method": text[0] if text else "", "text_beats_baselines": False, "margin": None}
    best = max(text, key=lambda m: (auc[m], -text.index(m)))
    margin = round(auc[best] - max(baselines), 3)
    return {"best_text_method": best, "text_beats_baselines": margin >= MARGIN, "margin": margin}


def better_baseline(evaluation: pd.DataFrame) -> str:
    """The baseline with the higher area under the ROC curve (the first of `BASELINES` on a tie): the one
    `summary`'s margin is measured against; "" when none was evaluated."""
    auc = dict(zip(evaluation["method"], evaluation["area under the ROC curve"], strict=True))
    found = [b for b in BASELINES if auc.get(b) is not None]
    return max(found, key=lambda b: (auc[b], -found.index(b))) if found else ""


_DRAWS_AT_ONCE = 1_000_000  # unit indices the bootstrap holds at once (8 MB)


def interval(per_unit: pd.DataFrame, method: str, against: str = "", column: str = "area under the ROC curve",
             total: bool = False, resamples: int = RESAMPLES, seed: int = SEED,
             level: float = LEVEL) -> tuple[float, float] | None:  # fmt: skip
    """The bootstrap percentile interval of `method`'s mean of `column` over the units (its sum, when `total`;
    of its difference from `against`'s, when given: the same resampled units for both, paired), resampling
    the units with replacement `resamples` times from numpy's `default_rng(seed)`; the interval's ends are
    resampled values (numpy's "inverted_cdf" quantiles), a mean rounded to 3 decimals, a sum of counts an int.
    The leave-one-out values of each unit are kept as they are (the methods are not run again). None when no
    unit was evaluated."""
    chosen = per_unit[per_unit["method"] == method]
    values = chosen[column].to_numpy(dtype=float)
    if against:
        other = per_unit[per_unit["method"] == against]
        if list(other["unit"]) != list(chosen["unit"]):
            raise ValueError(f"{method} and {against} were not evaluated on the same units")
        values = values - other[column].to_numpy(dtype=float)
    if not len(values):
        return None
    # The resamples drawn a block of rows at a time: the same numbers as in one call (the generator's stream does
    # not depend on how it is cut into rows), but a few MB at once however many units (10,000 x 10,000 were 1.6 GB)
    generator, block = np.random.default_rng(seed), max(1, _DRAWS_AT_ONCE // len(values))
    found = np.concatenate([
        (values[draws].sum(axis=1) if total else values[draws].mean(axis=1))
        for start in range(0, resamples, block)
        for draws in [generator.integers(0, len(values), size=(min(block, resamples - start), len(values)))]
    ])  # fmt: skip
    low, high = np.quantile(found, [(1 - level) / 2, (1 + level) / 2], method="inverted_cdf")
    if total:
        return int(round(low)), int(round(high))
    return round(float(low), 3) + 0.0, round(float(high), 3) + 0.0  # + 0.0: never "-0.0"


def uncertainty(result: Audit) -> dict:
    """How sure the evaluation is, for the report: the bootstrap intervals (`interval`) of the best text
    method's area under the ROC curve and of its difference from the better baseline's; the counts behind
    precision at `TOP` (per method: how many of the SDGs ranked among the `TOP` best of all units evaluated
    are linked) and the interval of the best text method's count less the better baseline's; and the rules
    (`MARGIN`, `RESAMPLES`, `LEVEL`)."""
    evaluated = result.evaluation
    best, baseline = summary(evaluated)["best_text_method"], better_baseline(evaluated)
    per_unit = result.per_unit
    found = per_unit is not None and len(per_unit) > 0 and best and baseline
    return {
        "better_baseline": baseline,
        "auc_interval": list(interval(per_unit, best)) if found else [],
        "difference_interval": list(interval(per_unit, best, baseline)) if found else [],
        "places_in_top": int(evaluated[f"SDGs ranked among the {TOP} best"].iloc[0]) if len(evaluated) else 0,
        "linked_in_top": dict(zip(evaluated["method"], (int(v) for v in evaluated[f"linked SDGs among the {TOP} best"]),
                                  strict=True)),  # fmt: skip
        "top_difference_interval": list(interval(per_unit, best, baseline, f"linked among the {TOP} best",
                                                 total=True)) if found else [],  # fmt: skip
        "resamples": RESAMPLES,
        "interval_percent": round(LEVEL * 100),
        "better_from": MARGIN,
    }


def review_sheet(review: pd.DataFrame) -> pd.DataFrame:
    """`review` for a spreadsheet: the lists of targets and words as text, separated by "; "; an empty list is
    written as what it means (the workbook's rule: an empty cell is a value not given)."""
    sheet = review.copy()
    for column, none in (("matched", "none"), ("shared words", "no distinctive word")):
        sheet[column] = ["; ".join(v) or none for v in sheet[column]]
    return sheet


def scores_table(mapping: Mapping, scores: Scores) -> pd.DataFrame:
    """One row per unit and SDG: the score, whether the hand-made links join them, the best-matching text."""
    linked = _linked(mapping)
    found = [unit for unit in linked.index if unit in scores.scores.index]
    columns = list(linked.columns)
    values = scores.scores.loc[found, columns].to_numpy().tolist()  # by position: a look-up per cell was slow
    best = scores.best.loc[found, columns].to_numpy().tolist()
    joined = linked.loc[found, columns].to_numpy().tolist()
    rows = [
        (unit, int(sdg), round(float(values[r][c]), 4), "yes" if joined[r][c] else "no", best[r][c])
        for r, unit in enumerate(found) for c, sdg in enumerate(columns)
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=[mapping.unit, "SDG", "score", "linked", "best-matching text"])


@dataclass
class Audit:
    """One mapping audited: what was read, the scores, the links to review and the evaluation."""

    units: pd.DataFrame
    scores: Scores
    review: pd.DataFrame
    evaluation: pd.DataFrame
    per_unit: pd.DataFrame | None = None  # `by_unit`: what `evaluation` averages, for `uncertainty`


def run(mapping: Mapping, texts: dict[str, str], parent_texts: dict[str, str], targets: pd.DataFrame,
        goal_titles: pd.DataFrame) -> Audit:  # fmt: skip
    """Audit a mapping's SDG links: `texts` by unit id, `parent_texts` by group id (objective, study group)."""
    units = units_with_text(mapping, texts, parent_texts)
    scores = score(units, targets, goal_titles)
    per_unit = by_unit(mapping, units, scores)
    return Audit(units, scores, review(mapping, scores), evaluation(per_unit, plural_unit(mapping)), per_unit)


@dataclass(frozen=True)
class NotRun:
    """The link audit not run, and why: the data folder's reference/ lacks the texts it scores against (the
    inputs of versions made before the link audit do). False as a truth value; its text is the reason."""

    reason: str
    absent: tuple[str, ...] = ()  # the files absent, as "data/reference/sdg_targets.csv"

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return self.reason


def not_run(edition) -> NotRun | None:
    """Why the audit cannot run on `edition` (`edition.sdg_targets` or `sdg_goal_titles` is None: the file is
    absent), or None when it can. A header-only table never gets here: loading refuses it, naming the file."""
    from itud.data.grammar import listing

    absent = [name for name, frame in (("sdg_targets.csv", edition.sdg_targets),
                                       ("sdg_goal_titles.csv", edition.sdg_goal_titles)) if frame is None]  # fmt: skip
    if not absent:
        return None
    folder = getattr(edition, "reference_dir", None)
    prefix = f"{folder.parent.name}/{folder.name}" if folder is not None else "reference"
    files = tuple(f"{prefix}/{name}" for name in absent)
    verb, pronoun = ("is", "it") if len(files) == 1 else ("are", "them")
    return NotRun(f"Link audit not run because {listing(files)} {verb} absent (the SDG goal titles and target "
                  f"texts it scores the texts against): copy {pronoun} from the project's data/reference/ to "
                  "audit the links", files)  # fmt: skip


def for_edition(edition, mapping: Mapping, texts: dict[str, str], parent_texts: dict[str, str]) -> Audit | NotRun:
    """`run` on the edition's SDG texts, or `NotRun` saying which reference file is absent (never a traceback)."""
    missing = not_run(edition)
    if missing is not None:
        return missing
    return run(mapping, texts, parent_texts, edition.sdg_targets, edition.sdg_goal_titles)


def outcome_texts(edition) -> tuple[dict[str, str], dict[str, str]]:
    """What an outcome is about: its text, and its objective's."""
    return (dict(zip(edition.outcomes["outcome"], edition.outcomes["text"], strict=True)),
            dict(zip(edition.objectives["objective"], edition.objectives["text"], strict=True)))  # fmt: skip


def question_texts(edition) -> tuple[dict[str, str], dict[str, str]]:
    """What a question is about: its title, and its study group's name."""
    return (dict(zip(edition.questions["question"], edition.questions["title"], strict=True)),
            dict(zip(edition.study_groups["study_group"], edition.study_groups["name"], strict=True)))  # fmt: skip
