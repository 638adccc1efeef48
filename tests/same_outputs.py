"""Outputs that must be the same whatever the work's split, compared as such.

Sharded or distributed runs sum the same terms in another order, and
oneDNN's kernels below AVX-512 round by batch shape, so their records'
floats may differ from a single run's in the last places: JSON records are
equal up to that rounding (every other value exactly), every other file
byte for byte.
"""

import json

import pytest

_RELATIVE, _ABSOLUTE = 1e-5, 1e-6


def assert_close(expected, actual, where: str = "record") -> None:
  """Equal values, floats up to rounding, every other value exactly."""
  if isinstance(expected, float) or isinstance(actual, float):
    assert actual == pytest.approx(expected, rel=_RELATIVE,
                                   abs=_ABSOLUTE), where
  elif isinstance(expected, dict):
    assert isinstance(actual, dict) and actual.keys() == expected.keys(), where
    for key in expected:
      assert_close(expected[key], actual[key], f"{where}.{key}")
  elif isinstance(expected, list):
    assert isinstance(actual, list) and len(actual) == len(expected), where
    for i, (e, a) in enumerate(zip(expected, actual)):
      assert_close(e, a, f"{where}[{i}]")
  else:
    assert actual == expected, where


def assert_same_files(expected: dict, actual: dict) -> None:
  """{name: bytes} alike: the same names, JSON up to rounding, the rest
  byte for byte."""
  assert sorted(actual) == sorted(expected)
  for name, data in expected.items():
    if name.endswith(".json"):
      assert_close(json.loads(data), json.loads(actual[name]), name)
    else:
      assert actual[name] == data, name
