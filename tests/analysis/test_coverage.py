"""Coverage statistics: the exact 2019 figures the source gives, and question coverage on SYNTHETIC 2090."""

from __future__ import annotations

import pytest

from itud import paths
from itud.analysis import coverage
from itud.data.load import load_edition
from tests.conftest import GOLDEN_2019

ALL_SDGS = list(range(1, 18))
ALL_LINES = [f"C{n}" for n in range(1, 12)]


@pytest.fixture(scope="module")
def edition():
    return load_edition(2019, paths.DATA_DIR, corrections=False)  # what the source gives


@pytest.fixture(scope="module")
def mapping(edition):
    return coverage.outcome_mapping(edition)


def test_blanket_outcome_is_d32(mapping):
    assert coverage.blanket_units(mapping) == ["D.3-2"]
    assert coverage.blanket_table(mapping).values.tolist() == [["D.3-2", True, True]]


def test_per_objective(mapping):
    table = coverage.coverage_by_group(mapping)
    assert table[["outcomes", "sdg_links", "sdgs_reached", "action_line_links", "action_lines_reached"]].to_dict(
        "index"
    ) == {
        "D.1": {"outcomes": 5, "sdg_links": 22, "sdgs_reached": 6, "action_line_links": 10, "action_lines_reached": 2},
        "D.2": {"outcomes": 3, "sdg_links": 19, "sdgs_reached": 11, "action_line_links": 8, "action_lines_reached": 7},
        "D.3": {
            "outcomes": 4,
            "sdg_links": 46,
            "sdgs_reached": 17,
            "action_line_links": 21,
            "action_lines_reached": 11,
        },
        "D.4": {"outcomes": 4, "sdg_links": 24, "sdgs_reached": 14, "action_line_links": 14, "action_lines_reached": 9},
    }
    assert table["sdg_share"].to_dict() == {"D.1": 0.3529, "D.2": 0.6471, "D.3": 1.0, "D.4": 0.8235}
    assert table["action_line_share"].to_dict() == {"D.1": 0.1818, "D.2": 0.6364, "D.3": 1.0, "D.4": 0.8182}
    assert table["sdgs"]["D.1"] == [1, 3, 5, 10, 16, 17]
    assert table["sdgs_not_reached"].to_dict() == {
        "D.1": [2, 4, 6, 7, 8, 9, 11, 12, 13, 14, 15],
        "D.2": [2, 6, 7, 12, 14, 15],
        "D.3": [],
        "D.4": [14, 15, 16],
    }
    assert table["action_lines_not_reached"].to_dict() == {
        "D.1": ["C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "C10"],
        "D.2": ["C4", "C6", "C8", "C10"],
        "D.3": [],
        "D.4": ["C10", "C11"],
    }


def test_per_objective_without_blanket(mapping):
    table = coverage.coverage_by_group(mapping, exclude_blanket=True)
    columns = ["outcomes", "sdg_links", "sdgs_reached", "action_line_links", "action_lines_reached"]
    assert table.loc["D.3", columns].tolist() == [3, 29, 15, 10, 8]
    assert table.loc["D.3", "sdgs_not_reached"] == [7, 15]
    assert table.loc["D.3", "action_lines_not_reached"] == ["C8", "C9", "C10"]
    # The other objectives have no blanket outcome, so nothing changes for them.
    full = coverage.coverage_by_group(mapping)
    for objective in ("D.1", "D.2", "D.4"):
        assert table.loc[objective, "sdgs_reached"] == full.loc[objective, "sdgs_reached"]


def test_per_outcome_link_counts(mapping):
    table = coverage.coverage_by_unit(mapping)
    assert table["sdg_links"].to_dict() == {
        "D.1-1": 6, "D.1-2": 6, "D.1-3": 6, "D.1-4": 2, "D.1-5": 2, "D.2-1": 9, "D.2-2": 5, "D.2-3": 5,
        "D.3-1": 9, "D.3-2": 17, "D.3-3": 11, "D.3-4": 9, "D.4-1": 8, "D.4-2": 6, "D.4-3": 5, "D.4-4": 5,
    }  # fmt: skip
    assert table["action_line_links"].to_dict() == {
        "D.1-1": 2, "D.1-2": 2, "D.1-3": 2, "D.1-4": 2, "D.1-5": 2, "D.2-1": 5, "D.2-2": 1, "D.2-3": 2,
        "D.3-1": 1, "D.3-2": 11, "D.3-3": 1, "D.3-4": 8, "D.4-1": 3, "D.4-2": 1, "D.4-3": 9, "D.4-4": 1,
    }  # fmt: skip
    assert table.loc["D.4-1", "action_lines"] == ["C2", "C6", "C7"]
    assert table["blanket"].sum() == 1 and table.loc["D.3-2", "blanket"]


def test_per_sdg(mapping):
    table = coverage.coverage_by_target(mapping, "sdg")
    assert table["outcomes"].tolist() == [11, 5, 11, 7, 11, 3, 3, 5, 6, 7, 8, 4, 5, 2, 1, 9, 13]
    assert table["objectives"].tolist() == [4, 2, 4, 3, 4, 2, 2, 3, 3, 4, 3, 2, 3, 1, 1, 3, 4]
    assert table["outcomes"].sum() == GOLDEN_2019["summary"]["outcome_sdg_links"]
    assert table.loc[15, "outcome_list"] == ["D.3-2"]
    specific = coverage.coverage_by_target(mapping, "sdg", exclude_blanket=True)
    assert specific["outcomes"].tolist() == [10, 4, 10, 6, 10, 2, 2, 4, 5, 6, 7, 3, 4, 1, 0, 8, 12]


def test_per_action_line(mapping):
    table = coverage.coverage_by_target(mapping, "action_line")
    assert table["outcomes"].to_dict() == {
        "C1": 9, "C2": 6, "C3": 4, "C4": 4, "C5": 4, "C6": 5, "C7": 7, "C8": 2, "C9": 3, "C10": 1, "C11": 8,
    }  # fmt: skip
    assert table["objectives"].tolist() == [4, 3, 3, 2, 3, 2, 3, 2, 3, 1, 3]
    assert table["outcomes"].sum() == GOLDEN_2019["summary"]["outcome_action_line_links"]


def test_what_only_the_blanket_outcome_reaches(mapping):
    assert coverage.not_reached(mapping, "sdg") == []
    assert coverage.not_reached(mapping, "action_line") == []
    assert coverage.not_reached(mapping, "sdg", exclude_blanket=True) == [15]
    assert coverage.not_reached(mapping, "action_line", exclude_blanket=True) == ["C10"]
    assert coverage.reached_only_through_blanket(mapping, "sdg") == [15]
    assert coverage.reached_only_through_blanket(mapping, "action_line") == ["C10"]


def test_overlap_between_objectives(mapping):
    sdg = coverage.group_overlap(mapping, "sdg").set_index(["objective_a", "objective_b"])
    assert sdg["jaccard"].to_dict() == {
        ("D.1", "D.2"): 0.5455, ("D.1", "D.3"): 0.3529, ("D.1", "D.4"): 0.3333,
        ("D.2", "D.3"): 0.6471, ("D.2", "D.4"): 0.6667, ("D.3", "D.4"): 0.8235,
    }  # fmt: skip
    assert sdg.loc[("D.1", "D.4"), "shared"] == [1, 3, 5, 10, 17]
    lines = coverage.group_overlap(mapping, "action_line").set_index(["objective_a", "objective_b"])
    assert lines.loc[("D.1", "D.4"), "shared"] == ["C1"]
    assert lines.loc[("D.1", "D.4"), "jaccard"] == 0.1
    assert lines.loc[("D.3", "D.4"), "jaccard"] == 0.8182


def test_sdg_action_line_matrix(mapping):
    matrix = coverage.sdg_action_line_matrix(mapping)
    assert matrix.shape == (17, 11)
    assert matrix.loc[17, "C1"] == 9  # D.1-1..5, D.2-1, D.3-2, D.3-4, D.4-3
    assert matrix.loc[1, "C11"] == 8
    assert matrix.loc[15].tolist() == [1] * 11  # SDG 15 only through the blanket D.3-2
    assert matrix["C10"].tolist() == [1] * 17
    assert int(matrix.values.sum()) == 463  # sum over outcomes of (SDG links x Action Line links)
    specific = coverage.sdg_action_line_matrix(mapping, exclude_blanket=True)
    assert int(specific.values.sum()) == 463 - 17 * 11
    assert int((specific > 0).values.sum()) == 120  # pairs that specific outcomes connect, of 187


def test_role_lens(edition, mapping):
    table = coverage.role_coverage(mapping, edition.itu_roles)
    assert table[["n_action_lines", "n_reached", "outcomes", "links"]].to_dict("index") == {
        "facilitator": {"n_action_lines": 3, "n_reached": 3, "outcomes": 8, "links": 15},
        "co-facilitator": {"n_action_lines": 5, "n_reached": 5, "outcomes": 14, "links": 32},
        "partner": {"n_action_lines": 2, "n_reached": 2, "outcomes": 3, "links": 5},
        "none": {"n_action_lines": 1, "n_reached": 1, "outcomes": 1, "links": 1},
    }
    assert table.loc["facilitator", "action_lines"] == ["C2", "C5", "C6"]
    specific = coverage.role_coverage(mapping, edition.itu_roles, exclude_blanket=True)
    assert specific.loc["none", "n_reached"] == 0


def test_question_links_not_published_in_2019(edition):
    mapping = coverage.question_mapping(edition)
    assert mapping is coverage.NOT_PUBLISHED
    for result in (
        coverage.coverage_by_group(mapping),
        coverage.coverage_by_unit(mapping),
        coverage.coverage_by_target(mapping, "sdg"),
        coverage.not_reached(mapping, "sdg"),
        coverage.group_overlap(mapping, "sdg"),
        coverage.sdg_action_line_matrix(mapping),
    ):
        assert result is coverage.NOT_PUBLISHED and str(result) == "not published"


def test_question_coverage_on_synthetic_edition(synthetic_data):
    edition = load_edition(2090, synthetic_data)
    assert edition.synthetic
    mapping = coverage.question_mapping(edition)
    assert coverage.blanket_units(mapping) == ["Q1/2"]
    table = coverage.coverage_by_group(mapping)
    assert table[["questions", "sdg_links", "sdgs_reached", "action_line_links", "action_lines_reached"]].to_dict(
        "index"
    ) == {
        "SG1": {"questions": 2, "sdg_links": 3, "sdgs_reached": 2, "action_line_links": 3, "action_lines_reached": 3},
        "SG2": {"questions": 1, "sdg_links": 17, "sdgs_reached": 17, "action_line_links": 1, "action_lines_reached": 1},
    }
    assert coverage.coverage_by_group(mapping, exclude_blanket=True).loc["SG2", "questions"] == 0
    assert coverage.coverage_by_target(mapping, "sdg")["questions"].tolist() == [1] * 8 + [3, 1, 2] + [1] * 6
    assert coverage.reached_only_through_blanket(mapping, "sdg") == [n for n in ALL_SDGS if n not in (9, 11)]
    assert coverage.not_reached(mapping, "action_line") == [c for c in ALL_LINES if c not in ("C2", "C5", "C6", "C7")]
    assert coverage.coverage_by_unit(mapping).loc["Q1/1", "action_lines"] == ["C2", "C6"]
    overlap = coverage.group_overlap(mapping, "sdg")
    assert overlap[["study_group_a", "study_group_b", "n_shared", "jaccard"]].values.tolist() == [
        ["SG1", "SG2", 2, round(2 / 17, 4)]
    ]


def test_new_statistics_pass_not_published_through(edition):
    mapping = coverage.question_mapping(edition)
    for result in (
        coverage.empty_groups(mapping),
        coverage.least_reached_pairs(mapping),
        coverage.group_target_share(mapping, "sdg"),
    ):
        assert result is coverage.NOT_PUBLISHED


def test_gaps_and_shares_on_synthetic_edition(synthetic_data):
    mapping = coverage.question_mapping(load_edition(2090, synthetic_data))
    assert coverage.empty_groups(mapping) == []
    pairs = coverage.least_reached_pairs(mapping)  # Q1/2 is blanket: left out
    linked = pairs[pairs["questions"] > 0]
    assert linked[["sdg", "action_line", "questions"]].values.tolist() == [
        [9, "C2", 1], [9, "C6", 1], [9, "C7", 1], [11, "C7", 1],
    ]  # fmt: skip
    assert len(pairs) == 17 * 11 and (pairs["questions"].iloc[: 17 * 11 - 4] == 0).all()
    share = coverage.group_target_share(mapping, "sdg")
    assert share.loc["SG1", 9] == 1.0 and share.loc["SG1", 11] == 0.5 and share.loc["SG1", 1] == 0.0
    assert share.loc["SG2"].tolist() == [1.0] * 17
