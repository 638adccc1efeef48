r"""fmi_tf against tf-keras-vis and xplique: time, memory and quality.

Each tool visualises the same filters (0..15) of one VGG19 layer (real
weights, 128 px) in a whole process of its own, started by this script;
the tools take turns (interleaved: every layer runs every tool before the
next layer, and with `--rounds` the order rotates each round). Each tool
runs with its documented defaults:

  fmi_tf: `fmi-invert --layer=L --filters=0:16` (its defaults: the embedded
    photo, 128 px), and again with `--param=fourier` (which brings its
    total-variation prior, `--tv_weight=2`).
  fmi_tf-render: channel maximisation, `fmi-render --objective=L:0:16`
    (its defaults: Fourier, from noise), as the peers do it.
  fmi_tf-maco: the same with `--param=maco`.
  tf-keras-vis, xplique, xplique-maco: see `peer_tools.py` (run in
    `--peer_python`, the interpreter of the `[peers]` extra).

Per run it reports the child's CPU seconds (user + system, from
`os.wait4`), wall seconds, and peak memory (the child's ru_maxrss), and
three quality figures, computed by `quality` alone on every tool's images
(saved as 8-bit PNG by fmi-invert; the peers' arrays are rounded to 8 bits
the same way), with fmi_tf's float32 VGG19 at max pooling:

  energy-share gain: the target filter's share of the layer's first-order
    energy (spatial mean of each map, divided by their sum) in the tool's
    image, divided by its share in the embedded photo's code. For fmi_tf
    this is its own `energy_share_gain`; for the peers, which start from
    noise, it says how much more of the layer's energy the filter holds
    in their picture than in that photo.
  mean activation: the spatial mean of the target map (after its ReLU).
  high-frequency share: the fraction of the image's spectral power above
    half the Nyquist frequency (`naturalness.high_frequency_share`);
    lower is more natural.

Medians over the filters are printed, with each tool's CPU time as a
multiple of the `--baseline` tool's. `--pictures=DIR` writes DIR/<layer>.jpg: one row per
tool, one column per filter.

The comparison is not like for like: the peers maximise the filter's
activation from noise, fmi_tf inverts a modified code of a photo (the
filter's map enhanced, the others kept), so its images keep the photo's
statistics and its gain is measured against the photo it started from.

Usage:
  python benchmarks/peers.py --weights=PATH \
      --peer_python=$HOME/venv-peers/bin/python \
      [--layers=block2_conv1,block4_conv1,block5_conv1] \
      [--pictures=docs/peers] [--runs=DIR [--tools=xplique]]
  python benchmarks/peers.py --weights=PATH --peer_python=... \
      --tools=fmi_tf-render,xplique --baseline=fmi_tf-render
  python benchmarks/peers.py --weights=PATH --peer_python=... \
      --tools=fmi_tf-maco,xplique-maco --baseline=fmi_tf-maco --filters=2
"""

import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
import time

from absl import app
from absl import flags
import numpy as np
from PIL import Image

import machine
import naturalness
import peer_tools

_WEIGHTS = flags.DEFINE_string("weights", None, "VGG19 weights (HDF5); "
                               "default $FMI_VGG19_WEIGHTS.")
_PEER_PYTHON = flags.DEFINE_string(
    "peer_python", None, "Python of the [peers] extra (tf-keras-vis, "
    "xplique); without it only fmi_tf runs.")
_LAYERS = flags.DEFINE_list(
    "layers", ["block2_conv1", "block4_conv1", "block5_conv1"], "Layers.")
_TOOLS = flags.DEFINE_list(
    "tools", ["fmi_tf", "fmi_tf-fourier", "tf-keras-vis", "xplique"],
    "Tools, in the order of the first round.")
_SIZE = flags.DEFINE_integer("size", 128, "Image side, pixels.")
_FILTERS = flags.DEFINE_integer("filters", 16, "Filters 0..N-1.")
_RENDER_STEPS = flags.DEFINE_integer(
    "render_steps", 100, "fmi-render's --steps (its default: 100): the "
    "fewest that reach the peer's median activation make a fair race.")
_BASELINE = flags.DEFINE_string(
    "baseline", "fmi_tf", "The tool whose CPU time the others' divide.")
_ROUNDS = flags.DEFINE_integer("rounds", 1, "Runs of every tool per layer.",
                               lower_bound=1)
_PICTURES = flags.DEFINE_string("pictures", None,
                                "Directory for <layer>.jpg side by side.")
