"""Serving stage, run: the processes the report and publish stages start, and how they stop.

Takes: notebooks and the commands to run in them. Hands on: executed notebooks, started and stopped
servers, within time limits, with the same environment for every kernel and the PDF printer.

    execute        notebooks run with papermill, in kernels forked by the kernel server where it can
    kernel_server  one process that imports the notebooks' libraries once and forks each kernel
    servers        a helper process of the build's own, asked over a pipe, ended with the build
    buildinfo      the pinned build environment (hash seed, time zone, locale, fonts) and its record

May use: `itud.paths`, `itud.errors`; never `itud.report` or `itud.publish` (nor data or analysis:
what a kernel preloads is named by its caller).
"""
