"""Build source/lesson05/round_trip.ipynb, the graded exercise (see shared/exercise-contract.md).

    python -m grading.exercise_notebook        # writes the source notebook (no outputs)

Then regenerate the student version with ``make release``. The hidden region of every test cell
calls the contract checks in ``grading.contract_checks``; the autograder runs the same checks in
isolation (``grading.isolated_grading``).
"""
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "source" / "lesson05" / "round_trip.ipynb"


def _nbgrader(grade_id, *, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def markdown(cell_id, text):
    return new_markdown_cell(text.strip(), id=cell_id)


def solution(grade_id, code):
    return new_code_cell(code.strip(), id=grade_id.replace("_", "-"), metadata=_nbgrader(grade_id, solution=True))


def locked(grade_id, code):
    return new_code_cell(code.strip(), id=grade_id.replace("_", "-"), metadata=_nbgrader(grade_id, locked=True))


def test(grade_id, points, visible):
    hidden = ("### BEGIN HIDDEN TESTS\n"
              "from grading.contract_checks import run_in_kernel\n"
              f"run_in_kernel({grade_id!r}, globals())\n"
              "### END HIDDEN TESTS")
    return new_code_cell(visible.strip() + "\n" + hidden, id=grade_id.replace("_", "-"),
                         metadata=_nbgrader(grade_id, grade=True, locked=True, points=points))


CELLS = [
    markdown("intro", """
# Lesson 05 과제: state_dict round trip

이 과제에서는 lesson 05에서 배운 세 가지를 직접 구현합니다.

1. **`RoundTripModel`**: `nn.Parameter`, BatchNorm, 그리고 `register_buffer`로 등록한 attention mask를 가진 model
2. **`round_trip(model, path)`**: `state_dict`를 파일로 저장하고, 새 instance에 다시 읽어 들이는 함수
3. **`state_dicts_equal(a, b)`**: 두 `state_dict`가 key, dtype, shape, 값까지 모두 같은지 판단하는 함수

**진행 방법**
- `# YOUR CODE HERE`와 `raise NotImplementedError()`를 지우고 코드를 작성하세요. 세 이름(`RoundTripModel`,
  `round_trip`, `state_dicts_equal`)은 바꾸지 마세요.
- 각 과제 아래의 테스트 셀은 수정할 수 없습니다. 셀을 실행해 오류 없이 끝나면 보이는 테스트를 통과한 것입니다.
  채점에는 보이지 않는 테스트도 함께 쓰이므로, 설명에 적힌 조건을 모두 지키세요.
- 제출 전에 **Kernel → Restart Kernel and Run All Cells**로 처음부터 다시 실행하고, toolbar의 **Validate**를 누르세요.
- 총 10점: 과제 1은 4점, 과제 2는 4점, 과제 3은 2점입니다. 일부만 맞아도 맞은 테스트 셀의 점수는 받습니다.
"""),
    locked("setup", """
import os
import tempfile

import torch
from torch import nn

torch.manual_seed(0)


def student_call(cell, what, fn, *args):
    \"\"\"테스트 셀이 여러분의 코드를 부를 때 씁니다: 오류를 '어느 셀을 고칠지' 알려 주는 문장으로 바꿉니다.\"\"\"
    try:
        return fn(*args)
    except NotImplementedError:
        raise AssertionError(f"{what}: 아직 구현되지 않았습니다. {cell}의 raise NotImplementedError()를 지우고 "
                             "코드를 작성하세요.") from None
    except NameError as exc:
        raise AssertionError(f"{what}: {exc.name}이(가) 정의되어 있지 않습니다. {cell}을 완성해 오류 없이 "
                             "실행했는지 보세요.") from None
    except Exception as exc:
        raise AssertionError(f"{what}에서 {type(exc).__name__}가 발생했습니다 ({exc}). {cell}을 보세요.") from None
"""),
    markdown("task-model", """
## 과제 1. `RoundTripModel` (4점)

인자 없이 만들 수 있는 `nn.Module` subclass `RoundTripModel`을 작성하세요. model은 다음을 가져야 합니다.

- model **자신이** 가진 `(5, 5)` 모양의 `nn.Parameter` 정확히 하나 (attribute 이름은 자유)
- 5 features의 `nn.BatchNorm1d` submodule 정확히 하나 (기본 설정 그대로: affine, running statistics 추적)
- `register_buffer`로 등록한 `(5, 5)` attention mask buffer 정확히 하나 (bool 또는 float; `persistent=False`는 안 됩니다)
- `forward(x)`: `(batch, 5)` float tensor를 받아 `(batch, 5)` tensor를 돌려주며, 세 가지를 **모두** 사용합니다
  (예: mask로 가린 5x5 행렬을 곱한 뒤 BatchNorm을 적용).

여러분이 선언하는 tensor는 **여섯 개**입니다: 5x5 행렬, BatchNorm의 `weight`, `bias`, `running_mean`, `running_var`,
그리고 mask. 그런데 `state_dict()`에는 몇 개의 항목이 있을까요? 작성한 뒤 아래 탐색 셀로 직접 세어 보세요.
"""),
    solution("round_trip_model", """
class RoundTripModel(nn.Module):
    ### BEGIN SOLUTION
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(5, 5) / 5 ** 0.5)
        self.bn = nn.BatchNorm1d(5)
        self.register_buffer("attn_mask", torch.ones(5, 5, dtype=torch.bool).tril())

    def forward(self, x):
        masked = self.weight.masked_fill(~self.attn_mask, 0.0)
        return self.bn(x @ masked.T)
    ### END SOLUTION
"""),
    markdown("explore-md", """
**탐색**: 아래 셀은 채점되지 않습니다. `state_dict()`의 key와 개수를 출력해 보고, parameter와 buffer가 각각 몇 개인지
확인하세요. 여섯 개가 아니라면, 하나 더 있는 tensor는 누가 추가했을까요?
"""),
    new_code_cell("""
explore = RoundTripModel()
for name, tensor in explore.state_dict().items():
    print(f"{name:30s} {str(tuple(tensor.shape)):8s} {tensor.dtype}")
print("state_dict 항목 수:", len(explore.state_dict()))
print("parameters:", len(list(explore.parameters())), "/ buffers:", len(list(explore.buffers())))
""".strip(), id="explore"),
    test("test_model_structure", 3, """
model = student_call("과제 1 셀", "RoundTripModel()", lambda: RoundTripModel())
keys = sorted(model.state_dict())
n_params = len(list(model.parameters()))
assert n_params == 3, (
    f"parameter가 3개(5x5 행렬, BatchNorm의 weight와 bias)여야 하는데 {n_params}개입니다. "
    "과제 1 셀에서 5x5 행렬을 nn.Parameter로 등록했는지 보세요.")
assert len(keys) == 7, (
    f"state_dict 항목이 7개여야 하는데 {len(keys)}개입니다: {keys}. "
    "과제 1 셀에서 mask를 register_buffer로 (persistent로) 등록했는지 보세요.")
print("구조 확인:", len(keys), "개 항목")
"""),
    test("test_model_forward", 1, """
model = student_call("과제 1 셀", "RoundTripModel()", lambda: RoundTripModel()).eval()
y = student_call("과제 1 셀", "model(x) (forward)", model, torch.randn(4, 5))
found = tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__
assert found == (4, 5), (
    f"model(x)는 (4, 5) 입력에 (4, 5) tensor를 돌려줘야 하는데 {found}입니다. 과제 1 셀의 forward를 보세요.")
print("forward 확인:", found)
"""),
    markdown("task-round-trip", """
## 과제 2. `round_trip(model, path)` (4점)

다음을 차례로 하는 함수를 작성하세요.

1. `torch.save`로 `model.state_dict()`를 `path`에 저장합니다 (model 객체 전체를 pickle하지 마세요).
2. 같은 class의 **새** instance를 만듭니다.
3. `torch.load(path, weights_only=True)`로 파일을 읽고 `load_state_dict`(strict)로 새 instance에 넣습니다.
4. 새 instance를 돌려줍니다. 받은 `model`을 그대로 돌려주거나 tensor를 공유해서는 안 됩니다.

running statistics와 `num_batches_tracked`까지 모든 항목이 bit 단위로 그대로 돌아와야 합니다.
"""),
    solution("round_trip_fn", """
def round_trip(model, path):
    ### BEGIN SOLUTION
    torch.save(model.state_dict(), path)
    fresh = type(model)()
    fresh.load_state_dict(torch.load(path, weights_only=True))
    return fresh
    ### END SOLUTION
"""),
    test("test_round_trip_file", 2, """
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "model.pt")
    model = student_call("과제 1 셀", "RoundTripModel()", lambda: RoundTripModel())
    student_call("과제 2 셀", "round_trip(model, path)", lambda: round_trip(model, path))
    assert os.path.exists(path), (
        "round_trip이 path에 파일을 만들지 않았습니다. 과제 2 셀에서 torch.save(model.state_dict(), path)를 호출하세요.")
    try:
        saved = torch.load(path, weights_only=True)
    except Exception as exc:
        raise AssertionError(
            f"torch.load(path, weights_only=True)가 파일을 읽지 못했습니다 ({type(exc).__name__}). "
            "과제 2 셀에서 model 전체가 아니라 model.state_dict()를 저장하세요.") from None
    expected = sorted(model.state_dict())
    found = sorted(saved) if isinstance(saved, dict) else type(saved).__name__
    assert found == expected, (
        f"파일에는 model.state_dict()의 key {expected}가 있어야 하는데 {found}입니다. 과제 2 셀을 보세요.")
print("저장 파일 확인: weights_only=True로 읽힘")
"""),
    test("test_round_trip_model", 2, """
with tempfile.TemporaryDirectory() as tmp:
    model = student_call("과제 1 셀", "RoundTripModel()", lambda: RoundTripModel())
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    restored = student_call("과제 2 셀", "round_trip(model, path)",
                            lambda: round_trip(model, os.path.join(tmp, "model.pt")))
assert restored is not model, (
    "round_trip이 받은 model을 그대로 돌려줍니다. 과제 2 셀에서 새 instance를 만들어 load_state_dict 하세요.")
assert type(restored) is type(model), (
    f"{type(model).__name__}의 새 instance가 돌아와야 하는데 {type(restored).__name__}가 돌아왔습니다. 과제 2 셀을 보세요.")
for key, value in model.state_dict().items():
    assert torch.equal(restored.state_dict()[key], value), (
        f"'{key}'의 값이 원래 model과 다릅니다. 과제 2 셀에서 저장한 파일을 load_state_dict로 읽었는지 보세요.")
print("round trip 확인:", len(model.state_dict()), "개 항목 일치")
"""),
    markdown("task-equal", """
## 과제 3. `state_dicts_equal(a, b)` (2점)

두 `state_dict` `a`, `b`가 **같은 key**를 가지고, 모든 key에서 tensor의 **dtype, shape, 값**이 같을 때에만
`True`를, 아니면 `False`를 돌려주는 함수를 작성하세요 (값 비교에는 `torch.equal`을 쓰세요).

주의: `torch.equal(torch.ones(2), torch.ones(2, dtype=torch.float64))`는 `True`입니다. `torch.equal`은 dtype을
비교하지 않습니다.
"""),
    solution("state_dicts_equal_fn", """
def state_dicts_equal(a, b):
    ### BEGIN SOLUTION
    if set(a) != set(b):
        return False
    return all(
        a[k].dtype == b[k].dtype and a[k].shape == b[k].shape and torch.equal(a[k], b[k])
        for k in a
    )
    ### END SOLUTION
"""),
    test("test_equal_values_keys", 1, """
a = nn.Linear(3, 2).state_dict()
b = {k: v.clone() for k, v in a.items()}
result = student_call("과제 3 셀", "state_dicts_equal(a, b)", lambda: state_dicts_equal(a, b))
assert result == True, (
    f"같은 key와 값을 가진 두 state_dict에는 True여야 하는데 {result!r}입니다. 과제 3 셀을 보세요.")
b["bias"] = b["bias"] + 1
result = student_call("과제 3 셀", "state_dicts_equal(a, b)", lambda: state_dicts_equal(a, b))
assert result == False, (
    f"값 하나가 다른 두 state_dict에는 False여야 하는데 {result!r}입니다. 과제 3 셀에서 torch.equal로 값을 비교하세요.")
print("값과 key 비교 확인")
"""),
    test("test_equal_dtype_shape", 1, """
a = {"w": torch.ones(2)}
b = {"w": torch.ones(2, dtype=torch.float64)}
result = student_call("과제 3 셀", "state_dicts_equal(a, b)", lambda: state_dicts_equal(a, b))
assert result == False, (
    f"dtype만 다른 (float32 vs float64) 두 state_dict에는 False여야 하는데 {result!r}입니다. "
    "torch.equal은 dtype을 비교하지 않으니, 과제 3 셀에서 dtype도 비교하세요.")
print("dtype 비교 확인")
"""),
    markdown("submit", """
## 제출 전 확인

- **Kernel → Restart Kernel and Run All Cells**로 처음부터 실행해 모든 테스트 셀이 오류 없이 끝나는지 보세요.
- toolbar의 **Validate** 버튼으로 확인한 뒤 저장하고 제출하세요.
- 채점은 보이지 않는 테스트를 포함해 여러분의 코드를 새 process에서 다시 실행해 이루어집니다. 테스트 셀이나
  torch를 바꾸는 코드는 점수에 도움이 되지 않습니다.
"""),
]


def build():
    nb = new_notebook(cells=[dict(c) for c in CELLS])
    nb = nbformat.from_dict(nb)
    nb.nbformat_minor = 5
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    nbformat.validate(nb)
    return nb


def main():
    SOURCE.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(build(), SOURCE)
    print(f"wrote {SOURCE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
