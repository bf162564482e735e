"""Run the contract checks on a submission's code in a fresh process: ``python -m grading.check_runner``.

Reads a job from stdin, a JSON object::

    {"cells": ["<code of each non-test code cell, in order>", ...],
     "visible": {"<grade_id>": "<visible part of that test cell>", ...},
     "checks": ["<grade_id>", ...], "seed": 12345, "nonce": "<random>",
     "seconds_per_check": 20, "seconds": 320}

(``seconds_per_check`` bounds each student cell and each check; in server mode ``seconds`` bounds
the whole run, after which the verdicts written so far are returned)

and writes one JSON line per check, in the order of "checks", to its original stdout::

    {"nonce": "...", "grade_id": "...", "passed": true|false, "why": "<Korean>", "visible": "<message>"}

followed by ``{"nonce": "...", "done": true, "tampering": [...]}``. The caller accepts exactly that
sequence and nothing else (see grading.isolated_grading.read_verdicts). Everything the checks rely on is imported and
bound before the first line of student code runs; the student's cells run without IPython (magics
become no-ops), with stdout and stderr sent to /dev/null so that nothing they print can look like a
result, and module state that the checks read is restored before every check.
"""
import ctypes
import json
import os
import select
import shutil
import signal
import sys
import threading
import time

from IPython.core.inputtransformer2 import TransformerManager

from grading import contract_checks

# --- bound before any student code runs ---------------------------------------------------------
_write, _exit, _dup, _dup2, _open, _close = os.write, os._exit, os.dup, os.dup2, os.open, os.close
_dumps, _loads = json.dumps, json.loads
_settrace, _setprofile, _threading_settrace = sys.settrace, sys.setprofile, threading.settrace
_active_count = threading.active_count
_signal, _setitimer = signal.signal, signal.setitimer
_setattr, _delattr, _vars = setattr, delattr, vars
_torch_C = contract_checks.torch._C
_fn_stack_len = _torch_C._len_torch_function_stack
_fn_stack_pop = _torch_C._pop_torch_function_stack
_dispatch_stack_len = _torch_C._len_torch_dispatch_stack
_dispatch_stack_pop = _torch_C._pop_torch_dispatch_stack
_CHECKS = dict(contract_checks.CHECKS)
_BaseException, _AssertionError, _str, _type, _list = BaseException, AssertionError, str, type, list
_compile, _exec = compile, exec
_modules = sys.modules
_transform = TransformerManager().transform_cell

_torch, _nn = contract_checks.torch, contract_checks.nn
_WATCHED_MODULES = [
    m for m in (__import__("builtins"), _torch, _nn, _torch.nn.functional, _torch.serialization,
                _torch.nn.modules.module, _torch.nn.modules.batchnorm, os, os.path,
                __import__("tempfile"), __import__("pickle"), contract_checks.numpy, contract_checks)
]
_WATCHED_CLASSES = [
    _torch.Tensor, _torch._C.TensorBase, _nn.Parameter, _nn.Module, _nn.BatchNorm1d,
    _torch.nn.modules.batchnorm._BatchNorm, _torch.nn.modules.batchnorm._NormBase,
    _torch.UntypedStorage, contract_checks.ReferenceModel, dict, object,
]


class _Inert:
    """What ``get_ipython()`` returns here: every attribute, call and hook is a no-op."""

    def __getattr__(self, name):
        return self

    def __call__(self, *args, **kwargs):
        return self

    def __iter__(self):
        return iter(())


def _snapshot():
    mods = [(m, dict(_vars(m))) for m in _WATCHED_MODULES]
    classes = [(c, dict(_vars(c))) for c in _WATCHED_CLASSES]
    entries = {name: _modules[name] for name in _list(_modules)}
    return mods, classes, entries


def _restore(snapshot, tampering):
    """Put back every attribute of the watched modules and classes, and sys.modules entries."""
    mods, classes, entries = snapshot
    for mod, saved in mods:
        current = _vars(mod)
        for key, value in saved.items():
            if key not in current or current[key] is not value:
                tampering.add(f"{mod.__name__}.{key}")
                current[key] = value
        if "__getattr__" in current and "__getattr__" not in saved:
            tampering.add(f"{mod.__name__}.__getattr__")
            del current["__getattr__"]
    for cls, saved in classes:
        current = _vars(cls)
        for key, value in saved.items():
            if key not in current or current[key] is not value:
                tampering.add(f"{cls.__name__}.{key}")
                try:
                    _setattr(cls, key, value)
                except _BaseException:
                    pass
        for key in _list(current):
            if key not in saved and key.startswith("__") and key.endswith("__"):
                tampering.add(f"{cls.__name__}.{key}")
                try:
                    _delattr(cls, key)
                except _BaseException:
                    pass
    for name, module in entries.items():
        if _modules.get(name) is not module:
            tampering.add(f"sys.modules[{name!r}]")
            _modules[name] = module
    while _fn_stack_len() > 0:
        tampering.add("torch function mode")
        _fn_stack_pop()
    while _dispatch_stack_len() > 0:
        tampering.add("torch dispatch mode")
        _dispatch_stack_pop()
    _settrace(None)
    _setprofile(None)
    _threading_settrace(None)


