"""The hidden checks of round_trip.ipynb: what the autograder must establish (exercise contract).

Every check takes the namespace in which the student's cells ran and returns ``None`` when it
passes or a short Korean explanation when it fails. The explanation names the idea of the lesson
to revisit and never shows the check's code.

Torch, builtins and the few methods the checks rely on are bound here, at import time. The
isolated runner (``grading.check_runner``) imports this module *before* any student code runs, so
a submission that later monkeypatches ``torch.equal`` or ``nn.Module.state_dict`` does not change
what these checks see. Model structure is read from the modules' own ``_parameters`` /
``_buffers`` / ``_modules`` dicts and tensor values are compared as raw bytes, so neither a
``state_dict`` override nor a ``__torch_function__`` trick can fake them.
"""
import builtins
import os
import tempfile

import numpy
import torch
from torch import nn

# --- references bound before any student code runs --------------------------------------------
_type, _isinstance, _issubclass, _len = type, isinstance, issubclass, len
_tuple, _list, _dict, _set, _str = tuple, list, dict, set, str
_getattribute = object.__getattribute__
_Tensor, _Parameter, _Module, _BatchNorm1d = torch.Tensor, nn.Parameter, nn.Module, nn.BatchNorm1d
_Generator, _dtype_bool = torch.Generator, torch.bool
_randn, _rand, _randint, _zeros = torch.randn, torch.rand, torch.randint, torch.zeros
_no_grad, _load, _save = torch.no_grad, torch.load, torch.save
_detach, _numpy_of, _clone = _Tensor.detach, _Tensor.numpy, _Tensor.clone
_contiguous, _copy_, _storage = _Tensor.contiguous, _Tensor.copy_, _Tensor.untyped_storage
_data_ptr = torch.UntypedStorage.data_ptr
_tobytes = numpy.ndarray.tobytes
_path_exists, _path_join = os.path.exists, os.path.join
_TemporaryDirectory = tempfile.TemporaryDirectory
_eval = _Module.eval
_call_module = _Module.__call__
_is_floating_point = _Tensor.is_floating_point


