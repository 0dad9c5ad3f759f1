"""The package's stages, read from its imports: data < analysis < report < publish, with run serving the report
and publish stages and importing neither (lib/itud/__init__.py). Imports inside functions count too."""

from __future__ import annotations

import ast
from pathlib import Path

from itud import paths

ORDER = ("data", "analysis", "report", "publish")
SERVES = {"run": {"report", "publish"}}  # a serving stage: who may import it
TOP_SHARED = {"paths", "errors"}  # at the top, used by every stage, importing none


def _stage(module: str) -> str:
    """'data', 'run', ... for `itud.data.load`; the module's own name for `itud.paths`; '' outside itud."""
    parts = module.split(".")
    return parts[1] if parts[0] == "itud" and len(parts) > 1 else ""


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every `itud` module a file imports (line, dotted name), `from itud import x` as `itud.x`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("itud")]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("itud"):
            if node.module == "itud":
                found += [(node.lineno, f"itud.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
    return found


def _breaks(importer: str, imported: str) -> str:
    """Why a module of stage `importer` may not import one of stage `imported` ('' if it may)."""
    if importer == imported or imported in ("", "__version__"):
        return ""
    if importer in TOP_SHARED:
        return "" if imported in TOP_SHARED else f"'{importer}' is shared by every stage and imports none"
    if importer in ("cli", "jupyter"):
        return ""
    if imported in SERVES:
        allowed = SERVES[imported]
        return "" if importer in allowed else f"'{imported}' serves only {' and '.join(sorted(allowed))}"
    if importer in SERVES:
        return "" if imported in TOP_SHARED else f"'{importer}' serves later stages and imports none of them"
    if imported in ORDER and importer in ORDER and ORDER.index(imported) > ORDER.index(importer):
        return f"'{importer}' comes before '{imported}' in the data flow"
    if imported in ("cli", "jupyter"):
        return "the command line and JupyterLab's entry points use the stages, not the reverse"
    return ""


def test_no_stage_imports_a_later_one():
    package = paths.PACKAGE_DIR
    broken = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package).with_suffix("")
        importer = relative.parts[0]
        for line, module in _imports(path):
            why = _breaks(importer, _stage(module))
            if why:
                broken.append(f"lib/itud/{relative.as_posix()}.py:{line} imports {module}: {why}")
    assert broken == [], "the stage order (lib/itud/__init__.py) is broken:\n" + "\n".join(broken)


def test_every_stage_says_what_it_holds_and_may_use():
    for stage in (*ORDER, *SERVES):
        init = paths.PACKAGE_DIR / stage / "__init__.py"
        text = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert "May use" in text, f"{init}: its docstring says what the stage holds and what it may use"
        for module in sorted((paths.PACKAGE_DIR / stage).glob("*.py")):
            if module.stem != "__init__":
                assert module.stem in text, f"{init}: its docstring names every module of the stage ({module.stem})"


def test_the_rule_itself():
    assert _breaks("data", "analysis") and _breaks("analysis", "report") and _breaks("report", "publish")
    assert _breaks("run", "report") and _breaks("run", "data") and _breaks("data", "run")
    assert not _breaks("paths", "errors")
    assert _breaks("paths", "data") and _breaks("publish", "cli")
    assert not _breaks("publish", "data") and not _breaks("report", "run") and not _breaks("cli", "publish")
