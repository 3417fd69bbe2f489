"""Draw the integration's brand images (original artwork) into custom_components/<domain>/brand/.

Run with the HA environment (it ships Pillow): `.venv/ha/bin/python scripts/make_brand.py`.
The drawing is two stacked Spark boxes joined by a spark, on a rounded tile; the logo adds the
name (dark_logo*: a light name for dark themes). Home Assistant's brand rules: PNG,
transparent background, icon 256x256 (icon@2x 512x512), logo landscape with its shortest side
128-256 px (logo@2x 256-512), trimmed of empty borders.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BRAND = Path(__file__).resolve().parents[1] / "custom_components" / "spark_control" / "brand"
TILE = (18, 38, 46, 255)  # deep slate
BOX = (118, 185, 0, 255)  # green Spark boxes
BOX_EDGE = (70, 120, 0, 255)
SPARK = (255, 196, 40, 255)  # amber spark
TEXT = (18, 38, 46, 255)
DARK_TEXT = (236, 242, 244, 255)  # the name on dark themes (dark_logo*.png)
SCALE = 4  # draw large, then downsample for smooth edges


def _icon(size: int) -> Image.Image:
    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    unit = big / 32
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=int(6 * unit), fill=TILE)
    # Two Sparks, stacked like the real pair on a shelf.
    for top in (7.0, 17.5):
        box = (5 * unit, top * unit, 20 * unit, (top + 7.5) * unit)
        draw.rounded_rectangle(box, radius=int(1.5 * unit), fill=BOX, outline=BOX_EDGE, width=2)
        for slot in range(3):  # vent slots
            x = (7.5 + slot * 3.5) * unit
            draw.rounded_rectangle(
                (x, (top + 2.5) * unit, x + 2 * unit, (top + 5) * unit),
                radius=int(0.5 * unit),
                fill=BOX_EDGE,
            )
    # The spark: a lightning bolt reaching from the pair to the right edge.
    bolt = [(23, 4), (17.5, 16.5), (22, 16.5), (19, 28), (27.5, 13), (23, 13), (27, 4)]
    draw.polygon([(x * unit, y * unit) for x, y in bolt], fill=SPARK)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def _logo(height: int, text_colour: tuple[int, int, int, int] = TEXT) -> Image.Image:
    icon = _icon(height)
    font = ImageFont.load_default(size=int(height * 0.42))
    text = "Spark Control"
    left, top, right, bottom = font.getbbox(text)
    gap = height // 6
    width = height + gap + (right - left)
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    image.alpha_composite(icon, (0, 0))
    draw = ImageDraw.Draw(image)
    draw.text(
        (height + gap - left, (height - (bottom - top)) // 2 - top),
        text,
        font=font,
        fill=text_colour,
    )
    box = image.getbbox()
    return image.crop(box) if box else image


def main() -> None:
    """Write the icons and the light and dark logos, each in two resolutions."""
    BRAND.mkdir(parents=True, exist_ok=True)
    outputs = {
        "icon.png": _icon(256),
        "icon@2x.png": _icon(512),
        "logo.png": _logo(160),
        "logo@2x.png": _logo(320),
        "dark_logo.png": _logo(160, DARK_TEXT),
        "dark_logo@2x.png": _logo(320, DARK_TEXT),
    }
    for name, image in outputs.items():
        image.save(BRAND / name, format="PNG", optimize=True)
        print(f"{name}: {image.width}x{image.height}")


if __name__ == "__main__":
    main()
