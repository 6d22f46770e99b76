"""Stopping from outside: the terminal goes away, or the app is told to stop (SIGHUP, SIGTERM).

Each ends the app the way quitting does (Textual restores the terminal, the app's unmount saves
what it keeps, the embedded backend stops) with a status that says why: :data:`TERMINAL_GONE`
(129, as for SIGHUP) or :data:`TERMINATED` (143, as for SIGTERM). Without this, SIGTERM (``kill``,
a shutdown, ``timeout``) ended the process at once and left the terminal in the app's alternate
screen with mouse reporting on; and a terminal that went away without a SIGHUP left the app
spinning a core forever: Textual's driver (pinned release) reads on once its input is at its
end, getting nothing at once every time (Textualize/textual#6690, open). That is what an SSH
connection that dropped while artgen ran under ``nohup`` or ``setsid`` leaves behind. Nobody can
use the app then, so it stops; unfinished exports are in the journal (``artgen jobs resume``).
Input that is not a terminal (piped) just stops being read, as Textual means it to. A SIGHUP
that was set to be ignored (``nohup``) stays ignored.

:class:`StoppableDriver` is Textual's ``LinuxDriver`` with ``run_input_thread`` as Textual has it,
plus the end-of-input check, and the signal handlers while the app holds the terminal. Two more
things a terminal that went away broke in Textual: its output thread died at the first failed
write and then hung every writer, ``stop()`` included (:class:`DrainingWriterThread`), and the
SIGCONT a hang-up brings started application mode a second time (resumed here only after a
SIGTSTP). ``tests/test_tui_outside_stop.py`` fails when Textual changes these (then check
whether the work-arounds can go).
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import signal
from codecs import getincrementaldecoder

from textual._loop import loop_last
from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.driver import Driver
from textual.drivers import linux_driver
from textual.drivers._writer_thread import WriterThread
from textual.drivers.linux_driver import LinuxDriver

log = logging.getLogger(__name__)

TERMINAL_GONE = 128 + signal.SIGHUP
"""The exit status when the terminal went away (or hung up)."""
TERMINATED = 128 + signal.SIGTERM
"""The exit status when told to stop (SIGTERM)."""
READ_BYTES = 4096


class DrainingWriterThread(WriterThread):
    """Textual's output thread, except that a write that fails (the terminal is gone: EIO) does
    not end it: it drops what comes next. Textual's thread dies there, its queue (30 writes)
    fills, and the next write, or the ``stop()`` that quitting makes, waits forever: the app
    hung on its way out whenever the terminal went away while it was drawing (a reply
    streaming)."""

    def run(self) -> None:
        get, pending = self._queue.get, self._queue.qsize
        broken = False
        while (text := get()) is not None:
            if broken:
                continue
            try:
                self._file.write(text)
                if pending() == 0:
                    self._file.flush()
            except OSError:
                broken = True
        with contextlib.suppress(OSError):
            self._file.flush()


class StoppableDriver(LinuxDriver):
    def start_application_mode(self) -> None:
        super().start_application_mode()  # type: ignore[no-untyped-call]
        self._handle_signals(True)

    def stop_application_mode(self) -> None:
        self._handle_signals(False)
        super().stop_application_mode()

    def _handle_signals(self, handled: bool) -> None:
        for signum, status in ((signal.SIGHUP, TERMINAL_GONE), (signal.SIGTERM, TERMINATED)):
            if not handled:
                self._loop.remove_signal_handler(signum)
            elif signal.getsignal(signum) is not signal.SIG_IGN:
                self._loop.add_signal_handler(signum, self._stop, signum, status)

    def _sigcont_application(self, *args: object) -> None:
        """Resume only what SIGTSTP suspended. Textual re-enters application mode on any
        SIGCONT; the one a hang-up brings (with SIGHUP, to a job whose terminal closed) would
        start a second output and input thread on a terminal that is gone."""
        if self._must_signal_resume:
            super()._sigcont_application(*args)

    def _stop(self, signum: int, status: int) -> None:
        log.warning("%s: artgen stops (exit status %d).", signal.Signals(signum).name, status)
        self._app.exit(None, status)

    def run_input_thread(self) -> None:
        """Wait for input and dispatch events, until the app exits or the input ends."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode

        def dispatch(ready: list[tuple[selectors.SelectorKey, int]], final: bool = False) -> bool:
            """Parse what arrived and send its events on; ``False`` once the input has ended."""
            for last, (_key, mask) in loop_last(ready):
                if mask & selectors.EVENT_READ:
                    data = os.read(self.fileno, READ_BYTES)
                    if not data:
                        return False
                    for event in parser.feed(decode(data, final=final and last)):
                        self.process_message(event)
            for event in parser.tick():
                self.process_message(event)
            return True

        try:
            while not self.exit_event.is_set():
                if not dispatch(selector.select(0.1)):
                    self._input_ended()
                    return
            selector.unregister(self.fileno)
            dispatch(selector.select(0.1), final=True)
        finally:
            selector.close()
            with contextlib.suppress(EOFError, ParseError):
                for _event in parser.feed(""):
                    pass

    def _input_ended(self) -> None:
        """Runs on the input thread: only posts to the app (which is thread-safe). Nothing is
        printed on the way out: there is no terminal to print on (writing fails); the log says."""
        if self.input_tty:
            log.warning("The terminal closed; artgen stops (exit status %d).", TERMINAL_GONE)
            self._app.call_later(self._app.exit, None, TERMINAL_GONE)


def stoppable(driver_class: type[Driver]) -> type[Driver]:
    """The driver to use instead of ``driver_class``: ours where it is Textual's LinuxDriver
    (whose output thread becomes :class:`DrainingWriterThread`: it is made in Textual's
    ``start_application_mode``, from this module's name for it)."""
    if driver_class is not LinuxDriver:
        return driver_class
    linux_driver.WriterThread = DrainingWriterThread  # type: ignore[attr-defined]
    return StoppableDriver
