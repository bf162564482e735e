"""Build, execute and store the lesson notebook
``notebooks/05_parameter_buffer_state_dict.ipynb``.

Usage (from the repository root)::

    .venv/bin/python grading/lesson_notebook.py

``build()`` returns the (unexecuted) notebook; ``main()`` executes it with
nbclient (kernel ``python3``, cwd ``notebooks/``) and writes it with outputs.
Cell ids are fixed strings, so rebuilding produces identical ids.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
NOTEBOOK_PATH = NOTEBOOK_DIR / "05_parameter_buffer_state_dict.ipynb"
KERNEL_NAME = "python3"
TIMEOUT = 120

# nbval: the output of a cell carrying this tag is executed but not compared.
NBVAL_IGNORE_OUTPUT = "nbval-ignore-output"


def _md(cell_id: str, text: str) -> nbformat.NotebookNode:
    cell = new_markdown_cell(text.strip("\n"))
    cell["id"] = cell_id
    return cell


def _code(cell_id: str, source: str, tags: list[str] | None = None) -> nbformat.NotebookNode:
    cell = new_code_cell(source.strip("\n"))
    cell["id"] = cell_id
    if tags:
        cell["metadata"]["tags"] = list(tags)
    return cell


# ---------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------

CELLS: list[tuple[str, str, str] | tuple[str, str, str, list[str]]] = [
    # ------------------------------------------------------------------ intro
    ("md", "intro", r"""
# Lesson 05 — Parameter, Buffer, State Dict

`nn.Module`이 들고 있는 tensor는 크게 두 종류입니다.
optimizer가 gradient로 갱신하는 **Parameter**와, 학습되지는 않지만 모델의 일부로 함께 저장되고 함께 이동해야 하는 **buffer**입니다.
이 둘을 한데 모아 이름 → tensor 사전으로 꺼낸 것이 **state_dict**이며, 모델을 저장하고 불러오는 표준 형식입니다.

이 lesson에서 배울 내용은 다음과 같습니다.

1. `nn.Parameter`와 `register_buffer`의 차이, 그리고 둘 다 아닌 "그냥 tensor 속성"
2. Parameter와 buffer가 모두 `state_dict()`에 들어가고 `.to(...)`로 함께 이동한다는 사실
3. `persistent=False` buffer
4. `state_dict`로 저장·불러오기 (`torch.load(..., weights_only=True)`), `strict=False`로 구조가 바뀐 모델에 불러오기
5. BatchNorm이 스스로 추가하는 `num_batches_tracked`
6. transfer learning에서 backbone을 freeze하고 새 head만 학습하기

모든 코드는 CPU에서 오프라인으로, 처음부터 끝까지 순서대로 실행됩니다.
"""),
    ("code", "setup-code", r"""
import contextlib
import io
import os
import pickle
import tempfile

import torch
import torch.nn.functional as F
from torch import nn

_ = torch.manual_seed(0)  # 반환값(Generator 객체)은 쓰지 않습니다
"""),
    # ------------------------------------------------------- 1. param vs buffer
    ("md", "param-vs-buffer", r"""
## 1. Parameter와 buffer

`nn.Parameter`로 감싼 tensor를 module의 속성으로 지정하면 그 tensor는 자동으로 등록되어 `parameters()`에 나타나고,
`requires_grad=True`이므로 optimizer가 gradient를 이용해 갱신합니다.

반면 `register_buffer(name, tensor)`로 등록한 tensor는 **학습되지 않는 상태(state)** 입니다.
`buffers()`에만 나타나고 `parameters()`에는 없으므로 optimizer에 넘겨지지 않으며, gradient도 계산하지 않습니다.

아래의 `Affine` module은 학습되는 `weight`(Parameter)와 고정된 `shift`(buffer)를 가집니다.
SGD step을 한 번 밟으면 `weight`만 바뀌고 `shift`는 그대로입니다.
"""),
    ("code", "param-vs-buffer-code", r"""
class Affine(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))           # 학습됨
        self.register_buffer("shift", torch.full((dim,), 0.5))  # 학습되지 않음

    def forward(self, x):
        return x * self.weight + self.shift


torch.manual_seed(0)
model = Affine(3)
print("parameters:", [name for name, _ in model.named_parameters()])
print("buffers   :", [name for name, _ in model.named_buffers()])
print("shift.requires_grad:", model.shift.requires_grad)

weight_before = model.weight.detach().clone()
shift_before = model.shift.clone()

optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(4, 3)
loss = model(x).pow(2).mean()
optimizer.zero_grad()
loss.backward()
optimizer.step()

print("SGD step 후 weight 변경:", not torch.equal(weight_before, model.weight))
print("SGD step 후 shift 변경 :", not torch.equal(shift_before, model.shift))
"""),
    # ----------------------------------------------------------- BatchNorm
    ("md", "batchnorm-buffers", r"""
### buffer의 예 1: BatchNorm의 running 통계

가장 흔한 buffer는 BatchNorm의 `running_mean`과 `running_var`입니다.
BatchNorm은 학습(train) 모드에서 각 mini-batch의 평균과 분산으로 정규화하면서, 그 값들의 이동 평균을 buffer에 쌓아 둡니다.
평가(eval) 모드에서는 mini-batch 통계 대신 이 buffer를 사용하므로, 이 값들은 학습 결과의 일부이지만 gradient로 학습되는 것은 아닙니다.

- train 모드에서 forward를 하면 running 통계가 **바뀝니다**.
- eval 모드에서 forward를 하면 running 통계는 **그대로**입니다.
"""),
    ("code", "batchnorm-buffers-code", r"""
torch.manual_seed(0)
bn = nn.BatchNorm1d(4)
print("parameters:", [name for name, _ in bn.named_parameters()])
print("buffers   :", [name for name, _ in bn.named_buffers()])

x = torch.randn(8, 4) * 2 + 3

bn.train()
mean_before, var_before = bn.running_mean.clone(), bn.running_var.clone()
bn(x)
print("train 모드 forward 후 running_mean 변경:", not torch.equal(mean_before, bn.running_mean))
print("train 모드 forward 후 running_var 변경 :", not torch.equal(var_before, bn.running_var))

bn.eval()
mean_before, var_before = bn.running_mean.clone(), bn.running_var.clone()
bn(x)
print("eval 모드 forward 후 running_mean 변경 :", not torch.equal(mean_before, bn.running_mean))
print("eval 모드 forward 후 running_var 변경  :", not torch.equal(var_before, bn.running_var))
"""),
    # ---------------------------------------------------- positional encoding
    ("md", "positional-encoding", r"""
### buffer의 예 2: sinusoidal positional encoding

Transformer의 sinusoidal positional encoding은 위치마다 정해진 sin/cos 값의 표입니다.
학습할 대상이 아니므로 Parameter가 아니라 buffer `pe`로 등록합니다.
이렇게 해 두면 모델을 GPU로 옮길 때 `pe`도 함께 옮겨집니다.
"""),
    ("code", "positional-encoding-code", r"""
class SinusoidalPositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=16):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)                  # (max_len, 1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-torch.log(torch.tensor(10000.0)) / d_model))
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe)

    def forward(self, x):                                              # x: (batch, seq_len, d_model)
        return x + self.pe[: x.shape[1]]


pos_enc = SinusoidalPositionalEncoding(d_model=8)
print("parameters:", [name for name, _ in pos_enc.named_parameters()])
print("buffers   :", [(name, tuple(b.shape)) for name, b in pos_enc.named_buffers()])
print("출력 shape:", tuple(pos_enc(torch.zeros(2, 5, 8)).shape))
"""),
    # ---------------------------------------------------------- causal mask
    ("md", "causal-mask", r"""
### buffer의 예 3: causal attention mask

언어 모델의 self-attention은 각 위치가 자기 자신과 그 이전 위치만 보도록 causal mask를 씁니다.
mask는 `torch.tril`로 만든 bool 하삼각 행렬이고, 역시 학습 대상이 아니므로 buffer로 등록합니다.
(위 삼각을 `torch.triu(..., diagonal=1)`로 만들어 "가릴 위치"를 표시하는 방식도 흔합니다.)
"""),
    ("code", "causal-mask-code", r"""
class CausalMask(nn.Module):
    def __init__(self, max_len):
        super().__init__()
        self.register_buffer("mask", torch.tril(torch.ones(max_len, max_len, dtype=torch.bool)))

    def forward(self, scores):                                        # scores: (..., T, T)
        T = scores.shape[-1]
        return scores.masked_fill(~self.mask[:T, :T], float("-inf"))


causal = CausalMask(max_len=4)
print("buffers:", [(name, b.dtype) for name, b in causal.named_buffers()])
print(causal.mask.int())

weights = causal(torch.zeros(4, 4)).softmax(dim=-1)
print("미래 위치의 attention weight가 모두 0:", bool((weights.triu(diagonal=1) == 0).all()))
"""),
    # ----------------------------------------------------------- EMA teacher
    ("md", "ema-teacher", r"""
