"""Pictures in a notebook: inline PNGs, or a matplotlib window elsewhere.

Results of the Python API that hold pictures (`fmi_tf.invert`'s, say) draw
one sheet and hand it to `show`; Jupyter also finds it through their
`_repr_png_`, so a result on the last line of a cell is drawn without a call.
"""

import io

from PIL import Image


def png_bytes(picture: Image.Image) -> bytes:
  """The PNG encoding of a Pillow image."""
  buffer = io.BytesIO()
  picture.save(buffer, format="PNG")
  return buffer.getvalue()


def show(picture: Image.Image) -> None:
  """Displays a picture inline under IPython, else in a matplotlib window."""
  try:
    from IPython import display  # pylint: disable=g-import-not-at-top
    from IPython import get_ipython  # pylint: disable=g-import-not-at-top
  except ImportError:
    get_ipython = lambda: None  # pylint: disable=unnecessary-lambda-assignment
  if get_ipython() is not None:
    display.display(picture)
    return
  from matplotlib import pyplot  # pylint: disable=g-import-not-at-top
  figure = pyplot.figure(figsize=(picture.width / 100, picture.height / 100))
  axes = figure.add_axes([0, 0, 1, 1])
  axes.imshow(picture)
  axes.axis("off")
  pyplot.show()
