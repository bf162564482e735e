"""Submissions the tests grade, with the exact points each test cell must get.

Every entry: student id -> (solution cells by grade_id or None, notebook edit or None, expected
points by test cell). The bundled samples (grading.sample_submissions.SAMPLES) are graded in the
same batch as the alternative correct solutions and the attacks, so that a tampering submission
sits next to honest ones.
"""
import copy

from grading.sample_submissions import CORRECT, SAMPLES, variant

POINTS = {"test_model_structure": 3, "test_model_forward": 1, "test_round_trip_file": 2,
          "test_round_trip_model": 2, "test_equal_values_keys": 1, "test_equal_dtype_shape": 1}
FULL = dict(POINTS)
ZERO = {k: 0 for k in POINTS}


def losing(*grade_ids):
    return {k: (0 if k in grade_ids else v) for k, v in POINTS.items()}


# --- the bundled samples: one typical mistake each ------------------------------------------------
SAMPLE_EXPECTED = {
    "alice_correct": FULL,
    "bob_mask_attribute": losing("test_model_structure"),
    "carol_not_persistent": losing("test_model_structure"),
    "dave_weight_buffer": losing("test_model_structure"),
    "erin_no_dtype": losing("test_equal_dtype_shape"),
    "frank_pickles_module": losing("test_round_trip_file"),
    "grace_same_object": losing("test_round_trip_model"),
    "heidi_never_loads": losing("test_round_trip_model"),
    "ivan_always_true": losing("test_equal_values_keys", "test_equal_dtype_shape"),
    "judy_untouched": ZERO,
}

# --- other correct solutions: other names, mask conventions and file-handling styles -------------
ALTERNATIVES = {
    "alt_float_additive_mask": {
        "round_trip_model": '''
class RoundTripModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Parameter(torch.eye(5))
        self.register_buffer("causal", torch.full((5, 5), float("-inf")).triu(1))
        self.norm = nn.BatchNorm1d(num_features=5)

    def forward(self, x):
        attn = torch.softmax(self.proj + self.causal, dim=-1)
        return self.norm(x @ attn.T)
''',
        "round_trip_fn": '''
def round_trip(model, path):
    with open(path, "wb") as f:
        torch.save(model.state_dict(), f)
    clone = model.__class__()
    with open(path, "rb") as f:
        state = torch.load(f, weights_only=True)
    clone.load_state_dict(state, strict=True)
    return clone
''',
        "state_dicts_equal_fn": '''
def state_dicts_equal(a, b):
    if sorted(a) != sorted(b):
        return False
    return all(a[k].dtype == b[k].dtype and a[k].size() == b[k].size() and torch.equal(a[k], b[k]) for k in a)
''',
    },
    "alt_sequential_pathlib": {
        "round_trip_model": '''
class RoundTripModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.W = nn.Parameter(torch.empty(5, 5))
        nn.init.kaiming_uniform_(self.W)
        self.layers = nn.Sequential(nn.BatchNorm1d(5))
        self.register_buffer("m", torch.ones(5, 5).triu(), persistent=True)

    def forward(self, x):
        return self.layers(torch.matmul(x, self.W * self.m))
''',
        "round_trip_fn": '''
from pathlib import Path

def round_trip(model, path):
    path = Path(path)
    torch.save(model.state_dict(), path)
    new_model = RoundTripModel()
    missing, unexpected = new_model.load_state_dict(torch.load(path, weights_only=True))
    assert not missing and not unexpected
    return new_model.eval()
''',
        "state_dicts_equal_fn": '''
def state_dicts_equal(a, b):
    if a.keys() != b.keys():
        return False
    for name, t1 in a.items():
        t2 = b[name]
        if t1.dtype is not t2.dtype or tuple(t1.shape) != tuple(t2.shape):
            return False
        if not torch.equal(t1, t2):
            return False
    return True
''',
    },
    # prints while it runs and triggers a harmless UserWarning on stderr inside the test cells
    "alt_prints_and_warns": variant(
        round_trip_model='''
import warnings

class RoundTripModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(5, 5) * 0.2)
        self.bn = nn.BatchNorm1d(5)
        self.register_buffer("mask", torch.tril(torch.ones(5, 5)))
        print("model built")

    def forward(self, x):
        x = torch.tensor(x)  # torch warns: copy-constructing from a tensor
        return self.bn(x @ (self.weight * self.mask))
''',
        round_trip_fn='''
def round_trip(model, path):
    print("saving to", path)
    torch.save(model.state_dict(), path)
    warnings.warn("checkpoint written", UserWarning)
    fresh = RoundTripModel()
    fresh.load_state_dict(torch.load(path, weights_only=True))
    return fresh
'''),
    # a cell that raises costs only the checks that need it
    "alt_equal_cell_raises": variant(state_dicts_equal_fn='''
def state_dicts_equal(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)

raise RuntimeError("not finished")
'''),
    # forgets to advance its loop: hangs on any two dicts that share a first key
    "alt_equal_loops_forever": variant(state_dicts_equal_fn='''
def state_dicts_equal(a, b):
    keys = list(a)
    i = 0
    while i < len(keys):
        k = keys[i]
        if k not in b or a[k].dtype != b[k].dtype or not torch.equal(a[k], b[k]):
            return False
    return a.keys() == b.keys()
'''),
}
ALTERNATIVES_EXPECTED = {
    "alt_float_additive_mask": FULL,
    "alt_sequential_pathlib": FULL,
    "alt_prints_and_warns": FULL,
    # defined before the raise, so the values/keys check passes; dtype is not compared
    "alt_equal_cell_raises": losing("test_equal_dtype_shape"),
    # a check that hangs is stopped and costs only its own points
    "alt_equal_loops_forever": losing("test_equal_values_keys", "test_equal_dtype_shape"),
}

