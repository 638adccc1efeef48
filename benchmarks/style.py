r"""Style transfer costs: energy against Gram, Adam against the tutorial's SGD.

Part 1: seconds per optimisation step (forward and backward pass of the style,
content and TV losses) and peak resident memory of `energy` and `gram` at
several sizes (longer side; content: the embedded photo, style: a DTD image).
Each configuration runs in its own process, whose peak RSS (`ru_maxrss`) is
read at the end; the same process at 64 px gives the baseline (TensorFlow and
the weights), and the growth of the memory above it per doubling of the side
is printed: 4x is linear in the pixels.

Part 2: Gram style transfer from the content image, on the loss of the common
Keras tutorial (style weight 1e-6 over the layers, content 2.5e-8, TV 1e-6,
in the caffe pixel units of VGG's input), optimised by
`minimizer.Minimizer` (Adam, `stylization.DEFAULT_OPTIMIZER`) and by the
tutorial's plain SGD (learning rate 100, x0.96 every 100 steps, in caffe
pixel units). Prints steps and seconds until the tutorial's style term is 10%
of its initial value.

Part 3 (`--part=transfer`): does the result carry the style and keep the
content? For several (content photo, DTD style) pairs and both methods, with
the default weights (or --content_weight / --style_weight), it prints

The style is scaled and cropped to the content's shape.

* style moved: for each style layer l, 1 - ||e_l(x) - e_l(s)|| /
  ||e_l(c) - e_l(s)||, e_l the first-order energies of result x, style s and
  content c, averaged over the layers (100 %: the style's energies);
* content ratio: ||phi(x) - phi(c)|| / ||phi(s) - phi(c)|| at the content
  layer (relu4_2): how far the result's code strayed from the content's, as
  a share of the style's distance (0: the content's code).

Usage:
  python benchmarks/style.py --weights=PATH --style=DTD_IMAGE [--part=race]
  python benchmarks/style.py --weights=PATH --style=IMG --part=transfer \
      --pair=CONTENT:STYLE --pair=CONTENT:STYLE
"""

import dataclasses
import json
import os
import resource
import subprocess
import sys
import time

from absl import app
from absl import flags
import numpy as np
import tensorflow as tf

from fmi_tf.optim import minimizer as minimizer_lib
from fmi_tf.optim import objectives
from fmi_tf.io import images
from fmi_tf.nets import feature_model
from fmi_tf.style import losses as style_losses
from fmi_tf.style import stylization
from fmi_tf.tools import cli

import machine
import style_measures

_WEIGHTS = flags.DEFINE_string("weights", None, "VGG19 weights (HDF5).")
_STYLE = flags.DEFINE_string("style", None, "Style image.", required=True)
_SIZES = flags.DEFINE_list("sizes", ["256", "512", "1024"], "Sizes, part 1.")
_STEPS = flags.DEFINE_integer("steps", 3, "Timed steps per size, part 1.")
_RACE_SIZE = flags.DEFINE_integer("race_size", 160, "Size of part 2.")
_RACE_STEPS = flags.DEFINE_integer("race_steps", 1500,
                                   "Most steps of either optimiser, part 2.")
_PARTS = flags.DEFINE_multi_enum("part", ["memory", "race"],
                                 ["memory", "race", "transfer"],
                                 "Parts to run.")
_PAIRS = flags.DEFINE_multi_string(
    "pair", [], "Part 3: CONTENT:STYLE image paths; default the embedded "
    "photo with --style.")
_TRANSFER_SIZE = flags.DEFINE_integer("transfer_size", 192,
                                      "Longer side, part 3.")
_TRANSFER_STEPS = flags.DEFINE_integer(
    "transfer_steps", stylization.DEFAULT_OPTIMIZER.steps, "Steps, part 3.")
_CONTENT_WEIGHT = flags.DEFINE_float(
    "content_weight", stylization.StyleConfig.content_weight,
    "Content weight, part 3.")
