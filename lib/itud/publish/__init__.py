"""Stage 4, publish: when and how a version of the report is published.

Takes: an edition's folder, the notebooks and the report stage's writers. Hands on: reports/<year>/v<N>/
(documents, inputs, manifest.json) when what readers see changed, and reports/index.html.

    build      one report build: run the notebooks, render, compare with the newest version, publish
    manifest   the one schema of manifest.json: every manifest read is checked against it (untrusted input)
    versions   the version folders, their manifests and fingerprints, publishing atomically
    revisions  a version's revision number, its "Changes in this revision" and its reason
    index      reports/index.html, every year and version
    batch      every edition at once, in parallel
    templates/ the index page's template

May use: every earlier stage and `itud.run`.
"""
