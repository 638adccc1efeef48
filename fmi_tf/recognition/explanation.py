"""Why a texture classifier chose a class: each filter's contribution.

The classifier is linear in the descriptor, its standardisation folded in
(`classifier`): score_k(x) = sum_d W[d, k] x_d + b_k. Around the mean
training descriptor m it splits exactly into one term per dimension,

  score_k(x) = score_k(m) + sum_d c[d, k],  c[d, k] = W[d, k] (x_d - m_d),

W[d, k] (x_d - m_d) being the linear model's weight times the standardised
descriptor (the standardisation's scale cancels). A positive c votes for
class k, a negative one against it; deleting a dimension (setting it to the
training mean) removes its term. What a dimension is depends on the encoder:

* `energy`: one filter of one layer, its energy (averaged over the scales,
  signed-square-rooted and L2-normalised per layer);
* `gap`: one filter of the deepest layer, its mean activation;
* `gram`: one entry (i, j) of a layer's Gram matrix, a pair of filters when
  the layer has at most `gram_dim` channels, else a pair of the fixed random
  projection's directions, each mixing all the layer's filters: no single
  filter is named then, only the layer and the pair (`Units.pairs`).

Contributions are also summed per layer (`Explanation.layers`).
"""

import dataclasses
from typing import Optional, Sequence

import keras
import numpy as np

from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.html import explanation as explanation_page
from fmi_tf.recognition import classifier as linear
from fmi_tf.recognition import encoder as texture_encoder

SCHEMA_VERSION = 1
DEFAULT_K = 5
FILTER = "filter"
GRAM_ENTRY = "gram entry"


@dataclasses.dataclass(frozen=True)
class Units:
  """What each descriptor dimension is.

  Attributes:
    kind: `filter` (energy, gap) or `gram entry`.
    layers: the layer of each dimension, [D].
    indices: the filter of each dimension (`filter`), or the entry's index
      in its layer's upper triangle (`gram entry`), [D].
    pairs: for `gram entry`, the (i, j) channels of each entry, [D, 2]
      (filters, or projected directions where `projected`); else None.
    projected: the layers whose Gram entries pair projected directions.
  """
  kind: str
  layers: tuple[str, ...]
  indices: np.ndarray
  pairs: Optional[np.ndarray] = None
  projected: tuple[str, ...] = ()

  def __len__(self) -> int:
    return len(self.layers)


def descriptor_units(encoder: keras.Model) -> Units:
  """The units of the descriptor of a model `encoder.build` made."""
  descriptor = texture_encoder.descriptor_layer(encoder)
  config = descriptor.config
  layers, indices, pairs, projected = [], [], [], []
  for layer in config.statistic_layers:
    channels = int(descriptor.features.output[layer].shape[-1])
    if config.kind != "gram":
      layers += [layer] * channels
      indices.append(np.arange(channels))
      continue
    if config.gram_dim and channels > config.gram_dim:
      channels = config.gram_dim
      projected.append(layer)
    rows, cols = np.triu_indices(channels)
    layers += [layer] * len(rows)
    indices.append(np.arange(len(rows)))
    pairs.append(np.stack([rows, cols], axis=1))
  return Units(GRAM_ENTRY if config.kind == "gram" else FILTER,
               tuple(layers), np.concatenate(indices),
               np.concatenate(pairs) if pairs else None, tuple(projected))


def check_explainable(classifier: linear.LinearClassifier) -> None:
  """Raises ArgumentError if the classifier kept no training mean."""
  if classifier.mean is None:
    raise errors.ArgumentError(
        "this classifier cannot be explained: it was saved before "
        "classifiers kept their training mean; train it again")


def contributions(classifier: linear.LinearClassifier,
                  descriptors: np.ndarray,
                  class_ids: Sequence[int]) -> np.ndarray:
  """Each dimension's contribution to one class score per image.

  Args:
    classifier: a classifier that kept its training mean.
    descriptors: float [N, D].
    class_ids: the class explained for each image, [N].

  Returns:
    float [N, D], W[d, k] (x_d - m_d) (module docstring); each row sums to
    the class's score minus its score at the mean descriptor.

  Raises:
    ArgumentError: for a classifier saved without its training mean.
  """
  check_explainable(classifier)
  weights = classifier.weights[:, np.asarray(class_ids)].T
  return weights * (np.asarray(descriptors, np.float32) - classifier.mean)


def check_k(k: int, units: Units) -> None:
  """Raises ArgumentError unless 1 <= k <= the descriptor's size."""
  limits.check_count(f"k (1 to the descriptor's {len(units)} dimensions, "
                     f"{units.kind}s)", k, 1, len(units))


@dataclasses.dataclass(frozen=True)
class Contribution:
  """One unit's part in a class score.

  Attributes:
    layer: its layer.
    index: the filter (or Gram entry, see `Units`).
    contribution: its term of the class score.
    pair: the Gram entry's two channels; None for filters.
    picture: the path of the filter's atlas picture, where one is known.
    examples: the path of its dataset examples' crops, where known.
  """
  layer: str
  index: int
  contribution: float
  pair: Optional[tuple[int, int]] = None
  picture: Optional[str] = None
  examples: Optional[str] = None

  @property
  def label(self) -> str:
    if self.pair is None:
      return f"{self.layer} filter {self.index}"
    return f"{self.layer} entry ({self.pair[0]}, {self.pair[1]})"