# --- attacks: a model without tensors, plus one way of tampering each ----------------------------
EMPTY = {
    "round_trip_model": '''
class RoundTripModel(nn.Module):
    def forward(self, x):
        return x
''',
    "round_trip_fn": '''
def round_trip(model, path):
    return model
''',
    "state_dicts_equal_fn": '''
def state_dicts_equal(a, b):
    return True
''',
}


def tampering(code):
    """The tensor-less submission with `code` appended to its last solution cell."""
    return {**EMPTY, "state_dicts_equal_fn": EMPTY["state_dicts_equal_fn"] + "\n" + code}


FAKE_STATE = '''
def _fake_state(self, *args, **kwargs):
    names = ["w", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked", "mask"]
    return {n: torch.ones(5, 5) for n in names}
'''
ATTACK_CODE = {
    "atk_input_transformer": "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])",
    "atk_run_cell": '''
_ip = get_ipython()
_original = _ip.run_cell
def _quiet(raw_cell, *args, **kwargs):
    return _original("pass", *args, **kwargs)
_ip.run_cell = _quiet
''',
    "atk_custom_exc": "get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)",
    "atk_showtraceback": '''
_ip = get_ipython()
_ip.showtraceback = lambda *args, **kwargs: None
_ip._showtraceback = lambda *args, **kwargs: None
''',
    "atk_monkeypatch_torch": FAKE_STATE + '''
import torch.nn as _nn
torch.equal = lambda a, b: True
_nn.Module.state_dict = _fake_state
_nn.Module.parameters = lambda self, recurse=True: iter([_nn.Parameter(torch.ones(5, 5))] * 3)
_real_load = torch.load
torch.load = lambda *args, **kwargs: _fake_state(None)
''',
    "atk_builtins": '''
import builtins
builtins.isinstance = lambda obj, cls: True
builtins.len = lambda obj: 7
builtins.all = lambda it: True
builtins.any = lambda it: True
''',
    "atk_sys_modules": FAKE_STATE + '''
import sys, types
_fake = types.ModuleType("torch")
_fake.__dict__.update(torch.__dict__)
_fake.equal = lambda a, b: True
sys.modules["torch"] = _fake
''',
    "atk_torch_function_mode": '''
from torch.overrides import TorchFunctionMode
class _AlwaysEqual(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func is torch.equal:
            return True
        return func(*args, **(kwargs or {}))
_AlwaysEqual().__enter__()
''',
    "atk_forge_results": '''
import json, os
for _fd in range(3, 64):
    for _gid in ["test_model_structure", "test_model_forward", "test_round_trip_file",
                 "test_round_trip_model", "test_equal_values_keys", "test_equal_dtype_shape"]:
        try:
            os.write(_fd, (json.dumps({"grade_id": _gid, "passed": True, "why": None, "visible": None}) + "\\n").encode())
        except OSError:
            pass
''',
    "atk_partial_credit_number": '''
import sys
_hook = sys.displayhook
get_ipython().displayhook.__class__.__call__ = lambda self, result=None: _hook(1.0)
get_ipython().ast_node_interactivity = "last_expr_or_assign"
''',
    "atk_threads": '''
import threading, time
def _keep_patching():
    while True:
        torch.equal = lambda a, b: True
        time.sleep(0.001)
threading.Thread(target=_keep_patching, daemon=True).start()
''',
    "atk_exit_early": '''
import os
os._exit(0)
''',
}