### buffer의 예 4: EMA teacher weight

self-distillation(예: DINO, Mean Teacher)에서는 student의 weight를 지수이동평균(EMA)으로 따라가는 teacher를 둡니다.
teacher는 gradient가 아니라 다음 식으로 갱신되므로 Parameter가 아니라 buffer로 둡니다.

$$\theta_\text{teacher} \leftarrow \text{decay}\cdot\theta_\text{teacher} + (1-\text{decay})\cdot\theta_\text{student}$$

갱신은 `torch.no_grad()` 안에서 `lerp_`로 합니다. `t.lerp_(s, w)`는 `t + w * (s - t)`입니다.
"""),
    ("code", "ema-teacher-code", r"""
class StudentWithEMATeacher(nn.Module):
    def __init__(self, decay=0.9):
        super().__init__()
        self.decay = decay
        self.student = nn.Linear(4, 2)
        for name, p in self.student.named_parameters():
            self.register_buffer(f"teacher_{name}", p.detach().clone())

    @torch.no_grad()
    def update_teacher(self):
        for name, p in self.student.named_parameters():
            getattr(self, f"teacher_{name}").lerp_(p, 1 - self.decay)


torch.manual_seed(0)
ema = StudentWithEMATeacher(decay=0.9)
print("parameters:", [name for name, _ in ema.named_parameters()])
print("buffers   :", [name for name, _ in ema.named_buffers()])

optimizer = torch.optim.SGD(ema.parameters(), lr=0.5)   # student만 optimizer에 들어갑니다
loss = ema.student(torch.randn(8, 4)).pow(2).mean()
optimizer.zero_grad()
loss.backward()
optimizer.step()

teacher_before = ema.teacher_weight.clone()
ema.update_teacher()
expected = 0.9 * teacher_before + 0.1 * ema.student.weight.detach()
print("teacher = 0.9*teacher + 0.1*student:", torch.allclose(ema.teacher_weight, expected))
print("teacher는 student보다 한 박자 늦음 :", not torch.equal(ema.teacher_weight, ema.student.weight))
print("teacher_weight.requires_grad:", ema.teacher_weight.requires_grad)
"""),
    # --------------------------------------------------- plain tensor attr
    ("md", "plain-attribute", r"""
### 주의: 그냥 tensor 속성은 둘 다 아니다

`self.scale = torch.ones(3)`처럼 평범한 tensor를 속성으로 두면 Parameter도 buffer도 아닙니다.
`state_dict()`에 들어가지 않으므로 저장되지 않고, `.to(...)`로 module을 옮겨도 따라가지 않습니다.
모델을 GPU로 옮긴 뒤 "Expected all tensors to be on the same device" 오류가 난다면 이런 속성을 먼저 의심해 보세요.
"""),
    ("code", "plain-attribute-code", r"""
class WithPlainTensor(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("registered", torch.ones(3))
        self.plain = torch.ones(3)          # 등록되지 않은 그냥 tensor


m = WithPlainTensor()
print("state_dict keys:", list(m.state_dict().keys()))
m = m.to(torch.float64)
print("registered.dtype:", m.registered.dtype)
print("plain.dtype     :", m.plain.dtype)
"""),
    # --------------------------------------------------- 2. state_dict + .to
    ("md", "state-dict-and-to", r"""
## 2. Parameter와 buffer는 모두 `state_dict()`에 들어가고 `.to(...)`로 함께 이동한다

`state_dict()`는 Parameter와 (persistent) buffer를 모두 담은 순서 있는 사전(`OrderedDict`)입니다.
key는 module 계층을 점(`.`)으로 이은 이름입니다.

`.to(dtype)`는 **부동소수점** Parameter와 buffer의 dtype만 바꿉니다.
BatchNorm의 정수 buffer `num_batches_tracked`는 `.to(torch.float64)` 뒤에도 `int64`로 남습니다.
"""),
    ("code", "state-dict-dtype-code", r"""
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
net = net.to(torch.float64)
for key, value in net.state_dict().items():
    print(f"{key:<24} {str(value.dtype):<14} {tuple(value.shape)}")
"""),
    ("md", "device-move", r"""
device 이동도 같은 규칙을 따릅니다. `.to("cuda")`를 하면 Parameter와 buffer가 모두 GPU로 이동합니다.
CPU만 있는 환경에서는 이 부분을 건너뜁니다.
(GPU가 있는 기계에서는 출력이 달라지므로 이 셀의 출력은 nbval 비교에서 제외해 두었습니다.)
"""),
    ("code", "device-move-code", r"""
if torch.cuda.is_available():
    net_gpu = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3)).to("cuda")
    print("모든 parameter와 buffer가 cuda에 있음:",
          all(t.device.type == "cuda" for t in net_gpu.state_dict().values()))
