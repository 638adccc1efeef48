"""The examples pipeline's Beam transforms (imported only with Beam installed).

`examples_pipeline` adds to a pipeline: the plan's shards, reshuffled so
that runners spread them over workers; `PassShard`, which runs one shard's
pass (resuming its checkpoint) with the worker's network; and
`WriteExamples`, run once after every shard, which makes sure the merged
outputs are written. For a directory at a URL both work in a local view of
it (`examples_store`) and upload what they wrote.
"""

from typing import Iterator, Optional

import apache_beam as beam

from fmi_tf import errors
from fmi_tf.beam import examples_store
from fmi_tf.beam import network_spec
from fmi_tf.io import inputs
from fmi_tf.io import storage
from fmi_tf.microscope import examples


class _WithNetwork(beam.DoFn):
  """A DoFn running `dataset_examples` on the process's network."""

  def __init__(self, plan):
    """Keeps what every shard needs (an `examples.ExamplesPlan`)."""
    super().__init__()
    self._network = network_spec.SharedNetwork(plan.network)
    self._layers = plan.layers
    self._dataset = plan.dataset
    self._out = plan.out
    self._shards = plan.shards
    self._options = dict(plan.options)
    self._key = plan.key
    self._storage = storage.carried()
    self._backbone = None

  def setup(self):
    if self._storage:
      storage.configure(self._storage)
    self._backbone = self._network.acquire()

  def run_shard(self, index: int,
                directory: Optional[str] = None) -> examples.ExamplesResult:
    """Runs (or resumes, or finds complete) shard `index` in `directory`
    (default the examples directory; a view of it for a URL)."""
    return examples.dataset_examples(
        self._backbone, list(self._layers),
        inputs.local_spec(self._dataset), directory or self._out,
        shard=(index, self._shards), progress=False, **self._options)

  def state_name(self, index: int) -> str:
    """Shard `index`'s state file, relative to the directory."""
    return examples_store.state_name(self._key, index, self._shards)


class PassShard(_WithNetwork):
  """Runs the pass of shard items; yields the images passed through."""

  def process(self, index: int) -> Iterator[int]:
    name = self.state_name(index)
    with examples_store.view(self._out, states=(name,)) as local:
      result = self.run_shard(index, local)
      if local != self._out:
        examples_store.commit_state(local, self._out, name)
    yield result.images


class WriteExamples(_WithNetwork):
  """Writes the merged outputs from the shards' states, unless written.

  Every shard is complete when it runs, so shard 0's run passes no image
  and only merges, under the lock, if no shard has.
  """

  def process(self, images: int) -> Iterator[int]:
    states = tuple(self.state_name(i) for i in range(self._shards))
    with examples_store.view(self._out, states) as local:
      if not self.run_shard(0, local).complete:
        raise errors.ArgumentError(
            f"the shards of {self._out} are not all complete; rerun to "
            "finish them")
      if local != self._out:
        examples_store.commit_outputs(local, self._out)
    yield images


def examples_pipeline(pipeline: beam.Pipeline, plan,
                      pass_shard: Optional[beam.DoFn] = None
                      ) -> beam.PCollection:
  """Adds the dataset examples of an `examples.ExamplesPlan` to `pipeline`.

  Args:
    pipeline: the pipeline.
    plan: what `examples.plan_examples` returned.
    pass_shard: the DoFn running shards; default `PassShard(plan)`.

  Returns:
    A PCollection of one element: the images this run passed through.
  """
  return (pipeline
          | "Shards" >> beam.Create(plan.items)
          | "Spread" >> beam.Reshuffle()
          | "Pass" >> beam.ParDo(pass_shard or PassShard(plan))
          | "Count" >> beam.CombineGlobally(sum)
          | "Write" >> beam.ParDo(WriteExamples(plan)))
