"""School registry and ranked school search from observed uniform attributes.

* :func:`workbench.schools.registry.load_registry` - read a registry CSV.
* :func:`workbench.schools.search.search_schools` - rank schools for an observation.
"""
