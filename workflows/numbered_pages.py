"""A ReportLab canvas for documents that print "Page X of Y": the count is known only at the end.

Shared by the receipt and the licence. Every page is held back as it is finished; when the
document is saved, each is drawn on by the given function, which then knows the page count.
"""

from __future__ import annotations

from collections.abc import Callable

from reportlab.pdfgen.canvas import Canvas

#: Draws on one page, given its number and the count: decorate(canvas, number, pages).
Decorate = Callable[[Canvas, int, int], None]


def numbered_canvas(decorate: Decorate) -> type[Canvas]:
    """A canvas class (for `build(..., canvasmaker=...)`) that calls `decorate` on every page."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._held: list[dict] = []

        def showPage(self):  # ReportLab's name
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            pages = len(self._held)
            for number, state in enumerate(self._held, 1):
                self.__dict__.update(state)
                decorate(self, number, pages)
                super().showPage()
            super().save()

    return NumberedCanvas
