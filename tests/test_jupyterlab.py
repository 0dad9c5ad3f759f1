"""The analyst's year in JupyterLab alone, driven through JupyterLab's REST API as its web page drives it.

A scratch clone of the repository (its committed state) is served by a real JupyterLab with its Git
extension (jupyterlab-git). Through the server alone, as an analyst without a terminal: a correction is saved
into data/, a table and a figure are put at the start of notebook 01, a new notebook is made with
`itud new-notebook` (in a console), the next edition is started with `itud new-edition` (its corrections
carried) and entered, with links entered by hand for two questions, `00-publish.ipynb` is run in a kernel
(it refreshes, tests, and stops until the change is committed), the change is committed with the Git
extension, `00-publish` publishes both years, and `reports/` is committed. Then nbval and the committed-report
check pass in the clone. The data changed here
are SYNTHETIC: they live only in the scratch clone.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
import websocket

from itud import paths

pytestmark = pytest.mark.slow


class Lab:
    """A JupyterLab server on `root`, reached over HTTP and its kernels' websockets, as the web page reaches it."""

    def __init__(self, root: Path, scratch: Path):
        self.root = root
        self.token = secrets.token_hex(16)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "PYTHONPATH": str(root / "lib"),  # the clone's own package, as `tasks.py lab` there would import it
            "JUPYTER_RUNTIME_DIR": str(scratch / "runtime"),
            "JUPYTER_CONFIG_DIR": str(scratch / "config"),  # no user settings of this machine
            "JUPYTER_DATA_DIR": str(scratch / "share"),
            "MPLBACKEND": "Agg",
        }
        env.pop("PYTEST_XDIST_WORKER", None)
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={self.port}", "--ip=127.0.0.1",
                   f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={self.token}",
                   *(["--allow-root"] if os.geteuid() == 0 else [])]  # fmt: skip (a container's CI runs as root)
        self.log = (scratch / "lab.log").open("w")
        self.process = subprocess.Popen(command, cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{self.url}/api/status", headers=self.headers, timeout=5).ok:
                    break
            except requests.ConnectionError:
                pass
            assert self.process.poll() is None and time.monotonic() < deadline, (scratch / "lab.log").read_text()
            time.sleep(0.5)

    @property
    def headers(self) -> dict:
        return {"Authorization": f"token {self.token}"}

    def call(self, method: str, path: str, body: dict | None = None) -> requests.Response:
        answer = requests.request(method, f"{self.url}{path}", json=body, headers=self.headers, timeout=120)
        assert answer.ok, f"{method} {path}: {answer.status_code} {answer.text[:2000]}"
        return answer

    def save_text(self, path: str, text: str) -> None:
        """File > Save of a text file, as the editor saves it."""
        self.call("PUT", f"/api/contents/{path}", {"type": "file", "format": "text", "content": text})

    def read_text(self, path: str) -> str:
        return self.call("GET", f"/api/contents/{path}?type=file&format=text").json()["content"]

    def run(self, notebook: str | None, cells: list[str], timeout: float = 1800) -> tuple[str, str]:
        """The cells run one by one in a kernel of `notebook` (its folder is the kernel's; None: a console at the
        root), as Run All does: (what they printed, the error that stopped them or "")."""
        session = self.call("POST", "/api/sessions", {
            "path": notebook or f"console-{uuid.uuid4().hex}", "type": "notebook" if notebook else "console",
            "name": "", "kernel": {"name": "python3"},
        }).json()  # fmt: skip
        kernel = session["kernel"]["id"]
        channel = websocket.create_connection(
            f"ws://127.0.0.1:{self.port}/api/kernels/{kernel}/channels?token={self.token}", timeout=timeout
        )
        printed, error = [], ""
        try:
            for source in cells:
                error = _execute(channel, source, printed, time.monotonic() + timeout)
                if error:
                    break
        finally:
            channel.close()
            self.call("DELETE", f"/api/sessions/{session['id']}")
        return "".join(printed), error

    def run_notebook(self, path: str, parameters: dict) -> tuple[str, str]:
        """Open the notebook, set its parameters in its parameters cell as the analyst types them, Run All."""
        notebook = self.call("GET", f"/api/contents/{path}").json()["content"]
        cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
        sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cells]
        sources = [_set_parameters(s, parameters) if "parameters" in c["metadata"].get("tags", []) else s
                   for c, s in zip(cells, sources, strict=True)]  # fmt: skip
        return self.run(path, sources)

    def git(self, action: str, body: dict | None = None) -> dict:
        """The Git panel's request (jupyterlab-git's REST API) on the repository at the server's root."""
        return self.call("POST", f"/git/{action}", body or {}).json()

    def commit_all(self, message: str) -> None:
        """Stage every change, as the + beside 'Changed' and 'Untracked' does, and click Commit."""
        self.git("add", {"add_all": True})
        self.git("add_all_untracked")
        self.git("commit", {"commit_msg": message})

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def _execute(channel: websocket.WebSocket, source: str, printed: list[str], deadline: float) -> str:
    """One execute_request on the kernel's channels; what it printed is appended; its error ("" if none)."""
    msg_id = uuid.uuid4().hex
    channel.send(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "analyst", "session": msg_id,
                   "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": source, "silent": False, "store_history": True, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True},
    }))  # fmt: skip
    error, idle, replied = "", False, False
    while not (idle and replied):
        assert time.monotonic() < deadline, f"the cell did not finish in time:\n{source}"
        message = json.loads(channel.recv())
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "stream":
            printed.append(content["text"])
        elif kind in ("execute_result", "display_data"):
            printed.append(content["data"].get("text/markdown", content["data"].get("text/plain", "")) + "\n")
        elif kind == "error":
            error = f"{content['ename']}: {content['evalue']}"
        elif kind == "status" and content["execution_state"] == "idle":
            idle = True
        elif kind == "execute_reply":
            replied = True
            if content["status"] == "error" and not error:
                error = f"{content.get('ename')}: {content.get('evalue')}"
    return error


