"""What a version's bytes depend on beyond the pinned Python packages: pinned where the project can, and
recorded where it cannot, as Debian's `.buildinfo` records the environment a package was built in.

The PDF is the one output that system libraries help to make: WeasyPrint lays its text out with the
machine's Pango and HarfBuzz, reads fonts with FreeType and finds them with fontconfig. So the printer
(`pinned_pdf_environment`):
- finds fonts only among the files matplotlib ships, the DejaVu fonts the figures are drawn with (a
  fontconfig file of the project's own naming that one folder), never among the machine's fonts;
- subsets them always with fontTools, pinned in requirements.lock, never with HarfBuzz's subsetter:
  WeasyPrint uses that one when the optional system library `libharfbuzz-subset0` is installed, and its
  output depends on that library's version;
- dates each subset font from its inputs (`SOURCE_DATE_EPOCH`: the newest `head.modified` of the pinned
  fonts), never from the clock (fontTools stamps a subset font with the current time otherwise).

What stays the machine's, the versions of Pango, HarfBuzz, FreeType and fontconfig, is fingerprinted (a
different one means a rebuild) and written in each version's manifest as its build record, with the font
files the PDF embeds and their SHA-256. A rebuild whose PDF differs can then say how its environment
differs (`differences`). The hash seed, time zone and locale of the build's processes are fixed
(`PINNED_VARIABLES`).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import os
import platform
import tempfile
from collections.abc import Iterator
from functools import cache
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

_FONT_EPOCH = 2082844800  # seconds from 1904-01-01 (OpenType's `head` dates) to 1970-01-01 (Unix time)
_LIBRARIES = {  # the system libraries WeasyPrint loads to print a PDF: reader name -> soname
    "Pango": "libpango-1.0.so.0",
    "HarfBuzz": "libharfbuzz.so.0",
    "FreeType": "libfreetype.so.6",
    "fontconfig": "libfontconfig.so.1",
}
SUBSETTER = "libharfbuzz-subset.so.0"
# What a build's own processes (the kernel server, whose kernels inherit it, and the PDF printer) are given
# whatever the user's shell has set: one hash seed (the order of a set of strings), one time zone, one locale.
PINNED_VARIABLES = {"PYTHONHASHSEED": "0", "TZ": "UTC", "LC_ALL": "C.UTF-8"}


def font_dir() -> Path:
    """The folder of the fonts matplotlib ships (DejaVu among them), found without importing matplotlib."""
    return Path(find_spec("matplotlib").submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf"


# --- what the machine lends ------------------------------------------------------------------------------


def _c_string(library: str, function: str) -> str:
    lib = ctypes.CDLL(library)
    getattr(lib, function).restype = ctypes.c_char_p
    return getattr(lib, function)().decode("ascii")


def _fontconfig_version() -> str:
    number = ctypes.CDLL(_LIBRARIES["fontconfig"]).FcGetVersion()  # 21401 for 2.14.1
    return f"{number // 10000}.{number // 100 % 100}.{number % 100}"


def _freetype_version() -> str:
    freetype = ctypes.CDLL(_LIBRARIES["FreeType"])
    library = ctypes.c_void_p()
    if freetype.FT_Init_FreeType(ctypes.byref(library)):
        return "not readable"
    parts = [ctypes.c_int() for _ in range(3)]
    freetype.FT_Library_Version(library, *(ctypes.byref(part) for part in parts))
    freetype.FT_Done_FreeType(library)
    return ".".join(str(part.value) for part in parts)


def _subsetter_version() -> str:
    """HarfBuzz's subsetter, which the project never uses: its version where installed, else 'not installed'."""
    try:
        ctypes.CDLL(SUBSETTER)
    except OSError:
        return "not installed"
    return _c_string(_LIBRARIES["HarfBuzz"], "hb_version_string")  # one source package: the same version


@cache
def system_libraries() -> dict[str, str]:
    """The versions of the system libraries the PDF is printed with (a few milliseconds: no WeasyPrint import).

    A library that cannot be loaded is 'not found' (the PDF then cannot be printed, and the build says why).
    """
    readers = {
        "Pango": lambda: _c_string(_LIBRARIES["Pango"], "pango_version_string"),
        "HarfBuzz": lambda: _c_string(_LIBRARIES["HarfBuzz"], "hb_version_string"),
        "FreeType": _freetype_version,
        "fontconfig": _fontconfig_version,
    }
    found = {}
    for name, read in readers.items():
        try:
            found[name] = read()
        except (OSError, AttributeError):
            found[name] = "not found"
    return found


