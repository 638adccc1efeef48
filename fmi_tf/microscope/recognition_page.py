"""The recognition page: a texture classifier read as texture primitives.

For every class, the filters that vote most for it: the largest weights of
the standardised descriptor (`explanation.voters`: what one standard
deviation of the filter's energy adds to the class score), each with its
atlas picture (reduced to `PICTURE_PIXELS` a side if larger, never
enlarged or stretched), its first dataset crops (at native size: the pixels
the network saw, never rescaled), its picture's faithfulness score where a
faithfulness record has one (`site_faithfulness`: under the layer's
headline judge, with its interval and whether it beats the null), and a
link to its page where the site has one. The page is
rendered by `fmi_tf.html.recognition` from its Jinja2 template
with autoescape, so every name is escaped; pictures are embedded as small
PNGs, so the page reads the same wherever it is copied. A classifier whose
descriptor dimensions are not filters (`gram`) has no such page.
"""

import os
from urllib import parse
from typing import Optional, Union

from fmi_tf import errors
from fmi_tf.html import explanation as explanation_page
from fmi_tf.html import pages
from fmi_tf.html import recognition as recognition_html
from fmi_tf.html import site as site_html
from fmi_tf.io import outputs
from fmi_tf.microscope import examples_files
from fmi_tf.microscope import filter_links
from fmi_tf.microscope import site_faithfulness
from fmi_tf.recognition import explanation
from fmi_tf.recognition import trained_model
from fmi_tf.recognition import training

PAGE = "recognition.html"
DEFAULT_K = 8
PICTURE_PIXELS = 96
CROPS_SHOWN = 4
_BAR_PIXELS = 140

Model = Union[training.TextureClassifier, trained_model.TrainedModel, str]


def _data_uri(path: Optional[str], width: int) -> Optional[str]:
  return explanation_page.data_uri(path, width) if path else None


class _Crops:
  """A dataset-examples directory's crops, each layer's record read once."""

  def __init__(self, examples: Optional[str]):
    self.examples = examples
    self._records = {}
    if examples:
      examples_files.check_version(examples_files.read_summary(examples),
                                   examples)

  def __call__(self, layer: str, filter_id: int) -> list[dict]:
    """The filter's first `CROPS_SHOWN` crops: data URIs at native size."""
    if not self.examples:
      return []
    if layer not in self._records:
      path = examples_files.layer_path(self.examples, layer)
      self._records[layer] = (examples_files.read_layer(self.examples, layer)
                              if os.path.isfile(path) else None)
    record = self._records[layer]
    if record is None:
      return []
    crops = examples_files.read_crops(self.examples, record, filter_id)
    return [{"src": explanation_page.data_uri(c, max(c.shape[:2])),
             "width": c.shape[1], "height": c.shape[0]}
            for c in crops[:CROPS_SHOWN]]


def _faithfulness(scores: Optional[site_faithfulness.Scores], layer: str,
                  filter_id: int) -> Optional[dict]:
  """The atlas picture's score under the layer's headline judge, as
  {"score", "low", "high", "judge", "trust"} (score None where not
  measured), or None without a record."""
  if scores is None:
    return None
  picture = scores.picture(layer, filter_id, 0)
  judge = scores.headline_judge(layer)
  found = next((j for j in picture.judges if j.judge == judge), None
               ) if picture else None
  if found is None:
    return {"score": None, "low": None, "high": None, "judge": None,
            "trust": site_faithfulness.NOT_MEASURED}
  return {"score": found.score, "low": found.score_low,
          "high": found.score_high, "judge": judge, "trust": picture.trust}


def checked_model(model: Model, atlas: Optional[str] = None
                  ) -> trained_model.TrainedModel:
  """The trained model, if it can have a recognition page with that atlas.

  Raises:
    ArgumentError: for a directory holding no trained model, a gram
      classifier, a classifier saved before classifiers kept their
      training mean, or an atlas of another network.
  """
  if isinstance(model, training.TextureClassifier):
    model = model.model
  elif isinstance(model, (str, os.PathLike)):
    model = trained_model.load(os.fspath(model))
  elif not isinstance(model, trained_model.TrainedModel):
    raise errors.ArgumentError(
        "classifier must be a TextureClassifier, a TrainedModel or a "
        f"trained model directory, not {errors.shown(model)}")
  if model.config.kind == "gram":
    raise errors.ArgumentError(
        "a gram classifier's dimensions are Gram entries, not filters: it "
        "has no recognition page")
  explanation.check_explainable(model.classifier)
  if atlas:
    filter_links.check_atlas(atlas, model.network)
  return model


