"""Stage 1, data: what an edition is and how it is read.

Takes: the contribution (text or Word) and the folders in data/<year>/ (tables, edition.toml,
corrections.csv, reference/). Hands on: a validated `load.Edition`, or an `EditionError` naming every
file, row, column or key that is wrong.

    ids           identifiers (SDGs, Action Lines, outcomes, questions) and their grammar
    grammar       plural and listing words shared by every stage's messages
    schemas       the tables' columns and pandera checks; datapackage.json
    edition_file  edition.toml, read and checked key by key
    corrections   corrections.csv: links the source got wrong, with their provenance
    editions      `itud new-edition`: next year's folder from this year's
    parse         the contribution's annexes -> the tables, each row with where it was read
    load          a folder -> `Edition`

May use: `itud.paths`, `itud.errors`; no later stage.
"""
