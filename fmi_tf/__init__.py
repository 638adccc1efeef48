"""fmi_tf: every convolutional filter of a CNN extracts a specific texture.

It implements and extends Xia et al., "Every Filter Extracts a Specific
Texture in Convolutional Neural Networks" (arXiv 1608.04170), on VGG19 or any
Keras CNN.

Examples:
  >>> import fmi_tf
  >>> net = fmi_tf.network("vgg19", weights="vgg19_imagenet_notop.h5")
  >>> res = fmi_tf.invert(net, "relu4_1", filters=range(16), image="cat.jpg")
  >>> res.images.shape, res.records[0]["energy_share_gain"]
  >>> res.show()
  >>> fmi_tf.render(net, "relu4_1:0:8", param="maco").show()
  >>> fmi_tf.draw_atlas(net, layers=["relu1_1", "relu5_1"], out="atlas/")
  >>> styled = fmi_tf.stylize(net, content="cat.jpg", style="crystal.jpg")
  >>> clf = fmi_tf.train_texture_classifier(net, dataset="folder:data/")
  >>> fmi_tf.export(clf, "exports")
  >>> fmi_tf.dataset_examples(net, ["relu4_1"], "dtd:dtd/", out="examples/")
  >>> fmi_tf.make_site("atlas/", out="site/", examples="examples/")
  >>> fmi_tf.measure_faithfulness(net, ["relu3_1"], "folder:dtd/").table()

The functions take a network by name, a .keras file or a `keras.Model`
(`network`), return plain values (numpy arrays, dicts, dataclasses that a
notebook draws inline), and compose with a user's own objectives,
parameterisations and transforms (`objectives`, `param`, `transforms`).
Importing fmi_tf is cheap: TensorFlow loads when a function is first used.

The subpackages follow the pipeline: `nets` slices networks into feature
models; `datasets` reads labelled images by spec (`DatasetSpec`); `optim` is the optimiser (objectives, parameterisations, transforms,
the compiled loop); `inversion` inverts modified codes; `atlas` draws and
measures whole layers; `style` reallocates energies and transfers style;
`recognition` encodes and classifies textures; `faithfulness` measures
whether a filter's picture predicts its behaviour on real images; `serving`
exports for TF Serving; `microscope` finds each filter's dataset examples
and makes a browsable site; `beam` (the optional `[beam]` extra) runs the
atlas and dataset encoding as Apache Beam pipelines. `texture` holds the
statistics; `io` reads and writes.
"""

import importlib

# Public name -> the module that defines it (or is it).
_API = {
    "network": "fmi_tf.nets.networks",
    "invert": "fmi_tf.inversion.invert",
    "InversionResult": "fmi_tf.inversion.invert",
    "InversionConfig": "fmi_tf.inversion.filters",
    "OptimizerConfig": "fmi_tf.optim.optimization",
    "Minimizer": "fmi_tf.optim.minimizer",
    "render": "fmi_tf.optim.render",
    "RenderResult": "fmi_tf.optim.render",
    "natural_spectrum": "fmi_tf.optim.dataset_spectrum",
    "draw_atlas": "fmi_tf.atlas.draw",
    "AtlasResult": "fmi_tf.atlas.draw",
    "stylize": "fmi_tf.style.api",
    "Stylized": "fmi_tf.style.api",
    "StyleConfig": "fmi_tf.style.stylization",
    "reallocate": "fmi_tf.style.api",
    "Reallocated": "fmi_tf.style.api",
    "ReallocationConfig": "fmi_tf.style.reallocation",
    "train_texture_classifier": "fmi_tf.recognition.training",
    "TextureClassifier": "fmi_tf.recognition.training",
    "Explanation": "fmi_tf.recognition.explanation",
    "evaluate_texture_encoders": "fmi_tf.recognition.comparison",
    "DatasetSpec": "fmi_tf.datasets",
    "export": "fmi_tf.serving.export",
    "dataset_examples": "fmi_tf.microscope.examples",
    "ExamplesResult": "fmi_tf.microscope.examples",
    "make_site": "fmi_tf.microscope.site",
    "SiteResult": "fmi_tf.microscope.site",
    "measure_faithfulness": "fmi_tf.faithfulness.measure",
    "FaithfulnessResult": "fmi_tf.faithfulness.result",
    "connect": "fmi_tf.serving.connect",
}
_MODULES = {
    "objectives": "fmi_tf.optim.objectives",
    "param": "fmi_tf.optim.parameterization",
    "transforms": "fmi_tf.optim.transforms",
    "optimizers": "fmi_tf.optim.optimizers",
}
__all__ = sorted([*_API, *_MODULES])


def __getattr__(name: str):
  if name in _MODULES:
    return importlib.import_module(_MODULES[name])
  if name in _API:
    return getattr(importlib.import_module(_API[name]), name)
  raise AttributeError(f"module 'fmi_tf' has no attribute {name!r}")


def __dir__():
  return sorted([*globals(), *__all__])
