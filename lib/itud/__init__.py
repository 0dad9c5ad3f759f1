"""ITU-D mapping to WSIS Action Lines and SDGs: data, statistics, figures and the TDAG report.

The package is grouped by the data flow it serves, one subpackage a stage; a stage may import the
stages before it, never one after it (tests/test_stages.py checks the imports):

    data/      source annex -> edition tables in data/<year>/ -> validated `Edition`
    analysis/  Edition -> coverage statistics, comparisons, the link audit, figures
    report/    statistics -> the notebooks' report items -> one document -> HTML, DOCX, PDF
    publish/   documents -> reports/<year>/v<N>/: when a version is published, its manifest and index

    run/       processes that the report and publish stages start: notebooks run with papermill,
               the kernel and PDF servers, time limits and stops, the pinned build environment;
               it imports neither of them

At the top: `paths` and `errors` (used by every stage), `cli` (the `itud` command) and `jupyter`
(JupyterLab's entry points), which use them all.
"""

__version__ = "0.1.0"
