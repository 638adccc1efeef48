"""`measure_faithfulness`: conditions scored on the same filters.

For each layer, filters that fire on the dataset are drawn at random; each
condition draws their pictures; each judge scores every picture against its
filter's queries (the 2-AFC score, `score`) and against another filter's
queries (the method-matched null: filter i's picture judged as if it were
filter i+1's, cyclically). The natural exemplars (top 1: the ceiling, top
9: the judge's validity) always run. Sanity checks of every condition are
measured on the network under test.
"""

import dataclasses
import time
from typing import Any, Optional, Sequence

from absl import logging
import numpy as np

from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.faithfulness import conditions as conditions_lib
from fmi_tf.faithfulness import judges as judges_lib
from fmi_tf.faithfulness import queries as queries_lib
from fmi_tf.faithfulness import result as result_lib
from fmi_tf.faithfulness import sanity as sanity_lib
from fmi_tf.faithfulness import score as score_lib
from fmi_tf.faithfulness import split as split_lib
from fmi_tf.io import outputs
from fmi_tf.nets import input_size
from fmi_tf.nets import networks

DEFAULT_JUDGES = ("image-statistics", "same-network")
# Natural exemplars behind the ceiling and the judge's validity.
_CEILING_TOPS = (1, 9)


def _listed(what: str, value, kind: "type | tuple[type, ...]",
            items: str) -> Optional[list]:
  """`value` as a list of strings or `kind`s (`items` says which, for the
  message); None stays None.

  Raises:
    ArgumentError: for anything but a name, a `kind`, or a list or tuple of
      them.
  """
  if value is None:
    return None
  if isinstance(value, (str, kind)):
    return [value]
  if not isinstance(value, (list, tuple)) or not all(
      isinstance(item, (str, kind)) for item in value):
    raise errors.ArgumentError(
        f"{what} must be a list of {items}, not "
        f"{errors.shown(value)}")
  return list(value)


def _with_ceiling(conditions: Sequence["str | conditions_lib.Condition"],
                  settings: dict) -> tuple[conditions_lib.Condition, ...]:
  conditions = [c if isinstance(c, conditions_lib.Condition)
                else conditions_lib.by_name(c, **settings) for c in conditions]
  names = [c.name for c in conditions]
  if len(set(names)) != len(names):
    raise errors.ArgumentError(f"conditions must have distinct names: {names}")
  for condition in conditions:
    errors.check_choice("condition kind", condition.kind,
                        conditions_lib.KINDS)
  missing = [conditions_lib.natural(top) for top in _CEILING_TOPS
             if f"natural-top{top}" not in names]
  return (*conditions, *missing)


def _drawn(condition: conditions_lib.Condition,
           request: conditions_lib.Request) -> np.ndarray:
  pictures = np.asarray(condition.draw(request), np.float32)
  expected = (len(request.filters), request.size, request.size, 3)
  if (pictures.ndim != 5 or pictures.shape[0] != expected[0]
      or pictures.shape[2:] != expected[1:] or pictures.shape[1] < 1):
    raise errors.ArgumentError(
        f"condition {condition.name} drew pictures of shape "
        f"{list(pictures.shape)}, not [{expected[0]}, P, {request.size}, "
        f"{request.size}, 3]")
  if not np.isfinite(pictures).all():
    raise errors.ArgumentError(
        f"condition {condition.name} drew non-finite pixels")
  return np.clip(pictures, 0.0, 1.0)


@dataclasses.dataclass(frozen=True)
class _JudgedQueries:
  judge: judges_lib.Judge
  standardiser: judges_lib.Standardiser
  codes: np.ndarray

  def describe(self, pictures: np.ndarray) -> np.ndarray:
    """[F, P, S, S, 3] -> [F, P, D]: standardised codes."""
    flat = pictures.reshape(-1, *pictures.shape[2:])
    codes = self.standardiser(self.judge.describe(flat))
    return codes.reshape(*pictures.shape[:2], -1)

  def similar(self, codes: np.ndarray, filter_queries: queries_lib.Queries
              ) -> tuple[np.ndarray, np.ndarray]:
    """One filter's [P, D] picture codes' similarities to its Q+ and Q-."""
    return (
        score_lib.set_similarities(codes, self.codes[filter_queries.positive]),
        score_lib.set_similarities(codes, self.codes[filter_queries.negative]))


