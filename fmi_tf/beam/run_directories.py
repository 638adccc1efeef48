"""The directories of a Beam atlas run: checked together, and the site.

`check` refuses, before any work, the dataset examples' dataset without
their directory (or the reverse), one directory given for two outputs, and
a site directory that cannot be written (or whose store does not answer).
`make_site` builds the site where any of the directories may be a URL.
"""

import contextlib
import dataclasses
import os
from typing import Optional

from fmi_tf import errors
from fmi_tf.io import object_store
from fmi_tf.io import outputs
from fmi_tf.io import storage
from fmi_tf.microscope import site

# The site's front page, uploaded last.
_SITE_INDEX = "index.html"


def make_site(atlas_out: str, site_out: str,
              examples_out: Optional[str]) -> site.SiteResult:
  """`make_site` where any of the directories may be a URL: those read are
  copied here whole, the site built here is uploaded, `index.html` last."""
  with contextlib.ExitStack() as stack:
    local = [stack.enter_context(storage.staged(
        path, storage.list_names(path) if storage.is_url(path) else ()))
             if path is not None else None
             for path in (atlas_out, examples_out)]
    site_dir = stack.enter_context(storage.staged(site_out))
    built = site.make_site(local[0], site_dir, local[1], progress=False)
    names = sorted(storage.list_names(site_dir), key=lambda n: (
        n == _SITE_INDEX, n))
    storage.commit(site_dir, site_out, names)
  return dataclasses.replace(built, out=site_out,
                             index=storage.join(site_out, _SITE_INDEX))


def check(out: str, examples_dataset: Optional[str],
          examples_out: Optional[str], site_out: Optional[str]) -> None:
  """Refuses examples without their directory (or the reverse), one
  directory given for two outputs, and a site directory that cannot be
  written."""
  if (examples_dataset is None) != (examples_out is None):
    raise errors.ArgumentError(
        "give the dataset examples' dataset and directory together "
        "(examples_dataset and examples_out)")
  given = {"atlas": out, "examples": examples_out, "site": site_out}
  seen = {}
  for what, path in given.items():
    if path is None:
      continue
    real = path.rstrip("/") if storage.is_url(path) else os.path.realpath(
        path)
    if real in seen:
      raise errors.ArgumentError(
          f"the {seen[real]} and the {what} need directories of their own, "
          f"not both {path}")
    seen[real] = what
  if site_out is not None and storage.is_url(site_out):
    object_store.check_store(site_out, "site directory")
  elif site_out is not None:
    outputs.check_creatable(site_out, "site directory")