else:
    print("CUDA 없음: device 이동은 생략")
""", [NBVAL_IGNORE_OUTPUT]),
    # ------------------------------------------------ 3. persistent=False
    ("md", "non-persistent", r"""
## 3. `persistent=False` buffer

`register_buffer(name, tensor, persistent=False)`로 등록한 buffer는 `.to(...)`로 함께 이동하지만 **`state_dict()`에는 들어가지 않습니다.**
생성자에서 언제든 다시 계산할 수 있는 값(positional encoding 표, causal mask 등)에 쓰면 checkpoint 크기가 줄고,
`max_len`처럼 크기가 바뀌어도 예전 checkpoint를 불러올 때 shape 충돌이 생기지 않습니다.
"""),
    ("code", "non-persistent-code", r"""
class MaskedScorer(nn.Module):
    def __init__(self, max_len=4):
        super().__init__()
        self.proj = nn.Linear(4, 4)
        self.register_buffer("mask", torch.tril(torch.ones(max_len, max_len)), persistent=False)
        self.register_buffer("temperature", torch.tensor(1.0))   # persistent (기본값)


scorer = MaskedScorer().to(torch.float64)
print("named_buffers  :", [name for name, _ in scorer.named_buffers()])
print("state_dict keys:", list(scorer.state_dict().keys()))
print("mask.dtype (.to로 함께 이동):", scorer.mask.dtype)
"""),
    # ------------------------------------------------ 4. worked example 1
    ("md", "example1", r"""
## 4. 예제 1: `named_parameters()`와 `named_buffers()` 살펴보기

`nn.Linear(10, 4)`, `nn.BatchNorm1d(4)`, 그리고 class별 중심점을 담는 `class_centroids` buffer (shape `(3, 4)`)를 가진 모델을 만들어
Parameter와 buffer를 이름, shape과 함께 나열하고 개수와 원소 수를 세어 봅니다.
"""),
    ("code", "example1-code", r"""
class CentroidClassifier(nn.Module):
    def __init__(self, in_features=10, hidden=4, num_classes=3):
        super().__init__()
        self.linear = nn.Linear(in_features, hidden)
        self.bn = nn.BatchNorm1d(hidden)
        self.register_buffer("class_centroids", torch.zeros(num_classes, hidden))

    def forward(self, x):
        z = self.bn(self.linear(x))
        return -torch.cdist(z, self.class_centroids)                   # 가까울수록 큰 점수


torch.manual_seed(0)
clf = CentroidClassifier()

print("named_parameters():")
for name, p in clf.named_parameters():
    print(f"  {name:<24} {tuple(p.shape)}")
print("named_buffers():")
for name, b in clf.named_buffers():
    print(f"  {name:<24} {tuple(b.shape)}")

params = list(clf.parameters())
buffers = list(clf.buffers())
print(f"parameter 개수: {len(params)}, 원소 수: {sum(p.numel() for p in params)}")
print(f"buffer 개수   : {len(buffers)}, 원소 수: {sum(b.numel() for b in buffers)}")
print("state_dict key 수:", len(clf.state_dict()))
"""),
    ("md", "example1-note", r"""
Parameter는 `linear.weight` (40개) + `linear.bias` (4) + `bn.weight` (4) + `bn.bias` (4) = 52개 원소,
buffer는 `running_mean` (4) + `running_var` (4) + `num_batches_tracked` (스칼라 1) + `class_centroids` (12) = 21개 원소입니다.
`state_dict`에는 둘을 합한 8개의 key가 있습니다.
"""),
    # ------------------------------------------------ 5. worked example 2
    ("md", "example2", r"""
## 5. 예제 2: `state_dict` 저장하고 불러오기

권장되는 저장 방식은 **`state_dict`만** `torch.save`로 저장하고, 불러올 때는 같은 class로 새 모델을 만든 뒤
`torch.load(path, weights_only=True)` + `load_state_dict`를 쓰는 것입니다.
아래에서는 임시 디렉터리(`tempfile.TemporaryDirectory()`)에 저장하므로 셀이 끝나면 파일이 지워집니다.
"""),
    ("code", "example2-code", r"""
class TinyMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