def classes(model: Model, atlas: Optional[str] = None,
            examples: Optional[str] = None, site: Optional[str] = None,
            k: int = DEFAULT_K,
            faithfulness: Optional[site_faithfulness.Scores] = None
            ) -> list[dict]:
  """Every class with its k voting filters (all, if fewer), as the page
  shows them.

  Args:
    faithfulness: the scores of a faithfulness record of the atlas.

  Returns:
    [{"name", "voters": [{"layer", "filter", "weight", "bar", "picture",
    "crops", "faithfulness", "page"}]}], the picture a data URI (None where
    missing), crops the first `CROPS_SHOWN` dataset crops at native size
    ({"src", "width", "height"}, none where missing), page a link relative
    to the site (None without one), faithfulness as `_faithfulness` gives
    it.

  Raises:
    ArgumentError: for a gram classifier, k < 1, a classifier saved
      before classifiers kept their training mean, an atlas of another
      network, or an examples directory that is incomplete or of an older
      format.
  """
  model = checked_model(model, atlas)
  crops = _Crops(examples)
  units = explanation.descriptor_units(model.encoder)
  listed = []
  for class_id, name in enumerate(model.class_names):
    voted = explanation.voters(model.classifier, units, class_id,
                               min(k, len(units)))
    largest = max(abs(w) for _, w in voted) or 1.0
    voters = []
    for dimension, weight in voted:
      layer, index = units.layers[dimension], int(units.indices[dimension])
      page = f"{layer}/{pages.stem(index)}.html"
      voters.append({
          "layer": layer, "filter": index, "weight": weight,
          "bar": round(_BAR_PIXELS * abs(weight) / largest),
          "picture": _data_uri(filter_links.picture(atlas, layer, index),
                               PICTURE_PIXELS),
          "crops": crops(layer, index),
          "faithfulness": _faithfulness(faithfulness, layer, index),
          "page": (parse.quote(page) if site and os.path.isfile(
              os.path.join(site, page)) else None)})
    listed.append({"name": name, "voters": voters})
  return listed


def write_recognition_page(model: Model, out: str,
                           atlas: Optional[str] = None,
                           examples: Optional[str] = None,
                           k: int = DEFAULT_K,
                           title: str = "What each class is made of",
                           faithfulness: "str | site_faithfulness.Scores | "
                           "None" = None) -> str:
  """Writes `out/recognition.html`; returns its path.

  Args:
    model: a `TextureClassifier`, a `TrainedModel` or its directory.
    out: the directory (a site's, whose filter pages it then links to).
    atlas: an atlas of the classifier's network, for the pictures.
    examples: a dataset-examples directory, for the crops.
    k: the filters shown per class (at most).
    title: the page's title.
    faithfulness: a faithfulness record of the atlas (its file or its
      `site_faithfulness.Scores`), whose scores the voters show.

  Raises:
    ArgumentError: as `classes`, or for a faithfulness record without an
      atlas or refused by `site_faithfulness.read`.
    OutputError: if the page cannot be written.

  Examples:
    >>> write_recognition_page("runs/energy", "site/", atlas="atlas/",
    ...                        examples="examples/")
    'site/recognition.html'
  """
  if isinstance(faithfulness, str):
    if not atlas:
      raise errors.ArgumentError(
          "a faithfulness record scores an atlas's pictures: give the atlas")
    faithfulness = site_faithfulness.read(faithfulness, [atlas])
  listed = classes(model, atlas, examples, out, k, faithfulness)
  notes = [f"For each class, the {k} filters whose energy raises its score "
           "most (the classifier's weight of the standardised descriptor: "
           "what one standard deviation of the filter's energy adds).",
           f"Pictures from {atlas or 'no atlas'}; crops from "
           f"{examples or 'no dataset examples'}.",
           (f"Faithfulness scores from {faithfulness.path}."
            if faithfulness else site_faithfulness.NO_SCORES)]
  stylesheet = (site_html.CSS_NAME if os.path.isfile(
      os.path.join(out, site_html.CSS_NAME)) else None)
  path = os.path.join(outputs.prepare_directory(out), PAGE)
  outputs.write_bytes(path, recognition_html.page(
      title, listed, notes, stylesheet).encode("utf8"))
  return path
