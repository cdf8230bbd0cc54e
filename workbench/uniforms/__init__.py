"""School-uniform attributes: clothing regions, colours, patterns, scores, corrections.

Two readers. The default *body* reader places each person's garment regions from a
person mask and body keypoints (MediaPipe's TFLite models from the pinned pack, one pose
per face), decides "uniform present" first, then reads items under a white balance taken
from the image. The *face* reader places regions from face geometry alone (box,
landmarks, roll). Public entry points (import from the submodules; nothing heavy loads on
import):

* :func:`workbench.uniforms.reader.read_image` - body reader, every face of an image.
* :mod:`workbench.uniforms.body` - the mask and pose models; :mod:`.person_regions`.
* :func:`workbench.uniforms.front.read_front` - the tie searched row by row below the
  chin; :mod:`workbench.uniforms.presence` - its presence model (JSON, fit split only).
* :func:`workbench.uniforms.overlay.region_overlay` - what was read where, over a blurred
  thumbnail (the inspector widget shows it).
* :mod:`workbench.uniforms.realset` - measurement on real photos labelled by eye.
* :func:`workbench.uniforms.attributes.image_attributes` - face reader, every face.
* :func:`workbench.uniforms.regions.item_polygons` - item outlines for overlays.
* :func:`workbench.uniforms.store.load_attributes` / ``correct_attribute`` /
  ``save_attributes`` - the ``uniform_attributes`` table of a case (corrections win).
* :func:`workbench.uniforms.extract.extract_case` - the ``workbench uniforms`` run.
* :mod:`workbench.eval.uniforms` - measurement on constructed photos.
* :mod:`workbench.eval.uniform_queries` - constructed search queries, kept as JSON.
* :mod:`workbench.eval.uniform_calibration` - the school search's observation model, counted on
  a calibration split of constructed photos (never the query split).
"""
