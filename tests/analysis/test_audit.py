"""The link audit (`itud.analysis.audit`): the SDG targets' reference data and its provenance, the scorer's
suggestions and evidence on SYNTHETIC outcomes with known answers, and the leave-one-out evaluation."""

from __future__ import annotations

import hashlib
import tomllib

import pandas as pd
import pytest

from itud import paths
from itud.analysis import audit
from itud.analysis.coverage import Mapping
from itud.data import ids

REFERENCE = paths.DATA_DIR / "reference"


def test_the_targets_table_is_the_pinned_yaml_and_its_provenance_is_recorded():
    yaml = pytest.importorskip("yaml")
    source = tomllib.loads((REFERENCE / "open-sdg/SOURCE.toml").read_text(encoding="utf-8"))
    assert source["repository"] == "https://github.com/open-sdg/sdg-translations" and "MIT" in source["licence"]
    for name, pinned in source["files"].items():
        data = (REFERENCE / "open-sdg" / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == pinned["sha256"], name  # the copy is the pinned file
        assert len(pinned["commit"]) == 40 and pinned["path"]
    targets = yaml.safe_load((REFERENCE / "open-sdg/global_targets.yml").read_text(encoding="utf-8"))
    table = pd.read_csv(REFERENCE / "sdg_targets.csv", dtype=str)
    assert dict(zip(table["target"], table["text"], strict=True)) == {k: v["title"] for k, v in targets.items()}
    assert (table["target"].str.split(".").str[0] == table["sdg"]).all()
    assert set(table["sdg"].astype(int)) == set(ids.ALL_SDGS)
    assert table["source"].str.contains(source["files"]["global_targets.yml"]["commit"]).all()
    goals = yaml.safe_load((REFERENCE / "open-sdg/global_goals.yml").read_text(encoding="utf-8"))
    titles = pd.read_csv(REFERENCE / "sdg_goal_titles.csv", dtype=str)
    assert dict(zip(titles["sdg"], titles["title"], strict=True)) == {k: v["title"] for k, v in goals.items()}


# SYNTHETIC outcomes whose texts say plainly which SDGs they serve; their hand-made links are partly wrong.
OUTCOMES = {
    "P.1-1": ("P.1", "SYNTHETIC: increase the share of renewable energy and improve energy efficiency", [3]),
    "P.1-2": ("P.1", "SYNTHETIC: reduce marine pollution, end overfishing and address ocean acidification", [14]),
    "P.2-1": ("P.2", "SYNTHETIC: provide legal identity for all, including birth registration", [16]),
    "P.2-2": ("P.2", "SYNTHETIC: blanket outcome linked to every goal", list(ids.ALL_SDGS)),
}
PARENTS = {"P.1": "SYNTHETIC priority one", "P.2": "SYNTHETIC priority two"}


def _mapping(outcomes: dict = OUTCOMES) -> Mapping:
    units = pd.DataFrame({"outcome": list(outcomes), "objective": [v[0] for v in outcomes.values()]})
    links = pd.DataFrame([(o, s) for o, (_, _, sdgs) in outcomes.items() for s in sdgs], columns=["outcome", "sdg"])
    return Mapping(unit="outcome", group="objective", units=units, groups=tuple(PARENTS), links={
        "sdg": links, "action_line": pd.DataFrame(columns=["outcome", "action_line"])})  # fmt: skip


def _reference() -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_csv(REFERENCE / "sdg_targets.csv", dtype={"target": str}), pd.read_csv(
        REFERENCE / "sdg_goal_titles.csv")  # fmt: skip


def _audit(outcomes: dict = OUTCOMES) -> audit.Audit:
    texts = {o: v[1] for o, v in outcomes.items()}
    return audit.run(_mapping(outcomes), texts, PARENTS, *_reference())


def test_words_are_stemmed_content_words():
    assert audit.words("The Renewable energies, and ICT's") == [("renew", "renewable"), ("energi", "energies"),
                                                                 ("ict", "ict")]  # fmt: skip


def test_a_link_the_text_supports_is_suggested_with_its_targets_and_shared_words():
    review = _audit().review
    [add] = review[(review["outcome"] == "P.1-1") & (review["SDG"] == 7)].to_dict("records")
    assert add["suggestion"].startswith("add")
    assert set(add["matched"]) <= {"7.2", "7.3", "7.a", "7.b", "7.1", "goal 7"} and "7.2" in add["matched"]
    assert {"renewable", "efficiency"} <= set(add["shared words"])


def test_a_link_the_text_does_not_support_is_to_check_and_supported_links_are_not():
    review = _audit().review
    checks = review[review["suggestion"].str.startswith("check")]
    pairs = set(zip(review["outcome"], review["SDG"], strict=True))
    assert ("P.1-1", 3) in set(zip(checks["outcome"], checks["SDG"], strict=True))  # energy linked to health
    assert ("P.1-2", 14) not in pairs  # ocean outcome, ocean goal: fine
    assert ("P.2-1", 16) not in pairs  # target 16.9 is its own text
    assert "P.2-2" not in set(review["outcome"])  # a blanket outcome is linked to every goal by design


def test_the_scores_come_from_the_best_matching_text():
    scores = _audit().scores
    assert scores.best.loc["P.2-1", 16] == "16.9"
    assert scores.scores.loc["P.2-1", 16] == scores.scores.loc["P.2-1"].max() > 0


def test_leave_one_out_baselines_never_see_the_unit_s_own_links():
    mapping = _mapping()
    run = _audit()
    ranked = audit.rankings(mapping, run.units, run.scores)
    # no other outcome links SDG 7, and SDG 3 only through the blanket outcome: P.1-1's own link to 3 is unseen
    assert ranked["most linked"].loc["P.1-1", 7] == 1 and ranked["most linked"].loc["P.1-1", 3] == 1
    assert ranked["most linked"].loc["P.1-2", 3] == 2


def test_texts_that_are_their_targets_rank_their_links_first_and_beat_the_baselines():
    targets, _ = _reference()
    chosen = {"P.1-1": "7.2", "P.1-2": "14.1", "P.2-1": "16.9", "P.2-3": "4.1", "P.1-3": "3.3"}
    outcomes = {
        unit: (unit[:3], targets.set_index("target").loc[target, "text"], [int(target.split(".")[0])])
        for unit, target in chosen.items()
    }
    run = _audit(outcomes)
    rows = run.evaluation.set_index("method")
    assert rows.loc["targets", "area under the ROC curve"] == 1.0
    assert rows.loc["targets", "recall at 3"] == 1.0 and rows.loc["targets", "precision at 3"] == pytest.approx(1 / 3,
                                                                                                              abs=1e-3)
    assert rows.loc["most linked", "area under the ROC curve"] < 1.0
    assert audit.summary(run.evaluation)["text_beats_baselines"] is True
    assert rows["outcomes evaluated"].tolist() == [5] * len(audit.METHODS)


def test_an_edition_without_evaluable_outcomes_says_so_instead_of_failing():
    run = _audit({"P.2-2": OUTCOMES["P.2-2"]})  # only a blanket outcome
    assert run.evaluation["outcomes evaluated"].tolist() == [0] * len(audit.METHODS)
    assert audit.summary(run.evaluation) == {"best_text_method": "", "text_beats_baselines": False, "margin": None}


def test_the_rows_auc_is_sklearn_s_roc_auc_score_ties_included():
    import numpy as np
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    truth = (rng.random((40, 17)) < 0.3).astype(int)
    truth[:, 0], truth[:, 1] = 1, 0  # every row has both classes
    values = rng.integers(0, 4, size=(40, 17)).astype(float)  # many ties
    expected = [roc_auc_score(t, v) for t, v in zip(truth, values, strict=True)]
    assert audit._aucs(truth, values) == pytest.approx(expected, abs=1e-12)


# --- How sure: the counts behind precision and the bootstrap intervals ---------------------------------


def _per_unit(aucs: list[float], other: list[float] | None = None) -> pd.DataFrame:
    """SYNTHETIC `by_unit` rows: method "a" with `aucs`, method "b" with `other`, on the same units."""
    rows = [("a", f"U{i}", v) for i, v in enumerate(aucs)] + [("b", f"U{i}", v) for i, v in enumerate(other or [])]
    return pd.DataFrame(rows, columns=["method", "unit", "area under the ROC curve"])


def test_precision_is_its_counts_divided_and_the_report_shows_them_beside_it():
    from itud.report import tables

    run = _audit()
    rows = run.evaluation.set_index("method")
    for k in audit.K_VALUES:
        ranked, linked = rows[f"SDGs ranked among the {k} best"], rows[f"linked SDGs among the {k} best"]
        assert (ranked == k * rows["outcomes evaluated"]).all()  # k places for each outcome evaluated
        assert (linked <= ranked).all()
        assert (linked / ranked).round(3).tolist() == rows[f"precision at {k}"].tolist()
    per_unit = run.per_unit[run.per_unit["method"] == "targets"]
    assert rows.loc["targets", "linked SDGs among the 3 best"] == per_unit["linked among the 3 best"].sum()
    shown = tables.audit_evaluation(run.evaluation).set_index("Method")
    n, m = rows.loc["targets", "linked SDGs among the 3 best"], rows.loc["targets", "SDGs ranked among the 3 best"]
    assert shown.loc["targets", "Precision at 3"] == f"{rows.loc['targets', 'precision at 3']:.3f} ({n} of {m})"
    assert not [c for c in shown.columns if "among" in c or "evaluated" in c]  # the counts sit beside the rates
    sure = audit.uncertainty(run)
    assert sure["linked_in_top"] == rows["linked SDGs among the 3 best"].to_dict()
    assert sure["places_in_top"] == 3 * rows["outcomes evaluated"].iloc[0]


def test_the_interval_is_the_same_at_every_run_and_changes_only_with_the_seed():
    import numpy as np

    per_unit = _per_unit(list(np.random.default_rng(7).random(15)))
    first = audit.interval(per_unit, "a")
    assert audit.interval(per_unit, "a") == first == audit.interval(per_unit, "a", seed=audit.SEED)
    assert audit.interval(per_unit, "a", seed=audit.SEED + 1) != first
    assert all(isinstance(v, float) and round(v, 3) == v for v in first)


def test_the_interval_contains_the_point_estimate_and_widens_with_its_level():
    import numpy as np

    rng = np.random.default_rng(3)
    values, other = list(rng.random(15)), list(rng.random(15))
    per_unit = _per_unit(values, other)
    low, high = audit.interval(per_unit, "a")
    assert low < round(float(np.mean(values)), 3) < high
    wide, narrow = audit.interval(per_unit, "a", level=0.99), audit.interval(per_unit, "a", level=0.5)
    assert wide[0] <= low <= narrow[0] <= narrow[1] <= high <= wide[1]
    low, high = audit.interval(per_unit, "a", "b")  # paired: the difference of the means
    assert low < float(np.mean(values) - np.mean(other)) < high
    assert audit.interval(per_unit, "a", "a") == (0.0, 0.0)  # a method against itself differs by nothing


def test_a_count_interval_is_whole_numbers_around_the_count():
    per_unit = _per_unit([0, 1, 2, 3, 1, 2, 3, 0, 1, 2], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    low, high = audit.interval(per_unit, "a", "b", "area under the ROC curve", total=True)
    assert isinstance(low, int) and isinstance(high, int)
    assert low <= 15 - 10 <= high  # the difference of the totals, 15 against 10


def test_the_uncertainty_of_a_run_names_its_baseline_and_contains_its_numbers():
    targets, _ = _reference()
    chosen = {"P.1-1": "7.2", "P.1-2": "14.1", "P.2-1": "16.9", "P.2-3": "4.1", "P.1-3": "3.3", "P.1-4": "9.c"}
    outcomes = {
        unit: (unit[:3], targets.set_index("target").loc[target, "text"], [int(target.split(".")[0]), 17])
        for unit, target in chosen.items()
    }
    run = _audit(outcomes)
    sure, rows = audit.uncertainty(run), run.evaluation.set_index("method")
    best, base = audit.summary(run.evaluation)["best_text_method"], sure["better_baseline"]
    assert base == max(audit.BASELINES, key=lambda b: rows.loc[b, "area under the ROC curve"])
    low, high = sure["auc_interval"]
    assert low <= rows.loc[best, "area under the ROC curve"] <= high
    low, high = sure["difference_interval"]
    assert low <= audit.summary(run.evaluation)["margin"] <= high
    low, high = sure["top_difference_interval"]
    assert low <= sure["linked_in_top"][best] - sure["linked_in_top"][base] <= high
    assert audit.uncertainty(run) == sure  # byte for byte at every run
    assert sure["better_from"] == audit.MARGIN and sure["interval_percent"] == 95


def test_without_evaluable_outcomes_there_is_no_interval():
    run = _audit({"P.2-2": OUTCOMES["P.2-2"]})  # only a blanket outcome
    sure = audit.uncertainty(run)
    assert sure["auc_interval"] == sure["difference_interval"] == sure["top_difference_interval"] == []


def test_ties_within_the_objective_are_broken_by_the_other_outcomes_links_overall():
    outcomes = {
        "P.1-1": ("P.1", "SYNTHETIC: renewable energy", [7]),
        "P.1-2": ("P.1", "SYNTHETIC: ocean pollution", [3, 14]),  # 3 and 14 tie within P.1 for P.1-1
        "P.2-1": ("P.2", "SYNTHETIC: legal identity", [14, 16]),  # but 14 is linked more often overall
    }
    run = _audit(outcomes)
    ranked = audit.rankings(_mapping(outcomes), run.units, run.scores)["most linked in the objective"]
    assert ranked.loc["P.1-1", 14] > ranked.loc["P.1-1", 3] > ranked.loc["P.1-1", 16] > ranked.loc["P.1-1", 1]
