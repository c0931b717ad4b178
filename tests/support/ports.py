"""Loopback ports that misbehave the way a server does when it is down, hung or flapping.

They let a test show what the bot does while MLflow is unavailable without stopping the
session's real MLflow server (a restart costs a minute): the bot's gateway is pointed at
one of these instead.
"""

from __future__ import annotations

import socket
import threading


def closed_port_uri() -> str:
    """An ``http://`` URL on a loopback port nobody listens on: connections are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


class SilentPort:
    """A port that takes connections and never answers, until :meth:`release`.

    Nobody calls ``accept``: the kernel completes each handshake and queues the connection,
    so a client sends its request and waits for its read timeout.  Closing the listening
    socket resets the queued connections and refuses new ones: the waiting calls fail at once.
    """

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.uri = f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def release(self) -> None:
        self._listener.close()


class SwitchableProxy:
    """A TCP proxy on loopback to ``target`` that can be switched off and on again.

    Off, it closes every open connection and each new one as soon as it is accepted, as a
    server that went away would; on, it forwards again.  Two pump threads per connection,
    all closed by :meth:`close`.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.uri = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._on = True
        threading.Thread(target=self._accept, name="switchable-proxy", daemon=True).start()

    def switch(self, *, on: bool) -> None:
        with self._lock:
            self._on = on
            if not on:
                for sock in self._open:
                    _hang_up(sock)
                self._open.clear()

    def close(self) -> None:
        self.switch(on=False)
        _hang_up(self._listener)  # wakes the accept loop, which then ends

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                upstream = self._upstream() if self._on else None
                if upstream is None:  # switched off, or the server behind is gone
                    _hang_up(client)
                    continue
                self._open |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), name="proxy-pump", daemon=True).start()

    def _upstream(self) -> socket.socket | None:
        try:
            return socket.create_connection(self._target)
        except OSError:
            return None

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        with self._lock:
            self._open -= {source, sink}
        _hang_up(source)
        _hang_up(sink)


def _hang_up(sock: socket.socket) -> None:
    """``shutdown`` first: a bare ``close`` does not wake a thread blocked on the socket."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
