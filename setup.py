"""Packages fmi_tf; the rest of the configuration is in setup.cfg.

Every package under fmi_tf/ is found; the command-line tools stay in the
repository's tools/ folder and install as fmi_tf.tools (setup.cfg's
package_dir), so nothing named `tools` lands at the top of site-packages.
"""

import setuptools

setuptools.setup(
    packages=setuptools.find_packages(include=["fmi_tf", "fmi_tf.*"])
    + ["fmi_tf.tools"])
