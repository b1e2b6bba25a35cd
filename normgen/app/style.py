"""Look of the app: a calm theme with large text for projectors, and a little CSS.

Gradio 6 takes `theme` and `css` in `demo.launch(...)`: use `launch_kwargs()` there.
"""

from __future__ import annotations

from typing import Any

CSS = """
.gradio-container { max-width: 1600px !important; }
#header h1 { margin-bottom: 0.1em; }
#header p { font-size: 1.15em; margin-top: 0.2em; }
.headline, .headline p { font-size: 1.25em; font-weight: 600; line-height: 1.4; }
.note p { font-size: 1.0em; }
.caption p { font-size: 1.1em; margin: 0; }
.status h3 { margin: 0.1em 0; }
.details table { font-size: 1.0em; width: 100%; }
.details table:first-of-type td:nth-child(n+2), .details table:first-of-type th:nth-child(n+2) { white-space: nowrap; }
.details td:first-child { min-width: 8em; }  /* the generalization table's long cells ("-154 (3 seeds: -155 to
   -153)") wrap instead, and never squeeze the row labels to a letter a line */
.link p { font-size: 0.85em; word-break: break-all; }
#explore-baseline img, #explore-selected img, #train-grid img, #train-cmp-mine img, #train-cmp-zoo img {
  image-rendering: pixelated; object-fit: contain;
}
"""


def theme() -> Any:
    import gradio as gr

    return gr.themes.Soft(primary_hue="blue", secondary_hue="orange", text_size="lg", radius_size="sm")


def launch_kwargs() -> dict[str, Any]:
    """Theme and CSS for `demo.launch(**launch_kwargs(), ...)`."""
    return {"theme": theme(), "css": CSS}