def measure_faithfulness(
    net: Any, layers: Sequence[str], dataset: Any, *,
    conditions: Optional[Sequence["str | conditions_lib.Condition"]] = None,
    judges: Optional[Sequence["str | judges_lib.Judge"]] = None,
    filters: int = 32, queries: int = 8, size: int = 128,
    images: Optional[int] = None, exemplar_fraction: float = 0.5,
    photo: Any = None, invariance_photos: Sequence[Any] = (),
    seed: int = 0, out: Optional[str] = None,
    **settings) -> result_lib.FaithfulnessResult:
  """Does each filter's picture predict what the filter does on real images?

  Examples:
    >>> net = fmi_tf.network("vgg19", weights="vgg19_imagenet_notop.h5")
    >>> mobilenet = fmi_tf.network("mobilenet", weights="mobilenet.h5")
    >>> res = fmi_tf.measure_faithfulness(
    ...     net, ["block1_conv1", "block3_conv1"], "folder:dtd10/",
    ...     judges=[judges.network_judge(mobilenet, judges.MOBILENET_LAYERS),
    ...             judges.image_statistics_judge()],
    ...     filters=8, size=96, images=240)
    >>> print(res.table())

  Args:
    net: the network under test (a backbone or what `fmi_tf.network` takes).
    layers: the layers whose filters are measured.
    dataset: a dataset spec (`folder:PATH`, `dtd:PATH`, ...), a loaded
      dataset, or an [N, size, size, 3] array of RGB images in [0, 1].
    conditions: how pictures are made, as `Condition`s or by name
      (`conditions.by_name`; default `conditions.default_conditions()`:
      fmi_tf's inversion, pixel and Fourier, transfer and gain, and
      activation maximisation, pixel, Fourier and MaCo); natural top-1 and
      top-9 exemplars are added when absent.
    judges: `Judge`s or their names (`judges.resolve`:
      `image-statistics`, `same-network`, `mobilenet:<weights>`); default:
      `image-statistics` and the circular `same-network`.
    filters: filters drawn per layer among those that fire on the dataset.
    queries: the size of Q+ and of Q- per filter.
    size: the side of the square pictures and dataset images.
    images: use this many of the dataset's images (None: all).
    exemplar_fraction: the share of the images that are exemplars.
    photo: the photo whose code inversions modify (default: the embedded
      photo), cut to a square.
    invariance_photos: two or more photos from which the conditions that
      start from a photo (`Condition.from_photo`: the inversions) are drawn
      again for the invariance check (none: skipped).
    seed: seeds the split, the filters, the methods and the intervals.
    out: also write the record (`FaithfulnessResult.to_dict`) to this JSON
      file, atomically; checked before any work.
    **settings: settings of `fmi_tf.invert` and `fmi_tf.render` for the
      conditions given by name or by default (`steps=60`, ...).

  Returns:
    Per-filter scores with their nulls, sanity checks, their summary.

  Raises:
    FmiError: for a bad layer, dataset, judge or condition, too few images
      for the split, or a layer without two filters that fire on it.
  """
  backbone = networks.network(net)
  seed = limits.check_count("seed", seed, 0, limits.MAX_SEED)
  conditions = _listed("conditions", conditions, conditions_lib.Condition,
                       "condition names or Conditions")
  judges = _listed("judges", judges, judges_lib.Judge,
                   "judge names or Judges")
  invariance_photos = _listed(
      "invariance_photos", () if invariance_photos is None
      else invariance_photos, (np.ndarray, type(None)),
      "photo paths, arrays or None (the embedded photo)")
  layers = backbone.network_order(backbone.canonical_names(layers))
  filters = limits.check_count("filters", filters, 2, limits.MAX_CHANNELS)
  queries = limits.check_count("queries", queries, 1,
                               limits.MAX_IMAGES_PER_ITEM)
  size = limits.check_count("size", size, 8, limits.MAX_SIZE)
  input_size.check_fits(backbone.model, layers, (size, size),
                        "picture size")
  if len(invariance_photos) == 1:
    raise errors.ArgumentError("the invariance check needs at least 2 photos")
  if out is not None:
    outputs.check_json_file(out)
  conditions = _with_ceiling(
      conditions_lib.default_conditions(**settings) if conditions is None
      else conditions, settings)
  judges = tuple(judges_lib.resolve(j, backbone) for j in (
      judges if judges is not None else DEFAULT_JUDGES))
  if len({j.name for j in judges}) != len(judges) or not judges:
    raise errors.ArgumentError("give one or more judges, distinctly named")
  photo_rgb = conditions_lib.square_photo(photo, size)
  other_photos = [conditions_lib.square_photo(p, size)
                  for p in invariance_photos]
  split = split_lib.split_images(
      dataset, size, images, exemplar_fraction, seed,
      min_exemplars=max(_CEILING_TOPS),
      min_queries=queries_lib.min_query_images(queries))
  below = {layer: sanity_lib.layers_below(backbone, layer)
           for layer in layers}
  coded = sorted({*layers, *(b for names in below.values() for b in names)},
                 key=backbone.depth)
  exemplar_means = split_lib.spatial_means(backbone, coded, split.exemplars)
  query_means = split_lib.spatial_means(backbone, coded, split.queries)
  judged = {}
  for judge in judges:
    parts = judge.describe(split.queries)
    standardiser = judges_lib.Standardiser.fit(parts)
    judged[judge.name] = _JudgedQueries(judge, standardiser,
                                        standardiser(parts))

  rng = np.random.default_rng(seed)
  chosen, scores, checks, invariance, pictures_by = {}, [], [], {}, {}
  for layer in layers:
    ids = queries_lib.sample_filters(query_means[layer], queries, filters,
                                     layer, rng)
    chosen[layer] = tuple(int(k) for k in ids)
    filter_queries = [queries_lib.filter_queries(query_means[layer][:, k],
                                                 queries) for k in ids]
    request = conditions_lib.Request(
        backbone, layer, chosen[layer], size, photo_rgb, split.exemplars,
        exemplar_means[layer], seed)
    for condition in conditions:
      started = time.perf_counter()
      pictures = _drawn(condition, request)
      pictures_by[layer, condition.name] = pictures
      for name, judge in judged.items():
        codes = judge.describe(pictures)
        for i, k in enumerate(chosen[layer]):
          scores.append(result_lib.FilterScore.judged(
              layer, condition.name, name, k,
              judge.similar(codes[i], filter_queries[i]),
              judge.similar(codes[(i + 1) % len(ids)], filter_queries[i]),
              seed))
      checks += _sanity(backbone, layer, below[layer], condition.name,
                        chosen[layer], pictures, exemplar_means, query_means)
      if other_photos and condition.from_photo:
        drawn = [_drawn(condition, dataclasses.replace(request, photo=p))[:, 0]
                 for p in other_photos]
        for name, judge in judged.items():
          invariance[layer, condition.name, name] = sanity_lib.invariance(
              drawn, np.stack(other_photos), judge.judge, judge.standardiser)
      logging.info("%s %s: %d filters in %.1f s", layer, condition.name,
                   len(ids), time.perf_counter() - started)
  record = {
      "network": backbone.network, "weights": backbone.source,
      "dataset": dataset if isinstance(dataset, str) else "in-memory images",
      "layers": list(layers), "filters": filters, "queries": queries,
      "size": size, "images": images, "exemplar_fraction": exemplar_fraction,
      "exemplars": len(split.exemplars), "query_images": len(split.queries),
      "skipped_images": list(split.skipped), "invariance_photos":
      len(other_photos), "seed": seed, "inversion_settings": settings,
      "valid_ceiling": result_lib.VALID_CEILING}
  result = result_lib.FaithfulnessResult(
      record, {c.name: c.kind for c in conditions},
      {j.name: j.circular for j in judges}, chosen, tuple(scores),
      tuple(checks), invariance, pictures_by)
  if out is not None:
    outputs.write_json(outputs.prepare_file(out), result.to_dict())
  return result