@dataclasses.dataclass(frozen=True)
class Explanation:
  """Why one image was given its class.

  Attributes:
    class_name: the predicted class.
    class_id: its index.
    probability: its calibrated probability.
    score: its score (margin).
    baseline: the class's score at the mean training descriptor; score is
      baseline plus every unit's contribution.
    kind: what the units are, `filter` or `gram entry`.
    top: the k units contributing most, largest first.
    layers: {layer: the sum of its units' contributions}.
    image: the image as classified, uint8 [H, W, 3], for display (not in
      `to_dict`).
  """
  class_name: str
  class_id: int
  probability: float
  score: float
  baseline: float
  kind: str
  top: tuple[Contribution, ...]
  layers: dict
  image: Optional[np.ndarray] = dataclasses.field(default=None, repr=False,
                                                  compare=False)

  def to_dict(self) -> dict:
    record = dataclasses.asdict(self)
    del record["image"]
    record["top"] = [{k: v for k, v in dataclasses.asdict(c).items()
                      if v is not None} for c in self.top]
    return {"schema_version": SCHEMA_VERSION, **record}

  @classmethod
  def from_dict(cls, record: dict) -> "Explanation":
    """Reads what `to_dict` wrote.

    Raises:
      ArgumentError: for another schema version or a malformed record.
    """
    if not isinstance(record, dict) or record.get(
        "schema_version") != SCHEMA_VERSION:
      raise errors.ArgumentError(
          f"an explanation record must have schema_version {SCHEMA_VERSION}")
    try:
      fields = {k: v for k, v in record.items() if k != "schema_version"}
      top = tuple(Contribution(**{**c, "pair": tuple(c["pair"])} if "pair"
                               in c else c) for c in fields.pop("top"))
      return cls(top=top, **fields)
    except (TypeError, KeyError) as e:
      raise errors.ArgumentError(
          f"malformed explanation record: {e}") from None

  def _repr_html_(self) -> str:
    """The image, its class, and the top units' pictures and bars."""
    return explanation_page.page(
        self.image, self.class_name, self.probability, self.score,
        self.baseline, self.kind,
        [(c.label, c.contribution, c.picture) for c in self.top])


def explain_descriptors(classifier: linear.LinearClassifier, units: Units,
                        descriptors: np.ndarray, k: int = DEFAULT_K,
                        images: Optional[np.ndarray] = None
                        ) -> list[Explanation]:
  """Explains the predicted class of each descriptor.

  Args:
    classifier: a classifier that kept its training mean.
    units: what the descriptor's dimensions are (`descriptor_units`).
    descriptors: float [N, D].
    k: how many units each explanation lists.
    images: uint8 [N, H, W, 3] to show beside them, or None.

  Returns:
    One `Explanation` per descriptor.

  Raises:
    ArgumentError: for k not in 1..D, descriptors of another size, or a
      classifier saved without its training mean.
  """
  check_explainable(classifier)
  check_k(k, units)
  descriptors = np.asarray(descriptors, np.float32)
  if descriptors.ndim != 2 or descriptors.shape[1] != len(units):
    raise errors.ArgumentError(
        f"descriptors of shape {list(descriptors.shape)} do not fit a "
        f"{len(units)}-dimensional classifier")
  scores = classifier.scores(descriptors)
  probabilities = classifier.probabilities(descriptors)
  predicted = np.argmax(scores, axis=-1)
  parts = contributions(classifier, descriptors, predicted)
  baselines = classifier.scores(classifier.mean[None])[0]
  layer_names = list(dict.fromkeys(units.layers))
  layer_of = np.asarray([layer_names.index(l) for l in units.layers])
  explained = []
  for n, (row, class_id) in enumerate(zip(parts, predicted)):
    best = np.argsort(-row, kind="stable")[:k]
    totals = np.bincount(layer_of, weights=row, minlength=len(layer_names))
    explained.append(Explanation(
        classifier.class_names[class_id], int(class_id),
        float(probabilities[n, class_id]), float(scores[n, class_id]),
        float(baselines[class_id]), units.kind,
        tuple(Contribution(
            units.layers[d], int(units.indices[d]), float(row[d]),
            None if units.pairs is None else tuple(
                int(c) for c in units.pairs[d])) for d in best),
        dict(zip(layer_names, (float(t) for t in totals))),
        None if images is None else images[n]))
  return explained


def voters(classifier: linear.LinearClassifier, units: Units, class_id: int,
           k: int = DEFAULT_K) -> list[tuple[int, float]]:
  """The k units voting most for a class: (dimension, standardised weight).

  The standardised weight W[d, k] * scale_d is what one standard deviation
  of the unit adds to the class's score, comparable across units.

  Raises:
    ArgumentError: for k not in 1..D or a classifier saved without its
      training standardisation.
  """
  check_explainable(classifier)
  check_k(k, units)
  weights = classifier.weights[:, class_id] * classifier.scale
  best = np.argsort(-weights, kind="stable")[:k]
  return [(int(d), float(weights[d])) for d in best]
