"""A matplotlib picture as the page shows it: a `<picture>` of its PNG file, served by the web server from
normgen.service.page_pictures' folder, with its phone variant as a `<source>` for a narrow screen (the browser fetches
one of the two). Learn's pictures and Compare's plots are written by this one function."""

from __future__ import annotations

import html
from urllib.parse import quote

from normgen.service.page_pictures import drawn, picture_file
from normgen.zoo.learn_pictures import Picture

PHONE_PX = 700  # at most this wide a screen shows a picture's phone variant (learn.css says the same)
FILE_ROUTE = "gradio_api/file="  # the web server's route to a served file (relative: a Space's proxy path holds)


def picture_html(p: Picture, digest: str = "", phone: bool = True) -> str:
    """`<picture>` of `p`'s PNG file (`digest`: see normgen.service.page_pictures.picture_file), its phone variant's
    for a screen at most PHONE_PX wide, with its alt text and its width in pixels. Fetched at once, not lazily: a
    full-page capture or a print of the page shows every picture. `phone` False: the phone variant only if it is
    drawn already (a reply that should not wait for it; the caller sends it next)."""
    src = FILE_ROUTE + quote(str(picture_file(p, digest)))
    # a phone fetches its own variant, fitted to its width
    source = "" if p.narrow is None or not (phone or drawn(p, digest, narrow=True)) else (
        f'<source media="(max-width: {PHONE_PX}px)" '
        f'srcset="{FILE_ROUTE + quote(str(picture_file(p, digest, narrow=True)))}">')
    return (f'<picture>{source}<img src="{src}" alt="{html.escape(p.alt, quote=True)}" '
            f'width="{int(p.fig.get_figwidth() * p.fig.dpi)}"></picture>')


__all__ = ["FILE_ROUTE", "PHONE_PX", "picture_html"]