torch.manual_seed(0)
original = TinyMLP()
restored = TinyMLP()          # 다른 무작위 초기값으로 시작

with tempfile.TemporaryDirectory() as tmp_dir:
    path = os.path.join(tmp_dir, "tiny_mlp.pt")
    torch.save(original.state_dict(), path)
    state = torch.load(path, weights_only=True)
    result = restored.load_state_dict(state)

print(result)
src, dst = original.state_dict(), restored.state_dict()
for key in src:
    print(f"{key:<12} {torch.equal(src[key], dst[key])}")
if all(torch.equal(src[k], dst[k]) for k in src) and src.keys() == dst.keys():
    print("모든 key 일치")
"""),
    ("md", "why-state-dict", r"""
### 왜 모델 전체가 아니라 `state_dict`를 저장할까?

`torch.save(model)`은 module 객체 전체를 pickle합니다. 이 방식에는 두 가지 문제가 있습니다.

1. **안전성**: pickle은 불러오는 순간 임의의 코드를 실행할 수 있습니다. `weights_only=True`는 tensor, 기본 자료형, `dict` 등만 허용하는
   안전한 unpickler를 쓰므로, 모르는 출처의 checkpoint도 비교적 안전하게 열 수 있습니다. `state_dict`는 이 방식으로 불러올 수 있지만,
   pickle된 module 전체는 `weights_only=True`로 불러올 수 없습니다.
2. **리팩터링에 대한 견고함**: pickle은 class를 "module 경로 + 이름"으로 기록합니다. 나중에 class 이름이나 파일 위치를 바꾸면
   예전 파일을 불러올 수 없습니다. `state_dict`는 이름 → tensor 사전일 뿐이라 코드가 바뀌어도 key만 맞추면 됩니다 (다음 절 참고).
"""),
    ("code", "why-state-dict-code", r"""
with tempfile.TemporaryDirectory() as tmp_dir:
    path = os.path.join(tmp_dir, "whole_model.pt")
    torch.save(original, path)                      # 권장하지 않는 방식: module 전체를 pickle
    try:
        torch.load(path, weights_only=True)
        print("불러오기 성공")
    except pickle.UnpicklingError as err:
        print("weights_only=True로 module 전체 불러오기 실패:", type(err).__name__)
"""),
    # ------------------------------------------------ 6. strict=False
    ("md", "strict-false", r"""
## 6. 구조가 바뀐 모델에 불러오기: `load_state_dict(strict=False)`

모델은 계속 바뀝니다. `TinyMLPv2`는 `fc1`은 그대로 두고, 사이에 `norm`(LayerNorm)을 추가하고, `fc2`의 이름을 `head`로 바꿨습니다.

`load_state_dict`는 기본값 `strict=True`에서 key가 하나라도 맞지 않으면 `RuntimeError`를 냅니다.
`strict=False`로 부르면 맞는 key만 불러오고, 결과로 두 목록을 돌려줍니다.

- `missing_keys`: 모델에는 있는데 state_dict에는 없는 key (초기값 그대로 남음)
- `unexpected_keys`: state_dict에는 있는데 모델에는 없는 key (무시됨)
"""),
    ("code", "strict-false-code", r"""
class TinyMLPv2(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.norm = nn.LayerNorm(8)     # 새로 추가
        self.head = nn.Linear(8, 2)     # fc2에서 이름 변경

    def forward(self, x):
        return self.head(F.relu(self.norm(self.fc1(x))))


torch.manual_seed(0)
v2 = TinyMLPv2()
old_state = original.state_dict()

try:
    v2.load_state_dict(old_state)   # strict=True (기본값)
except RuntimeError as err:
    print("strict=True:", str(err).splitlines()[0])

result = v2.load_state_dict(old_state, strict=False)
print("missing_keys   :", sorted(result.missing_keys))
print("unexpected_keys:", sorted(result.unexpected_keys))
print("fc1.weight 불러옴:", torch.equal(v2.fc1.weight, original.fc1.weight))
"""),
    ("md", "strict-false-rename", r"""
이름만 바뀐 layer는 key를 바꿔 주면 살릴 수 있습니다. 이렇게 하면 정말로 새로 생긴 `norm`만 missing으로 남습니다.
`strict=False`는 편리하지만 오타로 생긴 불일치도 조용히 넘어가므로, **돌려받은 두 목록을 항상 확인**하세요.
"""),
    ("code", "strict-false-rename-code", r"""
renamed = {key.replace("fc2.", "head.", 1): value for key, value in old_state.items()}
result = v2.load_state_dict(renamed, strict=False)
print("missing_keys   :", sorted(result.missing_keys))
print("unexpected_keys:", sorted(result.unexpected_keys))
print("head.weight 불러옴:", torch.equal(v2.head.weight, original.fc2.weight))
"""),
    # ------------------------------------------------ 7. num_batches_tracked
    ("md", "num-batches-tracked", r"""
## 7. BatchNorm이 스스로 추가하는 `num_batches_tracked`

`(5, 5)` Parameter 하나, `BatchNorm1d(5)`, `(5, 5)` mask buffer 하나를 가진 모델을 생각해 봅시다.
직접 선언한 tensor를 세어 보면 Parameter `weight`, BatchNorm의 `weight`·`bias`·`running_mean`·`running_var`, buffer `mask`로 여섯 개입니다.
그런데 `state_dict()`에는 **일곱 개**의 key가 있습니다.
"""),
    ("code", "num-batches-tracked-code", r"""
class MaskedBNBlock(nn.Module):
    def __init__(self, dim=5):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(dim, dim))
        self.bn = nn.BatchNorm1d(dim)
        self.register_buffer("mask", torch.tril(torch.ones(dim, dim)))
        # forward는 이 절의 주제가 아니므로 생략합니다. 아래에서는 block.bn만 직접 실행합니다.


