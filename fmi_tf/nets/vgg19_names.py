"""VGG19 layer names: Keras's names, the paper's aliases and their order.

Keras names the convolutions `block{b}_conv{i}` and folds the ReLU into them;
the paper (and Gatys et al.) say `conv{b}_{i}` or `relu{b}_{i}` for the same
output. Both spellings are accepted everywhere; internally only Keras names are
used. Other networks' layers go by their own names (`spelling` keeps them),
which their backbone checks.
"""

import re
from typing import Sequence

from fmi_tf import errors

_BLOCK_DEPTHS = (2, 2, 4, 4, 4)

CONV_LAYERS: tuple[str, ...] = tuple(
    f"block{block}_conv{i}"
    for block, depth in enumerate(_BLOCK_DEPTHS, start=1)
    for i in range(1, depth + 1))

POOL_LAYERS: tuple[str, ...] = tuple(
    f"block{block}_pool" for block in range(1, len(_BLOCK_DEPTHS) + 1))

# Every layer of VGG19 without its top, in network order.
FEATURE_LAYERS: tuple[str, ...] = tuple(
    name for block in range(1, len(_BLOCK_DEPTHS) + 1)
    for name in CONV_LAYERS + POOL_LAYERS
    if name.startswith(f"block{block}_")
)

_PAPER_CONV = re.compile(r"^(?:conv|relu)(\d)_(\d)$")
_PAPER_POOL = re.compile(r"^pool(\d)$")
_KERAS_VGG = re.compile(r"^block\d+_(?:conv\d+|pool)$")


def canonical_name(name: str) -> str:
  """Returns the Keras name of a VGG19 layer given either spelling.

  Args:
    name: `block3_conv1`, `conv3_1`, `relu3_1`, `block3_pool` or `pool3`.

  Returns:
    The Keras layer name, e.g. `block3_conv1`.

  Raises:
    LayerError: if the name is not a VGG19 feature layer.
  """
  name = errors.check_text("layer", name, errors.LayerError).strip()
  if match := _PAPER_CONV.match(name):
    name = f"block{match[1]}_conv{match[2]}"
  elif match := _PAPER_POOL.match(name):
    name = f"block{match[1]}_pool"
  if name not in FEATURE_LAYERS:
    raise errors.LayerError(
        f"unknown layer {name!r}; valid layers: {', '.join(CONV_LAYERS)} "
        "(or conv3_1 / relu3_1 style, or blockN_pool / poolN)")
  return name


def spelling(name: str) -> str:
  """Returns Keras's spelling of a layer name, checking VGG19's names only.

  A name in VGG19's style (`relu3_1`, `block3_conv1`) is resolved by
  `canonical_name`; any other is another network's own and kept as it is.

  Raises:
    LayerError: for a VGG19-style name that VGG19 does not have.
  """
  name = errors.check_text("layer", name, errors.LayerError).strip()
  if any(p.match(name) for p in (_PAPER_CONV, _PAPER_POOL, _KERAS_VGG)):
    return canonical_name(name)
  return name


def spellings(names: Sequence[str]) -> list[str]:
  """Returns `spelling` of each name, without duplicates, in given order."""
  return list(dict.fromkeys(spelling(name) for name in names))


def network_order(names: Sequence[str]) -> list[str]:
  """Sorts VGG19 layer names by their depth; other names keep their order."""
  return sorted(names, key=lambda name: FEATURE_LAYERS.index(name)
                if name in FEATURE_LAYERS else len(FEATURE_LAYERS))


def paper_name(name: str) -> str:
  """The paper's name of a VGG19 convolution: `block3_conv1` -> `relu3_1`."""
  block, conv = re.match(r"^block(\d)_conv(\d)$", name).groups()
  return f"relu{block}_{conv}"