def _sanity(backbone, layer: str, below: list[str], condition: str,
            filters: tuple[int, ...], pictures: np.ndarray,
            exemplar_means: dict, query_means: dict
            ) -> list[result_lib.FilterSanity]:
  """The sanity checks of one condition's pictures of a layer's filters."""
  flat = pictures.reshape(-1, *pictures.shape[2:])
  means = split_lib.spatial_means(backbone, [layer, *below], flat)
  per_filter = {name: value.reshape(*pictures.shape[:2], -1)
                for name, value in means.items()}
  dataset = {name: np.concatenate([exemplar_means[name], query_means[name]])
             for name in [layer, *below]}
  if below:
    standardiser = judges_lib.Standardiser.fit([dataset[b] for b in below])
  rows = []
  for i, k in enumerate(filters):
    ratio, selective = sanity_lib.activation_checks(
        per_filter[layer][i], dataset[layer], k)
    path = None
    if below:
      drivers = np.argsort(-exemplar_means[layer][:, k], kind="stable")[:9]
      path = sanity_lib.path_ratio(
          standardiser([per_filter[b][i] for b in below]),
          standardiser([exemplar_means[b][drivers] for b in below]))
    rows.append(result_lib.FilterSanity(
        layer, condition, k, sanity_lib.Sanity(ratio, selective, path)))
  return rows
