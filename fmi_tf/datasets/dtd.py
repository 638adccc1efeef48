"""The Describable Textures Dataset's directory layout and its ten folds.

Two layouts are read:

* the official archive: `<root>/images/<class>/*.jpg` with
  `<root>/labels/train{k}.txt`, `val{k}.txt` and `test{k}.txt` (train and
  val together form the training part);
* a flat copy such as the shared `dtd10`: `<root>/<class>/*.jpg` with
  `<root>/split_trainval{k}.txt` and `<root>/split_test{k}.txt`.

Each list holds one `<class>/<file>` path per line (UTF-8 text; blank lines
are skipped). A line of another form, or a binary list, is refused, naming
the file and the line. Classes are the classes found in the lists, sorted
by name.
"""

import os

from fmi_tf import errors
from fmi_tf.datasets import folder
from fmi_tf.datasets import split

NUM_FOLDS = 10


def is_dtd_layout(root: str) -> bool:
  """Whether root holds fold list files in one of the two layouts."""
  return (os.path.isfile(os.path.join(root, "split_test1.txt"))
          or os.path.isfile(os.path.join(root, "labels", "test1.txt")))


def _read_list(path: str) -> list[str]:
  """The `<class>/<file>` entries of a split list, blank lines skipped.

  Raises:
    ArgumentError: for a missing or binary file, or a line that is no
      `<class>/<file>` path; the message names the file and line.
  """
  if not os.path.isfile(path):
    raise errors.ArgumentError(f"DTD split file not found: {path}")
  entries = []
  with open(path, "rb") as f:
    for number, raw in enumerate(f, start=1):
      try:
        line = raw.decode("utf8").strip()
      except UnicodeDecodeError:
        raise errors.ArgumentError(
            f"DTD split file {path} line {number} is not UTF-8 text") \
            from None
      if not line:
        continue
      class_name, _, file_name = line.partition("/")
      if not line.isprintable() or not file_name or not (
          class_name or os.path.isabs(line)):  # Absolute: check_inside's.
        raise errors.ArgumentError(
            f"DTD split file {path} line {number}: {line[:80]!r} is not a "
            "<class>/<file> path")
      entries.append(line)
  return entries


def fold_lists(root: str, fold: int) -> tuple[str, list[str], list[str]]:
  """Returns (image root, train paths, test paths) of a fold.

  Raises:
    ArgumentError: for a fold outside 1..10 or missing list files.
  """
  if not 1 <= fold <= NUM_FOLDS:
    raise errors.ArgumentError(f"DTD fold must be in 1..10, not {fold}")
  labels = os.path.join(root, "labels")
  if os.path.isdir(labels):
    train = (_read_list(os.path.join(labels, f"train{fold}.txt")) +
             _read_list(os.path.join(labels, f"val{fold}.txt")))
    test = _read_list(os.path.join(labels, f"test{fold}.txt"))
    return os.path.join(root, "images"), sorted(train), test
  train = _read_list(os.path.join(root, f"split_trainval{fold}.txt"))
  test = _read_list(os.path.join(root, f"split_test{fold}.txt"))
  return root, train, test


def load(root: str, fold: int = 1) -> split.Dataset:
  """Loads fold `fold` of a DTD directory."""
  if not os.path.isdir(root):
    raise errors.ArgumentError(f"dataset directory not found: {root}")
  image_root, train, test = fold_lists(root, fold)
  class_names = sorted({p.split("/", 1)[0] for p in train + test})
  return split.Dataset(
      name=f"dtd:{os.path.abspath(root)}",
      class_names=tuple(class_names),
      train=folder.examples_from_relative_paths(image_root, train,
                                                class_names),
      test=folder.examples_from_relative_paths(image_root, test,
                                               class_names),
      protocol=f"DTD fold {fold}")
