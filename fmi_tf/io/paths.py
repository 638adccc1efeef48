"""Paths built from names, proven to stay under their root.

Layer names come from a user's network, class names from a dataset's folders
and file names from directories on disk, so a name may be `..`, hold a
separator, or spell another output's file (`index.html`). Two rules keep
every path that is built from a name under its root:

* a name that becomes a path component is *safe*: 1 to 128 letters, digits,
  `_` and `-`, starting with a letter or digit (`check_name`); no dot, so no
  `..` and no name that collides with a file such as `index.html`;
* every writer joins its paths with `join_under`, which refuses empty, `.`,
  `..` and separated components and then proves, with every symbolic link
  resolved, that the result lies under the root (`storage.join_under` does
  the same for a root that may be a URL of Beam's file systems).

Readers of directories that others wrote (the site's atlas and examples)
ask `is_under` before following a file that may be a link out of its root.
"""

import os
import re

from fmi_tf import errors

SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
SAFE_NAME_RULE = ("1 to 128 letters, digits, '_' and '-', starting with a "
                  "letter or digit")


def is_safe_name(name) -> bool:
  """Whether `name` may become a path component (see the module docstring).

  Examples:
    >>> is_safe_name("block1_conv1"), is_safe_name(".."), is_safe_name("a/b")
    (True, False, False)
  """
  return isinstance(name, str) and SAFE_NAME.fullmatch(name) is not None


def check_name(what: str, name, error: type = errors.ArgumentError) -> str:
  """Returns `name` if it is safe, else raises `error` naming the rule.

  Examples:
    >>> check_name("layer", "block1_conv1")
    'block1_conv1'

  Args:
    what: what the name names, for the message (e.g. "layer").
    name: the name.
    error: the `FmiError` class to raise.

  Raises:
    error: if the name is not safe.
  """
  if not is_safe_name(name):
    raise error(f"{what} name {errors.shown(name)} cannot name a file: a "
                f"{what} name must be {SAFE_NAME_RULE}")
  return name


def _inside(root: str, path: str) -> bool:
  return os.path.commonpath([root, path]) == root


def is_under(root: str, path: str) -> bool:
  """Whether `path`, every link resolved, lies under `root` (resolved).

  Examples:
    >>> is_under("atlas", "atlas/conv1_0000.png")
    True
  """
  return _inside(os.path.realpath(root), os.path.realpath(path))


def check_parts(root: str, parts) -> None:
  """Raises unless each of `parts` is one plain path component.

  A plain component is a non-empty string, not `.` or `..`, without `/`,
  the OS's separators or NUL: joined to any root, local or a URL, it names
  an entry directly inside it.

  Examples:
    >>> check_parts("s3://bucket/atlas", ["block1_conv1_0000.png"])

  Args:
    root: the directory or URL the parts go under, for the message.
    parts: the components.

  Raises:
    OutputError: naming the first part that is not plain.
  """
  for part in parts:
    if (not isinstance(part, str) or part in ("", ".", "..") or "\0" in part
        or "/" in part or os.sep in part
        or (os.altsep and os.altsep in part)):
      raise errors.OutputError(
          f"refusing to build a path under {root} from {part!r}: each part "
          "must be one plain file or directory name")


def join_under(root: str, *parts: str) -> str:
  """`root/part/...`, proven to stay under `root`.

  Each part is one path component: not empty, not `.` or `..`, without a
  separator or NUL. The joined path, with every existing symbolic link
  resolved, must still lie under the resolved root (a link inside the root
  that leads out of it is refused too).

  Examples:
    >>> join_under("site", "block1_conv1", "0003.html")
    'site/block1_conv1/0003.html'

  Args:
    root: the directory the path must stay under.
    *parts: the components below it.

  Returns:
    The joined path (not resolved).

  Raises:
    OutputError: if a part is not one plain component or the path leads
      out of `root`.
  """
  check_parts(root, parts)
  path = os.path.join(root, *parts)
  if not is_under(root, path):
    raise errors.OutputError(
        f"refusing {path}: it leads out of {root} (through a symbolic link)")
  return path
