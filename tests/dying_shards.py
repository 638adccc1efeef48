"""A dataset-examples shard whose Beam worker dies once, as if killed."""

import os

from fmi_tf.microscope import examples_state


def dying_shard_class():
  """A PassShard whose worker dies once, as if killed, in shard 0 just
  after its first checkpoint is saved (in the worker's local view when the
  output is a URL); `marker`, a file, records that it died."""
  # pylint: disable=import-outside-toplevel
  from fmi_tf.beam import examples_transforms

  class DiesOnce(examples_transforms.PassShard):

    def __init__(self, plan, marker):
      super().__init__(plan)
      self._marker = marker

    def process(self, index):
      if index == 0 and not os.path.exists(self._marker):
        save = examples_state.save

        def save_then_die(path, state):
          save(path, state)
          if not state.complete:
            open(self._marker, "w", encoding="utf8").close()
            os._exit(1)

        examples_state.save = save_then_die  # in this worker process only
      yield from super().process(index)

  return DiesOnce
