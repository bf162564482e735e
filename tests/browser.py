"""Helpers of tests/test_browser.py: a throw-away JupyterLab server and what a student does in it.

Everything a student would do goes through the page (typing in CodeMirror, the Run menu, Control+S,
nbgrader's Validate button); the saved .ipynb file is read back only to check what the page did.
"""
import ast
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

BIN = Path(sys.executable).parent

CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

# Generous: a 2-core CI machine starts a kernel and imports torch in several seconds.
SERVER_START_TIMEOUT = 120
PAGE_TIMEOUT_MS = 90_000
RUN_TIMEOUT_MS = 180_000

# The notebook the user is looking at (JupyterLab hides, but keeps, the other panels).
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
TRACEBACK = "Traceback (most recent call last)"

# JupyterLab user settings of the test server: every cell in the DOM (no virtual scrolling, so the
# nth .jp-Cell is the nth cell of the file) and no "get notified about Jupyter news?" toast.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}


def chromium_path():
    """Debian's chromium (installed by .ci/run); skip without it, except on CI where it must be there."""
    path = shutil.which("chromium")
    if path is None:
        reason = "chromium is not on PATH (apt-get install chromium; .ci/run does this on CI)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}")
        pytest.skip(reason)
    return path


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class JupyterLab:
    """`jupyter lab` serving `root` on a free loopback port with a random token, nothing from the network."""

    def __init__(self, root, state):
        self.root = Path(root)
        self.state = Path(state)  # HOME, settings, workspaces and the server log
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.log_path = self.state / "jupyter-lab.log"

    def env(self):
        home = self.state / "home"
        home.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "HOME": str(home),
               "PYTHONDONTWRITEBYTECODE": "1"}
        # The lesson notebook's resnet18 cell uses the machine's torch hub cache, as `make test` does.
        env.setdefault("TORCH_HOME", str(Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "torch"))
        for name in ["JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR",
                     "JUPYTERLAB_WORKSPACES_DIR", "IPYTHONDIR"]:
            env.pop(name, None)  # all under the temporary HOME
        return env

    def command(self):
        settings = self.state / "lab-settings"
        for name, value in LAB_SETTINGS.items():
            (settings / name).parent.mkdir(parents=True, exist_ok=True)
            (settings / name).write_text(json.dumps(value))
        cmd = [str(BIN / "jupyter"), "lab", "--ip=127.0.0.1", f"--port={self.port}", "--ServerApp.port_retries=0",
               f"--ServerApp.token={self.token}", "--ServerApp.open_browser=False",
               f"--ServerApp.root_dir={self.root}",
               # nothing from the network: no news feed, no update check, no PyPI extension manager
               "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--LabApp.extension_manager=readonly",
               f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={self.state / 'workspaces'}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # CI containers run as root
        return cmd

    def start(self):
        self.log = open(self.log_path, "w")
        # cwd: the folder a student works in (nbgrader's Validate handler reads nbgrader_config.py from it)
        self.proc = subprocess.Popen(self.command(), cwd=self.root, env=self.env(), stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited {self.proc.returncode}:\n{self.log_tail()}")
            try:
                self.api("GET", "/api/status")
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"jupyter lab did not answer in {SERVER_START_TIMEOUT} s:\n{self.log_tail()}")

    def api(self, method, path, timeout=10):
        sep = "&" if "?" in path else "?"
        req = urllib.request.Request(f"{self.url}{path}{sep}token={self.token}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self):
        """Stop the kernels of the notebooks opened so far (each one holds torch in memory)."""
        try:
            for session in self.api("GET", "/api/sessions"):
                self.api("DELETE", f"/api/sessions/{session['id']}", timeout=30)
        except (urllib.error.URLError, OSError):
            pass

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is not None:
            self.log.close()
            return
        try:  # a clean shutdown stops the kernels too
            self.api("POST", "/api/shutdown")
            self.proc.wait(timeout=30)
        except (urllib.error.URLError, OSError, subprocess.TimeoutExpired):
            pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)  # the server's own process group (start_new_session)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        self.log.close()

    def log_tail(self, chars=4000):
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")[-chars:]

    def notebook_url(self, relpath):
        # ?reset: a fresh workspace, only this notebook open
        return f"{self.url}/lab/tree/{relpath}?reset&token={self.token}"


# ---------------------------------------------------------------- the notebook file

def read_cells(path):
    return json.loads(Path(path).read_text())["cells"]


def grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def cell_index(cells, gid):
    return next(i for i, cell in enumerate(cells) if grade_id(cell) == gid)


def source(cell):
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def error_outputs(cells):
    """[(cell index, ename, evalue)] of the saved notebook's error outputs."""
    return [(i, out.get("ename"), out.get("evalue")) for i, cell in enumerate(cells) if cell["cell_type"] == "code"
            for out in cell.get("outputs", []) if out.get("output_type") == "error"]


def pass_fragment(test_source):
    """The fixed start of the line a visible test prints when it passes, read from the test cell itself
    (its last top-level print), so a reworded test keeps working: 'print("구조 확인:", n)' -> '구조 확인:'."""
    try:
        tree = ast.parse(test_source)
    except SyntaxError:
        return None
    prints = [node.value for node in tree.body if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
              and isinstance(node.value.func, ast.Name) and node.value.func.id == "print" and node.value.args]
    if not prints:
        return None
    first = prints[-1].args[0]
    if isinstance(first, ast.JoinedStr):
        first = first.values[0] if first.values else None
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.strip():
        return first.value.strip()
    return None


# ---------------------------------------------------------------- the page

def open_notebook(page, lab, relpath, n_cells):
    """Open a notebook in JupyterLab and wait until all its cells are there and its kernel is idle."""
    page.goto(lab.notebook_url(relpath), timeout=PAGE_TIMEOUT_MS)
    page.wait_for_function(
        "([panel, n]) => document.querySelectorAll(`${panel} .jp-Notebook .jp-Cell`).length === n",
        arg=[PANEL, n_cells], timeout=PAGE_TIMEOUT_MS)
    wait_kernel_idle(page)


def cells(page):
    return page.locator(f"{PANEL} .jp-Notebook .jp-Cell")


def wait_kernel_idle(page, timeout=PAGE_TIMEOUT_MS):
    """Until the notebook's kernel is connected and idle. The toolbar's execution indicator alone is not
    enough: it says "idle" before the kernel exists ("No Kernel | Initializing" in the status bar), and
    Run All Cells clicked then can clear every cell without running one."""
    page.wait_for_function(
        """(panel) => {
          const indicator = document.querySelector(`${panel} .jp-Notebook-ExecutionIndicator`);
          const status = [...document.querySelectorAll('#jp-main-statusbar span')]
            .map(e => e.textContent.trim()).filter(t => / \\| /.test(t));
          return indicator && indicator.getAttribute('data-status') === 'idle'
            && status.some(t => /\\| Idle$/.test(t) && !t.startsWith('No Kernel'));
        }""", arg=PANEL, timeout=timeout)


def replace_cell_code(page, index, code):
    """What a student does: click into the cell's editor, select all, delete, type the code.
    insert_text types the code as one input (keyboard.type would get auto-indent and auto-brackets)."""
    cell = cells(page).nth(index)
    editor = cell.locator(".cm-content")
    editor.scroll_into_view_if_needed()
    editor.click()
    cell.locator(".cm-editor.cm-focused").wait_for(timeout=10_000)
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(code)
    page.keyboard.press("Escape")  # back to command mode


def menu(page, top, item):
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel").filter(has_text=re.compile(rf"^{re.escape(top)}$")).click()
    page.locator(".lm-Menu-content .lm-Menu-itemLabel").filter(has_text=re.compile(rf"^{re.escape(item)}$")).click()


def run_all(page, timeout=RUN_TIMEOUT_MS):
    """Run → Run All Cells, then wait until no cell is queued or running and the kernel is idle."""
    menu(page, "Run", "Run All Cells")
    # Every code cell shows [*] as soon as it is queued; done when none does and the first has a number.
    try:
        page.wait_for_function(
            """(panel) => {
              const prompts = [...document.querySelectorAll(`${panel} .jp-CodeCell .jp-InputArea-prompt`)]
                .map(e => e.textContent);
              return prompts.length > 0 && !prompts.some(p => p.includes('*')) && /\\d/.test(prompts[0]);
            }""", arg=PANEL, timeout=timeout)
    except PlaywrightTimeout:
        raise AssertionError(f"Run All Cells did not finish in {timeout / 1000:.0f} s: {run_state(page)}") from None
    wait_kernel_idle(page, timeout)  # outputs (iopub) arrive before the kernel reports idle


def run_state(page):
    prompts = page.locator(f"{PANEL} .jp-CodeCell .jp-InputArea-prompt").all_inner_texts()
    status = page.locator(f"{PANEL} .jp-Notebook-ExecutionIndicator").first.get_attribute("data-status")
    return f"kernel {status}, prompts {' '.join(p.strip() for p in prompts)}"


def save(page, path, timeout=60_000):
    """Control+S, then wait until the file on disk is rewritten and the tab is no longer dirty."""
    path = Path(path)
    before = path.stat().st_mtime_ns
    page.keyboard.press("Escape")
    page.keyboard.press("Control+S")
    deadline = time.monotonic() + timeout / 1000
    while time.monotonic() < deadline:
        dirty = page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty").count()
        if not dirty and path.stat().st_mtime_ns != before:
            return read_cells(path)
        time.sleep(0.25)
    raise AssertionError(f"Control+S did not save {path} in {timeout / 1000:.0f} s")


def output_text(page, index):
    return cells(page).nth(index).locator(".jp-OutputArea").inner_text()


def screen_tracebacks(page):
    """(cell index, output text) of every cell whose output area shows a traceback."""
    texts = cells(page).evaluate_all(
        "els => els.map(e => { const o = e.querySelector('.jp-OutputArea'); return o ? o.innerText : ''; })")
    return [(i, text) for i, text in enumerate(texts) if TRACEBACK in text]


def screenshot_notebook(page, path, max_height=14_000):
    """A screenshot of the whole notebook: the viewport grows to the notebook's height for the shot."""
    size = page.viewport_size
    scroller = page.locator(f"{PANEL} .jp-WindowedPanel-outer")
    # the notebook's height down to its last cell (without the empty scroll-past-end space)
    height = scroller.evaluate("""e => {
      const cells = e.querySelectorAll('.jp-Cell');
      const last = cells[cells.length - 1];
      return Math.ceil(last.getBoundingClientRect().bottom - e.getBoundingClientRect().top + e.scrollTop + 120);
    }""")
    page.set_viewport_size({"width": size["width"], "height": min(max_height, height + 200)})
    scroller.evaluate("e => { e.scrollTop = 0; }")  # Run All left it scrolled to the last cell
    page.wait_for_timeout(500)  # let the layout settle
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