def record(embedded: dict[str, str]) -> dict:
    """The build record of a PDF printed here: Python, the machine, the renderer's libraries (and whether
    HarfBuzz's subsetter was present; it is never used) and the `embedded` font files with their SHA-256."""
    return {
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "machine": f"{platform.system()} {platform.machine()}, {' '.join(platform.libc_ver()) or 'libc unknown'}",
        "pdf_renderer": {
            "WeasyPrint": metadata.version("weasyprint"),
            **system_libraries(),
            "HarfBuzz subsetter": f"{_subsetter_version()}; not used (fontTools subsets the fonts)",
            "font subsetting": f"fontTools {metadata.version('fonttools')}",
            "cairo": "not used (WeasyPrint writes the PDF itself)",
        },
        "fonts": dict(sorted(embedded.items())),
    }


def this_machine() -> dict:
    """This machine's build record without a PDF: Python, the machine and the PDF renderer, no fonts."""
    return {part: value for part, value in record({}).items() if part != "fonts"}


def _parts(built_with: dict) -> dict[str, str]:
    """A build record's Python, machine and PDF renderer's parts (by name, in that order), those it records."""
    parts = {"python": built_with.get("python"), "machine": built_with.get("machine")}
    parts.update(sorted((built_with.get("pdf_renderer") or {}).items()))
    return {name: str(value) for name, value in parts.items() if value}


def record_differences(old: dict, new: dict, version: str) -> list[str]:
    """How build record `new` (this machine's) differs from `old` (`version`'s) in Python, the machine and the
    PDF renderer, in words; what `old` did not record is said once as such, what `new` no longer records not."""
    before, after = _parts(old), _parts(new)
    said = [
        f"this machine's {name} is {value}, {version} was built with {before[name]}"
        for name, value in after.items()
        if name in before and before[name] != value
    ]
    unrecorded = [name for name in after if name not in before]
    return said + ([f"{version} did not record its {', '.join(unrecorded)}"] if unrecorded else [])


def font_differences(old: dict[str, str], new: dict[str, str], version: str, *, printed: bool = True) -> list[str]:
    """How the fonts `version`'s PDF embeds ({font file: SHA-256}, as its build record lists them) differ from
    `new`'s, in words: the same bytes under another name or path are the same font. `printed=False`: `new` is
    this machine's pinned font files, not a PDF's, so only fonts that `version` embedded and they lack are said."""
    old_files = {digest: Path(name).name for name, digest in old.items()}
    new_files = {digest: Path(name).name for name, digest in new.items()}
    said: dict[str, str] = {}
    for digest in set(old_files) - set(new_files):
        name = old_files[digest]
        if name in new_files.values():
            said[name] = f"the font file {name} differs from the one {version} embedded (SHA-256)"
        else:
            lacking = "which this one does not" if printed else "which is not among this machine's pinned fonts"
            said[name] = f"{version}'s PDF embeds the font {name}, {lacking}"
    added = set(new_files) - set(old_files) if printed else set()
    for name in {new_files[digest] for digest in added} - set(old_files.values()):
        said[name] = f"this PDF embeds the font {name}, which {version}'s does not"
    return [said[name] for name in sorted(said)]


def differences(built_with: dict | None, here: dict, version: str) -> list[str]:
    """How this machine's build record `here` differs from the one `version` was built with, in words
    ("this machine's Pango is 1.50.12, v8 was built with 1.51.0"); [] when they agree. Where `here` lacks a
    part (a build that printed no PDF has no record), the part is this machine's own (`this_machine`), and
    the fonts `version` embedded are looked for among this machine's pinned fonts."""
    if not built_with:
        return [f"{version} records no build environment (it was published before itud recorded one)"]
    machine = this_machine()
    complete = {**machine, **{part: value for part, value in here.items() if value}}
    complete["pdf_renderer"] = {**machine["pdf_renderer"], **(here.get("pdf_renderer") or {})}
    said = record_differences(built_with, complete, version)
    if not built_with.get("fonts"):
        return said
    if here.get("fonts"):
        return said + font_differences(built_with["fonts"], here["fonts"], version)
    pinned = {name: digest for digest, name in _fonts_by_digest().items()}
    return said + font_differences(built_with["fonts"], pinned, version, printed=False)