def _set_parameters(source: str, parameters: dict) -> str:
    lines = []
    for line in source.splitlines():
        name = line.split(":", 1)[0]
        if name in parameters:
            comment = line[line.index("  # "):] if "  # " in line else ""
            kind = line.split(":", 1)[1].split("=", 1)[0].strip()
            line = f"{name}: {kind} = {parameters[name]!r}{comment}"
        lines.append(line)
    return "\n".join(lines)


def _git(root: Path, *arguments: str) -> str:
    return subprocess.run(["git", *arguments], cwd=root, capture_output=True, text=True, check=True).stdout


@pytest.fixture()
def lab(tmp_path):
    root = tmp_path / "repository"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(paths.PROJECT_ROOT), str(root)], check=True)
    for key, value in (("user.name", "Test Analyst"), ("user.email", "analyst@example.org")):
        _git(root, "config", key, value)
    server = Lab(root, tmp_path)
    yield server
    server.close()


def _a_correction(root: Path, year: str) -> tuple[str, str]:
    """A SYNTHETIC correction that applies: an SDG link the first outcome lacks, added (outcome, SDG)."""
    edition = root / "data" / year
    with (edition / "outcome_sdg.csv").open(newline="", encoding="utf-8") as table:
        rows = list(csv.DictReader(table))
    outcome = rows[0]["outcome"]
    linked = {int(r["sdg"]) for r in rows if r["outcome"] == outcome}
    return outcome, str(next(sdg for sdg in range(1, 18) if sdg not in linked))


