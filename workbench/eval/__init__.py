"""Evaluation built into the product: LFW protocol, threshold calibration, identity metrics,
missing-person identification (rank-1/rank-10), age.

Every number the workbench quotes about its face models is produced by code in this
package, so an agency can re-run it on its own data (``workbench eval ...``).
"""
