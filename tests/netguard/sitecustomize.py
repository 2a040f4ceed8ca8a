"""Loaded by every Python process whose PYTHONPATH starts here (tests only): no network.

Each attempt to resolve a host name or to open an internet connection is
written to the file named by SESSION_THEMES_NET_LOG and refused, so a test
can fail on any attempt, even one a library catches and retries quietly.
Local (AF_UNIX) sockets, which multiprocessing uses, are left alone.
"""

import os
import socket

_LOG = os.environ.get("SESSION_THEMES_NET_LOG")


def _refuse(what):
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {what}\n")
    raise OSError(f"network blocked by the test: {what}")


if _LOG:
    _connect = socket.socket.connect
    _connect_ex = socket.socket.connect_ex

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _refuse(f"connect {address!r}")
        return _connect(self, address)

    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _refuse(f"connect_ex {address!r}")
        return _connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        _refuse(f"getaddrinfo {host!r}")

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.getaddrinfo = getaddrinfo
