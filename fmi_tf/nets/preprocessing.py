"""The one conversion between RGB images in [0, 1] and VGG19's input.

VGG19 was trained on caffe-style input: BGR channel order, values in [0, 255]
minus the ImageNet channel means. Everything in fmi_tf handles RGB in [0, 1];
only the feature model calls `rgb_to_vgg_input`.
"""

import keras

# ImageNet channel means in BGR order, as in keras.applications.vgg19.
BGR_MEAN = (103.939, 116.779, 123.68)


def rgb_to_vgg_input(images):
  """Maps RGB images in [0, 1] to VGG19's caffe BGR-mean input.

  Args:
    images: float tensor [..., 3], RGB in [0, 1].

  Returns:
    Float tensor [..., 3], BGR in [0, 255] minus `BGR_MEAN`.
  """
  bgr = keras.ops.flip(images, axis=-1) * 255.0
  return bgr - keras.ops.convert_to_tensor(BGR_MEAN, dtype=bgr.dtype)


def vgg_input_to_rgb(inputs):
  """Inverts `rgb_to_vgg_input`.

  Args:
    inputs: float tensor [..., 3] of VGG19 input values.

  Returns:
    Float tensor [..., 3], RGB (in [0, 1] for inputs made from such images).
  """
  bgr = inputs + keras.ops.convert_to_tensor(BGR_MEAN, dtype=inputs.dtype)
  return keras.ops.flip(bgr, axis=-1) / 255.0