class ReferenceModel(nn.Module):
    """A model that meets the contract: used to test round_trip independently of the student's."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(5, 5))
        self.norm = nn.BatchNorm1d(5)
        self.register_buffer("attn_mask", torch.ones(5, 5, dtype=torch.bool).tril())

    def forward(self, x):
        return self.norm(x @ self.w.masked_fill(~self.attn_mask, 0.0))


# --- helpers ------------------------------------------------------------------------------------
def _modules_of(module, prefix=""):
    """(qualified name, module) for the module and all its submodules, from the internal dicts."""
    yield prefix, module
    for name, child in _dict(_getattribute(module, "_modules")).items():
        if child is not None:
            yield from _modules_of(child, prefix + name + ".")


def _entries(model):
    """What nn.Module.state_dict would hold: {key: (tensor, kind)} with kind 'param' or 'buffer'."""
    out = {}
    for prefix, module in _modules_of(model):
        for name, p in _dict(_getattribute(module, "_parameters")).items():
            if p is not None:
                out[prefix + name] = (p, "param")
        non_persistent = _getattribute(module, "_non_persistent_buffers_set")
        for name, b in _dict(_getattribute(module, "_buffers")).items():
            if b is not None and name not in non_persistent:
                out[prefix + name] = (b, "buffer")
    return out


def _bytes(t):
    return _tobytes(_numpy_of(_contiguous(_detach(t))))


def _same(a, b):
    """Bit-for-bit equal tensors of the same dtype and shape (plain tensors or Parameters only)."""
    if _type(a) not in (_Tensor, _Parameter) or _type(b) not in (_Tensor, _Parameter):
        return False
    return a.dtype == b.dtype and _tuple(a.shape) == _tuple(b.shape) and _bytes(a) == _bytes(b)


def _storage_ptr(t):
    return _data_ptr(_storage(t))


class CheckTimeout(BaseException):
    """Raised (by grading.check_runner's alarm) when a check runs out of time: never the student's."""


def _call(fn, *args):
    """Call student code; return (value, None) or (None, 'ExceptionName')."""
    try:
        return fn(*args), None
    except CheckTimeout:
        raise
    except BaseException as exc:  # noqa: BLE001 - student code may raise anything, SystemExit too
        return None, _type(exc).__name__


def _randomize(model, gen):
    """Give all seven tensors of a ReferenceModel values the student cannot predict."""
    with _no_grad():
        for key, (t, _) in _entries(model).items():
            if t.dtype == _dtype_bool:
                _copy_(t, _rand(t.shape, generator=gen) < 0.5)
            elif key.endswith("num_batches_tracked"):
                _copy_(t, _randint(1, 10_000, (), generator=gen))
            elif key.endswith("running_var"):
                _copy_(t, _rand(t.shape, generator=gen) + 0.5)
            else:
                _copy_(t, _randn(t.shape, generator=gen))


def _truth(value):
    """A student's bool answer: a Python bool or a one-element bool tensor; anything else is None."""
    if _type(value) is bool:
        return value
    if _type(value) is _Tensor and value.dtype == _dtype_bool and value.numel() == 1:
        return _bytes(value) == b"\x01"
    return None


# --- the checks ---------------------------------------------------------------------------------
def _student_model(ns):
    cls = ns.get("RoundTripModel")
    if not (_isinstance(cls, _type) and _issubclass(cls, _Module)):
        return None, "RoundTripModel이 nn.Module을 상속한 class로 정의되어 있지 않습니다."
    model, err = _call(cls)
    if err:
        return None, f"RoundTripModel()을 인자 없이 만들 때 {err}가 발생했습니다. __init__을 다시 보세요."
    if not _isinstance(model, _Module):
        return None, "RoundTripModel()이 nn.Module 객체를 만들지 않았습니다."
    return model, None


def check_structure(ns, seed):
    model, why = _student_model(ns)
    if why:
        return why
    own_params = _dict(_getattribute(model, "_parameters"))
    own_buffers = _dict(_getattribute(model, "_buffers"))
    non_persistent = _getattribute(model, "_non_persistent_buffers_set")
    square = lambda t: t is not None and _tuple(t.shape) == (5, 5)  # noqa: E731
    if not any(square(p) for p in own_params.values()):
        if any(square(b) for b in own_buffers.values()) and _len([b for b in own_buffers.values() if square(b)]) > 1:
            return ("5x5 행렬이 buffer로 등록되었습니다. 학습되는 값은 nn.Parameter여야 parameters()에 "
                    "들어가고 optimizer가 update합니다: Parameter와 buffer의 차이를 다시 보세요.")
        return ("model 자신이 가진 (5, 5) nn.Parameter가 없습니다. self.<이름> = nn.Parameter(...)로 "
                "등록해야 parameters()와 state_dict()에 들어갑니다.")
    masks = [(n, b) for n, b in own_buffers.items() if square(b)]
    if not masks:
        plain = [n for n, v in _dict(_getattribute(model, "__dict__")).items()
                 if _isinstance(v, _Tensor) and _tuple(v.shape) == (5, 5)]
        if plain:
            return ("attention mask가 state_dict에 없습니다: plain attribute로 둔 tensor는 parameter도 "
                    "buffer도 아닙니다. register_buffer를 다시 보세요.")
        return "model 자신에 register_buffer로 등록된 (5, 5) attention mask buffer가 없습니다."
    if all(n in non_persistent for n, _ in masks):
        return ("attention mask가 persistent=False로 등록되어 state_dict에서 빠집니다. checkpoint에 "
                "함께 저장되어야 하는 buffer는 persistent(기본값)로 등록하세요.")
    norms = [m for _, m in _modules_of(model) if _isinstance(m, _BatchNorm1d)]
    if _len(norms) != 1:
        return f"nn.BatchNorm1d submodule이 정확히 1개여야 하는데 {_len(norms)}개입니다."
    bn = norms[0]
    if not (bn.num_features == 5 and bn.affine and bn.track_running_stats):
        return "BatchNorm1d는 기본 설정(affine=True, track_running_stats=True)의 5 features여야 합니다."
    entries = _entries(model)
    params = [k for k, (_, kind) in entries.items() if kind == "param"]
    buffers = [k for k, (_, kind) in entries.items() if kind == "buffer"]
    if _len(entries) != 7 or _len(params) != 3 or _len(buffers) != 4:
        return (f"state_dict 항목이 7개(parameter 3, buffer 4)여야 하는데 {_len(entries)}개"
                f"(parameter {_len(params)}, buffer {_len(buffers)})입니다. BatchNorm이 스스로 더하는 "
                "num_batches_tracked까지 세어 보세요.")
    if _len([1 for p in own_params.values() if p is not None]) != 1:
        return "model 자신이 가진 Parameter는 (5, 5) 행렬 하나뿐이어야 합니다."
    if not all(_type(t) is _Parameter and t.requires_grad for k, (t, kind) in entries.items() if kind == "param"):
        return "parameter는 모두 requires_grad=True인 nn.Parameter여야 합니다."
    mask = masks[0][1]
    if not (mask.dtype == _dtype_bool or _is_floating_point(mask)):
        return "attention mask의 dtype은 bool이거나 floating point여야 합니다."
    return None


def check_forward(ns, seed):
    model, why = _student_model(ns)
    if why:
        return "RoundTripModel을 만들 수 없어 forward를 검사하지 못했습니다: " + why
    gen = _Generator().manual_seed(seed)
    entries = _entries(model)
    squares = [(k, t, kind) for k, (t, kind) in entries.items() if "." not in k and _tuple(t.shape) == (5, 5)]
    stats = [t for k, (t, _) in entries.items() if k.endswith("running_mean")]
    with _no_grad():  # random weights, so that a zero initialisation cannot hide what forward uses
        for k, (t, kind) in entries.items():
            if _is_floating_point(t) and not k.endswith("running_var") and not (kind == "buffer" and "." not in k):
                _copy_(t, _randn(t.shape, generator=gen))
    if not squares or not stats:
        return ("forward를 검사하려면 model에 (5, 5) 행렬과 BatchNorm1d가 있어야 합니다: "
                "forward는 Parameter, mask buffer, BatchNorm을 모두 사용해야 합니다.")
    _eval(model)
    x = _randn(4, 5, generator=gen)
    with _no_grad():
        y, err = _call(_call_module, model, x)
    if err:
        return f"model(x)가 (4, 5) float 입력에서 {err}를 냈습니다. forward를 다시 보세요."
    if _type(y) not in (_Tensor, _Parameter) or _tuple(y.shape) != (4, 5) or not _is_floating_point(y):
        return "forward는 (batch, 5) float 입력에 대해 (batch, 5) float tensor를 돌려줘야 합니다."
    y = _clone(_detach(y))

    def changes_output(t, new_value):
        old = _clone(t)
        with _no_grad():
            _copy_(t, new_value)
            out, err = _call(_call_module, model, x)
            _copy_(t, old)
        return err is not None or _type(out) not in (_Tensor, _Parameter) or not _same(_detach(out), y)

    for _, t, kind in squares:
        new = ~t if t.dtype == _dtype_bool else t + _rand(t.shape, generator=gen) + 0.5
        if not changes_output(t, new):
            what = "5x5 parameter" if kind == "param" else "attention mask"
            return f"forward 결과가 {what}에 따라 달라지지 않습니다: forward에서 세 가지를 모두 사용하세요."
    if stats and not changes_output(stats[0], stats[0] + 1.0):
        return "forward 결과가 BatchNorm의 running statistics에 따라 달라지지 않습니다: BatchNorm1d를 forward에서 사용하세요."
    return None


def _round_trip_run(ns, seed):
    """Run the student's round_trip on a ReferenceModel with unpredictable values.

    Returns (original, saved_copy, returned, loaded_file, why). ``RoundTripModel`` is bound to
    ReferenceModel while it runs, so both ``type(model)()`` and ``RoundTripModel()`` styles work.
    """
    fn = ns.get("round_trip")
    if not callable(fn):
        return None, None, None, None, "round_trip 함수가 정의되어 있지 않습니다."
    gen = _Generator().manual_seed(seed)
    original = ReferenceModel()
    _randomize(original, gen)
    before = {k: _clone(_detach(t)) for k, (t, _) in _entries(original).items()}
    had, old = "RoundTripModel" in ns, ns.get("RoundTripModel")
    ns["RoundTripModel"] = ReferenceModel
    with _TemporaryDirectory(prefix="lesson05-") as tmp:
        path = _path_join(tmp, f"checkpoint_{seed % 100000}.pt")
        returned, err = _call(fn, original, path)
        if had:
            ns["RoundTripModel"] = old
        else:
            ns.pop("RoundTripModel", None)
        loaded, load_err = None, None
        if _path_exists(path):
            try:
                loaded = _load(path, weights_only=True)
            except CheckTimeout:
                raise
            except BaseException as exc:  # noqa: BLE001
                load_err = _type(exc).__name__
    if err:
        return original, before, None, loaded, f"round_trip(model, path)가 {err}를 냈습니다."
    if load_err:
        loaded = load_err
    return original, before, returned, loaded, None


def check_round_trip_file(ns, seed):
    _, before, _, loaded, why = _round_trip_run(ns, seed)
    if why:
        return why
    if loaded is None:
        return "round_trip이 path에 파일을 만들지 않았습니다. torch.save(model.state_dict(), path)로 저장하세요."
    if _isinstance(loaded, _str):
        return ("path의 파일을 torch.load(path, weights_only=True)로 읽을 수 없습니다. model 객체 전체를 "
                "pickle하지 말고 state_dict를 저장하세요.")
    if not _isinstance(loaded, _dict) or _set(loaded) != _set(before):
        return "path에 저장된 것이 model의 state_dict(7개 항목의 dict)가 아닙니다."
    if not all(_same(loaded[k], before[k]) for k in before):
        return "저장된 state_dict의 값이 저장 시점 model의 값과 bit 단위로 같지 않습니다."
    return None


def check_round_trip_model(ns, seed):
    original, before, returned, _, why = _round_trip_run(ns, seed)
    if why:
        return why
    if returned is original:
        return "round_trip이 받은 model을 그대로 돌려줍니다. 새 instance를 만들어 state_dict를 load하세요."
    if _type(returned) is not ReferenceModel:
        return "round_trip이 같은 class의 새 instance를 돌려주지 않습니다 (type(model)() 또는 RoundTripModel())."
    got = _entries(returned)
    if _set(got) != _set(before):
        return "돌려준 model의 state_dict key가 원래 model과 다릅니다."
    if not all(_same(got[k][0], before[k]) for k in before):
        return ("돌려준 model의 tensor가 원래 값과 같지 않습니다 (dtype 포함). 저장한 파일을 "
                "load_state_dict로 읽어 들였는지 확인하세요: running statistics와 num_batches_tracked도 포함입니다.")
    mine = {_storage_ptr(t) for t, _ in _entries(original).values()}
    if any(_storage_ptr(t) in mine for t, _ in got.values()):
        return "돌려준 model이 원래 model과 tensor storage를 공유합니다. 파일에서 읽은 새 tensor를 써야 합니다."
    gen = _Generator().manual_seed(seed + 1)
    x = _randn(6, 5, generator=gen)
    _eval(original)
    _eval(returned)
    with _no_grad():
        a, err_a = _call(_call_module, original, x)
        b, err_b = _call(_call_module, returned, x)
    if err_a or err_b or not _same(a, b):
        return "eval() mode에서 다시 읽은 model의 출력이 원래 model의 출력과 같지 않습니다."
    return None


def _state_dict_cases(seed):
    gen = _Generator().manual_seed(seed)
    model = ReferenceModel()
    _randomize(model, gen)
    base = {k: _clone(_detach(t)) for k, (t, _) in _entries(model).items()}
    copy = lambda: {k: _clone(v) for k, v in base.items()}  # noqa: E731
    key, counter = "w", "norm.num_batches_tracked"
    value_off = copy()
    _numpy_of(value_off[key]).reshape(-1)[seed % 25] += 1.0
    missing = copy()
    del missing["norm.running_var"]
    extra = copy()
    extra["extra.weight"] = _zeros(3)
    reordered = {k: base[k] for k in reversed(_list(base))}
    as_double = copy()
    as_double[key] = base[key].double()
    reshaped = copy()
    reshaped[key] = base[key].reshape(1, *base[key].shape)
    as_int = copy()
    as_int[counter] = base[counter].float()
    values_keys = [(base, copy(), True, "같은 값을 가진 두 state_dict"),
                   (base, reordered, True, "key 순서만 다른 두 state_dict"),
                   (base, value_off, False, "값 하나가 다른 state_dict"),
                   (base, missing, False, "key 하나가 빠진 state_dict"),
                   (base, extra, False, "key 하나가 더 있는 state_dict")]
    dtype_shape = [(base, as_double, False, "dtype만 다른 (float32 vs float64) state_dict"),
                   (base, as_int, False, "dtype만 다른 (int64 vs float32) state_dict"),
                   (base, reshaped, False, "shape만 다른 state_dict")]
    return values_keys, dtype_shape


def _check_equal_cases(ns, cases):
    fn = ns.get("state_dicts_equal")
    if not callable(fn):
        return "state_dicts_equal 함수가 정의되어 있지 않습니다."
    for a, b, expected, label in cases:
        got, err = _call(fn, a, b)
        if err:
            return f"state_dicts_equal이 {label}에서 {err}를 냈습니다."
        got = _truth(got)
        if got is None:
            return "state_dicts_equal은 True 또는 False(bool)를 돌려줘야 합니다."
        if got != expected:
            hint = " torch.equal은 dtype을 비교하지 않으니 dtype도 따로 비교하세요." if "dtype" in label else ""
            return f"{label}에 대해 {expected}여야 하는데 {got}를 돌려줍니다.{hint}"
    return None


def check_equal_values_keys(ns, seed):
    return _check_equal_cases(ns, _state_dict_cases(seed)[0])


def check_equal_dtype_shape(ns, seed):
    return _check_equal_cases(ns, _state_dict_cases(seed)[1])


# grade_id of each test cell in round_trip.ipynb -> the check that decides its points
CHECKS = {
    "test_model_structure": check_structure,
    "test_model_forward": check_forward,
    "test_round_trip_file": check_round_trip_file,
    "test_round_trip_model": check_round_trip_model,
    "test_equal_values_keys": check_equal_values_keys,
    "test_equal_dtype_shape": check_equal_dtype_shape,
}


def warm_up():
    """Run one reference round trip so torch's and tempfile's lazy state exists before a snapshot."""
    with _TemporaryDirectory(prefix="lesson05-") as tmp:
        path = _path_join(tmp, "warm_up.pt")
        _save(ReferenceModel().state_dict(), path)
        _load(path, weights_only=True)
        _save(ReferenceModel(), path)


def run_in_kernel(grade_id, namespace, seed=20260505):
    """The hidden part of a test cell: raise AssertionError with the explanation when the check fails."""
    why = CHECKS[grade_id](namespace, seed)
    if why is not None:
        raise AssertionError(why)
