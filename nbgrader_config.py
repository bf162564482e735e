"""nbgrader configuration of the lesson-05 course (the course root is this folder)."""
from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds, GetGrades, IgnorePattern,
    LimitOutput, OverwriteKernelspec, SaveAutoGrades)

from grading.feedback import HideHiddenTests
from grading.isolated_grading import GradeInIsolation
from grading.restore_cells import RestoreCells
from grading.sandboxed_kernel import SandboxedExecute

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

c.CourseDirectory.course_id = "pytorch-lesson05"
c.CourseDirectory.root = __import__("os").path.dirname(__import__("os").path.abspath(__file__))

# A cell of this exercise runs in well under a second: a student cell that hangs is stopped.
c.Execute.timeout = 30
c.Execute.interrupt_on_timeout = True

# Test cells that a submission deleted come back, so their checks still run; a copied test or
# solution cell does not fail the submission (grading/restore_cells.py).
c.OverwriteCells.add_missing_cells = True
c.Autograde.sanitize_preprocessors = [
    ClearOutput,
    DeduplicateIds,
    OverwriteKernelspec,
    RestoreCells,
    CheckCellMetadata,
]

# Every process that runs a submission's code (its kernel, the checks) is in a bubblewrap sandbox:
# no network, only its own folder writable, nothing of source/, release/, the gradebook or other
# students. Limits (grading/sandbox.py); c.Sandbox.enabled = False is an explicit opt-out.
c.Sandbox.memory_mb = 2048
c.Sandbox.max_processes = 256
c.Sandbox.seconds = 600
c.Sandbox.enabled = True

# Points come from the contract checks, run in a fresh process right after nbgrader's own
# execution: nothing the student's code does in the kernel decides them (grading/isolated_grading.py).
c.Autograde.autograde_preprocessors = [
    SandboxedExecute,
    GradeInIsolation,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]

# Feedback shows the visible tests and a short explanation per failed check, never hidden tests.
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
