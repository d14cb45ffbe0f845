"""A text progress bar on stderr: redrawn in place on a terminal, a line per tenth (or stage change) otherwise."""
import sys
import time


class ProgressBar:
    def __init__(self, label, stream=None, width=30, enabled=True):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.enabled = enabled
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last_tenth = -1
        self._last_text = None
        self._last_draw = 0.0
        self._open = False

    def update(self, fraction, text=""):
        """Show `fraction` (0..1) done, with `text` after the bar."""
        if not self.enabled:
            return
        fraction = min(1.0, max(0.0, float(fraction)))
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw < 0.1 and fraction < 1.0:
                return
            self._last_draw = now
            filled = int(round(fraction * self.width))
            line = "\r%s [%s%s] %5.1f%% %s" % (
                self.label, "#" * filled, "-" * (self.width - filled), 100 * fraction, text)
            self.stream.write(line[:200].ljust(80))
            self._open = True
        else:
            tenth = int(fraction * 10)
            if tenth == self._last_tenth and text == self._last_text:
                return
            self._last_tenth, self._last_text = tenth, text
            self.stream.write("%s %5.1f%% %s\n" % (self.label, 100 * fraction, text))
        self.stream.flush()

    def close(self):
        if self.enabled and self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False
