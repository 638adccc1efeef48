"""A network as Beam workers rebuild it: its name and where its weights are.

A `keras.Model` does not travel well between processes, so a pipeline
carries a `NetworkSpec` (what `fmi_tf.nets.networks.load` takes) and each
worker process loads the network from it once: `SharedNetwork`, a handle
that the DoFns of one process share, as RunInference's model handlers share
one model (`apache_beam.utils.shared`).
"""

import dataclasses
from typing import Optional

from fmi_tf.nets import feature_model
from fmi_tf.nets import networks


@dataclasses.dataclass(frozen=True)
class NetworkSpec:
  """What `networks.load` takes; every worker must see the weights' path.

  Attributes:
    model: `vgg19`, a keras.applications name or the path of a .keras file.
    weights: an HDF5 file in keras.applications' layout, `imagenet`, or None
      (see `networks.load`).
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
    return networks.load(self.model, self.weights, self.alpha,
                         self.preprocessing)


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
