"""Image-folder datasets: `<root>/<class>/<image>`, split by a seeded draw.

Classes are the sub-directories of the root, sorted by name; images are the
files with a known image extension directly inside them. The split is
stratified and deterministic: within each class the sorted files are
permuted by a NumPy generator seeded with `seed`, and the first
`round(test_fraction * n)` (at least one when a class has two or more
images) go to the test part. An entry that leads out of the root (an
absolute path or `..` in a DTD list, a symbolic link, of a class directory
or of an image, to a place outside the root) is refused; symbolic links
that stay inside the root are followed.
"""

import os

import numpy as np

from fmi_tf import errors
from fmi_tf.datasets import split

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".bmp")


def class_files(root: str) -> dict[str, list[str]]:
  """Returns {class name: sorted image paths relative to root}.

  Raises:
    ArgumentError: if root is no directory, holds no class with images, or
      holds a symbolic link leading out of it.
  """
  if not os.path.isdir(root):
    raise errors.ArgumentError(f"dataset directory not found: {root}")
  classes = {}
  for name in sorted(os.listdir(root)):
    directory = check_inside(root, name)
    if not os.path.isdir(directory):
      continue
    files = sorted(f"{name}/{f}" for f in os.listdir(directory)
                   if f.lower().endswith(IMAGE_EXTENSIONS))
    for relative_path in files:
      check_inside(root, relative_path)
    if files:
      classes[name] = files
  if not classes:
    raise errors.ArgumentError(
        f"{root} has no <class>/<image> sub-directories with images")
  return classes


def stratified_split(classes: dict[str, list[str]], test_fraction: float,
                     seed: int) -> tuple[list[str], list[str]]:
  """Splits every class's files into (train, test) relative paths.

  Raises:
    ArgumentError: if test_fraction is not in (0, 1).
  """
  if not 0.0 < test_fraction < 1.0:
    raise errors.ArgumentError(
        f"test fraction must be in (0, 1), not {test_fraction}")
  rng = np.random.default_rng(seed)
  train, test = [], []
  for files in classes.values():
    order = rng.permutation(len(files))
    count = round(test_fraction * len(files))
    if len(files) >= 2:
      count = min(max(count, 1), len(files) - 1)
    test.extend(files[i] for i in sorted(order[:count]))
    train.extend(files[i] for i in sorted(order[count:]))
  return train, test


def check_inside(root: str, relative_path: str) -> str:
  """Returns root/relative_path if it stays inside root.

  Absolute paths, `..` and symbolic links (followed to their end) that lead
  out of root are refused, so neither a split list nor a link can make a
  run read files elsewhere. Links that stay inside root are followed.

  Raises:
    ArgumentError: if the path leaves root.
  """
  path = os.path.join(root, relative_path)
  absolute_root = os.path.abspath(root)
  if os.path.commonpath([absolute_root, os.path.abspath(path)]) != (
      absolute_root):
    raise errors.ArgumentError(
        f"dataset entry {relative_path!r} leaves the dataset root {root}")
  real_root, real_path = os.path.realpath(root), os.path.realpath(path)
  if os.path.commonpath([real_root, real_path]) != real_root:
    raise errors.ArgumentError(
        f"dataset entry {relative_path!r} is a symbolic link to {real_path}, "
        f"outside the dataset root {root}")
  return path


def examples_from_relative_paths(root: str, relative_paths: list[str],
                                 class_names: list[str]
                                 ) -> split.Examples:
  """Examples for `<class>/<file>` paths under root, labelled by class.

  Raises:
    ArgumentError: for an unknown class or a path that leaves root.
  """
  index = {name: i for i, name in enumerate(class_names)}
  labels = []
  for path in relative_paths:
    check_inside(root, path)
    class_name = path.split("/", 1)[0]
    if class_name not in index:
      raise errors.ArgumentError(f"{path}: unknown class {class_name!r}")
    labels.append(index[class_name])
  return split.file_examples(
      [os.path.join(root, p) for p in relative_paths], labels,
      relative_paths)


def load(root: str, test_fraction: float = 0.25,
         seed: int = 0) -> split.Dataset:
  """Loads an image folder split into train and test parts."""
  classes = class_files(root)
  class_names = list(classes)
  train, test = stratified_split(classes, test_fraction, seed)
  return split.Dataset(
      name=f"folder:{os.path.abspath(root)}",
      class_names=tuple(class_names),
      train=examples_from_relative_paths(root, train, class_names),
      test=examples_from_relative_paths(root, test, class_names),
      protocol=f"stratified test_fraction={test_fraction} seed={seed}")
