"""A network as Beam workers rebuild it: its name and where its weights are.

A `keras.Model` does not travel well between processes, so a pipeline
carries a `NetworkSpec` (what `fmi_tf.nets.networks.load` takes) and each
worker process loads the network from it once: `SharedNetwork`, a handle
that the DoFns of one process share, as RunInference's model handlers share
one model (`apache_beam.utils.shared`). The weights or the .keras file may
be at a URL (`gs://.../vgg19.h5`): each machine copies it once
(`fmi_tf.io.inputs.local_copy`), and the network's records name the URL.
"""

import dataclasses
from typing import Optional

from fmi_tf.io import inputs
from fmi_tf.io import storage
from fmi_tf.nets import feature_model
from fmi_tf.nets import networks


@dataclasses.dataclass(frozen=True)
class NetworkSpec:
  """What `networks.load` takes, with the files at paths or URLs.

  Attributes:
    model: `vgg19`, a keras.applications name or the path or URL of a
      .keras file.
    weights: an HDF5 file (path or URL) in keras.applications' layout,
      `imagenet`, or None (see `networks.load`).
    alpha: the width multiplier of MobileNets.
    preprocessing: a .keras model's input mode.
  """
  model: str = networks.DEFAULT
  weights: Optional[str] = None
  alpha: Optional[float] = None
  preprocessing: Optional[str] = None

  def load(self) -> feature_model.Backbone:
    """Builds the network and loads its weights.

    Raises:
      ArgumentError, WeightsError: for a bad network, option or weights.
    """
    backbone = networks.load(
        inputs.local_copy(self.model), inputs.local_copy(self.weights),
        self.alpha, self.preprocessing)
    urls = {inputs.local_copy(path): path
            for path in (self.model, self.weights) if storage.is_url(path)}
    if backbone.source in urls:
      backbone = dataclasses.replace(backbone, source=urls[backbone.source])
    return backbone


class _Held:
  """A weak-referenceable holder, as `shared.Shared` requires."""

  def __init__(self, backbone: feature_model.Backbone):
    self.backbone = backbone


class SharedNetwork:
  """The network of a spec, loaded once per worker process and shared."""

  def __init__(self, spec: NetworkSpec):
    # pylint: disable=import-outside-toplevel
    from apache_beam.utils import shared
    self.spec = spec
    self._shared = shared.Shared()
    self._held = None

  def acquire(self) -> feature_model.Backbone:
    """Returns the process's network, loading it on the first call."""
    self._held = self._shared.acquire(lambda: _Held(self.spec.load()),
                                      tag=repr(self.spec))
    return self._held.backbone
