"""Sanity checks beside the score, on the network under test.

* Activation ratio: the filter's spatial mean on its picture over its
  largest spatial mean on the dataset (1: as strong as the best image).
* Selectivity: whether the filter is the most z-scored filter of its
  layer on its own picture (z-scores from the dataset's statistics).
* Path similarity (Geirhos et al. 2023, "Don't trust your eyes"): the
  mean distance of the picture's code at the layers below (their channel
  means, standardised on the dataset) to the filter's natural drivers
  (its top exemplars), over the drivers' mean distance to each other: at
  or below 1, the picture reaches the filter by the drivers' path.
* Invariance: the same filter's pictures from different photos identify
  each other among the layer's filters (nearest by a judge), and how
  often a picture is nearest to its own photo (the photo leaking in).
"""

import dataclasses
from typing import Optional, Sequence

import numpy as np

from fmi_tf.faithfulness import judges as judges_lib
from fmi_tf.faithfulness import score
from fmi_tf.nets import feature_model

# The layers below a layer whose codes path similarity compares.
PATH_LAYERS = 2


@dataclasses.dataclass(frozen=True)
class Sanity:
  """The sanity checks of one filter's pictures under one condition.

  Attributes:
    activation_ratio: mean over the pictures of the filter's spatial mean
      on the picture over its largest on the dataset.
    selective: whether the filter has the highest z-score of its layer on
      the pictures (their mean code).
    path_ratio: picture-to-drivers over driver-to-driver distance at the
      layers below; None for the network's first layer.
  """
  activation_ratio: float
  selective: bool
  path_ratio: Optional[float]

  def to_dict(self) -> dict:
    return dataclasses.asdict(self)


def layers_below(backbone: feature_model.Backbone, layer: str) -> list[str]:
  """The `PATH_LAYERS` invertible layers nearest below `layer`."""
  invertible = list(backbone.invertible_layers)
  return invertible[max(0, invertible.index(layer) - PATH_LAYERS):
                    invertible.index(layer)]


def activation_checks(picture_means: np.ndarray, dataset_means: np.ndarray,
                      k: int) -> tuple[float, bool]:
  """Activation ratio and selectivity of filter `k`.

  Args:
    picture_means: [P, C] the layer's spatial means on the filter's pictures.
    dataset_means: [N, C] on the dataset's images.
    k: the filter.
  """
  best = dataset_means[:, k].max()
  ratio = float(picture_means[:, k].mean() / best) if best > 0 else 0.0
  std = dataset_means.std(axis=0)
  z = (picture_means.mean(axis=0) - dataset_means.mean(axis=0)) / np.where(
      std > 1e-12, std, np.inf)
  return ratio, bool(np.argmax(z) == k)


def path_ratio(picture_codes: np.ndarray, driver_codes: np.ndarray
               ) -> float:
  """Mean picture-to-driver distance over mean driver-to-driver distance.

  Args:
    picture_codes: [P, D] standardised codes below the layer.
    driver_codes: [T, D], T >= 2.
  """
  to_drivers = np.linalg.norm(
      picture_codes[:, None] - driver_codes[None], axis=-1).mean()
  pairwise = np.linalg.norm(driver_codes[:, None] - driver_codes[None],
                            axis=-1)
  between = pairwise[~np.eye(len(driver_codes), dtype=bool)].mean()
  return float(to_drivers / between) if between > 0 else float("inf")


@dataclasses.dataclass(frozen=True)
class Invariance:
  """How a condition's pictures depend on the photo they start from.

  Attributes:
    identification: the share of (filter, photo a, photo b) whose picture
      from a is nearest, among the layer's pictures from b, to the same
      filter's (chance: 1 / filters).
    leak: the share of pictures nearest to their own photo among the
      photos (chance: 1 / photos).
    filters: how many filters, photos: how many photos.
  """
  identification: float
  leak: float
  filters: int
  photos: int

  def to_dict(self) -> dict:
    return dataclasses.asdict(self)


def invariance(pictures: Sequence[np.ndarray], photos: np.ndarray,
               judge: judges_lib.Judge,
               standardiser: judges_lib.Standardiser) -> Invariance:
  """Identification across photos and the photo's leak, by one judge.

  Args:
    pictures: per photo, [F, S, S, 3] the same filters' pictures from it.
    photos: [M, S, S, 3] the photos, M >= 2.
    judge: the judge of similarity.
    standardiser: its standardisation (fitted on the query images).
  """
  codes = [standardiser(judge.describe(p)) for p in pictures]
  photo_codes = standardiser(judge.describe(photos))
  hits, trials = 0, 0
  for a, from_a in enumerate(codes):
    for b, from_b in enumerate(codes):
      if a == b:
        continue
      for k, code in enumerate(from_a):
        hits += int(np.argmax(score.similarities(code, from_b)) == k)
        trials += 1
  own = [int(np.argmax(score.similarities(code, photo_codes)) == m)
         for m, from_m in enumerate(codes) for code in from_m]
  return Invariance(hits / trials, float(np.mean(own)), len(codes[0]),
                    len(codes))
