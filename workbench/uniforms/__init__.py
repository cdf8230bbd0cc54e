"""School-uniform attributes: clothing regions, colours, patterns, scores, corrections.

Public entry points (import from the submodules; nothing heavy loads on import):

* :func:`workbench.uniforms.attributes.image_attributes` - attributes of every face.
* :func:`workbench.uniforms.store.save_attributes` / ``load_attributes`` /
  ``correct_attribute`` - the ``uniform_attributes`` table of a case.
* :func:`workbench.uniforms.extract.extract_case` - the ``workbench uniforms`` run.
"""
