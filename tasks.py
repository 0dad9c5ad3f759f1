#!/usr/bin/env python3
"""Set up the project's virtual environment and run its main jobs.

Needs only Python 3.11 and pip, so that a fresh machine gets from a clone to a
result in one command:

    python3 tasks.py report   # build the TDAG report for the default year
    python3 tasks.py test     # lint and run every test (unit tests, report builds, nbval): what CI runs
    python3 tasks.py test --fast   # lint and the fast tier: unit tests only, no Jupyter kernel
    python3 tasks.py setup    # only create/refresh .venv
    python3 tasks.py lab      # JupyterLab at the repository root, with its Git panel: the analyst's workplace

Extra arguments are passed on (`python3 tasks.py report --year 2019 --force`,
`python3 tasks.py test -k parser`). The environment lives in `.venv/` inside the
repository and is (re)installed from `requirements.lock` whenever that file or
`pyproject.toml` changes: with uv (pinned below, installed by pip), or with pip alone when uv
cannot install or `ITUD_INSTALLER=pip` is set.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
STAMP = VENV / ".installed"


def _wanted_stamp() -> str:
    digest = hashlib.sha256()
    for name in ("requirements.lock", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


UV = "uv==0.13.9"  # the installer: pinned like everything else; pip installs when uv cannot


def _pip() -> list[str]:
    """pip, working on .venv: the machine's own (`pip --python`), so that the environment is made without a
    pip of its own (Python's ensurepip takes 3.5 s of a 15-20 s set-up; everything in it comes from
    requirements.lock); where this Python has no pip, the environment's own, made by ensurepip."""
    if (BIN / "pip").exists():
        return [str(BIN / "python"), "-m", "pip"]
    return [sys.executable, "-m", "pip", "--python", str(BIN / "python")]


def _index_options() -> list[str]:
    """The machine's pip settings (`pip config list`: index, extra indexes, find-links, constraints) as uv's
    options, so that uv installs from where pip would. pip considers every index for every package, so uv
    is told to as well (`unsafe-best-match`; its default takes a package from the first index that has it)."""
    listed = subprocess.run([*_pip(), "config", "list"], capture_output=True, text=True, check=True).stdout
    settings: dict[str, list[str]] = {}
    for line in listed.splitlines():
        key, _, value = line.partition("=")
        settings.setdefault(key.rsplit(".", 1)[-1], []).extend(value.strip().strip("'\"").split())
    for name, variable in (("find-links", "PIP_FIND_LINKS"), ("extra-index-url", "PIP_EXTRA_INDEX_URL"),
                           ("index-url", "PIP_INDEX_URL"), ("constraint", "PIP_CONSTRAINT")):  # fmt: skip
        settings.setdefault(name, []).extend(os.environ.get(variable, "").split())
    options = ["--index-strategy", "unsafe-best-match"]
    for name, flag in (("index-url", "--default-index"), ("extra-index-url", "--index"),
                       ("find-links", "--find-links"), ("constraint", "--constraint")):  # fmt: skip
        for value in dict.fromkeys(settings.get(name, [])):
            options += [flag, value]
    return options


def _install_with_uv(pip: list[str]) -> bool:
    """Install the lock and the project with uv (seconds instead of a minute); False if uv could not."""
    try:
        subprocess.run([*pip, UV], check=True)
        uv = [str(BIN / "uv"), "pip", "install", "--quiet", "--python", str(BIN / "python"), *_index_options()]
        subprocess.run([*uv, "-r", str(ROOT / "requirements.lock")], check=True)
        subprocess.run([*uv, "--no-deps", "-e", str(ROOT)], check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"tasks.py: uv could not install ({error}); installing with pip instead", flush=True)
        return False
    _compile_installed()
    return True


def _compile_installed() -> None:
    """Where PYTHONDONTWRITEBYTECODE is set, Python never caches what it compiles: every kernel would compile
    what it imports anew (the suite took twice as long). So what uv installed is compiled now, as pip does
    when it installs, but without the packages' own test suites, which nothing imports (a third of the
    code; uv's --compile-bytecode has no such exclusion: set-up 16.7 s instead of 18 s on two cores)."""
    if not os.environ.get("PYTHONDONTWRITEBYTECODE"):
        return
    site = VENV / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    tests = re.escape(str(site)) + r"/(.+/)?tests?/"  # below site-packages: the clone's own path may say "test"
    compiled = subprocess.run([str(BIN / "python"), "-m", "compileall", "-q", "-j0", "-x", tests, str(site)],
                              stdout=subprocess.DEVNULL)  # fmt: skip
    if compiled.returncode:  # a file some package ships that does not compile: Python compiles it if imported
        print("tasks.py: some installed files could not be compiled ahead (above); going on", flush=True)


def setup() -> None:
    """Create .venv and install the pinned dependencies, unless already current."""
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"tasks.py: Python 3.11 is required, this is {sys.version.split()[0]}")
    wanted = _wanted_stamp()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    print("tasks.py: setting up .venv (pinned dependencies from requirements.lock) ...", flush=True)
    if not (BIN / "python").exists():
        machine_pip = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode == 0
        venv.EnvBuilder(with_pip=not machine_pip).create(VENV)
    pip = [*_pip(), "install", "--quiet", "--disable-pip-version-check"]
    if os.environ.get("ITUD_INSTALLER") == "pip" or not _install_with_uv(pip):
        subprocess.run([*pip, "-r", str(ROOT / "requirements.lock")], check=True)
        subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
    STAMP.write_text(wanted + "\n")


def _run(argv: list[str]) -> int:
    env = dict(os.environ, MPLBACKEND="Agg", PYDEVD_DISABLE_FILE_VALIDATION="1")
    return subprocess.run(argv, cwd=ROOT, env=env).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        return 0
    task, rest = argv[0], argv[1:]
    if task not in {"setup", "report", "test", "lab"}:
        print(f"tasks.py: unknown task {task!r}; expected setup, report, test or lab", file=sys.stderr)
        return 2
    setup()
    if task == "lab":  # the repository root, so that data/, notebooks/ and reports/ are all in its file browser
        lab = [str(BIN / "jupyter"), "lab", f"--ServerApp.root_dir={ROOT}", *rest]
        lab += ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []  # a container's root user
        path = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"  # a terminal in JupyterLab finds itud and git
        return subprocess.run(lab, cwd=ROOT, env={**os.environ, "PATH": path}).returncode
    if task == "report":
        return _run([str(BIN / "itud"), "report", *rest])
    if task == "test":
        lint = _run([str(BIN / "ruff"), "check", "."])
        fast = "--fast" in rest
        if fast:  # the fast tier: no notebook, no report build, no large edition
            rest = [a for a in rest if a != "--fast"] + ["tests", "-m", "not slow"]
        # Both cores, one worker per core. The full suite keeps each test file on one worker (files share
        # their expensive builds); the fast tier's tests are cheap, so they are spread one by one.
        spread = "load" if fast else "loadfile"
        parallel = [] if any(a.startswith("-n") for a in rest) else ["-n", "auto", "--dist", spread]
        tests = _run([str(BIN / "python"), "-m", "pytest", *parallel, "--durations=10", *rest])
        return lint or tests
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
