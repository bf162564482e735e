"""Feedback preprocessor: strip hidden-test regions from the HTML students receive.

The autograded notebook holds the hidden tests again (nbgrader restores test cells from the
gradebook). ``HideHiddenTests`` removes the ``### BEGIN/END HIDDEN TESTS`` region from every test
cell before ``nbgrader generate_feedback`` renders it; the outputs are already the explanations
written by ``grading.isolated_grading`` (no hidden-test traceback).
"""
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests


class HideHiddenTests(ClearHiddenTests):
    """ClearHiddenTests for feedback: acts on test cells only, so student text cannot break it."""

    def preprocess_cell(self, cell, resources, cell_index):
        if utils.is_grade(cell) and not utils.is_solution(cell):
            self._remove_hidden_test_region(cell)
        return cell, resources
