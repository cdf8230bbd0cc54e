"""School registry and ranked school search from observed uniform attributes.

* :func:`workbench.schools.registry.load_registry` - read a registry CSV.
* :func:`workbench.schools.search.search_schools` - rank schools for an observation; tie
  groups carry a rank range (:func:`workbench.schools.search.tie_groups`).
* :mod:`workbench.schools.likelihood` - the observation model, calibrated on a held-out
  synthetic split (``calibration.json``, :mod:`workbench.eval.uniform_calibration`).
* :mod:`workbench.schools.case_search` - search a case's faces seeded from its geotags,
  store ``school`` hits, candidate schools as map records (``school_places``).
* :mod:`workbench.eval.school_metrics` - fair top-k with ties, the registry's information
  limit, and the split of a miss into information limit, ranking and extraction.

Why the invented registry is not made more varied (``invent.py``): the schools a flawless
reader still cannot tell apart are mostly shirt-and-jumper uniforms with no tie or blazer
(about 70 % of the information-limit loss on the benchmark queries). Real descriptions of
such uniforms differ by crest, logo or trim, which the geometry-based extractor cannot
see, and real Florida public-school dress codes are plainer still (solid polo shirts,
khaki or navy bottoms). Adding detail the extractor cannot read would not change any
measured figure; adding readable detail beyond real codes would make the demo registry
look more separable than real ones. The ties are reported instead.
"""
