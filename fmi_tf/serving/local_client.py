"""The exported end-to-end classifier run in-process, as a server runs it.

`LocalClient` loads a SavedModel export (`fmi_tf.serving.export`) and
answers `classify` and `explain` exactly as the REST and gRPC clients
(`client`, `grpc_client`) do: one `predictions.Prediction` or
`explanations.ServedExplanation` per image. It checks that the directory
holds the end-to-end export; the encoder or classifier export, or a model
directory with versions under it, is refused naming the directory to give.
"""

import os
from typing import Sequence

from fmi_tf import errors
from fmi_tf.serving import client
from fmi_tf.serving import explanations as explained
from fmi_tf.serving import predictions as checked


def _other_export(saved_model_dir: str, kind: str) -> errors.ArgumentError:
  """The error for the encoder or classifier export given where the
  end-to-end one is wanted."""
  version = os.path.normpath(saved_model_dir)
  model_base = os.path.dirname(version)
  name = os.path.basename(model_base)
  suffix = "_" + kind
  wanted = (os.path.join(os.path.dirname(model_base),
                         name[:-len(suffix)] or "texture", "<version>")
            if name.endswith(suffix) else "<export_base>/<name>/<version>")
  takes = ("descriptors -> classes, it takes no images" if kind == "classifier"
           else "images -> descriptors, it gives no classes")
  return errors.ArgumentError(
      f"{saved_model_dir} is the {kind} export ({takes}); give the "
      f"end-to-end export, {wanted}")


class LocalClient:
  """Classifies images with an exported end-to-end SavedModel in-process."""

  def __init__(self, saved_model_dir: str,
               signature: str = client.SIGNATURE):
    """Loads the export and checks that it is the end-to-end one.

    Raises:
      ArgumentError: if the directory holds no SavedModel, or the encoder
        or classifier export rather than the end-to-end one.
    """
    import tensorflow as tf  # Imported here: the REST client needs no TF.
    self._tf = tf
    self.source = saved_model_dir
    if not os.path.isfile(os.path.join(saved_model_dir, "saved_model.pb")):
      versions = sorted(int(d) for d in os.listdir(saved_model_dir)
                        if d.isdigit()) if os.path.isdir(
                            saved_model_dir) else []
      hint = (f" (it holds versions: give one, e.g. "
              f"{os.path.join(saved_model_dir, str(versions[-1]))})"
              if versions else "")
      raise errors.ArgumentError(
          f"no saved_model.pb in {saved_model_dir}{hint}")
    try:
      self._model = tf.saved_model.load(saved_model_dir)
    except (ValueError, OSError, tf.errors.OpError) as e:
      raise errors.ArgumentError(
          f"cannot load the SavedModel {saved_model_dir}: "
          f"{client.one_line(str(e).strip().splitlines()[0])}") from None
    function = self._model.signatures.get(signature)
    if function is None:
      raise errors.ArgumentError(
          f"{saved_model_dir} has no signature {signature!r}")
    inputs = function.structured_input_signature[1]
    if "descriptors" in inputs:
      raise _other_export(saved_model_dir, "classifier")
    if "descriptors" in function.structured_outputs:
      raise _other_export(saved_model_dir, "encoder")
    if ("image_bytes" not in inputs
        or "scores" not in function.structured_outputs):
      raise errors.ArgumentError(
          f"{saved_model_dir} is no end-to-end texture export: its "
          f"{signature} takes {', '.join(sorted(inputs))}")
    self._function = function

  def classify(self, images: Sequence[bytes]) -> list[checked.Prediction]:
    """Runs the signature on the images; returns a prediction per image.

    Raises:
      ImageError: if an image cannot be decoded or is too large.
    """
    return checked.from_rows(self._rows(self._function, images),
                             len(images), self.source)

  def explain(self, images: Sequence[bytes]
              ) -> list[explained.ServedExplanation]:
    """Runs the explain signature: each image's class and ranked filters.

    Raises:
      ArgumentError: if the export has no explain signature.
      ImageError: if an image cannot be decoded or is too large.
    """
    function = self._model.signatures.get(explained.SIGNATURE)
    if function is None:
      raise explained.no_explain_signature(self.source)
    return explained.from_rows(self._rows(function, images), len(images),
                               self.source)

  def _rows(self, function, images: Sequence[bytes]) -> list[dict]:
    """The signature's outputs as row dicts of lists, strings decoded."""
    try:
      outputs = function(image_bytes=self._tf.constant(list(images)))
    except self._tf.errors.InvalidArgumentError as e:
      lines = str(e).strip().splitlines()
      raise errors.ImageError(client.one_line(next(
          (line for line in lines if "image" in line.lower()), lines[0]))
      ) from None
    rows = {k: client.decode_strings(v.numpy().tolist())
            for k, v in outputs.items()}
    return [dict(zip(rows, values)) for values in zip(*rows.values())]
