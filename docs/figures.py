r"""Makes every figure of the manual, and records the settings each used.

Usage (from the repository root):
  python docs/figures.py                          # every figure
  python docs/figures.py --only=atlas/block1_conv1.png,style/transfer.png

`FIGURES` is the one table of the manual's figures: each figure's path under
docs/ and the tool command lines that make it, at today's defaults (only the
layer, filters, size and the like are chosen; a default overridden is named
in the figure's caption). Beside each figure it writes `<figure>.json`: the
commands, the settings the run used, copied from the run's own records
(`fmi-invert`'s per-filter records, `fmi-atlas-stats`' measures, or for
`fmi-stylize` and `fmi-reallocate`, which write no record, the config their
flags give), and `captioned`: the settings the caption must name, each with
the phrase that names it (tests/test_figures.py checks the captions).
Commands are shown with $FMI_VGG19_WEIGHTS, $FMI_MOBILENET_WEIGHTS,
$FMI_DTD10 and $WORK (a temporary directory); --weights, --mobilenet_weights
and --dtd10 give the first three (default: those environment variables).
Figures are stored small: PNGs in 128 colours, JPEGs at quality 85.
"""

import dataclasses
import io
import json
import os
import shlex
import string
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Mapping

from PIL import Image
from PIL import ImageDraw
from PIL import ImageFont

DOCS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(DOCS)
SIDECAR = ".json"
STYLE_IMAGE = "docs/style/style.jpg"  # DTD crystalline_0102.jpg at 256 px.

# The phrase that names a setting in a caption; {} is its recorded value.
PHRASES = {
    "layer": "{}", "layers": "{}", "filters": "filters {}", "size": "{} px",
    "param": "{}", "tv_weight": "tv_weight {}", "steps": "{} steps",
    "steps_per_call": "every {} steps", "tolerance": "at {}",
    "patience": "patience {}", "precision": "{}", "network": "{}",
    "method": "{}", "content_weight": "content weight {}",
    "seeds": "seeds {}", "mode": "{}", "image_size": "{} px",
    "encoder": "{}", "fold": "fold {}",
}
_INVERSION_CAPTION = ("layer", "filters", "size", "param", "tv_weight",
                      "steps", "steps_per_call", "tolerance", "patience",
                      "precision")
# Per-filter fields of fmi-invert's records: results, not settings.
_RESULTS = {"activated", "energy_share_after", "energy_share_before",
            "energy_share_gain", "filter", "loss", "seconds", "steps",
            "schema_version", "image_sha256", "inactive", "layer_index",
            "texture_measures", "energy_share_gain_undefined"}


@dataclasses.dataclass(frozen=True)
class Run:
  """One tool command: the tool and its flags, in order."""
  tool: str
  flags: tuple[tuple[str, Any], ...]

  def command(self) -> str:
    """The command line as shown, with its $PLACEHOLDERS."""
    return " ".join([self.tool] + [f"--{k}={v}" if v is not True else f"--{k}"
                                   for k, v in self.flags])

  def flag(self, name: str, default: Any = None) -> Any:
    return dict(self.flags).get(name, default)


def run(tool: str, *, label: str = "", **flag_values) -> tuple[str, Run]:
  """A labelled `Run`; flags are given in keyword order."""
  return label, Run(tool, tuple(flag_values.items()))


@dataclasses.dataclass(frozen=True)
class Figure:
  """How one figure is made: its runs, the maker that draws it from their
  outputs and returns the settings, and the settings its caption names."""
  runs: tuple[tuple[str, Run], ...]
  make: Callable[["Figure", str, "Context"], dict]
  captioned: tuple[str, ...]
  title: str = ""


# ---------------------------------------------------------------- runs


