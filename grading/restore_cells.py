"""Autograde sanitizing step: nbgrader's OverwriteCells, safe for copied cells.

A student who copies a test or solution cell in JupyterLab also copies its nbgrader metadata.
nbgrader's DeduplicateIds keeps the last copy and empties the others' metadata to ``{}``; with
``OverwriteCells.add_missing_cells = True`` nbgrader 0.9.6 then fails the whole submission with
``KeyError: 'grade_id'`` (jupyter/nbgrader#1083). ``RestoreCells`` drops the emptied metadata
first, so such a cell is an ordinary cell and the submission is graded. Registered in
``Autograde.sanitize_preprocessors`` (nbgrader_config.py); ``c.OverwriteCells.*`` applies to it.
"""
from nbgrader.preprocessors import OverwriteCells


class RestoreCells(OverwriteCells):
    def preprocess(self, nb, resources):
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", None) == {}:
                del cell.metadata["nbgrader"]
        return super().preprocess(nb, resources)
