"""The revision story in reader words: a version that changes only the form says what its revision changed, then
what changed in form; the index marks each year's current version and gives each new version's reason as its
changes block says it. (SYNTHETIC 2090, published by the publish notebook; the notebooks' outputs are v1's.)"""

from __future__ import annotations

import json
import shutil

from itud.publish import build
from itud.publish.index import index_html


def test_a_form_only_version_says_what_its_revision_changed_and_the_index_says_it_in_reader_words(
    published_by_notebook, tmp_path, monkeypatch
):
    from itud.report import render

    own, reports = published_by_notebook.copy_to(tmp_path)
    first = reports / "2090" / "v1"
    newest = max(int(p.name[1:]) for p in (reports / "2090").glob("v*"))

    def notebooks_as_in_v1(folder, *args):
        for part in ("notebooks", "figures", "results"):
            shutil.copytree(first / part, folder / part)

    monkeypatch.setattr(build, "_build_into", notebooks_as_in_v1)
    monkeypatch.setattr(render, "write_docx", lambda document, path: shutil.copy(first / "report-2090.docx", path))
    (own / "2090" / "report").mkdir()
    (own / "2090" / "report" / "15-extra.md.j2").write_text("# Extra\n\nA SYNTHETIC paragraph.\n", encoding="utf-8")
    second = build.build_report(2090, own, reports, progress=False)
    assert (second.status, second.version.name) == ("built", f"v{newest + 1}")
    said = json.loads((second.version / "manifest.json").read_text())["changes"]
    assert any("A SYNTHETIC paragraph." in line for line in said)

    # v3: the same text, tables and numbers in another form (the Word document's bytes differ).
    def another_form(document, path):
        shutil.copy(first / "report-2090.docx", path)
        with open(path, "ab") as word:
            word.write(b"\0")

    monkeypatch.setattr(render, "write_docx", another_form)
    third = build.build_report(2090, own, reports, progress=False, force=True,
                               note="the Word document is laid out anew")
    assert (third.status, third.version.name) == ("built", f"v{newest + 2}")
    revision = json.loads((second.version / "manifest.json").read_text())["revision"]
    html = (third.version / "report-2090.html").read_text(encoding="utf-8")
    block = html.split("Changes in this revision", 1)[1].split("</section>", 1)[0]
    assert "only the form changed: the Word document is laid out anew." in block
    assert f"What Revision {revision} changed:" in block and "A SYNTHETIC paragraph." in block

    page = index_html(reports)
    assert f'<th scope="row" role="rowheader">v{newest + 2} <strong>(current)</strong></th>' in page
    assert page.count("(current)</strong>") == 1 + page.count("<h2 ")  # one per year, and the explanation
    row = page.split(f'role="rowheader">v{newest + 1}</th>', 1)[1].split("</tr>", 1)[0]
    assert "SYNTHETIC paragraph" in row and "a change to" not in row


def test_the_index_says_a_table_s_changed_cells_once():
    from itud.publish.index import grouped_by_table

    changes = ["Table 2: How well, targets, Precision at 3: 0.622 -> 0.622 (28 of 45)",
               "Table 2: How well, targets, Precision at 5: 0.480 -> 0.480 (36 of 75)",
               "... and 3 more table changes", "paragraph reworded: “26. This section …”",
               "Table 4: One, D.1-1, SDGs: 1 -> 1 and 2", "table added: Table 5: New"]  # fmt: skip
    assert grouped_by_table(changes) == ["Table 2: 5 cells changed", "paragraph reworded: “26. This section …”",
                                         "Table 4: 1 cell changed", "table added: Table 5: New"]  # fmt: skip


def test_a_retitled_table_is_listed_with_its_old_title_and_identifiers_in_a_caption_are_read(tmp_path):
    from itud.publish.revisions import table_changes

    def version(name: str, caption: str) -> None:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "report-2090.html").write_text(
            '<table class="data" id="t"><caption id="caption-t">Table 1: ' + caption + "</caption>"
            "<thead><tr><th>Outcome</th></tr></thead><tbody><tr><th>P.1-1</th></tr></tbody></table>",
            encoding="utf-8",
        )

    version("v1", 'SYNTHETIC outcomes of <span class="id">P.1</span>')
    version("v2", 'SYNTHETIC outcomes of <span class="id">P.1</span>, renamed')
    assert table_changes(tmp_path / "v1", tmp_path / "v2", 2090) == [
        "Table 1: SYNTHETIC outcomes of P.1, renamed: retitled (it was \u201cSYNTHETIC outcomes of P.1\u201d)"
    ]
