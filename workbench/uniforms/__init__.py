"""School-uniform attributes: clothing regions, colours, patterns, scores, corrections.

Clothing regions come from face geometry (box, landmarks, roll), not a segmentation model:
an honest prior for upright people facing the camera. Public entry points (import from the
submodules; nothing heavy loads on import):

* :func:`workbench.uniforms.attributes.image_attributes` - attributes of every face.
* :func:`workbench.uniforms.regions.item_polygons` - item outlines for overlays.
* :func:`workbench.uniforms.store.load_attributes` / ``correct_attribute`` /
  ``save_attributes`` - the ``uniform_attributes`` table of a case (corrections win).
* :func:`workbench.uniforms.extract.extract_case` - the ``workbench uniforms`` run.
* :mod:`workbench.uniforms.evaluate` - measurement on constructed photos.
* :mod:`workbench.uniforms.queryset` - constructed search queries, kept as JSON.
* :mod:`workbench.uniforms.calibrate` - the school search's observation model, counted on
  a calibration split of constructed photos (never the query split).
"""
