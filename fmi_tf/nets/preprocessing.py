"""The conversions between RGB images in [0, 1] and a network's input.

Everything in fmi_tf handles RGB in [0, 1]; only the feature model calls
`from_rgb`, with the mode of its network:

* `caffe` (VGG, ResNet): BGR channel order, [0, 255] minus the ImageNet
  channel means;
* `tf` (MobileNet, Inception, Xception): [-1, 1];
* `torch` (DenseNet): [0, 1] minus the ImageNet means, over their deviations;
* `raw` (EfficientNet, ConvNeXt, MobileNetV3: networks that normalise inside
  themselves): [0, 255];
* `unit`: [0, 1] unchanged.
"""

import keras

from fmi_tf import errors

CAFFE = "caffe"
MODES = (CAFFE, "tf", "torch", "raw", "unit")

# ImageNet channel means in BGR order, as in keras.applications.vgg19.
BGR_MEAN = (103.939, 116.779, 123.68)
# ImageNet channel means and deviations in RGB order, for `torch` mode.
RGB_MEAN = (0.485, 0.456, 0.406)
RGB_STD = (0.229, 0.224, 0.225)


def rgb_to_vgg_input(images):
  """Maps RGB images in [0, 1] to VGG19's caffe BGR-mean input.

  Args:
    images: float tensor [..., 3], RGB in [0, 1].

  Returns:
    Float tensor [..., 3], BGR in [0, 255] minus `BGR_MEAN`.
  """
  bgr = keras.ops.flip(images, axis=-1) * 255.0
  return bgr - keras.ops.convert_to_tensor(BGR_MEAN, dtype=bgr.dtype)


def check_mode(mode: str) -> str:
  """Returns `mode` if it is one of `MODES`.

  Raises:
    ArgumentError: for another mode.
  """
  errors.check_choice("preprocessing", mode, MODES)
  return mode


def from_rgb(images, mode: str = CAFFE):
  """Maps RGB images in [0, 1] to a network's input.

  Args:
    images: float tensor [..., 3], RGB in [0, 1].
    mode: one of `MODES`.

  Returns:
    Float tensor [..., 3] as the network was trained on.

  Raises:
    ArgumentError: for an unknown mode.
  """
  check_mode(mode)
  if mode == CAFFE:
    return rgb_to_vgg_input(images)
  if mode == "tf":
    return images * 2.0 - 1.0
  if mode == "torch":
    mean = keras.ops.convert_to_tensor(RGB_MEAN, dtype=images.dtype)
    std = keras.ops.convert_to_tensor(RGB_STD, dtype=images.dtype)
    return (images - mean) / std
  if mode == "raw":
    return images * 255.0
  return images
