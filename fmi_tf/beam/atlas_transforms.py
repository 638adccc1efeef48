"""The atlas pipeline's Beam transforms (imported only with Beam installed).

`atlas_pipeline` adds to a pipeline: the plan's work items, reshuffled so
that runners spread them over workers; `InvertChunk`, which inverts one item
and writes those of its filters not yet on disk with the run's settings; and `DrawAtlas`, run once after every item,
which draws the layer grids and the contact sheet from the files present.
"""

from typing import Iterator, Optional

import apache_beam as beam

from fmi_tf.atlas import contact_sheet
from fmi_tf.atlas import layout
from fmi_tf.atlas import resume
from fmi_tf.beam import network_spec
from fmi_tf.inversion import filters
from fmi_tf.inversion import invert as invert_lib


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
    self._config = plan.config
    self._out = plan.out
    self._backbone = None
    self._inverters = {}
    self._run = None

  def setup(self):
    self._backbone = self._network.acquire()
    self._inverters = {}
    # The record is made where the work runs: `auto` precision is the
    # worker's.
    self._run = invert_lib.run_record(self._image, self._image_name,
                                      self._size, self._config)

  def _inverter(self, layer: str) -> filters.FilterInverter:
    if layer not in self._inverters:
      self._inverters[layer] = filters.FilterInverter(
          self._backbone, layer, self._config)
    return self._inverters[layer]

  def save(self, result: filters.FilterResult, settings: dict) -> None:
    """Writes one filter's PNG, then its JSON record, atomically."""
    layout.save_result(self._out, result, settings)

  def process(self, item) -> Iterator[int]:
    """Inverts the item's chunk; yields the number of filters written."""
    layer, filter_ids = item
    settings = {**filters.layer_record(self._backbone, layer), **self._run}
    todo = set(filter_ids) - resume.matching_filters(self._out, layer,
                                                     filter_ids, settings)
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

  def process(self, written: int) -> Iterator[int]:
    layout.redraw_grids(self._out, self._num_filters,
                        contact_sheet.write_contact_sheet)
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