_TimeUp = contract_checks.CheckTimeout


def _on_alarm(signum, frame):
    raise _TimeUp()


def _run_student(src, ns):
    try:
        _exec(_compile(_transform(src), "<student cell>", "exec"), ns)
        return None
    except _BaseException as exc:  # noqa: BLE001 - a failing cell costs only the checks that need it
        return _type(exc).__name__


def run_job(job, result_fd):
    """Run one submission's cells and checks; write the verdicts to result_fd. Never returns."""
    null = _open(os.devnull, os.O_RDWR)
    _dup2(null, 0)
    _dup2(null, 1)
    _dup2(null, 2)
    _close(null)
    seconds = float(job["seconds_per_check"])
    nonce = job.pop("nonce")

    def emit(obj):
        _write(result_fd, (_dumps({"nonce": nonce, **obj}, ensure_ascii=False) + "\n").encode())

    snapshot = _snapshot()
    tampering = set()
    threads_before = _active_count()
    ns = {"__name__": "__main__", "__builtins__": __builtins__, "get_ipython": _Inert()}
    for src in job["cells"]:
        _signal(signal.SIGALRM, _on_alarm)
        _setitimer(signal.ITIMER_REAL, seconds)
        _run_student(src, ns)
        _setitimer(signal.ITIMER_REAL, 0)
    threads_left = _active_count() > threads_before
    for grade_id in job["checks"]:
        _restore(snapshot, tampering)
        _signal(signal.SIGALRM, _on_alarm)
        _setitimer(signal.ITIMER_REAL, seconds)
        visible, why = None, None
        try:
            if threads_left:
                why = "제출한 코드가 thread를 남겨 두어 검사할 수 없습니다. 셀에서 thread를 시작하지 마세요."
            else:
                try:
                    _exec(_compile(job["visible"].get(grade_id, ""), "<visible test>", "exec"), ns)
                except _AssertionError as exc:
                    visible = _str(exc)
                except _TimeUp:
                    raise
                except _BaseException as exc:  # noqa: BLE001
                    visible = f"{_type(exc).__name__}: {exc}"
                _restore(snapshot, tampering)
                why = _CHECKS[grade_id](ns, int(job["seed"]))
        except _TimeUp:
            why = f"검사가 {seconds:g}초 안에 끝나지 않았습니다. 무한 loop나 매우 느린 코드가 없는지 보세요."
        except _BaseException as exc:  # noqa: BLE001
            why = f"검사 중 {_type(exc).__name__}가 발생했습니다."
        _setitimer(signal.ITIMER_REAL, 0)
        emit({"grade_id": grade_id, "passed": why is None, "why": why, "visible": visible})
    _restore(snapshot, tampering)
    emit({"done": True, "tampering": sorted(tampering)})
    _exit(0)


def main():
    """One job from stdin, verdicts on stdout."""
    result_fd = _dup(1)
    job = _loads(sys.stdin.read())
    contract_checks.warm_up()
    run_job(job, result_fd)


# --- server mode: torch imported once, one forked child per submission --------------------------
def _read_exact(fd, n):
    data = b""
    while len(data) < n:
        chunk = os.read(fd, n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def _frame(fd, payload):
    os.write(fd, len(payload).to_bytes(4, "big") + payload)


def _kill_others():
    """Kill every process of this sandbox's PID namespace but its init (1) and the server."""
    keep = {1, os.getpid()}
    for _ in range(3):
        others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in keep]
        if not others:
            return
        for pid in others:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)


def _clear_tmp():
    for entry in os.listdir("/tmp"):
        path = os.path.join("/tmp", entry)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass


def serve():
    """``python -m grading.check_runner --serve``: jobs and results as length-prefixed frames.

    Only inside the sandbox's own PID namespace (the launcher's bwrap): after each job the server
    kills whatever the submission left running and empties /tmp, so nothing of one submission
    reaches the next. The server is not dumpable, so a child cannot open its pipes through /proc.
    """
    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 0
    contract_checks.warm_up()
    stdin, stdout = 0, _dup(1)
    null = _open(os.devnull, os.O_RDWR)
    _dup2(null, 1)
    _close(null)
    while True:
        try:
            job = _loads(_read_exact(stdin, int.from_bytes(_read_exact(stdin, 4), "big")))
        except EOFError:
            return
        limit = float(job["seconds"])
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            os.close(stdout)
            os.close(stdin)
            run_job(job, write_end)
        os.close(write_end)
        out, deadline = b"", time.monotonic() + limit
        while True:
            ready, _, _ = select.select([read_end], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                break
            chunk = os.read(read_end, 65536)
            if not chunk:
                break
            out += chunk
        os.close(read_end)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        _kill_others()
        while True:  # reap what _kill_others killed
            try:
                if os.waitpid(-1, os.WNOHANG) == (0, 0):
                    break
            except ChildProcessError:
                break
        _clear_tmp()
        _frame(stdout, out)


if __name__ == "__main__":
    serve() if "--serve" in sys.argv[1:] else main()
