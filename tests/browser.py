"""Headless Chromium driven by Selenium, for the site's browser tests."""

import os

import pytest

_CHROMIUM = "/usr/bin/chromium"
_CHROMEDRIVER = "/usr/bin/chromedriver"


def chromium():
  """A headless Chromium driver; skips without Selenium or Chromium."""
  webdriver = pytest.importorskip("selenium.webdriver")
  if not (os.path.exists(_CHROMIUM) and os.path.exists(_CHROMEDRIVER)):
    pytest.skip("needs chromium and chromedriver (apt-get install chromium "
                "chromium-driver)")
  from selenium.webdriver.chrome import service
  options = webdriver.ChromeOptions()
  options.binary_location = _CHROMIUM
  for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                   "--window-size=1000,800", "--disable-background-networking",
                   "--no-first-run"):
    options.add_argument(argument)
  return webdriver.Chrome(service=service.Service(_CHROMEDRIVER),
                          options=options)
