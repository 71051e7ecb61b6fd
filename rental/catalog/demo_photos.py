"""Photos for the demo types, drawn with Pillow when the demo data is seeded (no downloads):
a coloured card per category with a simple outline of the machine and the type's name. They
go through the same checks and re-encoding as an upload."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from rental.shared.images.processing import ProcessedImage, process_upload

SIZE = (800, 600)
# Category slug -> (background, foreground)
COLOURS = {
    "excavators": ((250, 204, 21), (41, 37, 36)),
    "concrete": ((148, 163, 184), (15, 23, 42)),
    "construction": ((251, 146, 60), (41, 37, 36)),
    "scissor-lifts": ((74, 222, 128), (20, 83, 45)),
    "boom-lifts": ((45, 212, 191), (19, 78, 74)),
    "generators": ((96, 165, 250), (23, 37, 84)),
    "cleaning": ((125, 211, 252), (12, 74, 110)),
}


def _machine(draw: ImageDraw.ImageDraw, category: str, ink: tuple[int, int, int]) -> None:
    """An outline recognisable enough for a demo: tracks and an arm, a platform on scissors,
    a boxed generator, a drum, a wand."""
    w = 8
    if category in ("excavators", "construction"):
        draw.rounded_rectangle((170, 330, 520, 400), radius=35, outline=ink, width=w)  # tracks
        draw.rectangle((220, 220, 420, 330), outline=ink, width=w)  # body
        draw.rectangle((250, 160, 340, 220), outline=ink, width=w)  # cab
        draw.line((420, 250, 560, 150, 640, 300), fill=ink, width=w * 2, joint="curve")  # arm
        draw.polygon(((610, 300), (680, 300), (650, 350)), outline=ink, width=w)  # bucket
    elif category in ("scissor-lifts", "boom-lifts"):
        draw.rectangle((220, 360, 580, 410), outline=ink, width=w)  # base
        for x in (270, 530):
            draw.ellipse((x - 25, 400, x + 25, 450), outline=ink, width=w)
        for y in (360, 290, 220):
            draw.line((250, y, 550, y - 70), fill=ink, width=w)
            draw.line((550, y, 250, y - 70), fill=ink, width=w)
        draw.rectangle((220, 120, 580, 150), outline=ink, width=w)  # platform
        draw.line((220, 120, 220, 80, 580, 80, 580, 120), fill=ink, width=w)  # rail
    elif category == "generators":
        draw.rounded_rectangle((200, 180, 600, 420), radius=20, outline=ink, width=w)
        for y in range(220, 390, 30):  # vents
            draw.line((240, y, 380, y), fill=ink, width=w // 2)
        draw.polygon(
            ((470, 220), (430, 310), (470, 310), (440, 390), (530, 280), (485, 280), (515, 220)),
            fill=ink,
        )  # a bolt
    else:  # concrete, cleaning: a drum on a stand
        draw.ellipse((250, 150, 550, 380), outline=ink, width=w)
        draw.line((300, 380, 260, 450), fill=ink, width=w)
        draw.line((500, 380, 540, 450), fill=ink, width=w)
        draw.line((400, 150, 400, 100, 600, 100), fill=ink, width=w)


def demo_photo(name: str, category: str) -> ProcessedImage:
    background, ink = COLOURS.get(category, ((203, 213, 225), (30, 41, 59)))
    picture = Image.new("RGB", SIZE, background)
    draw = ImageDraw.Draw(picture)
    _machine(draw, category, ink)
    font = ImageFont.load_default(size=44)
    draw.text((SIZE[0] // 2, 530), name, fill=ink, font=font, anchor="mm")
    out = io.BytesIO()
    picture.save(out, "PNG")
    return process_upload(out.getvalue(), f"{category}.png")
