"""`nbgrader generate_feedback` teaches without leaking: no hidden-test line or traceback in any
feedback page, one Korean explanation per failed check, visible tests' own messages kept."""
import html
import re
from pathlib import Path

import nbformat
import pytest

from grading.isolated_grading import HIDDEN_BEGIN
from tests import course as course_mod

ROOT = course_mod.ROOT


def hidden_lines():
    """Every line of every hidden-test region of the source exercise."""
    nb = nbformat.read(ROOT / "source/lesson05/round_trip.ipynb", as_version=4)
    lines = []
    for cell in nb.cells:
        if HIDDEN_BEGIN in cell.source:
            region = cell.source.split(HIDDEN_BEGIN, 1)[1]
            lines += [HIDDEN_BEGIN.strip()] + [x.strip() for x in region.splitlines() if x.strip()]
    assert len(lines) >= 4 * 6
    return set(lines)


def page_text(path):
    """The feedback page as text: styles, scripts and tags removed, entities unescaped."""
    page = re.sub(r"<(style|script)\b.*?</\1>", "", Path(path).read_text(), flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def pages(graded):
    found = sorted((graded["root"] / "feedback").glob("*/lesson05/round_trip.html"))
    graded_nbs = sorted((graded["root"] / "autograded").glob("*/lesson05/round_trip.ipynb"))
    assert len(found) == len(graded_nbs) >= 25, graded["feedback_log"][-3000:]
    return found


def test_no_hidden_test_line_in_any_feedback_or_in_release(graded):
    secrets = hidden_lines() | {"contract_checks", "check_runner", "ReferenceModel"}
    for page in pages(graded):
        text = page_text(page)
        leaked = [line for line in secrets if line in text]
        assert not leaked, f"{page}: {leaked}"
    release = (ROOT / "release/lesson05/round_trip.ipynb").read_text()
    assert not [line for line in secrets if line in release]


def failed_cells(graded, student):
    return [gid for gid, score in graded["grades"][student].items() if score == 0]


@pytest.mark.parametrize("student", ["bob_mask_attribute", "carol_not_persistent", "erin_no_dtype",
                                     "grace_same_object", "judy_untouched", "atk_monkeypatch_torch"])
def test_each_failed_check_has_one_explanation(graded, student):
    text = page_text(graded["root"] / "feedback" / student / "lesson05" / "round_trip.html")
    assert text.count("채점 결과:") == len(failed_cells(graded, student)) > 0


EXPLANATIONS = {
    "bob_mask_attribute": "plain attribute로 둔 tensor는 parameter도 buffer도 아닙니다",
    "carol_not_persistent": "persistent=False로 등록되어 state_dict에서 빠집니다",
    "dave_weight_buffer": "5x5 행렬이 buffer로 등록되었습니다",
    "frank_pickles_module": "weights_only=True)로 읽을 수 없습니다",
    "grace_same_object": "받은 model을 그대로 돌려줍니다",
    "heidi_never_loads": "load_state_dict로 읽어 들였는지",
    "ivan_always_true": "값 하나가 다른 state_dict에 대해 False여야 하는데 True",
}


@pytest.mark.parametrize("student", sorted(EXPLANATIONS))
def test_explanation_names_the_idea_to_revisit(graded, student):
    text = page_text(graded["root"] / "feedback" / student / "lesson05" / "round_trip.html")
    assert EXPLANATIONS[student] in text


def test_visible_tests_keep_their_own_messages(graded):
    text = page_text(graded["root"] / "feedback" / "erin_no_dtype" / "lesson05" / "round_trip.html")
    # the visible dtype test's own sentence, then the hidden check's explanation
    assert "보이는 테스트: dtype만 다른 (float32 vs float64) 두 state_dict에는 False여야 하는데 True입니다" in text
    assert "채점 결과: dtype만 다른 (float32 vs float64) state_dict에 대해 False여야 하는데 True" in text
    passed = page_text(graded["root"] / "feedback" / "alice_correct" / "lesson05" / "round_trip.html")
    assert "채점 결과:" not in passed and passed.count("통과") >= 6