torch.manual_seed(0)
block = MaskedBNBlock()
keys = list(block.state_dict().keys())
for key in keys:
    print(key)
print("len(state_dict()):", len(keys))
"""),
    ("md", "num-batches-tracked-explain", r"""
일곱 번째 key는 `bn.num_batches_tracked`입니다. BatchNorm(`track_running_stats=True`, 기본값)이 스스로 등록하는 `int64` 스칼라 buffer로,
train 모드에서 forward가 실행된 횟수를 셉니다 (eval 모드에서는 늘지 않습니다).
이 값은 `momentum=None`일 때 쓰입니다. 이때 running 통계는 고정된 momentum 대신 $1/\text{num\_batches\_tracked}$를 가중치로 하는
누적 평균(cumulative moving average)으로 갱신됩니다. 따라서 state_dict를 비교하거나 개수를 셀 때는 이 key를 잊지 마세요.
"""),
    ("code", "num-batches-tracked-count-code", r"""
nbt = block.bn.num_batches_tracked
print("dtype:", nbt.dtype, "/ 초기값:", nbt.item())

block.bn.train()
for _ in range(3):
    block.bn(torch.randn(8, 5))
print("train 모드 forward 3번 후:", block.bn.num_batches_tracked.item())

block.bn.eval()
block.bn(torch.randn(8, 5))
print("eval 모드 forward 1번 후 :", block.bn.num_batches_tracked.item())

# momentum=None: running_mean은 지금까지 본 batch 평균들의 산술 평균
torch.manual_seed(0)
bn_cma = nn.BatchNorm1d(5, momentum=None)
batches = [torch.randn(8, 5) + i for i in range(4)]
for batch in batches:
    bn_cma(batch)
expected = torch.stack([b.mean(dim=0) for b in batches]).mean(dim=0)
print("momentum=None → running_mean은 batch 평균들의 평균:", torch.allclose(bn_cma.running_mean, expected, atol=1e-6))
"""),
    # ------------------------------------------------ 8. worked example 3
    ("md", "example3", r"""
## 8. 예제 3: transfer learning을 위한 freeze

사전학습된 `resnet18`을 불러와 backbone을 freeze하고, 5개 class를 위한 새 `fc` head만 학습해 봅시다.

사전학습 weight는 인터넷에서 내려받아야 합니다. 이 notebook은 오프라인에서도 돌아가야 하므로,
내려받기에 실패하면 무작위 초기화(`weights=None`)로 진행합니다. 어느 쪽이든 이후의 Parameter 개수와 freeze 동작은 똑같습니다.
(이 셀의 출력은 온라인/오프라인에 따라 다르므로 nbval 비교에서 제외해 두었습니다.)
"""),
    ("code", "example3-load-code", r"""
from torchvision.models import ResNet18_Weights, resnet18

try:
    # torch.hub이 출력하는 "Downloading: ..." 안내문(내려받을 경로 포함)은 숨깁니다.
    with contextlib.redirect_stdout(io.StringIO()):
        backbone = resnet18(weights=ResNet18_Weights.DEFAULT, progress=False)
    print("사전학습 weight(ResNet18_Weights.DEFAULT)를 불러왔습니다")
