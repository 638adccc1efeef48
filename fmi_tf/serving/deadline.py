"""One overall time limit on a client's requests, however slow the server.

A socket timeout bounds each read, not the answer: a server sending one
byte every few seconds never trips it. A `Deadline` is started once for all
the requests of a `classify` call; the sockets it watches are shut down when
it passes, which ends any read or write blocked on them at once.
"""

import math
import socket
import threading
import time

from fmi_tf import errors

DEFAULT_SECONDS = 60.0
MAX_SECONDS = 86400.0


def check_seconds(seconds: float) -> float:
  """seconds, if a finite positive number of at most a day.

  Raises:
    ArgumentError: otherwise.
  """
  if (isinstance(seconds, bool) or not isinstance(seconds, (int, float))
      or not math.isfinite(seconds) or not 0 < seconds <= MAX_SECONDS):
    raise errors.ArgumentError(
        f"timeout must be a number of seconds in (0, {MAX_SECONDS:g}], not "
        f"{errors.shown(seconds)}")
  return float(seconds)


class Deadline:
  """A time limit that, once passed, cuts the sockets it watches.

  The REST client uses it as a context manager around its requests (the
  timer then cuts the watched sockets); the gRPC client gives each call
  `remaining` as its deadline.
  """

  def __init__(self, seconds: float, what: str):
    """Starts the clock.

    Args:
      seconds: the limit.
      what: the server, for the message.
    """
    self.seconds = check_seconds(seconds)
    self.what = what
    self._end = time.monotonic() + self.seconds
    self._lock = threading.Lock()
    self._sockets = []
    self._cut_done = False
    self._timer = threading.Timer(self.seconds, self._cut)
    self._timer.daemon = True

  def __enter__(self) -> "Deadline":
    self._timer.start()
    return self

  def __exit__(self, *exc_info) -> None:
    self._timer.cancel()
    with self._lock:
      for sock in self._sockets:
        sock.close()
      self._sockets.clear()

  @property
  def expired(self) -> bool:
    """Whether the deadline has passed (by the clock, even before the
    timer that cuts the sockets has run)."""
    return self._cut_done or time.monotonic() >= self._end

  def error(self) -> errors.ArgumentError:
    """The error of a passed deadline."""
    return errors.ArgumentError(
        f"no complete answer from {self.what} within the timeout of "
        f"{self.seconds:g} s")

  def remaining(self) -> float:
    """Seconds left.

    Raises:
      ArgumentError: if none are left.
    """
    left = self._end - time.monotonic()
    if left <= 0 or self._cut_done:
      raise self.error()
    return left

  def watch(self, sock: socket.socket) -> None:
    """Shuts sock down (a duplicate of it, which outlives a TLS wrapping of
    the original) when the deadline passes."""
    duplicate = sock.dup()
    with self._lock:
      self._sockets.append(duplicate)
      if self.expired:
        self._shut(duplicate)

  @staticmethod
  def _shut(sock: socket.socket) -> None:
    try:
      sock.shutdown(socket.SHUT_RDWR)
    except OSError:
      pass  # Already closed by the peer.

  def _cut(self) -> None:
    with self._lock:
      self._cut_done = True
      for sock in self._sockets:
        self._shut(sock)