_RUNS = flags.DEFINE_string(
    "runs", None, "Directory keeping every finished run (<layer>_<tool>_"
    "<round>.npz); a run already there is read instead of run again, so "
    "runs can be split over several invocations and reported together.")
_THUMB = 64
_SHORT = {"fmi_tf": "fmi", "fmi_tf-fourier": "fmiF", "fmi_tf-render": "fmiR",
          "fmi_tf-maco": "fmiM", "tf-keras-vis": "tkv", "xplique": "xpl",
          "xplique-maco": "xplM"}
# fmi-invert's flags beyond its defaults, per fmi_tf variant.
_FMI_FLAGS = {"fmi_tf": [], "fmi_tf-fourier": ["--param=fourier"]}
# fmi-render's, per channel-maximisation variant.
_RENDER_FLAGS = {"fmi_tf-render": [], "fmi_tf-maco": ["--param=maco"]}


@dataclasses.dataclass
class Run:
  """One tool's process on one layer."""
  tool: str
  layer: str
  cpu: float
  wall: float
  peak_mb: float
  images: np.ndarray


def _command(tool: str, weights: str, layer: str, out: str) -> list[str]:
  size, count = str(_SIZE.value), _FILTERS.value
  if tool in _RENDER_FLAGS:
    render = os.path.join(os.path.dirname(sys.executable), "fmi-render")
    return [render, f"--weights={weights}", f"--objective={layer}:0:{count}",
            f"--size={size}", f"--out={out}",
            f"--steps={_RENDER_STEPS.value}"] + _RENDER_FLAGS[tool]
  if tool.startswith("fmi_tf"):
    invert = os.path.join(os.path.dirname(sys.executable), "fmi-invert")
    command = [invert, f"--weights={weights}", f"--layer={layer}",
               f"--filters=0:{count}", f"--size={size}", f"--out={out}"]
    return command + _FMI_FLAGS[tool]
  if not _PEER_PYTHON.value:
    raise app.UsageError(f"{tool} needs --peer_python")
  here = os.path.dirname(os.path.abspath(__file__))
  return [_PEER_PYTHON.value, os.path.join(here, "peer_tools.py"), tool,
          weights, layer, size, str(count), os.path.join(out, "images.npy")]


def _images(tool: str, layer: str, out: str) -> np.ndarray:
  """The run's images as 8-bit-rounded float RGB in [0, 1]."""
  if tool.startswith("fmi_tf"):
    name = ("image_{:04d}.png" if tool in _RENDER_FLAGS
            else layer + "_{:04d}.png")
    arrays = [np.asarray(Image.open(
        os.path.join(out, name.format(f))).convert("RGB"))
              for f in range(_FILTERS.value)]
    return np.stack(arrays).astype(np.float32) / 255.0
  images = np.load(os.path.join(out, "images.npy"))
  return np.round(np.clip(images, 0, 1) * 255.0).astype(np.float32) / 255.0


def _kept_run(tool: str, weights: str, layer: str, round_index: int) -> Run:
  """`run_tool`'s run, kept in (or read back from) `--runs`."""
  if not _RUNS.value:
    return run_tool(tool, weights, layer)
  steps = f"_{_RENDER_STEPS.value}steps" if tool in _RENDER_FLAGS else ""
  path = os.path.join(_RUNS.value,
                      f"{layer}_{tool}{steps}_{round_index}.npz")
  if os.path.exists(path):
    with np.load(path) as kept:
      return Run(tool, layer, float(kept["cpu"]), float(kept["wall"]),
                 float(kept["peak_mb"]), kept["images"])
  run = run_tool(tool, weights, layer)
  os.makedirs(_RUNS.value, exist_ok=True)
  partial = path + ".partial.npz"
  np.savez(partial, cpu=run.cpu, wall=run.wall, peak_mb=run.peak_mb,
           images=run.images)
  os.replace(partial, path)
  return run


