"""The atlas pipeline's Beam transforms (imported only with Beam installed).

`atlas_pipeline` adds to a pipeline: the plan's work items, reshuffled so
that runners spread them over workers; `InvertChunk`, which inverts one item
and writes those of its filters not yet on disk with the run's settings; and
`DrawAtlas`, run once after every item, which draws the layer grids and the
contact sheet from the files present. For an atlas at a URL each step works
in a local directory standing for it (`storage.staged`) and uploads each
file it writes whole, a filter's PNG before its record and the contact
sheet last.
"""

from typing import Iterator, Optional

import os

import apache_beam as beam

from fmi_tf.atlas import contact_sheet
from fmi_tf.atlas import layout
from fmi_tf.atlas import resume
from fmi_tf.beam import network_spec
from fmi_tf.inversion import files
from fmi_tf.inversion import filter_result
from fmi_tf.inversion import filters
from fmi_tf.inversion import invert as invert_lib
from fmi_tf.io import records
from fmi_tf.io import storage


class InvertChunk(beam.DoFn):
  """Inverts (layer, filter ids) items, writing each pending filter's files.

  The network is loaded once per worker process (`SharedNetwork`) and each
  layer's compiled loop built once per DoFn instance, then reused for every
  item.
  """

  def __init__(self, plan):
    """Keeps what every item needs: the plan's network spec, image,
    settings and directory (an `atlas.AtlasPlan`)."""
    super().__init__()
    self._network = network_spec.SharedNetwork(plan.network)
    self._image = plan.image
    self._image_name = plan.image_name
    self._size = plan.size
    self._square = plan.square
    self._config = plan.config
    self._out = plan.out
    self._storage = storage.carried()
    self._backbone = None
    self._inverters = {}
    self._run = None
    self._staged = None

  def setup(self):
    if self._storage:
      storage.configure(self._storage)
    self._backbone = self._network.acquire()
    self._inverters = {}
    # The record is made where the work runs: `auto` precision is the
    # worker's.
    self._run = invert_lib.run_record(self._image, self._image_name,
                                      self._size, self._square,
                                      self._config)

  def _inverter(self, layer: str) -> filters.FilterInverter:
    if layer not in self._inverters:
      self._inverters[layer] = filters.FilterInverter(
          self._backbone, layer, self._config)
    return self._inverters[layer]

  def save(self, result: filter_result.FilterResult,
           settings: records.RunRecord) -> None:
    """Writes one filter's PNG, then its JSON record, each whole."""
    files.save_result(self._staged, result, settings)
    stem = files.filter_stem("", result.layer, result.filter)
    storage.commit(self._staged, self._out, [stem + ".png", stem + ".json"])

  def process(self, item) -> Iterator[int]:
    """Inverts the item's chunk; yields the number of filters written."""
    layer, filter_ids = item
    settings = self._run.at_layer(**filters.layer_record(self._backbone,
                                                         layer))
    stems = [files.filter_stem("", layer, k) for k in filter_ids]
    with storage.staged(self._out, [s + ".json" for s in stems],
                        [s + ".png" for s in stems]) as self._staged:
      todo = set(filter_ids) - resume.matching_filters(
          self._staged, layer, filter_ids, settings)
      if todo:
        inverter = self._inverter(layer)
        # The whole chunk, as one batch, so that results do not depend on
        # what an earlier attempt left.
        for result in inverter.invert(self._image, list(filter_ids)):
          if result.filter in todo:
            self.save(result, settings)
    yield len(todo)


class DrawAtlas(beam.DoFn):
  """Draws every layer's grid and the contact sheet from the files present."""

  def __init__(self, out: str, num_filters: dict):
    super().__init__()
    self._out = out
    self._num_filters = dict(num_filters)
    self._storage = storage.carried()

  def setup(self):
    if self._storage:
      storage.configure(self._storage)

  def process(self, written: int) -> Iterator[int]:
    stems = [files.filter_stem("", layer, k)
             for layer, count in self._num_filters.items()
             for k in range(count)]
    with storage.staged(self._out, [s + e for s in stems
                                    for e in (".png", ".json")]) as local:
      grids = layout.redraw_grids(local, self._num_filters,
                                  contact_sheet.write_contact_sheet)
      storage.commit(local, self._out,
                     [os.path.basename(grid) for grid in grids] +
                     [contact_sheet.FILENAME])
    yield written


def atlas_pipeline(pipeline: beam.Pipeline, plan,
                   invert: Optional[beam.DoFn] = None) -> beam.PCollection:
  """Adds the atlas of an `atlas.AtlasPlan` to `pipeline`.

  Args:
    pipeline: the pipeline.
    plan: what `atlas.plan_atlas` returned.
    invert: the DoFn inverting items; default `InvertChunk(plan)` (a
      subclass may, e.g., also write elsewhere).

  Returns:
    A PCollection of one element: the filters written.
  """
  return (pipeline
          | "Items" >> beam.Create(plan.items)
          | "Spread" >> beam.Reshuffle()
          | "Invert" >> beam.ParDo(invert or InvertChunk(plan))
          | "Count" >> beam.CombineGlobally(sum)
          | "Draw" >> beam.ParDo(DrawAtlas(plan.out, plan.num_filters)))
