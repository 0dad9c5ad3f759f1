"""Stage 3, report: what the report says and how it is written.

Takes: an edition and the analysis stage's tables and figures, as a notebook declares them. Hands on:
one `document.Document` and its HTML, DOCX, PDF, workbook and CSVs.

    results    what a notebook declares for the report (tables, figures, key numbers, sheets)
    tables     the standard report tables; sheets, the standard workbook sheets
    document   section templates (Jinja's sandbox) + the notebooks' results -> `Document`
    render     `Document` -> HTML, DOCX, workbook, CSVs; the PDF's page
    docx_svg   the Word document's figures as SVG beside their PNG
    placement  where the PDF's figures go: after the text that fills the page they do not fit on
    pdf_structure  the PDF's structure tree completed for PDF/UA (artifacts, header scopes, figure boxes)
    printer    the PDF printer (WeasyPrint in a process of its own)
    templates/ the HTML template and the Word house style

May use: `itud.data`, `itud.analysis`, `itud.run` (the printer's process and pinned environment),
`itud.paths`, `itud.errors`; never `itud.publish`.
"""
