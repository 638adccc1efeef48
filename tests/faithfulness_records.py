"""Faithfulness records written by hand through the result type, and the
small atlases they score, for the site's tests."""

import json

import numpy as np
from PIL import Image

from fmi_tf.faithfulness import result

LAYER = "block1_conv1"
NETWORK = {"network": "vgg19", "preprocessing": "caffe", "options": {},
           "weights": "weights/tiny.h5"}
# The judges of a record: one independent, one circular.
JUDGES = {"image-statistics": False, "same-network": True}


def atlas(root, filters: int = 4, param: str = "pixel",
          network: dict = None, steps: int = 60):
  """An atlas of `filters` flat pictures of LAYER, drawn by
  `invert-<param>-transfer` in `steps` steps on NETWORK; returns its
  directory."""
  directory = root / "atlas"
  directory.mkdir()
  for k in range(filters):
    Image.fromarray(np.full((16, 16, 3), 40 * k, np.uint8)).save(
        directory / f"{LAYER}_{k:04d}.png")
    (directory / f"{LAYER}_{k:04d}.json").write_text(json.dumps({
        "layer_index": 1, "network": network or NETWORK,
        "parameters": {"param": param, "mode": "transfer",
                       "steps": steps}}))
  return directory


def filter_score(condition: str, judge: str, k: int, score: float,
                 null: float, gain_low: float, layer: str = LAYER
                 ) -> result.FilterScore:
  """A score whose intervals lie 0.1 either side of the score and reach
  down to `gain_low` for the gain."""
  return result.FilterScore(layer, condition, judge, k, score, null,
                            score - 0.1, min(score + 0.1, 1.0), gain_low,
                            score - null + 0.1)


def record(scored: dict, condition: str = "invert-pixel-transfer",
           ceiling: dict = None, judges: dict = None,
           settings: dict = None, layer: str = LAYER) -> dict:
  """A record of `condition` at `layer`.

  Args:
    scored: {filter: (score, null, gain_low)}, the same under every judge.
    ceiling: {judge: natural-top1 score} (default 0.9 each, null 0.5: the
      judge is valid).
    judges: {name: circular} (default JUDGES).
    settings: replaces the settings' network and weights.
  """
  judges = judges or JUDGES
  ceiling = ceiling or {judge: 0.9 for judge in judges}
  scores = []
  for judge in judges:
    for k, (score, null, gain_low) in scored.items():
      scores.append(filter_score(condition, judge, k, score, null, gain_low,
                                 layer))
      scores.append(filter_score(result.CEILING, judge, k, ceiling[judge],
                                 0.5, ceiling[judge] - 0.6, layer))
  return result.FaithfulnessResult(
      {"network": NETWORK["network"], "weights": "/elsewhere/tiny.h5",
       "seed": 0, **(settings or {})},
      {condition: "inversion", result.CEILING: "natural"}, judges,
      {layer: tuple(scored)}, tuple(scores)).to_dict()


def write(path, record_: dict) -> str:
  path.write_text(json.dumps(record_))
  return str(path)
