"""A run's total objective: its main term, the image priors, a user's objective.

Filter inversion (the distance to an enhanced code), style transfer (the
style and content terms) and energy reallocation (the distances to the
reallocated codes) each minimise a main term plus the same image priors,
`tv_weight` times total variation and `l2_weight` times the distance from
mid-grey, plus a user's own objective if one is given. `compose` builds that
sum in one place, and `total_and_terms` evaluates it with its named parts
(`loss/style/<layer>`, `loss/tv`, a user's terms, ...) for summaries.

The settings every such run shares, the prior weights, the starting noise
(`noise_std`, drawn by `grey_noise_images`), its `seed` and the `batch_size`,
are checked by `check_settings`, which each run's config calls.

Examples:
  >>> total = composition.compose(objectives.code_distance("block1_conv1"),
  ...                             tv_weight=0.5, user="block2_conv1:3")
  >>> sorted(total.terms(activations, images, targets))
  ['loss/channel/block2_conv1', 'loss/code/block1_conv1', 'loss/tv']
"""

from typing import Any, Mapping, Optional, Sequence

import tensorflow as tf

from fmi_tf import errors
from fmi_tf import limits
from fmi_tf.optim import objectives
from fmi_tf.optim import optimization


def compose(main: objectives.Objective, *, tv_weight: float = 0.0,
            l2_weight: float = 0.0,
            user: Optional[Any] = None) -> objectives.Objective:
  """The main term plus the weighted priors plus the user's objective.

  Args:
    main: the run's own term.
    tv_weight: weight of the total-variation prior; 0 leaves it out.
    l2_weight: weight of the L2 prior (distance from mid-grey); 0 leaves
      it out.
    user: a user's objective, or anything `objectives.as_objective` takes;
      None adds nothing.

  Returns:
    The total objective; its terms keep their names.

  Raises:
    FmiError: for a user's objective `objectives.as_objective` refuses.
  """
  total = main
  if tv_weight:
    total += tv_weight * objectives.total_variation()
  if l2_weight:
    total += l2_weight * objectives.l2()
  if user is not None:
    total += objectives.as_objective(user)
  return total


def total_and_terms(objective: objectives.Objective,
                    activations: Mapping[str, tf.Tensor], images: tf.Tensor,
                    targets: Mapping) -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
  """Returns `(total, {name: term})`, each a batch mean of weighted terms.

  Args:
    objective: the objective whose terms are evaluated.
    activations: the feature model's output for `images`.
    images: [B, H, W, 3] RGB in [0, 1].
    targets: the objective's targets.

  Returns:
    The scalar total and one scalar per term name (`loss/style/<layer>`,
    `loss/content/<layer>`, `loss/tv`); the total is the sum of the terms.
  """
  terms = {name: tf.reduce_mean(value) for name, value in
           objective.terms(activations, images, targets).items()}
  return tf.add_n(list(terms.values())), terms


def check_settings(*, tv_weight: float = 0.0, l2_weight: float = 0.0,
                   noise_std: float = 0.0, seed: int = 0,
                   batch_size: int = 1) -> None:
  """Raises FmiError for a bad setting that the run configs share.

  Args:
    tv_weight: weight of the total-variation prior, non-negative.
    l2_weight: weight of the L2 prior, non-negative.
    noise_std: standard deviation of the starting noise, non-negative.
    seed: the noise's seed, an integer in [0, `optimization.MAX_SEED`].
    batch_size: images optimised together, in [1, `limits.MAX_BATCH`].

  Raises:
    ArgumentError: naming the first bad setting.
  """
  limits.check_count("batch_size", batch_size, 1, limits.MAX_BATCH)
  for name, value in (("tv_weight", tv_weight), ("l2_weight", l2_weight),
                      ("noise_std", noise_std)):
    errors.check_non_negative(name, value)
  optimization.check_seed(seed)


def grey_noise_images(shape, seeds: Sequence[tuple[int, int]],
                      noise_std: float) -> tf.Tensor:
  """Mid-grey images plus seeded Gaussian noise, clipped to [0, 1].

  Args:
    shape: [H, W, 3] of each image.
    seeds: one stateless seed pair per image; an image depends on its pair
      only, never on the other images.
    noise_std: standard deviation of the noise.

  Returns:
    [len(seeds), H, W, 3] float32 images.
  """
  noise = tf.stack([tf.random.stateless_normal(shape, seed=list(seed))
                    for seed in seeds])
  return tf.clip_by_value(0.5 + noise_std * noise, 0.0, 1.0)