_STYLE_WEIGHT = flags.DEFINE_float(
    "style_weight", stylization.StyleConfig.style_weight,
    "Style weight, part 3.")
_MEASURE = flags.DEFINE_string(
    "measure", None, "Internal: measure one method:size in this process.")

_BASELINE_SIZE = 64
_CHECK_EVERY = 10
_TUTORIAL_STYLE_WEIGHT = 1e-6
_TUTORIAL_CONTENT_WEIGHT = 2.5e-8
_TUTORIAL_TV_WEIGHT = 1e-6
_CAFFE_SCALE = 255.0


def _images(size):
  return images.load_image(None, size), images.load_image(_STYLE.value, size)


def measure(method: str, size: int, steps: int) -> dict:
  """Times `steps` gradient steps after a warm-up; returns seconds and RSS."""
  backbone = feature_model.vgg19(cli.weights_source(_WEIGHTS.value))
  stylizer = stylization.Stylizer(backbone,
                                  stylization.StyleConfig(method=method))
  content, style = _images(size)
  objective = stylizer.objective(with_content=True)
  targets = stylizer.targets(style, content)

  @tf.function
  def gradient(image):
    with tf.GradientTape() as tape:
      tape.watch(image)
      loss = tf.reduce_sum(objective(stylizer.features(image), image, targets))
    return tape.gradient(loss, image)

  image = tf.constant(content[None])
  gradient(image).numpy()
  began = time.perf_counter()
  for _ in range(steps if size > _BASELINE_SIZE else 0):
    gradient(image).numpy()
  seconds = (time.perf_counter() - began) / max(steps, 1)
  peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
  return {"seconds_per_step": seconds, "peak_mb": peak_mb,
          "pixels": int(np.prod(content.shape[:2]))}


def _measure_in_subprocess(method: str, size: int) -> dict:
  argv = [sys.executable, __file__, f"--measure={method}:{size}",
          f"--style={_STYLE.value}", f"--steps={_STEPS.value}"]
  if _WEIGHTS.value:
    argv.append(f"--weights={_WEIGHTS.value}")
  process = subprocess.run(argv, capture_output=True, text=True, check=True)
  return json.loads(process.stdout.strip().splitlines()[-1])


def time_and_memory() -> None:
  """Part 1: prints the table and the ratios."""
  sizes = [int(size) for size in _SIZES.value]
  print("Part 1: seconds per step and peak memory (own process per row)")
  print(f"{'method':>6} {'size':>5} {'pixels':>8} | {'s/step':>7} "
        f"{'peak MB':>8} {'above base':>10} {'MB/Mpx':>7} "
        f"{'x per doubling':>14}")
  rows = {}
  for method in style_losses.METHODS:
    base = _measure_in_subprocess(method, _BASELINE_SIZE)["peak_mb"]
    previous = None
    for size in sizes:
      row = _measure_in_subprocess(method, size)
      above = row["peak_mb"] - base
      growth = f"{above / previous:.2f}" if previous else "-"
      print(f"{method:>6} {size:>5} {row['pixels']:>8} | "
            f"{row['seconds_per_step']:>7.2f} {row['peak_mb']:>8.0f} "
            f"{above:>10.0f} {above / row['pixels'] * 1e6:>7.0f} "
            f"{growth:>14}", flush=True)
      previous = above
      rows[method, size] = row
  for size in sizes:
    energy, gram = rows["energy", size], rows["gram", size]
    print(f"{size} px: gram/energy time per step "
          f"{gram['seconds_per_step'] / energy['seconds_per_step']:.2f}, "
          f"peak memory {gram['peak_mb'] / energy['peak_mb']:.2f}")


