"""Stage 2, analysis: what the notebooks compute and draw.

Takes: a validated `itud.data.load.Edition`. Hands on: pandas tables of coverage and change, the link
audit's scores, and matplotlib figures (deterministic SVG and PNG).

    coverage  the links as a `Mapping`; counts per objective, outcome, study group, SDG, Action Line
    compare   two editions -> the links gained and lost, and by whom (the source or a correction)
    audit     the SDG links an outcome's words suggest, and how well that method does
    figures   the report's figures, readable in print and greyscale

May use: `itud.data`, `itud.paths`, `itud.errors`; no later stage.
"""
