"""Sample submissions of lesson05: the released notebook with its solution cells filled in.

    python -m grading.sample_submissions DEST            # DEST/<student>/lesson05/round_trip.ipynb
    python -m grading.sample_submissions --broken DEST   # only the file that is not a notebook

``make demo`` copies the committed set (samples/submitted/) into submitted/, adds the broken file
(kept out of git, where a file named .ipynb should be a notebook) and grades them; the tests write
these and their own variants into a temporary course.
"""
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
RELEASED = ROOT / "release" / "lesson05" / "round_trip.ipynb"

MODEL = '''
class RoundTripModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(5, 5) * 0.2)
        self.bn = nn.BatchNorm1d(5)
        self.register_buffer("mask", torch.tril(torch.ones(5, 5)))

    def forward(self, x):
        return self.bn(x @ (self.weight * self.mask))
'''
ROUND_TRIP = '''
def round_trip(model, path):
    torch.save(model.state_dict(), path)
    fresh = RoundTripModel()
    fresh.load_state_dict(torch.load(path, weights_only=True))
    return fresh
'''
EQUAL = '''
def state_dicts_equal(a, b):
    if a.keys() != b.keys():
        return False
    for key in a:
        x, y = a[key], b[key]
        if x.dtype != y.dtype or x.shape != y.shape or not torch.equal(x, y):
            return False
    return True
'''
CORRECT = {"round_trip_model": MODEL, "round_trip_fn": ROUND_TRIP, "state_dicts_equal_fn": EQUAL}


def variant(**changes):
    """The correct solution with some solution cells replaced (by grade_id)."""
    return {**CORRECT, **changes}


SAMPLES = {
    # student id -> solution cells (None: the untouched released notebook)
    "alice_correct": CORRECT,
    "bob_mask_attribute": variant(round_trip_model=MODEL.replace(
        'self.register_buffer("mask", torch.tril(torch.ones(5, 5)))', "self.mask = torch.tril(torch.ones(5, 5))")),
    "carol_not_persistent": variant(round_trip_model=MODEL.replace(
        "torch.tril(torch.ones(5, 5)))", "torch.tril(torch.ones(5, 5)), persistent=False)")),
    "dave_weight_buffer": variant(round_trip_model=MODEL.replace(
        "self.weight = nn.Parameter(torch.randn(5, 5) * 0.2)",
        'self.register_buffer("weight", torch.randn(5, 5) * 0.2)')),
    "erin_no_dtype": variant(state_dicts_equal_fn=EQUAL.replace("x.dtype != y.dtype or ", "")),
    "frank_pickles_module": variant(round_trip_fn='''
def round_trip(model, path):
    torch.save(model, path)
    return torch.load(path, weights_only=False)
'''),
    "grace_same_object": variant(round_trip_fn='''
def round_trip(model, path):
    torch.save(model.state_dict(), path)
    model.load_state_dict(torch.load(path, weights_only=True))
    return model
'''),
    "heidi_never_loads": variant(round_trip_fn='''
def round_trip(model, path):
    torch.save(model.state_dict(), path)
    return type(model)()
'''),
    "ivan_always_true": variant(state_dicts_equal_fn='''
def state_dicts_equal(a, b):
    return True
'''),
    "judy_untouched": None,
}
BROKEN = "mallory_broken"  # not a valid notebook: the grader must say so and go on


def fill(cells, released=RELEASED):
    """The released notebook with the given solution cells' code (by grade_id)."""
    nb = nbformat.read(released, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in (cells or {}):
            cell.source = cells[grade_id].strip()
    return nb


def write_submission(dest, student, cells, assignment="lesson05"):
    path = Path(dest) / student / assignment / "round_trip.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(fill(cells), path)
    return path


def write_broken(dest):
    broken = Path(dest) / BROKEN / "lesson05" / "round_trip.ipynb"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text('{"cells": [ {"cell_type": "code", "source": "import torch"\n')  # cut off mid-save


def write_all(dest, broken=True):
    for student, cells in SAMPLES.items():
        write_submission(dest, student, cells)
    if broken:
        write_broken(dest)


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--broken"]:
        write_broken(args[1])
    else:
        write_all(args[0] if args else ROOT / "samples" / "submitted", broken=False)