def tutorial_objective(layers, content_layer: str,
                       image_pixels: int) -> objectives.Objective:
  """The Keras tutorial's loss, in caffe pixel units, as an Objective.

  Its style term per layer is ||F F^T - S S^T||^2 / (4 * 3^2 * N^2), F the
  unnormalised [positions, C] features and N the image's pixels; content is
  the plain sum of squares, TV sums (dx^2 + dy^2)^1.25 in caffe units.
  """

  def style_term(layer):
    def term(activations, images_, targets):
      del images_
      code = activations[layer]
      positions = tf.cast(tf.shape(code)[1] * tf.shape(code)[2], tf.float32)
      difference = (style_losses.statistic("gram", code)
                    - targets[style_losses.style_key(layer)]) * positions
      return (tf.reduce_sum(tf.square(difference), axis=[1, 2])
              / (36.0 * float(image_pixels) ** 2))
    return objectives.Objective.of(term, f"loss/style/{layer}")

  def content_term(activations, images_, targets):
    del images_
    key = style_losses.content_key(content_layer)
    return tf.reduce_sum(tf.square(
        activations[content_layer] - targets[key]),
                         axis=[1, 2, 3])

  def tv_term(activations, images_, targets):
    del activations, targets
    x = images_ * _CAFFE_SCALE
    a = tf.square(x[:, :-1, :-1, :] - x[:, 1:, :-1, :])
    b = tf.square(x[:, :-1, :-1, :] - x[:, :-1, 1:, :])
    return tf.reduce_sum(tf.pow(a + b, 1.25), axis=[1, 2, 3])

  style = sum((style_term(layer) for layer in layers), objectives.Objective(()))
  return (_TUTORIAL_STYLE_WEIGHT / len(layers) * style
          + _TUTORIAL_CONTENT_WEIGHT * objectives.Objective.of(
              content_term, "loss/content")
          + _TUTORIAL_TV_WEIGHT * objectives.Objective.of(tv_term, "loss/tv"))


def _style_level(objective, features, image, targets) -> float:
  terms = objective.terms(features(image), image, targets)
  return float(tf.reduce_sum([value for name, value in terms.items()
                              if name.startswith("loss/style")]))


def race() -> None:
  """Part 2: Adam (Minimizer) against the tutorial's SGD, Gram method."""
  backbone = feature_model.vgg19(cli.weights_source(_WEIGHTS.value))
  stylizer = stylization.Stylizer(backbone,
                                  stylization.StyleConfig(method="gram"))
  content, style = _images(_RACE_SIZE.value)
  targets = stylizer.targets(style, content)
  objective = tutorial_objective(
      list(stylizer.style_layers), stylizer.content_layer,
      int(np.prod(content.shape[:2])))
  features = stylizer.features
  start = tf.constant(content[None])
  goal = 0.1 * _style_level(objective, features, start, targets)
  print(f"\nPart 2: Gram transfer at {content.shape[1]}x{content.shape[0]} "
        f"px, time until the style term <= 10% of its initial value")
  results = {"adam": _race_adam(objective, features, start, targets, goal),
             "sgd": _race_sgd(objective, features, start, targets, goal)}
  for name, (steps, seconds) in results.items():
    reached = "reached" if steps is not None else "not reached in"
    print(f"{name:>5}: {reached} {steps or _RACE_STEPS.value} steps, "
          f"{seconds:.1f} s")
  (adam_steps, adam_seconds), (sgd_steps, sgd_seconds) = results.values()
  bound = "" if sgd_steps is not None else ">= "
  if adam_steps is not None:
    print(f"Adam is {bound}{sgd_seconds / adam_seconds:.1f}x faster in wall "
          f"time, {bound}{(sgd_steps or _RACE_STEPS.value) / adam_steps:.1f}x "
          "in steps")


