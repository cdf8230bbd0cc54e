"""Live streams: watch a camera, a network stream or a file played live into a case.

``workbench watch CASE SOURCE`` and the live widget call :func:`watch.watch`; the parts are
:mod:`source` (what a source is, opening it), :mod:`reader` (the reader thread and its
bounded buffer), :mod:`keep` (frames and segments kept as evidence), :mod:`tracking`
(faces linked into tracks, per-track attributes), :mod:`alerts` (stream hits to the alert
channels), :mod:`preview` (the blurred frame with its boxes, for screens),
:mod:`background` (a watch on its own thread, for notebooks) and :mod:`sources` (the
watched sources a dashboard lists).
Nothing is imported here, so importing the package loads no OpenCV.
"""
