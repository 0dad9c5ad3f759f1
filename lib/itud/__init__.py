"""ITU-D mapping to WSIS Action Lines and SDGs: data, statistics, figures and the TDAG report.

Data flow, one module per step:

    parse     source annex text -> edition tables in data/<year>/
    schemas   table descriptions: pandera schemas and datapackage.json
    load      data/<year>/ -> validated `Edition`
    coverage  Edition -> coverage statistics (pure pandas)
    figures   statistics -> matplotlib figures (SVG + PNG, deterministic)
    compare   two editions -> what changed
    execute   notebooks run with papermill
    document  statistics + edition -> report content; render -> HTML/DOCX/PDF
    versions  reports/<year>/v<N>/ with manifest, atomic publish
    cli       the `itud` command
"""

__version__ = "0.1.0"
