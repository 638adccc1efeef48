"""HTTP(S) for the REST client: connections its deadline cuts, and what a
malformed answer's exception says was wrong.

urllib opens a connection per request (and per redirect); the handlers here
make each one's socket watched by a `deadline.Deadline`, and its connect
bounded by the time left.
"""

import functools
import http.client
from typing import Optional
import urllib.request

from fmi_tf.serving import deadline as deadlines
from fmi_tf.serving import predictions


class _Watched:
  """An HTTP(S) connection whose socket its deadline watches."""

  def __init__(self, *args, deadline: deadlines.Deadline, **kwargs):
    super().__init__(*args, **kwargs)
    connect = self._create_connection

    def watched_connection(address, timeout, *rest):
      sock = connect(address, min(timeout, deadline.remaining()), *rest)
      deadline.watch(sock)
      return sock

    self._create_connection = watched_connection


class _Connection(_Watched, http.client.HTTPConnection):
  pass


class _SecureConnection(_Watched, http.client.HTTPSConnection):
  pass


class HttpHandler(urllib.request.HTTPHandler):
  """Opens http:// connections watched by a deadline."""

  def __init__(self, deadline: deadlines.Deadline):
    super().__init__()
    self._deadline = deadline

  def http_open(self, req):
    return self.do_open(
        functools.partial(_Connection, deadline=self._deadline), req)


class HttpsHandler(urllib.request.HTTPSHandler):
  """Opens https:// connections watched by a deadline."""

  def __init__(self, deadline: deadlines.Deadline):
    super().__init__()
    self._deadline = deadline

  def https_open(self, req):
    return self.do_open(
        functools.partial(_SecureConnection, deadline=self._deadline), req,
        context=self._context)


def problem(error: Exception) -> Optional[str]:
  """What a malformed answer's exception says was wrong (None if it is no
  HTTP-level problem)."""
  if isinstance(error, http.client.RemoteDisconnected):
    return "closed the connection without a complete answer"
  if isinstance(error, http.client.BadStatusLine):
    return f"answered no HTTP/1.x status line: {predictions.short(error.line)}"
  if isinstance(error, http.client.IncompleteRead):
    return "broke off its answer (a bad chunk or a short body)"
  if isinstance(error, http.client.HTTPException):
    return f"sent malformed HTTP: {' '.join(str(error).split())[:300]}"
  return None
