"""environment.yml (conda) cannot drift from requirements.lock (pip): conda gives only Python and pip, pip installs
the whole lock and the project itself; every direct dependency of pyproject.toml is pinned in the lock, once."""

from __future__ import annotations

import re
import tomllib

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from itud import paths

ROOT = paths.PROJECT_ROOT
LOCK = "requirements.lock"
PIP_LINES = {f"-r {LOCK}", "-e ."}  # the whole lock, then this project (the `itud` command the README uses)
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$")


def _environment() -> dict:
    """environment.yml, parsed."""
    return yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))


def _conda_and_pip(environment: dict) -> tuple[list[str], list[str]]:
    """The conda packages of environment.yml and the lines of its pip section."""
    conda = [d for d in environment["dependencies"] if isinstance(d, str)]
    sections = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(sections) == 1, f"environment.yml: expected one pip section, found {len(sections)}"
    return conda, sections[0]


def _lock_pins() -> list[tuple[int, str, str]]:
    """Every pin of requirements.lock: (line number, canonical name, version); a line that is not `name==version`
    (or a comment) fails, naming it."""
    pins = []
    for number, line in enumerate((ROOT / LOCK).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        match = _PIN.match(line.strip())
        assert match, f"{LOCK}:{number}: {line!r} is not name==version"
        pins.append((number, canonicalize_name(match[1]), match[2]))
    return pins


def _direct_dependencies() -> list[str]:
    """The canonical names pyproject.toml depends on directly (its dependencies and every extra)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = [r for group in project.get("optional-dependencies", {}).values() for r in group]
    return sorted({canonicalize_name(Requirement(r).name) for r in project["dependencies"] + extras})


def test_conda_gives_only_the_python_pyproject_requires_and_pip():
    conda, _ = _conda_and_pip(_environment())
    pythons = [d for d in conda if re.match(r"python\b", d)]
    assert len(pythons) == 1 and re.fullmatch(r"python=\d+\.\d+", pythons[0]), f"environment.yml: {pythons}"
    assert sorted(conda) == sorted([pythons[0], "pip"]), f"environment.yml: conda installs {conda}, not Python and pip"
    major, minor = (int(part) for part in pythons[0].removeprefix("python=").split("."))
    requires = SpecifierSet(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
    series = [f"{major}.{minor}.0", f"{major}.{minor}.99"]
    others = [f"{major}.{minor - 1}.99", f"{major}.{minor + 1}.0"]
    assert all(v in requires for v in series), f"environment.yml's {pythons[0]} is outside requires-python {requires}"
    assert not any(v in requires for v in others), f"requires-python {requires} allows more than {pythons[0]}"
    header = (ROOT / LOCK).read_text(encoding="utf-8").splitlines()[0]
    assert f"Python {major}.{minor}" in header, f"{LOCK} was not frozen with Python {major}.{minor}: {header!r}"


def test_the_pip_section_installs_the_lock_and_the_project_and_pins_nothing_by_hand():
    _, pip = _conda_and_pip(_environment())
    extra = [line for line in pip if line not in PIP_LINES]
    assert extra == [], f"environment.yml pins {extra} by hand: pin them in {LOCK} instead"
    assert f"-r {LOCK}" in pip, f"environment.yml's pip section does not install {LOCK}: {pip}"
    assert len(pip) == len(set(pip)), f"environment.yml's pip section repeats a line: {pip}"
    assert (ROOT / LOCK).is_file() and (ROOT / "pyproject.toml").is_file()  # where conda's pip resolves them


def test_every_direct_dependency_is_pinned_in_the_lock():
    pinned = {name for _, name, _ in _lock_pins()}
    missing = [name for name in _direct_dependencies() if name not in pinned]
    assert missing == [], f"pyproject.toml depends on {missing}, which {LOCK} does not pin"


def test_no_package_is_pinned_twice_in_the_lock():
    seen: dict[str, int] = {}
    twice = []
    for number, name, _ in _lock_pins():
        if name in seen:
            twice.append(f"{name} (lines {seen[name]} and {number})")
        seen.setdefault(name, number)
    assert twice == [], f"{LOCK} pins {', '.join(twice)} twice"

