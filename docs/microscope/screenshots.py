r"""Screenshots of a site's layer page and filter page, in headless Chromium.

Usage:
  python docs/microscope/screenshots.py site/ docs/microscope/ \
      [--layer=block4_conv1] [--filter=2]

Opens site/index.html, follows the layer's link, sorts its cards by
colourfulness (most colourful first) and saves layer.jpg; follows the
filter's link and saves filter.jpg. Needs selenium, /usr/bin/chromium and
/usr/bin/chromedriver.
"""

import argparse
import io
import os
import time

from PIL import Image

from selenium import webdriver
from selenium.webdriver.chrome import service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import select


def _save(driver, path: str) -> None:
  shot = Image.open(io.BytesIO(driver.get_screenshot_as_png()))
  shot.convert("RGB").save(path, quality=85)


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument("site")
  parser.add_argument("out")
  parser.add_argument("--layer", default="block4_conv1")
  parser.add_argument("--filter", type=int, default=2)
  args = parser.parse_args()
  options = webdriver.ChromeOptions()
  options.binary_location = "/usr/bin/chromium"
  for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                   "--window-size=1400,1000", "--hide-scrollbars"):
    options.add_argument(argument)
  driver = webdriver.Chrome(service=service.Service("/usr/bin/chromedriver"),
                            options=options)
  try:
    driver.get("file://" + os.path.abspath(
        os.path.join(args.site, "index.html")))
    driver.find_element(By.LINK_TEXT, args.layer).click()
    select.Select(driver.find_element(By.ID, "sort")).select_by_value(
        "colourfulness")
    select.Select(driver.find_element(By.ID, "order")).select_by_value("desc")
    time.sleep(2)  # the lazy thumbnails in view
    _save(driver, os.path.join(args.out, "layer.jpg"))
    driver.find_element(
        By.CSS_SELECTOR, f'a.card[data-filter="{args.filter}"]').click()
    time.sleep(1)
    _save(driver, os.path.join(args.out, "filter.jpg"))
  finally:
    driver.quit()


if __name__ == "__main__":
  main()