def _filled_in(text: str) -> str:
    """A new edition's edition.toml with every 'TO ENTER' filled in as the analyst would in the editor, here
    with SYNTHETIC values ("not given" where a date or the source file is not known), its question links
    published."""
    def value(line: str) -> str:
        key = line.split(" = ", 1)[0]
        if key in ("meeting_start", "meeting_end", "date", "file", "sha256"):
            return "not given"
        return "2018-2021" if key == "study_period" else "SYNTHETIC: a test's value"

    lines = [line.replace('"TO ENTER"', f'"{value(line)}"', 1) if ' = "TO ENTER"' in line else line
             for line in text.splitlines()]  # fmt: skip
    text = "\n".join(lines) + "\n"
    return (text.replace('["TO ENTER"]', '["SYNTHETIC: a test\'s reference"]')
            .replace("synthetic = false", "synthetic = true")
            .replace('status = "not published"', 'status = "published"'))


HAND = "SYNTHETIC analyst,2026-12-01,SYNTHETIC: a test's reference"
LINK_COLUMNS = "source_document,annex,source_line,entered_by,entered_on,reference"


def _next_edition(lab: Lab, year: str, after: str) -> None:
    """A new edition started with `itud new-edition` (the corrections carried), its tables (SYNTHETIC: the
    previous edition's, standing in for a new source) and facts entered, and links entered by hand for two
    questions, all through the server."""
    said, error = lab.run(None, [f'from itud import jupyter\njupyter.run("new-edition", "{year}", "--from", "{after}", '
                                 '"--corrections", "carry")'])  # fmt: skip
    assert not error, said
    for table in ("objectives", "outcomes", "outcome_sdg", "outcome_action_line", "study_groups", "questions"):
        lab.save_text(f"data/{year}/{table}.csv", lab.read_text(f"data/{after}/{table}.csv"))
    lab.save_text(f"data/{year}/edition.toml", _filled_in(lab.read_text(f"data/{year}/edition.toml")))
    questions = [line.split(",")[0] for line in lab.read_text(f"data/{year}/questions.csv").splitlines()[1:]]
    lab.save_text(f"data/{year}/question_sdg.csv", f"question,sdg,{LINK_COLUMNS}\n"
                  f"{questions[0]},9,,,,{HAND}\n{questions[1]},4,,,,{HAND}\n")  # fmt: skip
    lab.save_text(f"data/{year}/question_action_line.csv", f"question,action_line,{LINK_COLUMNS}\n"
                  f"{questions[0]},C2,,,,{HAND}\n")  # fmt: skip


FIRST_CELLS = '''\
import pandas as pd

from itud.analysis import figures

delegate = pd.DataFrame({"Outcomes": [len(edition.outcomes)]})
out.table(delegate, label="delegate-table", section="introduction", caption="Outcomes (SYNTHETIC, a test's table)")
chart, ax = figures.chart("delegate-figure", "Outcomes", "SYNTHETIC: a test's figure.", height=2)
ax.bar(["outcomes"], [len(edition.outcomes)], color="0.35")
out.figure(chart, section="introduction")'''


