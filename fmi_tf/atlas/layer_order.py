"""The depth order of an atlas directory's layers, read from its records.

Every filter's JSON record gives its layer's depth in the network
(`RunRecord.layer_index`, see `filters.layer_record`), so a directory read back
without the network still lists its layers by depth. A layer without such a
record (an older atlas, or a layer none of whose filters is done yet) falls
in by the natural order of its name, digits compared as numbers:
`conv_pw_2_relu` before `conv_pw_11_relu`, VGG19's `block1_conv2` before
`block1_pool`.
"""

import heapq
import re
from typing import Mapping, Optional

from fmi_tf import errors
from fmi_tf.io import records


def natural_key(name: str) -> tuple:
  """Returns a sort key of `name` that compares its digit runs as numbers."""
  return tuple(int(part) if part.isdigit() else part
               for part in re.split(r"(\d+)", name))


def recorded_index(record_path: str) -> Optional[int]:
  """Returns the layer's depth written in a filter's record, if any.

  An unreadable record or one without a depth gives None: the layer is then
  placed by its name.
  """
  try:
    return records.read_filter_record(record_path).run.layer_index
  except errors.RecordError:
    return None


def depth_order(indices: Mapping[str, Optional[int]]) -> list[str]:
  """Sorts layers by their recorded depth, the others by name among them.

  Args:
    indices: {layer: its recorded depth, or None when it has none}.

  Returns:
    The layers with a depth in depth order, interleaved with the others in
    natural order of their names.
  """
  known = sorted((n for n, i in indices.items() if i is not None),
                 key=lambda n: (indices[n], natural_key(n)))
  unknown = sorted((n for n, i in indices.items() if i is None),
                   key=natural_key)
  return list(heapq.merge(known, unknown, key=natural_key))
