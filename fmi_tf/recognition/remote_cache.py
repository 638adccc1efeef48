"""A descriptor cache at a URL, read through a local copy the run makes.

`fmi-texture-encode-beam` fills a descriptor cache at a URL (`s3://`,
`gs://`, any scheme Beam's file systems speak) with sharded files named by
what they hold (`descriptor_cache`). `opened` gives training a cache that
reads them: for a local directory the cache itself; for a URL, the store is
checked (`object_store.check_store`), the files of this run's statistics
(each (scale, statistic) of the encoder, for this dataset, image size,
network and weights) are copied into a temporary directory, removed after
the run, and nothing is written back to the URL. A URL holding none of a
statistic's files is refused before any encoding, in one line naming what
its closest cache record has that this run has not (another network,
weights, image size or encoder), so that a wrong `--cache_dir` is not a
silent re-encoding of the whole dataset. Images missing from the files
found (a cache of fewer folds) are encoded locally, as without a cache.

The store's options (`--s3_endpoint_url`, ...) are those `storage.configure`
gave this process.

Examples:
  >>> storage.configure(["--s3_endpoint_url=http://127.0.0.1:9000"])
  >>> with remote_cache.opened("s3://cache/dtd", data, 224, net,
  ...                          [config]) as cache:
  ...   outcome = experiment.run(data, encoder_model, setup, cache)
"""

import contextlib
import json
import os
from typing import Iterator, Optional, Sequence

from fmi_tf import datasets
from fmi_tf import errors
from fmi_tf.io import object_store
from fmi_tf.io import outputs
from fmi_tf.io import storage
from fmi_tf.nets import feature_model
from fmi_tf.recognition import descriptor_cache
from fmi_tf.recognition import encoder_config
from fmi_tf.recognition import experiment
from fmi_tf.recognition import layer_statistics

# The fields of a cache record, in the order a difference is named.
_FIELDS = ("network", "weights_digest", "weights", "dataset", "image_size",
           "statistic", "scale")


def _shown(value) -> str:
  text = json.dumps(value, sort_keys=True)
  return text if len(text) <= 80 else text[:77] + "..."


def _records(url: str, names: set[str]) -> list[dict]:
  """The cache records (`<hash>.json`) at the top of `url`."""
  found = []
  for name in sorted(n for n in names if n.endswith(".json") and "/" not in n):
    try:
      record = json.loads(storage.read_bytes(storage.join(url, name)))
    except ValueError:
      continue
    if isinstance(record, dict) and "statistic" in record:
      found.append(record)
  return found


def _refusal(url: str, wanted: dict, records: list[dict]) -> errors.FmiError:
  """One line: what the closest record at `url` has that `wanted` has not."""
  advice = ("encode this run's descriptors there first "
            "(fmi-texture-encode-beam with its dataset, network, weights, "
            "image size and encoder), or give a local cache directory")
  if not records:
    return errors.ArgumentError(
        f"cache directory {url} holds no descriptor cache; {advice}")

  def differences(record):
    return [f for f in _FIELDS if record.get(f) != wanted.get(f)]

  field = differences(min(records, key=lambda r: len(differences(r))))[0]
  theirs = sorted({_shown(r.get(field)) for r in records})
  return errors.ArgumentError(
      f"cache directory {url} holds descriptors of other settings: its "
      f"{field} is {' or '.join(theirs[:3])}, this run's "
      f"{_shown(wanted.get(field))}; {advice}")


@contextlib.contextmanager
def opened(directory: Optional[str], dataset: datasets.Dataset,
           image_size: int, backbone: feature_model.Backbone,
           configs: Sequence[encoder_config.EncoderConfig],
           progress: Optional[descriptor_cache.ProgressFactory] = None
           ) -> Iterator[descriptor_cache.DescriptorCache]:
  """The descriptor cache of a run, whose directory may be a URL.

  Args:
    directory: a local cache directory, a URL, or None (no cache).
    dataset: the dataset.
    image_size: the side of the square the images are fitted to.
    backbone: the network.
    configs: the encoders whose statistics the run reads.
    progress: shows the encoding's progress; None shows nothing.

  Raises:
    OutputError: for a URL whose store does not answer or refuses.
    ArgumentError: for a URL holding no files of one of the statistics
      (naming the closest record's difference).
  """
  if not storage.is_url(directory):
    yield experiment.cache_for(dataset, image_size, backbone, directory,
                               progress)
    return
  object_store.check_store(directory, "cache directory")
  committed = storage.list_names(directory)
  with storage.staged(directory) as local:
    cache = experiment.cache_for(dataset, image_size, backbone, local,
                                 progress)
    stems = {}
    for config in configs:
      for scale in config.scales:
        for key in layer_statistics.statistic_keys(config):
          stems[os.path.basename(cache.path(scale, key))[:-4]] = (scale, key)
    copied = []
    for stem, (scale, key) in sorted(stems.items()):
      files = sorted(n for n in committed if n == f"{stem}.npz" or (
          n.startswith(f"{stem}-") and n.endswith(".npz") and "/" not in n))
      if not files:
        wanted = json.loads(storage.read_bytes(
            os.path.join(local, f"{stem}.json")))
        raise _refusal(directory, wanted, _records(directory, committed))
      copied += files
    for name in copied:
      outputs.write_bytes(os.path.join(local, name),
                          storage.read_bytes(storage.join(directory, name)))
    yield cache