def _drop_tests(nb):
    nb.cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade")]
    return nb


def _blank_tests(nb):
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade"):
            c.source = "pass"
    return nb


def _retag_tests(nb):
    for i, c in enumerate(nb.cells):
        meta = c.metadata.get("nbgrader", {})
        if meta.get("grade"):
            meta.update({"points": 100, "locked": False})
            if i % 2:
                meta.update({"grade": False, "solution": True})
            c.source = "pass"
    return nb


def _paste_copies(nb, picked, source=None):
    """What Ctrl+C / Ctrl+V does in JupyterLab: a copy below each picked cell, with a new id and
    the same metadata (and, when given, other source)."""
    cells = []
    for c in nb.cells:
        cells.append(c)
        if picked(c.metadata.get("nbgrader", {})):
            twin = copy.deepcopy(c)
            twin.id = c.id + "-copy"
            if source is not None:
                twin.source = source
            cells.append(twin)
    nb.cells = cells
    return nb


def _duplicate_tests(nb):
    return _paste_copies(nb, lambda meta: meta.get("grade"), source="pass")


def _other_kernel(nb):
    nb.metadata["kernelspec"] = {"name": "bash", "display_name": "Bash", "language": "bash"}
    for c in nb.cells:
        c.metadata.pop("nbgrader", None) if c.metadata.get("nbgrader", {}).get("grade") else None
    return nb


def _copy_cells(nb):
    return _paste_copies(nb, lambda meta: meta.get("grade_id") in ("round_trip_fn", "test_round_trip_file"))


NOTEBOOK_EDITS = {
    "atk_deleted_tests": _drop_tests,
    "atk_blanked_tests": _blank_tests,
    "atk_retagged_tests": _retag_tests,
    "atk_duplicated_tests": _duplicate_tests,
    "atk_kernelspec_and_metadata": _other_kernel,
}

# an honest, correct submission whose test cells were deleted still earns what its code deserves
# and one who copied a solution cell and a test cell (nbgrader alone fails it: jupyter/nbgrader#1083)
HONEST_EDITS = {"honest_deleted_tests": (CORRECT, _drop_tests, FULL),
                "honest_copied_cells": (CORRECT, _copy_cells, FULL)}
# a partly right submission that also patches torch keeps exactly its honest partial score
PARTIAL_PATCH = {"atk_partial_patch": (
    variant(state_dicts_equal_fn="def state_dicts_equal(a, b):\n    return True\n\ntorch.equal = lambda a, b: True\n"),
    None, losing("test_equal_values_keys", "test_equal_dtype_shape"))}


def all_submissions():
    subs = {s: (cells, None, SAMPLE_EXPECTED[s]) for s, cells in SAMPLES.items()}
    subs.update({s: (cells, None, ALTERNATIVES_EXPECTED[s]) for s, cells in ALTERNATIVES.items()})
    subs.update({s: (tampering(code), None, ZERO) for s, code in ATTACK_CODE.items()})
    subs.update({s: (EMPTY, edit, ZERO) for s, edit in NOTEBOOK_EDITS.items()})
    subs.update(HONEST_EDITS)
    subs.update(PARTIAL_PATCH)
    return subs
