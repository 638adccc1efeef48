"""Where a classifier's filters are drawn: atlas pictures, dataset crops.

An explanation names filters (`recognition.explanation`); an atlas
(`fmi-atlas`) holds each filter's picture as `<layer>_<filter:04d>.png`
with its JSON record, and a dataset-examples directory
(`fmi-dataset-examples`) its crops sheet. `attach` fills those paths into
explanations, after checking that the atlas is one of the classifier's own
network: another network's filters would be other textures under the same
names.
"""

import dataclasses
import glob
import json
import os
from typing import Optional, Sequence

from fmi_tf import errors
from fmi_tf.atlas import layout
from fmi_tf.inversion import files
from fmi_tf.microscope import examples_files
from fmi_tf.recognition import explanation

_COMPARED = ("network", "preprocessing", "options")


def atlas_network(atlas: str) -> Optional[dict]:
  """The network recorded by the atlas's filters (the first record read),
  or None where no record names one.

  Raises:
    ArgumentError: if the atlas directory is missing.
  """
  if not os.path.isdir(atlas):
    raise errors.ArgumentError(f"atlas directory not found: {atlas}")
  for path in sorted(glob.glob(os.path.join(glob.escape(atlas),
                                            "*_[0-9][0-9][0-9][0-9].json"))):
    record = layout.read_record(path)
    if record and record.run.network is not None:
      return record.run.network
  return None


def check_atlas(atlas: str, network: dict) -> None:
  """Raises ArgumentError if the atlas was drawn on another network.

  Args:
    atlas: an atlas directory.
    network: the classifier's network (`networks.record`, as a trained
      model keeps it).
  """
  drawn = atlas_network(atlas)
  if drawn is None:
    return
  theirs = {k: drawn.get(k) for k in _COMPARED}
  ours = {k: network.get(k) for k in _COMPARED}
  if theirs.get("options") is None:
    theirs["options"] = {}
  if theirs != ours:
    raise errors.ArgumentError(
        f"{atlas} holds an atlas of another network: "
        f"{json.dumps(theirs, sort_keys=True)}, not the classifier's "
        f"{json.dumps(ours, sort_keys=True)}; give an atlas of its network")


def picture(atlas: Optional[str], layer: str, filter_id: int
            ) -> Optional[str]:
  """The filter's atlas picture, if the atlas holds it."""
  if not atlas:
    return None
  path = files.filter_stem(atlas, layer, filter_id) + ".png"
  return path if os.path.isfile(path) else None


def crops(examples: Optional[str], layer: str, filter_id: int
          ) -> Optional[str]:
  """The filter's dataset crops sheet, if the directory holds it."""
  if not examples:
    return None
  path = examples_files.sheet_path(examples, layer, filter_id)
  return path if os.path.isfile(path) else None


def attach(explanations: Sequence[explanation.Explanation], network: dict,
           atlas: Optional[str] = None, examples: Optional[str] = None
           ) -> list[explanation.Explanation]:
  """The explanations with their filters' pictures and crops where found.

  Args:
    explanations: what `TextureClassifier.explain` returned.
    network: the classifier's network (`clf.model.network`).
    atlas: an atlas directory of that network, or None.
    examples: a dataset-examples directory, or None.

  Raises:
    ArgumentError: for a missing atlas or one of another network.

  Examples:
    >>> why = clf.explain("bricks.jpg", k=4)
    >>> filter_links.attach(why, clf.model.network, "atlas/", "examples/")[0]
  """
  if atlas:
    check_atlas(atlas, network)
  return [dataclasses.replace(why, top=tuple(
      dataclasses.replace(item, picture=picture(atlas, item.layer,
                                                item.index),
                          examples=crops(examples, item.layer, item.index))
      if item.pair is None else item for item in why.top))
          for why in explanations]
