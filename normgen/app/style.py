"""Look of the app: a calm theme with large text for projectors, and a little CSS.

Gradio 6 takes `theme` and `css` in `demo.launch(...)`: use `launch_kwargs()` there.
"""

from __future__ import annotations

from typing import Any

from normgen.app.static_files import asset
from normgen.service.uploads import MAX_UPLOAD_MB

# CSS: normgen/app/static/page.css


# Keyboard access: a Gradio dropdown opens its list when it gets the focus, so tabbing through the controls
# left lists open over the labels below. On Tab, an open list is closed (Escape, which keeps the focus).
# And each λ slider tells a screen reader its λ (aria-valuetext from its readout), not its position.
# JS: normgen/app/static/page.js


def theme() -> Any:
    import gradio as gr

    return gr.themes.Soft(primary_hue="blue", secondary_hue="orange", text_size="lg", radius_size="sm")


MAX_UPLOAD = f"{MAX_UPLOAD_MB}mb"  # Train's own-images upload (normgen.service.uploads); Gradio refuses more


def launch_kwargs() -> dict[str, Any]:
    """Theme, CSS, the page's script and the upload cap for `demo.launch(**launch_kwargs(), ...)`: any
    upload past MAX_UPLOAD is refused before it is stored (Gradio answers 413)."""
    return {"theme": theme(), "css": asset("page.css"), "js": asset("page.js"), "max_file_size": MAX_UPLOAD}
