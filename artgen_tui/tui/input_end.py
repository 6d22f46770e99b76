"""A terminal that goes away closes the app, instead of leaving it spinning a core forever.

Textual's Linux/macOS driver (pinned release) keeps reading once its input is at its end: the
read returns nothing at once, every time, and its input thread loops at 100% of a core
(Textualize/textual#6690, open). That is what a terminal that went away without a SIGHUP leaves
behind: an SSH connection that dropped while artgen ran under ``nohup`` or ``setsid``, a pane
whose pty was closed. Nobody can see or use the app then, so it exits (status
:data:`TERMINAL_GONE`; unfinished exports are in the journal, ``artgen jobs resume`` finishes
them). Input that is not a terminal (piped) just stops being read, as Textual means it to.

:class:`EndingInputDriver` is Textual's ``LinuxDriver`` with ``run_input_thread`` as Textual has
it, plus the end-of-input check. ``tests/test_tui_input_end.py`` fails when Textual changes that
method (then check whether the work-around can go).
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
from codecs import getincrementaldecoder

from textual._loop import loop_last
from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.driver import Driver
from textual.drivers.linux_driver import LinuxDriver

log = logging.getLogger(__name__)

TERMINAL_GONE = 129
"""The exit status when the terminal went away: as if ended by SIGHUP (128 + 1)."""
READ_BYTES = 4096


class EndingInputDriver(LinuxDriver):
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


def ending_input(driver_class: type[Driver]) -> type[Driver]:
    """The driver to use instead of ``driver_class``: ours where it is Textual's LinuxDriver."""
    return EndingInputDriver if driver_class is LinuxDriver else driver_class