def _race_adam(objective, features, start, targets, goal):
  minimizer = minimizer_lib.Minimizer(features, objective, dataclasses.replace(
      stylization.DEFAULT_OPTIMIZER, steps=_RACE_STEPS.value,
      steps_per_call=_CHECK_EVERY))
  reached = {}

  def stop_at_once(step, images_, losses):
    raise _Reached()

  def on_progress(step, images_, losses):
    del losses
    if _style_level(objective, features, tf.constant(images_),
                    targets) <= goal:
      reached["step"], reached["seconds"] = step, time.perf_counter() - began
      raise _Reached()

  for callback in (stop_at_once, on_progress):
    began = time.perf_counter()
    try:
      minimizer.minimize(start, targets, callback)
    except _Reached:
      pass
  if reached:
    return reached["step"], reached["seconds"]
  return None, time.perf_counter() - began


class _Reached(Exception):
  """Stops a run once the goal is met."""


def _race_sgd(objective, features, start, targets, goal):
  """The tutorial's SGD, in caffe pixel units: x <- x - lr * dL/dx_caffe."""

  @tf.function
  def steps(image, first_step):
    for i in tf.range(_CHECK_EVERY):
      with tf.GradientTape() as tape:
        tape.watch(image)
        loss = tf.reduce_sum(objective(features(image), image, targets))
      gradient_caffe = tape.gradient(loss, image) / _CAFFE_SCALE
      rate = 100.0 * tf.pow(0.96, tf.cast(first_step + i, tf.float32) / 100.0)
      image = image - rate * gradient_caffe / _CAFFE_SCALE
    return image

  steps(start, tf.constant(0))
  image, began = start, time.perf_counter()
  for done in range(0, _RACE_STEPS.value, _CHECK_EVERY):
    image = steps(image, tf.constant(done))
    if _style_level(objective, features, image, targets) <= goal:
      return done + _CHECK_EVERY, time.perf_counter() - began
  return None, time.perf_counter() - began


def transfer_quality() -> None:
  """Part 3: style moved and content ratio for each pair and method."""
  backbone = feature_model.vgg19(cli.weights_source(_WEIGHTS.value))
  pairs = [spec.split(":") for spec in _PAIRS.value] or [
      (images.DEFAULT_IMAGE, _STYLE.value)]
  size = _TRANSFER_SIZE.value
  print(f"\nPart 3: transfer at {size} px, {_TRANSFER_STEPS.value} steps, "
        f"content weight {_CONTENT_WEIGHT.value:g}, style weight "
        f"{_STYLE_WEIGHT.value:g}")
  print(f"{'method':>6} {'content':>18} {'style':>22} | style moved  "
        "content ratio")
  summary = {}
  for method in style_losses.METHODS:
    stylizer = stylization.Stylizer(backbone, stylization.StyleConfig(
        method=method, content_weight=_CONTENT_WEIGHT.value,
        style_weight=_STYLE_WEIGHT.value,
        optimizer=dataclasses.replace(stylization.DEFAULT_OPTIMIZER,
                                      steps=_TRANSFER_STEPS.value)))
    for content_path, style_path in pairs:
      content = images.load_image(content_path, size)
      style = images.cover_and_crop(images.load_image(style_path, size),
                                    content.shape)
      result = stylizer.stylize(style, content).image
      moved, ratio = style_measures.carried(stylizer, content, style,
                                                  result)
      summary.setdefault(method, []).append((moved, ratio))
      print(f"{method:>6} {os.path.basename(content_path)[-18:]:>18} "
            f"{os.path.basename(style_path)[-22:]:>22} | {100 * moved:10.1f}"
            f" % {ratio:13.2f}", flush=True)
  for method, rows in summary.items():
    moved, ratio = np.asarray(rows).T
    print(f"{method}: style moved min {100 * moved.min():.1f} %, "
          f"content ratio max {ratio.max():.2f}")


def main(argv):
  machine.print_header()
  cli.no_stray_arguments(argv)
  if _MEASURE.value:
    method, size = _MEASURE.value.split(":")
    print(json.dumps(measure(method, int(size), _STEPS.value)))
    return
  if "memory" in _PARTS.value:
    time_and_memory()
  if "race" in _PARTS.value:
    race()
  if "transfer" in _PARTS.value:
    transfer_quality()


if __name__ == "__main__":
  app.run(main)