except Exception:
    torch.manual_seed(0)
    backbone = resnet18(weights=None)
    print("사전학습 weight를 내려받을 수 없어 무작위 초기화로 진행합니다 (offline)")
""", [NBVAL_IGNORE_OUTPUT]),
    ("md", "example3-freeze", r"""
freeze는 모든 Parameter의 `requires_grad`를 `False`로 바꾸는 것입니다. 그 뒤에 `fc`를 새 `nn.Linear(512, 5)`로 바꾸면
새로 만든 layer의 Parameter는 기본값대로 `requires_grad=True`입니다.
optimizer에는 학습할 Parameter만 넘깁니다.
"""),
    ("code", "example3-freeze-code", r"""
for p in backbone.parameters():
    p.requires_grad = False

torch.manual_seed(0)
backbone.fc = nn.Linear(backbone.fc.in_features, 5)

trainable = [p for p in backbone.parameters() if p.requires_grad]
optimizer = torch.optim.AdamW(trainable, lr=1e-3)

print("학습할 parameter 이름 :", [name for name, p in backbone.named_parameters() if p.requires_grad])
print(f"학습 가능 parameter 수: {sum(p.numel() for p in trainable):,}")
print(f"전체 parameter 수     : {sum(p.numel() for p in backbone.parameters()):,}")
print("optimizer param group 안의 tensor 수:", sum(len(g["params"]) for g in optimizer.param_groups))
"""),
    ("md", "example3-step", r"""
backward와 optimizer step을 한 번 실행하고, 어떤 Parameter가 바뀌었는지 확인합니다.
freeze된 Parameter에는 gradient가 계산되지 않고(`grad is None`) optimizer에도 없으므로 `fc`만 바뀝니다.
"""),
    ("code", "example3-step-code", r"""
torch.manual_seed(0)
images = torch.randn(4, 3, 64, 64)
labels = torch.tensor([0, 1, 2, 3])

before = {name: p.detach().clone() for name, p in backbone.named_parameters()}
backbone.train()
loss = F.cross_entropy(backbone(images), labels)
optimizer.zero_grad()
loss.backward()
optimizer.step()

changed = sorted(name for name, p in backbone.named_parameters() if not torch.equal(before[name], p))
print("step 후 바뀐 parameter:", changed)
print("freeze된 parameter의 grad가 모두 None:",
      all(p.grad is None for name, p in backbone.named_parameters() if not name.startswith("fc.")))
"""),
    ("md", "example3-bn", r"""
한 가지 함정이 있습니다. `requires_grad=False`는 gradient만 막을 뿐, **BatchNorm의 running 통계(buffer)는 train 모드의 forward마다 계속 갱신됩니다.**
backbone을 완전히 고정하려면 `model.train()` 뒤에 backbone의 BatchNorm layer들에 `.eval()`을 호출하세요.
"""),
    ("code", "example3-bn-code", r"""
def set_batchnorm_eval(module):
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()


backbone.train()
mean_before = backbone.bn1.running_mean.clone()
with torch.no_grad():
    backbone(images)
print("train 모드          : bn1.running_mean 변경 =", not torch.equal(mean_before, backbone.bn1.running_mean))

backbone.train()
set_batchnorm_eval(backbone)
mean_before = backbone.bn1.running_mean.clone()
with torch.no_grad():
    backbone(images)
print("BatchNorm만 eval 모드: bn1.running_mean 변경 =", not torch.equal(mean_before, backbone.bn1.running_mean))
"""),
    # ------------------------------------------------ summary / exercises
    ("md", "summary", r"""
## 요약

- `nn.Parameter`는 학습되는 tensor입니다. `parameters()`에 나타나고 optimizer가 갱신합니다.
- `register_buffer`로 등록한 tensor는 학습되지 않는 상태입니다. BatchNorm의 running 통계, positional encoding, causal mask, EMA teacher weight가 대표적인 예입니다.
- 그냥 tensor 속성은 Parameter도 buffer도 아니어서 `state_dict()`에 없고 `.to(...)`로 이동하지 않습니다.
- Parameter와 buffer는 모두 `state_dict()`에 들어가고 `.to(...)`로 함께 이동합니다. `.to(dtype)`는 부동소수점 tensor만 바꿉니다.
- `persistent=False` buffer는 `.to(...)`로 이동하지만 `state_dict()`에는 들어가지 않습니다.
- 저장은 `torch.save(model.state_dict(), path)`, 불러오기는 `model.load_state_dict(torch.load(path, weights_only=True))`가 표준입니다.
- `load_state_dict(strict=False)`는 `missing_keys`와 `unexpected_keys`를 돌려주므로 반드시 확인합니다.
- BatchNorm은 `num_batches_tracked`라는 `int64` buffer를 스스로 추가합니다.
- freeze는 `requires_grad=False` + optimizer에 학습할 Parameter만 전달하는 것이며, BatchNorm의 running 통계까지 고정하려면 `.eval()`이 필요합니다.
"""),
    ("md", "exercises", r"""
