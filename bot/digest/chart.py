"""The org digest's picture for leadership: the five stages over the trend's weeks, as a PNG.

Drawn with Pillow alone (no numpy, no matplotlib: the runtime install stays small).  One row a
stage, its headline figure as one bar a week, each row scaled to its own highest week so
stages with different units sit side by side; a week with nothing to measure is a grey dot.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from bot.digest.figures import Digest

WIDTH, HEIGHT = 960, 640
MARGIN, LABEL_WIDTH, TITLE_HEIGHT, AXIS_HEIGHT = 32, 300, 72, 36
COLOURS = ("#c0392b", "#d68910", "#1e8449", "#2471a3", "#7d3c98")  # Safety … Feedback
INK, FAINT, PAPER = "#1f2933", "#9aa5b1", "#ffffff"


def draw_chart(digest: Digest) -> bytes:
    """A PNG of ``digest``'s five stages over its weeks."""
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    weeks = digest.weeks()
    title = f"Flywheel — {digest.title} — {weeks[0].label} to {weeks[-1].label}"
    draw.text((MARGIN, MARGIN), title, fill=INK, font=_font(24))
    row_height = (HEIGHT - TITLE_HEIGHT - AXIS_HEIGHT - MARGIN) // len(digest.stages)
    plot_left, plot_right = MARGIN + LABEL_WIDTH, WIDTH - MARGIN
    slot = (plot_right - plot_left) / len(weeks)
    for row, (stage, colour) in enumerate(zip(digest.stages, COLOURS)):
        top = TITLE_HEIGHT + row * row_height
        bottom = top + row_height - 12
        headline = stage.headline
        draw.text((MARGIN, top + 8), stage.name, fill=colour, font=_font(20))
        draw.text((MARGIN, top + 36), f"{headline.label}: {headline.value_text()}", fill=INK, font=_font(15))
        draw.line((plot_left, bottom, plot_right, bottom), fill=FAINT, width=1)
        known = [v for v in headline.series if v is not None]
        high = max(known, default=0) or 1
        for i, value in enumerate(headline.series):
            centre = plot_left + slot * (i + 0.5)
            if value is None:
                draw.ellipse((centre - 3, bottom - 6, centre + 3, bottom), fill=FAINT)
                continue
            height = max((bottom - top - 8) * value / high, 1)
            draw.rectangle((centre - slot * 0.3, bottom - height, centre + slot * 0.3, bottom), fill=colour)
    axis = HEIGHT - AXIS_HEIGHT - MARGIN // 2
    for i, week in enumerate(weeks):
        draw.text((plot_left + slot * (i + 0.5), axis + 8), f"W{week.week:02d}", fill=INK, font=_font(14), anchor="mt")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The font bundled with Pillow (10.1 and later), at ``size``."""
    return ImageFont.load_default(size=size)