def test_the_analyst_s_year_through_jupyterlab_s_rest_api_alone(lab):
    root, year = lab.root, paths.available_years(paths.DATA_DIR)[-1]
    laps = [("start", time.monotonic())]

    def lap(step: str) -> None:
        if len(laps) > 1:
            print(f"step {laps[-1][0]}: {time.monotonic() - laps[-1][1]:.1f} s")
        laps.append((step, time.monotonic()))

    before = {p.name for p in (root / "reports" / year).iterdir() if p.name.startswith("v")}

    lap("1")  # the time each step took, printed for `pytest -s` (what an analyst waits)
    # 1. A correction, typed into data/<year>/corrections.csv in JupyterLab's editor and saved.
    outcome, sdg = _a_correction(root, year)
    path = f"data/{year}/corrections.csv"
    header = "action,table,unit,target,reason,authority,date,reference\n"
    text = lab.read_text(path) if (root / path).exists() else header
    row = io.StringIO()
    csv.writer(row, lineterminator="\n").writerow(
        ["add", "outcome_sdg", outcome, sdg, "SYNTHETIC: a test's correction", "the test suite", "2026-12-07",
         "tests/test_jupyterlab.py"])  # fmt: skip
    lab.save_text(path, text + row.getvalue())

    lap("2")
    # 2. A table and a figure at the start of notebook 01 (a cell after its set-up), saved.
    notebook = lab.call("GET", "/api/contents/notebooks/01-mapping-tables.ipynb").json()["content"]
    setup = next(i for i, c in enumerate(notebook["cells"]) if "NotebookResults(" in "".join(c["source"]))
    notebook["cells"].insert(setup + 1, {"cell_type": "code", "id": "delegate", "metadata": {}, "outputs": [],
                                         "execution_count": None, "source": FIRST_CELLS})  # fmt: skip
    lab.call("PUT", "/api/contents/notebooks/01-mapping-tables.ipynb", {"type": "notebook", "content": notebook})

    lap("3")
    # 3. A new notebook, from a console: the README's `jupyter.run("new-notebook", ...)`.
    said, error = lab.run(None, ['from itud import jupyter\njupyter.run("new-notebook", "07-delegate-question")'])
    assert not error, said
    assert "wrote " in said and (root / "notebooks" / "07-delegate-question.ipynb").is_file()

    lap("4")
    # 4. The next edition, with the correction carried and links entered by hand for two questions.
    following = str(int(year) + 1)
    _next_edition(lab, following, year)

    lap("5")
    # 5. 00-publish for the new edition: validates, refreshes the notebooks, runs the fast tests, and stops
    #    until the change is committed, naming what to commit.
    said, error = lab.run_notebook("notebooks/00-publish.ipynb", {"year": int(following)})
    assert error.startswith("CommandFailed: not committed yet, so nothing is published"), said + error
    assert "fast tests: " in said and "passed" in said
    for changed in (path, f"data/{following}/question_sdg.csv", "notebooks/01-mapping-tables.ipynb",
                    "notebooks/07-delegate-question.ipynb"):  # fmt: skip
        assert changed in error
    assert "Git panel" in error and not (root / "reports" / following).exists()

    lap("6")
    # 6. Commit in the Git panel; publish the new edition, then the previous one (a new notebook changes every
    #    year's report); the notebooks are refreshed and tested already.
    lab.commit_all("SYNTHETIC correction; a table and a figure first in notebook 01; notebook 07; edition")
    published = {}
    for edition in (following, year):
        said, error = lab.run_notebook("notebooks/00-publish.ipynb",
                                       {"year": int(edition), "refresh_notebooks": False, "run_tests": False})
        assert not error, said
        assert "Everything the report is built from is committed." in said and f"{edition}: built " in said
        assert "Now commit `reports/`" in said
        published[edition] = max((p for p in (root / "reports" / edition).iterdir() if p.name.startswith("v")),
                                 key=lambda p: int(p.name[1:]))  # fmt: skip
    assert published[year].name not in before and published[following].name == "v1"
    for version in published.values():
        manifest = json.loads((version / "manifest.json").read_text())
        assert "uncommitted" not in manifest["code_commit"]
    html = (published[following] / f"report-{following}.html").read_text(encoding="utf-8")
    assert "entered by hand (3 links by SYNTHETIC analyst on 2026-12-01" in html
    assert "not given" in html  # the questions without links

    lap("7")
    # 7. Commit reports/ in the Git panel: nothing is left to commit.
    lab.commit_all("Publish the reports")
    assert lab.git("status")["files"] == []

    lap("checks")
    # nbval and the committed-report check, in the clone: green.
    env = {**os.environ, "PYTHONPATH": str(root / "lib"), "MPLBACKEND": "Agg"}
    env.pop("PYTEST_XDIST_WORKER", None)
    checks = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "notebooks",
         "tests/publish/test_committed_reports.py"],
        cwd=root, env=env, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert checks.returncode == 0, checks.stdout[-3000:]
    lap("end")
