import pytest

from itud.data import ids


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("D.1.5", "D.1-5"), ("D-4-1", "D.4-1"), ("D.1-5", "D.1-5"), ("d.2-03", "D.2-3"), (" D.3 - 2 ", "D.3-2")],
)
def test_outcome_ids_are_normalised(raw, canonical):
    assert ids.outcome_id(raw) == canonical


@pytest.mark.parametrize(
    ("function", "raw", "canonical"),
    [
        (ids.objective_id, "D-1", "D.1"),
        (ids.question_id, "Question 3/2", "Q3/2"),
        (ids.question_id, "q 3 / 2", "Q3/2"),
        (ids.study_group_id, "Study Group 1", "SG1"),
        (ids.action_line_id, "AL C7", "C7"),
        (ids.action_line_id, "c 11", "C11"),
        (ids.sdg_id, "SDG 5", 5),
        (ids.sdg_id, 17, 17),
    ],
)
def test_other_ids_are_normalised(function, raw, canonical):
    assert function(raw) == canonical


@pytest.mark.parametrize(
    ("function", "raw", "message"),
    [
        (ids.sdg_id, "18", "not an SDG (1-17): '18'"),
        (ids.sdg_id, "0", "not an SDG (1-17): '0'"),
        (ids.action_line_id, "C12", "not a WSIS Action Line (C1-C11): 'C12'"),
        (ids.outcome_id, "D.1", "not an outcome id like 'D.1-5': 'D.1'"),
        (ids.question_id, "Q3", "not a question id like 'Q3/2': 'Q3'"),
    ],
)
def test_bad_ids_say_why(function, raw, message):
    with pytest.raises(ids.IdError) as error:
        function(raw)
    assert str(error.value) == message


@pytest.mark.parametrize("raw", ["\uff14", "\u0664", "SDG \uff11\uff17", "D.\uff11-1"])
def test_look_alike_digits_are_refused_with_their_code_point(raw):
    function = ids.outcome_id if raw.startswith("D") else ids.sdg_id
    with pytest.raises(ids.IdError, match=r"a look-alike digit '.' \(U\+[0-9A-F]{4} [A-Z -]+DIGIT [A-Z]+\)"):
        function(raw)


def test_spaces_of_any_kind_are_read_as_spaces():
    assert ids.sdg_id("SDG\u00a04") == 4 and ids.outcome_id(" D.1-1\u2009") == "D.1-1"
