"""A dataset-examples directory at a path or URL, as the pipeline's steps see it.

`fmi_tf.dataset_examples` reads and writes a local directory: the shards'
states under `examples_files.STATE_DIRECTORY`, then the sheets, the layer
records and the summary. For a directory at a URL each step works on a local
view of what is committed there (`view`) and uploads what it wrote
(`commit_state`, `commit_outputs`): a shard's state once the shard is
complete, the merged outputs with the summary last, so that the summary, by
which a directory counts as written, never precedes what it lists.
"""

import contextlib
import os
from typing import Iterator, Optional, Sequence

from fmi_tf.io import outputs
from fmi_tf.io import storage
from fmi_tf.microscope import examples_files
from fmi_tf.microscope import examples_run
from fmi_tf.microscope import examples_state


def state_name(key: str, index: int, count: int) -> str:
  """The state file of shard `index` of `count`, relative to the directory."""
  return examples_state.path("", key, index, count).replace(os.sep, "/")


@contextlib.contextmanager
def view(out: str,
         states: Optional[Sequence[str]] = None) -> Iterator[str]:
  """A local directory standing for `out`: its summary, the `states` named
  (None: every state; no other), and the presence of its other files
  (empty files).

  A local `out` is itself.
  """
  if not storage.is_url(out):
    yield out
    return
  committed = storage.list_names(out)
  state_prefix = examples_files.STATE_DIRECTORY + "/"
  names = [examples_files.SUMMARY, *(sorted(
      n for n in committed if n.startswith(state_prefix))
                                      if states is None else states)]
  others = sorted(n for n in committed - set(names)
                  if not n.startswith(state_prefix))
  with storage.staged(out, names, others) as local:
    yield local


def commit_state(local: str, out: str, name: str) -> None:
  """Uploads a shard's state file from a view to `out`."""
  storage.commit(local, out, [name])


def commit_outputs(local: str, out: str) -> None:
  """Uploads the merged outputs written in a view (not its empty stand-ins
  of files it did not rewrite), the summary last."""
  written = sorted(
      n for n in storage.list_names(local)
      if not n.startswith(examples_files.STATE_DIRECTORY + "/") and
      os.path.getsize(storage.join_under(local, n)) and
      n != examples_files.SUMMARY)
  storage.commit(local, out, [*written, examples_files.SUMMARY])


def claim(out: str, record: dict, key: str) -> None:
  """Makes `out` the directory of run `key`, refusing one that an unfinished
  run of other settings claimed; a finished run's outputs may be replaced,
  as by `fmi_tf.dataset_examples`. The claim lives beside the shards'
  states, out of the outputs' listing.

  Raises:
    OutputError: naming the first setting that differs.
  """
  if not storage.is_url(out):
    outputs.prepare_directory(
        storage.join(out, examples_files.STATE_DIRECTORY))
  with view(out, states=()) as seen:
    examples_run.claim(out, record, key, seen)
