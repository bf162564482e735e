"""Submissions that try to get out of the sandbox. Each one defines the correct solution only when
its escape works, so it scores 10 without the sandbox and 0 with it; each also tries to do harm
that the tests then look for (a changed gradebook, deleted folders, a connection received)."""
from grading.sample_submissions import CORRECT
from tests.submissions import EMPTY

FIND_ROOT = '''
import json, os

def _course_root():
    d = os.getcwd()
    for _ in range(8):
        if os.path.isdir(os.path.join(d, "source")) or os.path.exists(os.path.join(d, "gradebook.db")):
            return d
        d = os.path.dirname(d)
    return None

def _solution_cells(path):
    with open(path) as f:
        nb = json.load(f)
    return ["".join(c["source"]) for c in nb["cells"]
            if c.get("metadata", {}).get("nbgrader", {}).get("solution")]

_root = _course_root()
'''

WIN = "\n".join(CORRECT[k].strip() for k in ("round_trip_model", "round_trip_fn", "state_dicts_equal_fn"))


def _escape(code):
    """The tensor-less submission; `code` must set `_won = True` when the escape worked."""
    body = FIND_ROOT + "_won = False\ntry:\n" + "\n".join("    " + line for line in code.strip().splitlines())
    body += "\nexcept BaseException as _exc:\n    print('escape failed:', type(_exc).__name__)\n"
    body += "if _won:\n" + "\n".join("    " + line for line in WIN.splitlines()) + "\n"
    return {**EMPTY, "state_dicts_equal_fn": EMPTY["state_dicts_equal_fn"] + "\n" + body}


def escape_submissions(port):
    return {
        "esc_read_source": _escape('''
for _src in _solution_cells(os.path.join(_root, "source", "lesson05", "round_trip.ipynb")):
    exec(_src.replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", ""), globals())
print("stolen:", open(os.path.join(_root, "source", "lesson05", "round_trip.ipynb")).read()[:20000])
_won = True
'''),
        "esc_gradebook": _escape('''
import sqlite3
_db = sqlite3.connect(os.path.join(_root, "gradebook.db"))
_db.execute("UPDATE grade SET auto_score = 0, manual_score = 0")
_db.commit()
_won = True
'''),
        "esc_delete_course": _escape('''
import shutil
shutil.rmtree(os.path.join(_root, "source"))
shutil.rmtree(os.path.join(_root, "release"))
_won = True
'''),
        "esc_copy_classmate": _escape('''
_theirs = os.path.join(_root, "autograded", "alice_correct", "lesson05", "round_trip.ipynb")
for _src in _solution_cells(_theirs):
    exec(_src, globals())
with open(_theirs, "w") as f:
    f.write("overwritten by a classmate")
_won = True
'''),
        "esc_network": _escape(f'''
import socket
_s = socket.create_connection(("127.0.0.1", {port}), timeout=3)
_s.sendall(b"escaped from the sandbox")
_s.close()
_won = True
'''),
        "esc_memory": _escape('''
_big = bytearray(6 * 1024 ** 3)
_big[::4096] = b"x" * len(range(0, len(_big), 4096))
_won = True
'''),
        "esc_processes": _escape('''
import subprocess
_procs = [subprocess.Popen(["sleep", "20"]) for _ in range(300)]
_won = True
'''),
    }