# --- what the project pins --------------------------------------------------------------------------------


@cache
def _fonts_by_digest() -> dict[str, str]:
    """{SHA-256: file name} of the pinned fonts, to name the files a PDF embeds."""
    return {hashlib.sha256(path.read_bytes()).hexdigest(): path.name for path in sorted(font_dir().glob("*.ttf"))}


def font_file_name(data: bytes) -> str:
    """The name of the pinned font file with these bytes; 'not a pinned font (<digest>)' otherwise."""
    digest = hashlib.sha256(data).hexdigest()
    return _fonts_by_digest().get(digest, f"not a pinned font ({digest[:12]})")


@cache
def font_epoch() -> int:
    """`SOURCE_DATE_EPOCH` for the subset fonts: the newest `head.modified` of the DejaVu fonts (an input)."""
    from fontTools.ttLib import TTFont

    dates = []
    for path in sorted(font_dir().glob("DejaVu*.ttf")):
        with TTFont(path, lazy=True) as font:
            dates.append(font["head"].modified)
    return max(dates) - _FONT_EPOCH


def _fonts_conf(folder: Path) -> Path:
    """A fontconfig file that knows only the pinned fonts, with its cache in `folder`; written once."""
    conf = folder / "fonts.conf"
    text = (
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
        f"<fontconfig>\n  <dir>{font_dir()}</dir>\n  <cachedir>{folder / 'cache'}</cachedir>\n</fontconfig>\n"
    )
    if not conf.is_file() or conf.read_text(encoding="utf-8") != text:
        written = folder / f"fonts.conf.{os.getpid()}"
        written.write_text(text, encoding="utf-8")
        written.replace(conf)  # atomic: a printer beside this one reads the old file or the new, never half
    return conf


@cache
def _config_folder() -> Path:
    """A folder of the user's own for the fontconfig file and its cache: `~/.cache/itud/fontconfig`, else
    `<tmp>/itud-fontconfig-<uid>` (made 0700, refused if it is a link or another user's), else a new private
    one (once a process)."""
    candidates = [
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "itud" / "fontconfig",
        Path(tempfile.gettempdir()) / f"itud-fontconfig-{os.getuid()}",
    ]
    for folder in candidates:
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not folder.is_symlink() and folder.stat().st_uid == os.getuid() and os.access(folder, os.W_OK):
                return folder
        except OSError:
            continue
    return Path(tempfile.mkdtemp(prefix="itud-fontconfig-"))


class _NoSubsetterNotice(logging.Filter):
    """WeasyPrint says at every font that it subsets with fontTools: here that is the project's choice."""

    def filter(self, entry: logging.LogRecord) -> bool:
        return "instead of HarfBuzz-Subset" not in entry.getMessage()


@contextlib.contextmanager
def pinned_pdf_environment() -> Iterator[None]:
    """WeasyPrint, within this block, finds only the pinned fonts, subsets them with fontTools and dates
    them from their inputs (see the module's docstring). Environment variables are restored after it."""
    import weasyprint.pdf.fonts

    saved = {name: os.environ.get(name) for name in ("FONTCONFIG_FILE", "SOURCE_DATE_EPOCH")}
    os.environ["FONTCONFIG_FILE"] = str(_fonts_conf(_config_folder()))  # read by each FcInitLoadConfigAndFonts
    os.environ["SOURCE_DATE_EPOCH"] = str(font_epoch())  # read by fontTools' timestampNow
    subsetter, weasyprint.pdf.fonts.harfbuzz_subset = weasyprint.pdf.fonts.harfbuzz_subset, None
    notice = _NoSubsetterNotice()
    logging.getLogger("weasyprint").addFilter(notice)
    try:
        yield
    finally:
        logging.getLogger("weasyprint").removeFilter(notice)
        weasyprint.pdf.fonts.harfbuzz_subset = subsetter
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