def run_tool(tool: str, weights: str, layer: str) -> Run:
  """Runs one tool in a child process; its CPU, wall time and peak RSS."""
  with tempfile.TemporaryDirectory() as out:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    began = time.perf_counter()
    child = subprocess.Popen(_command(tool, weights, layer, out), env=env,
                             stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - began
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
      raise RuntimeError(f"{tool} on {layer} exited {child.returncode}")
    return Run(tool, layer, usage.ru_utime + usage.ru_stime, wall,
               usage.ru_maxrss / 1024.0, _images(tool, layer, out))


def quality(images: np.ndarray, photo: np.ndarray, layer: str,
            model) -> dict[str, list[float]]:
  """Per filter i of `images[i]`: gain, mean activation, HF share."""
  # pylint: disable=import-outside-toplevel
  from fmi_tf import texture

  photo_share = texture.energy_shares(model(photo[None])[layer]).numpy()[0]
  code = model(images)[layer]
  shares = texture.energy_shares(code).numpy()
  means = texture.energies(code).numpy()
  filters = range(len(images))
  return {
      "gain": [float(shares[i, i] / photo_share[i]) for i in filters
               if photo_share[i] > 0],
      "activation": [float(means[i, i]) for i in filters],
      "high_frequency": [naturalness.high_frequency_share(images[i])
                         for i in filters],
  }


def _picture(runs: list[Run], layer: str, directory: str) -> str:
  # pylint: disable=import-outside-toplevel
  from fmi_tf.io import grid

  thumbs, labels = [], []
  for run in runs:
    for f, image in enumerate(run.images):
      side = min(image.shape[:2])
      top = (image.shape[0] - side) // 2
      left = (image.shape[1] - side) // 2
      square = image[top:top + side, left:left + side]
      thumb = Image.fromarray(np.uint8(np.round(square * 255))).resize(
          (_THUMB, _THUMB), Image.LANCZOS)
      thumbs.append(np.asarray(thumb, np.float32) / 255.0)
      labels.append(f"{_SHORT.get(run.tool, run.tool)} {f}")
  sheet = grid.labelled_grid(
      thumbs, labels, f"{layer}, filters 0-{_FILTERS.value - 1}, rows: "
      + ", ".join(f"{_SHORT.get(r.tool, r.tool)} = {r.tool}" for r in runs),
      columns=_FILTERS.value)
  os.makedirs(directory, exist_ok=True)
  path = os.path.join(directory, f"{layer}.jpg")
  sheet.save(path, quality=80)
  return path


def _report(layer: str, runs: list[Run], model, photo) -> None:
  baseline = [r.cpu for r in runs if r.tool == _BASELINE.value]
  fmi_cpu = statistics.median(baseline) if baseline else None
  print(f"\n{layer}, filters 0-{_FILTERS.value - 1}, {_SIZE.value} px")
  print(f"{'tool':>18} | {'CPU s':>7} {'wall s':>7} {'peak MB':>7} "
        f"{'x base':>6} | {'gain':>6} {'min':>6} {'activ.':>7} {'HF':>6}")
  for run in runs:
    measures = quality(run.images, photo, layer, model)
    ratio = f"{run.cpu / fmi_cpu:6.1f}" if fmi_cpu else "     -"
    print(f"{run.tool:>18} | {run.cpu:7.1f} {run.wall:7.1f} "
          f"{run.peak_mb:7.0f} {ratio} | "
          f"{statistics.median(measures['gain']):6.2f} "
          f"{min(measures['gain']):6.2f} "
          f"{statistics.median(measures['activation']):7.1f} "
          f"{statistics.median(measures['high_frequency']):6.3f}",
          flush=True)


def main(argv):
  machine.print_header()
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  for tool in _TOOLS.value:
    if tool not in _SHORT:
      raise app.UsageError(f"unknown tool {tool!r}; one of {list(_SHORT)}")
  # pylint: disable=import-outside-toplevel
  from fmi_tf.io import images as image_io
  from fmi_tf.nets import feature_model
  from fmi_tf.tools import cli

  weights = cli.weights_source(_WEIGHTS.value)
  backbone = feature_model.vgg19(weights)
  model = feature_model.feature_model(backbone, _LAYERS.value)
  photo = image_io.load_image(None, _SIZE.value)
  print(f"tools: {', '.join(_TOOLS.value)}; peers' python: "
        f"{_PEER_PYTHON.value or 'none'}; {peer_tools.TOOLS}", flush=True)
  for layer in _LAYERS.value:
    runs = []
    for round_index in range(_ROUNDS.value):
      shift = round_index % len(_TOOLS.value)
      for tool in _TOOLS.value[shift:] + _TOOLS.value[:shift]:
        runs.append(_kept_run(tool, weights, layer, round_index))
        print(f"  {layer} {tool}: {runs[-1].cpu:.1f} CPU s, "
              f"{runs[-1].wall:.1f} s", flush=True)
    runs.sort(key=lambda r: _TOOLS.value.index(r.tool))
    _report(layer, runs, model, photo)
    if _PICTURES.value:
      print("wrote", _picture(runs[::_ROUNDS.value], layer, _PICTURES.value))


if __name__ == "__main__":
  app.run(main)