class Context:
  """The placeholders' values of one call, $WORK its temporary directory."""

  def __init__(self, values: Mapping[str, str], work: str):
    self.values = {**values, "WORK": work}

  def expand(self, text: str) -> str:
    return string.Template(text).substitute(self.values)

  def shown(self, value: Any) -> Any:
    """A recorded value with this machine's paths put back as placeholders."""
    if isinstance(value, str):
      for name, path in sorted(self.values.items(), key=lambda kv: -len(kv[1])):
        if path:
          value = value.replace(os.path.abspath(path), "$" + name)
          value = value.replace(path, "$" + name)
      return value
    if isinstance(value, dict):
      return {k: self.shown(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
      return [self.shown(v) for v in value]
    return value

  def execute(self, command: Run) -> None:
    argv = [self.expand(part) for part in shlex.split(command.command())]
    if argv[0] == "python":
      argv[0] = sys.executable
    print("+", command.command(), flush=True)
    subprocess.run(argv, check=True, cwd=ROOT)


def flat(settings: Mapping, prefix: str = "") -> dict:
  """Nested settings as one level, nested keys joined with dots."""
  out = {}
  for key, value in settings.items():
    if isinstance(value, Mapping):
      out.update(flat(value, f"{prefix}{key}."))
    else:
      out[prefix + key] = value
  return out


def _save(picture: Image.Image, path: str) -> None:
  """A figure stored small: 128-colour PNG or JPEG at quality 85."""
  picture = picture.convert("RGB")
  if path.endswith(".png"):
    picture.quantize(128, dither=Image.Dither.FLOYDSTEINBERG).save(
        path, optimize=True)
  else:
    picture.save(path, quality=85, optimize=True)


# ------------------------------------------------------ inversion grids


def _inversion_records(out: str) -> list[dict]:
  names = sorted(n for n in os.listdir(out) if n.endswith(".json"))
  records = []
  for name in names:
    with open(os.path.join(out, name), encoding="utf-8") as f:
      records.append(json.load(f))
  return records


def inversion_settings(records: list[dict], filters: str) -> dict:
  """The settings every record of one fmi-invert run holds (the parameters
  lifted to the top), with the filters asked for."""
  settings = [{k: v for k, v in r.items() if k not in _RESULTS}
              for r in records]
  if any(s != settings[0] for s in settings):
    raise ValueError("the records of one run disagree on their settings")
  settings = dict(settings[0])
  settings.update(settings.pop("parameters"))
  return {**flat(settings), "filters": filters}


def inversion_grid(figure: Figure, path: str,
                   context: Context) -> dict:
  """A grid of fmi-invert's pictures: one row per labelled run, or one run
  in about square rows. Returns the settings (per run label if several)."""
  from fmi_tf.io import grid  # pylint: disable=g-import-not-at-top
  from fmi_tf.io import images  # pylint: disable=g-import-not-at-top
  pictures, labels, settings = [], [], {}
  for label, command in figure.runs:
    out = context.expand(command.flag("out"))
    records = _inversion_records(out)
    for record in records:
      pictures.append(images.load_image(os.path.join(
          out, f"{record['layer']}_{record['filter']:04d}.png")))
      labels.append(f"{label} {record['filter']}".strip())
    run_settings = context.shown(inversion_settings(records,
                                                    command.flag("filters")))
    if label:
      settings.update({f"{label}.{k}": v for k, v in run_settings.items()})
    else:
      settings.update(run_settings)
  columns = len(pictures) // len(figure.runs) if len(figure.runs) > 1 else None
  _save(grid.labelled_grid(pictures, labels, figure.title, columns), path)
  return settings


def _captioned_per_row(labels, keys) -> tuple[str, ...]:
  return tuple(f"{label}.{key}" for label in labels for key in keys)


def invert(layer: str, filters: str, size: int, out: str, *, label: str = "",
           model: str = "", **more) -> tuple[str, Run]:
  """An fmi-invert run of the project's VGG19 (or --model's) weights."""
  weights = ("$FMI_MOBILENET_WEIGHTS" if model == "mobilenet"
             else "$FMI_VGG19_WEIGHTS")
  model_flag = {"model": model} if model else {}
  return run("fmi-invert", label=label, **model_flag, weights=weights,
             layer=layer, filters=filters, size=size, **more,
             out=f"$WORK/{out}")


def atlas_figure(layer: str, filters: str, size: int,
                 model: str = "") -> Figure:
  first, stop = filters.split(":")
  return Figure(
      (invert(layer, filters, size, f"{model or 'vgg19'}_{layer}",
              model=model),), inversion_grid,
      _INVERSION_CAPTION + (("network.network",) if model else ()),
      f"{layer}: filters {first}-{int(stop) - 1}, {size} px")


_PARAM_ROWS = (("pixel", {"param": "pixel"}),
               ("fourier", {"param": "fourier"}))
_BARE_ROW = (("fourier-bare", {"param": "fourier", "tv_weight": 0,
                               "summary_every": 10, "tolerance": 0.03}),)


def param_figure(layer: str, num_filters: int, size: int, count: int,
                 bare: bool = False) -> Figure:
  """`count` filters spread over the layer, one row per parameterisation."""
  rows = _PARAM_ROWS + (_BARE_ROW if bare else ())
  filters = ",".join(str(i * num_filters // count) for i in range(count))
  return Figure(
      tuple(invert(layer, filters, size, f"param_{label}_{layer}",
                   label=label, **flags) for label, flags in rows),
      inversion_grid,
      ("pixel.layer", "pixel.size")
      + _captioned_per_row([label for label, _ in rows],
                           ("param", "tv_weight", "steps_per_call",
                            "tolerance")),
      f"{layer}, rows: " + ", ".join(label for label, _ in rows))


# ------------------------------------------------------------- style


def _config_settings(config_class, given: Mapping[str, Any]) -> dict:
  """The config the tool builds from the flags given (the style tools write
  no record), flattened."""
  from fmi_tf.optim import settings as settings_lib  # pylint: disable=g-import-not-at-top
  config = settings_lib.apply(None, given, config_class())
  return flat(dataclasses.asdict(config))


_NOT_SETTINGS = {"weights", "content", "style", "out", "size", "seeds"}


def _tool_settings(config_class, command: Run) -> dict:
  given = {k: tuple(v.split(",")) if k == "layers" else v
           for k, v in command.flags if k not in _NOT_SETTINGS}
  return {**_config_settings(config_class, given),
          "size": command.flag("size")}


def stylize(label: str, **flag_values) -> tuple[str, Run]:
  return run("fmi-stylize", label=label, weights="$FMI_VGG19_WEIGHTS",
             **flag_values, out=f"$WORK/{label}.png")


def style_grid(figure: Figure, path: str,
               context: Context) -> dict:
  """The stylize runs beside their inputs: the content (if any), the style,
  then one picture per run."""
  from fmi_tf.io import grid  # pylint: disable=g-import-not-at-top
  from fmi_tf.io import images  # pylint: disable=g-import-not-at-top
  from fmi_tf.style import stylization  # pylint: disable=g-import-not-at-top
  style = images.load_image(os.path.join(ROOT, STYLE_IMAGE))
  results = [images.load_image(context.expand(c.flag("out")))
             for _, c in figure.runs]
  if figure.runs[0][1].flag("content"):
    content = images.load_image(None, figure.runs[0][1].flag("size"))
    pictures = [content, images.cover_and_crop(style, content.shape),
                *results]
    labels = ["content", "style (DTD)"]
  else:
    pictures, labels = [style, *results], ["style (DTD)"]
  labels += [label for label, _ in figure.runs]
  _save(grid.labelled_grid(pictures, labels, figure.title,
                           columns=len(pictures)), path)
  settings = {}
  for label, command in figure.runs:
    settings.update({f"{label}.{k}": v for k, v in _tool_settings(
        stylization.StyleConfig, command).items()})
  return context.shown(settings)


def reallocate(mode: str, suffix: str, **more) -> tuple[str, Run]:
  seeds = "0:8" if mode == "random" else "0:4"
  style = {"style": STYLE_IMAGE} if mode == "rank" else {}
  return run("fmi-reallocate", weights="$FMI_VGG19_WEIGHTS", mode=mode,
             seeds=seeds, size=128, **style, **more,
             out=f"$WORK/reallocate_{mode}{suffix}")


def reallocation_grid(figure: Figure, path: str,
                      context: Context) -> dict:
  """fmi-reallocate's own grid."""
  from fmi_tf.style import reallocation  # pylint: disable=g-import-not-at-top
  (_, command), = figure.runs
  _save(Image.open(os.path.join(context.expand(command.flag("out")),
                                "grid.png")), path)
  return context.shown({**_tool_settings(reallocation.ReallocationConfig,
                                         command),
                        "seeds": command.flag("seeds")})


# ----------------------------------------------------- depth statistics

DEPTH_LAYERS = ("block1_conv1", "block1_conv2", "block2_conv1",
                "block2_conv2", *(f"block{b}_conv{c}" for b in (3, 4, 5)
                                  for c in (1, 2, 3, 4)))


def depth_stats(figure: Figure, path: str,
                context: Context) -> dict:
  """fmi-atlas-stats' plot, its CSV beside it; the settings of the
  inversions, which every layer shares."""
  stats = figure.runs[-1][1]
  out = context.expand(stats.flag("out"))
  _save(Image.open(os.path.join(out, "depth_stats.png")), path)
  with open(os.path.join(out, "depth_stats.csv"), encoding="utf-8") as f:
    csv = f.read()
  with open(os.path.splitext(path)[0] + ".csv", "w", encoding="utf-8") as f:
    f.write(csv)
  atlas = context.expand(stats.flag("atlas"))
  records = [r for r in _inversion_records(atlas)
             if r.get("layer") == DEPTH_LAYERS[0]]
  settings = inversion_settings(records, figure.runs[0][1].flag("filters"))
  del settings["layer"]
  settings["layers"] = ",".join(DEPTH_LAYERS)
  return context.shown(settings)


# ------------------------------------------------ microscope screenshots


def screenshots(site: str, out_dir: str, layer: str, filter_id: int) -> None:
  """Screenshots of a site's layer page, sorted by colourfulness (most
  colourful first), as layer.jpg, and of one filter's page as filter.jpg.
  Needs selenium, /usr/bin/chromium and /usr/bin/chromedriver."""
  # pylint: disable=g-import-not-at-top
  from selenium import webdriver
  from selenium.webdriver.chrome import service
  from selenium.webdriver.common.by import By
  from selenium.webdriver.support import select
  options = webdriver.ChromeOptions()
  options.binary_location = "/usr/bin/chromium"
  for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                   "--window-size=1400,1000", "--hide-scrollbars"):
    options.add_argument(argument)
  driver = webdriver.Chrome(service=service.Service("/usr/bin/chromedriver"),
                            options=options)

  def save(name: str) -> None:
    _save(Image.open(io.BytesIO(driver.get_screenshot_as_png())),
          os.path.join(out_dir, name))

  try:
    driver.get("file://" + os.path.abspath(os.path.join(site, "index.html")))
    driver.find_element(By.LINK_TEXT, layer).click()
    select.Select(driver.find_element(By.ID, "sort")).select_by_value(
        "colourfulness")
    select.Select(driver.find_element(By.ID, "order")).select_by_value("desc")
    time.sleep(2)  # the lazy thumbnails in view
    save("layer.jpg")
    driver.find_element(
        By.CSS_SELECTOR, f'a.card[data-filter="{filter_id}"]').click()
    time.sleep(1)
    save("filter.jpg")
  finally:
    driver.quit()


_SITE_LAYER, _SITE_FILTER = "block4_conv1", 2


def site_screenshots(figure: Figure, path: str,
                     context: Context) -> dict:
  """Both screenshots of the microscope site; the settings of its atlas."""
  out_dir = os.path.dirname(path)
  screenshots(context.expand(figure.runs[-1][1].flag("out")), out_dir,
              _SITE_LAYER, _SITE_FILTER)
  atlas = context.expand(figure.runs[0][1].flag("out"))
  records = _inversion_records(atlas)
  return context.shown(inversion_settings(records, "all"))


# ------------------------------------------------- recognition voters

_PAD, _TEXT, _LABEL_WIDTH = 6, 12, 96
_BACKGROUND, _INK = (255, 255, 255), (20, 20, 20)


def _voter_cell(picture, crops, labels, caption, font) -> Image.Image:
  """A voter: its picture, then its crops captioned, then its caption."""
  crops_height = max([c.shape[0] for c in crops] + [0]) + _TEXT
  width = picture.shape[1] + sum(c.shape[1] + _PAD for c in crops) + _PAD
  height = max(picture.shape[0], crops_height) + _TEXT + _PAD
  cell = Image.new("RGB", (width, height), _BACKGROUND)
  draw = ImageDraw.Draw(cell)
  cell.paste(Image.fromarray(picture), (0, 0))
  left = picture.shape[1] + _PAD
  for crop, label in zip(crops, labels):
    cell.paste(Image.fromarray(crop), (left, 0))
    draw.text((left, crop.shape[0] + 1), label[:crop.shape[1] // 6],
              fill=_INK, font=font)
    left += crop.shape[1] + _PAD
  draw.text((0, height - _TEXT - 2), caption, fill=_INK, font=font)
  return cell


_VOTERS, _CROPS, _VOTER_SIZE, _VOTER_STEPS = 4, 3, 64, 60


def voters_figure(model_dir: str, examples: str, weights: str
                  ) -> tuple[Image.Image, dict]:
  """One row per class: the filters voting most for it (the classifier's
  standardised weights, as `recognition_page` ranks them), each with its
  picture (`fmi_tf.invert` at 64 px, 60 steps) and its first dataset crops
  at their own pixel size, each captioned with its image's class. Returns
  the figure and the pictures' settings."""
  # pylint: disable=g-import-not-at-top
  import fmi_tf
  from fmi_tf.io import images as image_io
  from fmi_tf.microscope import examples_files
  from fmi_tf.recognition import explanation
  from fmi_tf.recognition import trained_model
  model = trained_model.load(model_dir)
  units = explanation.descriptor_units(model.encoder)
  voted = [[(units.layers[d], int(units.indices[d]), w)
            for d, w in explanation.voters(model.classifier, units, c,
                                           _VOTERS)]
           for c in range(len(model.class_names))]
  net = fmi_tf.network("vgg19", weights=weights)
  pictures, settings = {}, {}
  for layer in sorted({layer for row in voted for layer, _, _ in row}):
    ids = sorted({k for row in voted for name, k, _ in row if name == layer})
    result = fmi_tf.invert(net, layer, filters=ids, size=_VOTER_SIZE,
                           steps=_VOTER_STEPS, progress=False)
    pictures.update({(layer, k): image_io.to_uint8(image)
                     for k, image in zip(ids, result.images)})
    settings = inversion_settings([r.to_dict() for r in result.records],
                                  "")
  del settings["layer"], settings["filters"]  # The voters' own, per cell.
  summary = examples_files.read_summary(examples)
  examples_files.check_version(summary, examples)
  classes = summary["class_names"]
  font = ImageFont.load_default()
  layer_records, rows = {}, []
  for name, row in zip(model.class_names, voted):
    cells = []
    for layer, k, weight in row:
      if layer not in layer_records:
        layer_records[layer] = examples_files.read_layer(examples, layer)
      top = layer_records[layer]["filters"][k]["top"][:_CROPS]
      crops = examples_files.read_crops(examples, layer_records[layer], k)
      cells.append(_voter_cell(pictures[(layer, k)], crops[:_CROPS],
                               [classes[t["label"]] for t in top],
                               f"{layer} / {k}  weight {weight:+.2f}", font))
    rows.append((name, cells))
  width = _LABEL_WIDTH + max(sum(c.width + 2 * _PAD for c in cells)
                             for _, cells in rows)
  heights = [max(c.height for c in cells) + _PAD for _, cells in rows]
  figure = Image.new("RGB", (width, sum(heights)), _BACKGROUND)
  draw = ImageDraw.Draw(figure)
  top = 0
  for (name, cells), height in zip(rows, heights):
    draw.text((_PAD, top + 2), name, fill=_INK, font=font)
    left = _LABEL_WIDTH
    for cell in cells:
      figure.paste(cell, (left, top))
      left += cell.width + 2 * _PAD
    draw.line([(0, top + height - 3), (width, top + height - 3)],
              fill=(200, 200, 200))
    top += height
  return figure, settings


def recognition_voters(figure: Figure, path: str,
                       context: Context) -> dict:
  train, examples = (command for _, command in figure.runs)
  picture, settings = voters_figure(
      os.path.join(context.expand(train.flag("out")), "model"),
      context.expand(examples.flag("out")),
      context.values["FMI_VGG19_WEIGHTS"])
  _save(picture, path)
  return context.shown({**settings, "encoder": train.flag("encoder"),
                        "fold": train.flag("fold"),
                        "image_size": train.flag("image_size")})


def texture_confusion(figure: Figure, path: str,
                      context: Context) -> dict:
  """fmi-texture-train's confusion.png; the settings its command gives,
  with those its report.json records (under `report.`)."""
  (_, command), = figure.runs
  out = context.expand(command.flag("out"))
  _save(Image.open(os.path.join(out, "confusion.png")), path)
  with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
    report = json.load(f)
  recorded = {k: report[k] for k in ("dataset", "protocol", "encoder",
                                     "image_size", "classifier",
                                     "descriptor_size", "accuracy")}
  return context.shown({**{k: v for k, v in command.flags
                           if k not in ("out", "cache_dir")},
                        **flat(recorded, "report.")})


def benchmark_pictures(figure: Figure, path: str,
                       context: Context) -> dict:
  """A picture a benchmark writes into docs/ itself; settings: its flags."""
  del path
  (_, command), = figure.runs
  return context.shown(dict(command.flags))


# --------------------------------------------------------------- table

_VGG = "$FMI_VGG19_WEIGHTS"
_SITE_RUNS = (
    run("fmi-atlas", weights=_VGG, layers=_SITE_LAYER, size=64,
        out="$WORK/site_atlas"),
    run("fmi-dataset-examples", weights=_VGG, dataset="dtd:$FMI_DTD10",
        layers=_SITE_LAYER, image_size=128, k=8, out="$WORK/site_examples"),
    run("fmi-site", atlas="$WORK/site_atlas", examples="$WORK/site_examples",
        out="$WORK/site"),
)
_SITE = Figure(_SITE_RUNS, site_screenshots, ("layer", "size", "steps"))


def _peers(layer: str) -> Figure:
  return Figure(
      (run("python benchmarks/peers.py", weights=_VGG,
           peer_python="$PEER_PYTHON", layers=layer,
           tools="fmi_tf,fmi_tf-fourier,tf-keras-vis,xplique", size=128,
           filters=16, pictures="docs/peers"),),
      benchmark_pictures, ("layers", "size"))


FIGURES: dict[str, Figure] = {
    **{f"atlas/{layer}.png": atlas_figure(layer, "0:16", 96)
       for layer in ("block1_conv1", "block2_conv1", "block3_conv1")},
    **{f"atlas/{layer}.png": atlas_figure(layer, "0:8", 96)
       for layer in ("block4_conv1", "block5_conv1", "block5_conv4")},
    **{f"atlas/mobilenet/{layer}.jpg": atlas_figure(layer, "0:8", 224,
                                                    "mobilenet")
       for layer in ("conv_pw_1_relu", "conv_pw_3_relu", "conv_pw_5_relu",
                     "conv_pw_11_relu", "conv_pw_13_relu")},
    "param/block2_conv1.png": param_figure("block2_conv1", 128, 96, 8,
                                           bare=True),
    "param/block4_conv1.png": param_figure("block4_conv1", 512, 96, 4,
                                           bare=True),
    "param/block5_conv1.png": param_figure("block5_conv1", 512, 96, 4),
    "param/block5_conv4.png": param_figure("block5_conv4", 512, 96, 4),
    "style/transfer.png": Figure(
        tuple(stylize(method, content="fmi_tf/data/chelsea.jpg", style=STYLE_IMAGE,
                      method=method, size=256) for method in ("energy",
                                                             "gram")),
        style_grid, ("energy.method", "gram.method", "energy.size",
                     "energy.optimizer.steps", "energy.content_weight",
                     "energy.tv_weight"),
        "style transfer: content | style | energy | gram"),
    "style/synthesis.png": Figure(
        tuple(stylize(f"texture_{method}",
                      style=STYLE_IMAGE, method=method, tv_weight=0,
                      size=256) for method in ("energy", "gram")),
        style_grid, ("texture_energy.size", "texture_energy.optimizer.steps",
                     "texture_energy.tv_weight"),
        "texture synthesis from the style alone"),
    "style/reallocate_random.png": Figure(
        (reallocate("random", ""),), reallocation_grid,
        ("mode", "seeds", "size", "optimizer.steps")),
    "style/reallocate_rank.png": Figure(
        (reallocate("rank", ""),), reallocation_grid,
        ("mode", "seeds", "size", "optimizer.steps")),
    "style/reallocate_random_deep.png": Figure(
        (reallocate("random", "_deep",
                    layers="relu1_1,relu2_1,relu3_1,relu4_1,relu5_1"),),
        reallocation_grid, ("mode", "seeds", "size", "optimizer.steps")),
    "style/reallocate_rank_deep.png": Figure(
        (reallocate("rank", "_deep",
                    layers="relu1_1,relu2_1,relu3_1,relu4_1,relu5_1"),),
        reallocation_grid, ("mode", "seeds", "size", "optimizer.steps")),
    "depth_stats.png": Figure(
        tuple(invert(layer, "0:16", 128, "depth") for layer in DEPTH_LAYERS)
        + (run("fmi-atlas-stats", atlas="$WORK/depth", out="$WORK/depth"),),
        depth_stats, ("size", "filters", "param", "steps", "steps_per_call",
                      "tolerance", "patience", "precision")),
    "microscope/layer.jpg": _SITE,
    "microscope/filter.jpg": _SITE,
    "recognition_voters_dtd10.jpg": Figure(
        (run("fmi-texture-train", weights=_VGG, dataset="dtd:$FMI_DTD10",
             fold=1, encoder="energy", image_size=64,
             cache_dir="$WORK/cache", out="$WORK/energy_fold1"),
         run("fmi-dataset-examples", weights=_VGG, dataset="dtd:$FMI_DTD10",
             layers="block3_conv1,block5_conv1", k=4,
             out="$WORK/examples_dtd10")),
        recognition_voters, ("encoder", "fold", "image_size", "size",
                             "steps")),
    "texture_confusion_gram_fold1.png": Figure(
        (run("fmi-texture-train", weights=_VGG, dataset="dtd:$FMI_DTD10",
             fold=1, encoder="gram", layers="relu1_1,relu2_1,relu3_1",
             cache_dir="$WORK/cache", out="$WORK/gram_fold1"),),
        texture_confusion, ("encoder", "fold", "layers")),
    **{f"peers/{layer}.jpg": _peers(layer)
       for layer in ("block2_conv1", "block4_conv1", "block5_conv1")},
}


def sidecar_path(figure_path: str) -> str:
  """`<figure>.json`, beside the figure."""
  return figure_path + SIDECAR


def sidecar(name: str, figure: Figure, settings: Mapping[str, Any]) -> dict:
  """The record written beside a figure."""
  missing = [key for key in figure.captioned if key not in settings]
  if missing:
    raise KeyError(f"{name}: captioned settings not recorded: {missing}")
  return {
      "figure": name,
      "made_by": "python docs/figures.py --only=" + name,
      "commands": [command.command() for _, command in figure.runs],
      "settings": dict(sorted(settings.items())),
      "captioned": {key: PHRASES[key.split(".")[-1]]
                    for key in figure.captioned},
  }


PAGE = "figures.md"
_PAGE_HEAD = """# Figures

Every figure of this manual is made by one script, `docs/figures.py`, from
the tool commands listed below for each, at today's defaults: only the
layer, the filters, the size and the like are chosen, and a default
overridden is named in the figure's caption. From the repository root, with
the weights and data of [Weights and data](data.md):

```bash
python docs/figures.py                                  # every figure
python docs/figures.py --only=atlas/block1_conv1.png    # some of them
```

`--weights`, `--mobilenet_weights`, `--dtd10` and `--peer_python` default to
`$FMI_VGG19_WEIGHTS`, `$FMI_MOBILENET_WEIGHTS`, `$FMI_DTD10` and
`$PEER_PYTHON`; `$WORK` below is a temporary directory. Beside each figure
the script writes `<figure>.json`: the commands, the settings the run used,
copied from the run's own records (`fmi-invert`'s per-filter records; for
`fmi-stylize` and `fmi-reallocate`, which write no record, the config their
flags give), and which of them the caption must name. `tests/test_figures.py`
checks that every caption names them, that every figure of the script is
shown in the manual and that every figure shown is the script's, so a
caption cannot drift from its picture. A figure that was not made again
with today's defaults says so in its caption and in its record's `note`.
It then rewrites this page from the records.
"""


def page_text(sidecars: Mapping[str, Mapping]) -> str:
  """This page: the head, then each figure's record link, note and
  commands, in the table's order."""
  parts = [_PAGE_HEAD]
  for name in FIGURES:
    record = sidecars[name]
    parts.append(f"\n## {name}\n\n[The figure]({name}) · "
                 f"[its settings]({sidecar_path(name)})\n")
    if record.get("note"):
      parts.append(f"\n{record['note']}\n")
    parts.append("\n```bash\n" + "\n".join(record["commands"]) + "\n```\n")
  return "".join(parts)


def read_sidecars() -> dict[str, dict]:
  """Every figure's record, by its path under docs/."""
  sidecars = {}
  for name in FIGURES:
    with open(sidecar_path(os.path.join(DOCS, name)), encoding="utf-8") as f:
      sidecars[name] = json.load(f)
  return sidecars


def make(names: list[str], values: Mapping[str, str]) -> None:
  """Makes the figures named (paths under docs/) and their sidecars."""
  done = set()
  with tempfile.TemporaryDirectory() as work:
    context = Context(values, work)
    for name in names:
      figure = FIGURES[name]
      path = os.path.join(DOCS, name)
      if id(figure) not in done:
        for _, command in figure.runs:
          context.execute(command)
        settings = figure.make(figure, path, context)
        done.add(id(figure))
      with open(sidecar_path(path), "w", encoding="utf-8") as f:
        json.dump(sidecar(name, figure, settings), f, indent=2)
        f.write("\n")
      print("wrote", name, flush=True)
  with open(os.path.join(DOCS, PAGE), "w", encoding="utf-8") as f:
    f.write(page_text(read_sidecars()))


def main(argv):
  from absl import app  # pylint: disable=g-import-not-at-top
  from absl import flags  # pylint: disable=g-import-not-at-top
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  names = flags.FLAGS.only or list(FIGURES)
  unknown = sorted(set(names) - set(FIGURES))
  if unknown:
    raise app.UsageError(f"no such figure: {', '.join(unknown)}")
  make(names, {"FMI_VGG19_WEIGHTS": flags.FLAGS.weights or "",
               "FMI_MOBILENET_WEIGHTS": flags.FLAGS.mobilenet_weights or "",
               "FMI_DTD10": flags.FLAGS.dtd10 or "",
               "PEER_PYTHON": flags.FLAGS.peer_python or ""})


def _define_flags() -> None:
  """The script's flags, defined only when it runs (a test imports the
  table beside the tools' flags)."""
  from absl import flags  # pylint: disable=g-import-not-at-top
  flags.DEFINE_list("only", None, "Figures to make, paths under docs/ "
                    "(default: all of FIGURES).")
  flags.DEFINE_string("weights", os.environ.get("FMI_VGG19_WEIGHTS"),
                      "VGG19 weights; default $FMI_VGG19_WEIGHTS.")
  flags.DEFINE_string("mobilenet_weights",
                      os.environ.get("FMI_MOBILENET_WEIGHTS"),
                      "MobileNet weights; default $FMI_MOBILENET_WEIGHTS.")
  flags.DEFINE_string("dtd10", os.environ.get("FMI_DTD10"),
                      "The dtd10 directory; default $FMI_DTD10.")
  flags.DEFINE_string("peer_python", os.environ.get("PEER_PYTHON"),
                      "Python of the [peers] extra, for benchmarks/peers.py; "
                      "default $PEER_PYTHON.")


if __name__ == "__main__":
  from absl import app as absl_app  # pylint: disable=g-import-not-at-top
  _define_flags()
  absl_app.run(main)