## 연습문제

1. `SinusoidalPositionalEncoding`의 `pe`를 `persistent=False`로 바꾸고 `max_len=32`로 만든 모델에, `max_len=16`으로 저장한 state_dict를 불러와 보세요. persistent일 때와 무엇이 다른가요?
2. 예제 1의 `CentroidClassifier`에서 `class_centroids`를 `nn.Parameter`로 바꾸면 `named_parameters()`, `named_buffers()`, optimizer의 동작이 각각 어떻게 달라지나요? 어떤 경우에 centroid를 학습시키고 싶을까요?
3. 예제 3의 ResNet18에서 `layer4`까지 함께 fine-tuning하도록 바꾸고, 학습 가능한 Parameter 수와 optimizer에 들어가는 tensor 수를 다시 세어 보세요. backbone과 head에 서로 다른 learning rate를 주려면 param group을 어떻게 구성하면 될까요?

채점되는 과제는 `release/lesson05/round_trip.ipynb`입니다. 이 lesson의 7절(`num_batches_tracked`)과 5절(저장·불러오기)을 다시 읽고 시작하세요.
"""),
    ("md", "references", r"""
## 참고 문서

- [`torch.nn.parameter.Parameter`](https://pytorch.org/docs/stable/generated/torch.nn.parameter.Parameter.html)
- [`torch.nn.Module.register_buffer`](https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_buffer)
- [`torch.nn.Module.state_dict`](https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.state_dict)
- [`torch.nn.Module.load_state_dict`](https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.load_state_dict)
- [Saving and Loading Models (PyTorch tutorial)](https://pytorch.org/tutorials/beginner/saving_loading_models.html)
- [`torch.load`](https://pytorch.org/docs/stable/generated/torch.load.html)
- [`torch.nn.BatchNorm1d`](https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm1d.html)
- [`torchvision.models.resnet18`](https://docs.pytorch.org/vision/stable/models/generated/torchvision.models.resnet18.html)
"""),
]


def build() -> nbformat.NotebookNode:
    """Return the lesson notebook (without outputs)."""
    nb = new_notebook()
    nb.nbformat = 4
    nb.nbformat_minor = 5
    nb.metadata = nbformat.NotebookNode(
        {
            "kernelspec": {
                "name": "python3",
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
            },
            "language_info": {"name": "python"},
        }
    )
    cells = []
    seen: set[str] = set()
    for entry in CELLS:
        kind, cell_id, source = entry[0], entry[1], entry[2]
        tags = entry[3] if len(entry) > 3 else None
        if cell_id in seen:
            raise ValueError(f"duplicate cell id: {cell_id}")
        seen.add(cell_id)
        if kind == "md":
            cells.append(_md(cell_id, source))
        else:
            cells.append(_code(cell_id, source, tags))
    nb.cells = cells
    nbformat.validate(nb)
    return nb


def execute(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Execute ``nb`` in place with nbclient (cwd = notebooks/)."""
    from nbclient import NotebookClient

    client = NotebookClient(
        nb,
        kernel_name=KERNEL_NAME,
        timeout=TIMEOUT,
        coalesce_streams=True,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    client.execute()
    # Keep the stored metadata minimal and stable across machines.
    nb.metadata["language_info"] = {"name": "python"}
    for cell in nb.cells:
        cell["metadata"].pop("execution", None)
    return nb


def main() -> None:
    NOTEBOOK_DIR.mkdir(parents=True, exist_ok=True)
    nb = execute(build())
    stderr_cells = [
        cell["id"]
        for cell in nb.cells
        if cell["cell_type"] == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream" and out.get("name") == "stderr"
    ]
    if stderr_cells:
        raise RuntimeError(f"cells wrote to stderr: {stderr_cells}")
    nbformat.validate(nb)
    nbformat.write(nb, str(NOTEBOOK_PATH), version=4)
    print(f"wrote {NOTEBOOK_PATH.relative_to(REPO_ROOT)} ({len(nb.cells)} cells)")


if __name__ == "__main__":
    main()
