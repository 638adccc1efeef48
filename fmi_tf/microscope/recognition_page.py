"""The recognition page: a texture classifier read as texture primitives.

For every class, the filters that vote most for it: the largest weights of
the standardised descriptor (`explanation.voters`: what one standard
deviation of the filter's energy adds to the class score), each with its
atlas picture, its dataset crops, its record's faithfulness score where the
atlas has one, and a link to its page where the site has one. The page is
rendered from the package's Jinja2 template `templates/recognition.html`
with autoescape, so every name is escaped; pictures are embedded as small
PNGs, so the page reads the same wherever it is copied. A classifier whose
descriptor dimensions are not filters (`gram`) has no such page.
"""

import os
from urllib import parse
from typing import Optional, Union

import jinja2

from fmi_tf import errors
from fmi_tf.atlas import layout
from fmi_tf.io import outputs
from fmi_tf.microscope import filter_links
from fmi_tf.microscope import site_pages
from fmi_tf.recognition import explanation
from fmi_tf.recognition import explanation_html
from fmi_tf.recognition import trained_model
from fmi_tf.recognition import training

PAGE = "recognition.html"
TEMPLATE = "recognition.html"
DEFAULT_K = 8
PICTURE_PIXELS = 96
_CROPS_WIDTH = 144
_BAR_PIXELS = 140

Model = Union[training.TextureClassifier, trained_model.TrainedModel, str]


def _data_uri(path: Optional[str], width: int) -> Optional[str]:
  return explanation_html.data_uri(path, width) if path else None


def _faithfulness(atlas: Optional[str], layer: str, filter_id: int):
  if not atlas:
    return None
  record = layout.read_record(layout.filter_stem(atlas, layer, filter_id)
                              + ".json") or {}
  value = record.get("faithfulness")
  return value if isinstance(value, (int, float)) else None


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
            k: int = DEFAULT_K) -> list[dict]:
  """Every class with its k voting filters (all, if fewer), as the page
  shows them.

  Returns:
    [{"name", "voters": [{"layer", "filter", "weight", "bar", "picture",
    "crops", "faithfulness", "page"}]}], pictures as data URIs (None where
    missing), page a link relative to the site (None without one).

  Raises:
    ArgumentError: for a gram classifier, k < 1, a classifier saved
      before classifiers kept their training mean, or an atlas of another
      network.
  """
  model = checked_model(model, atlas)
  units = explanation.descriptor_units(model.encoder)
  listed = []
  for class_id, name in enumerate(model.class_names):
    voted = explanation.voters(model.classifier, units, class_id,
                               min(k, len(units)))
    largest = max(abs(w) for _, w in voted) or 1.0
    voters = []
    for dimension, weight in voted:
      layer, index = units.layers[dimension], int(units.indices[dimension])
      page = f"{layer}/{site_pages.stem(index)}.html"
      voters.append({
          "layer": layer, "filter": index, "weight": weight,
          "bar": round(_BAR_PIXELS * abs(weight) / largest),
          "picture": _data_uri(filter_links.picture(atlas, layer, index),
                               PICTURE_PIXELS),
          "crops": _data_uri(filter_links.crops(examples, layer, index),
                             _CROPS_WIDTH),
          "faithfulness": _faithfulness(atlas, layer, index),
          "page": (parse.quote(page) if site and os.path.isfile(
              os.path.join(site, page)) else None)})
    listed.append({"name": name, "voters": voters})
  return listed


def render(title: str, listed: list[dict], notes: list[str],
           stylesheet: Optional[str] = None) -> str:
  """The page's HTML, from the package template, every value escaped."""
  environment = jinja2.Environment(
      loader=jinja2.PackageLoader("fmi_tf.microscope", "templates"),
      autoescape=True, undefined=jinja2.StrictUndefined)
  return environment.get_template(TEMPLATE).render(
      title=title, classes=listed, notes=notes, stylesheet=stylesheet,
      picture_size=PICTURE_PIXELS)


def write_recognition_page(model: Model, out: str,
                           atlas: Optional[str] = None,
                           examples: Optional[str] = None,
                           k: int = DEFAULT_K,
                           title: str = "What each class is made of") -> str:
  """Writes `out/recognition.html`; returns its path.

  Args:
    model: a `TextureClassifier`, a `TrainedModel` or its directory.
    out: the directory (a site's, whose filter pages it then links to).
    atlas: an atlas of the classifier's network, for the pictures.
    examples: a dataset-examples directory, for the crops.
    k: the filters shown per class (at most).
    title: the page's title.

  Raises:
    ArgumentError: as `classes`.
    OutputError: if the page cannot be written.

  Examples:
    >>> write_recognition_page("runs/energy", "site/", atlas="atlas/",
    ...                        examples="examples/")
    'site/recognition.html'
  """
  listed = classes(model, atlas, examples, out, k)
  notes = [f"For each class, the {k} filters whose energy raises its score "
           "most (the classifier's weight of the standardised descriptor: "
           "what one standard deviation of the filter's energy adds).",
           f"Pictures from {atlas or 'no atlas'}; crops from "
           f"{examples or 'no dataset examples'}."]
  stylesheet = (site_pages.CSS_NAME if os.path.isfile(
      os.path.join(out, site_pages.CSS_NAME)) else None)
  path = os.path.join(outputs.prepare_directory(out), PAGE)
  outputs.write_bytes(path, render(title, listed, notes,
                                   stylesheet).encode("utf8"))
  return path
