"""The Train tab's own images: an upload box (a .zip of images, with or without class folders, or image
files), the shape they become, a one-line note, and a few of them shown beside the run's samples. The
checks and the storing are normgen.service.uploads; the session's TrainStore holds the accepted upload,
and /train trains on it while it is there. A refused upload changes nothing else: the note says why,
and an earlier upload stays in use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from normgen.app.events import PRIVATE
from normgen.app.replies import in_order
from normgen.image_files import IMAGE_SUFFIXES
from normgen.service.train_store import TrainStore
from normgen.service.uploads import MAX_FILES, MAX_UPLOAD_MB, SHAPE_LABELS, SHAPES, UploadError, read_upload

NO_UPLOAD = (f"A **.zip** of images (flat, or one folder per class) or image files; at most {MAX_UPLOAD_MB} MB "
             f"and {MAX_FILES:,} images. While an upload is here, runs train on it instead of the dataset above.")
DATASET_OFF = "not used: runs train on your uploaded images (remove them to choose a dataset)"
REPLY = ("note", "own_box", "own_caption", "own", "dataset")  # an upload's reply, by name (normgen.app.replies)


@dataclass(frozen=True)
class UploadWidgets:
    """The upload's widgets: in the controls column (files, shape, note) and beside the grid (own_box)."""

    files: gr.File
    shape: gr.Radio
    note: gr.Markdown
    own_box: gr.Column  # hidden while there is no upload
    own_caption: gr.Markdown
    own: gr.Image


def build_upload_controls() -> tuple[gr.File, gr.Radio, gr.Markdown]:
    """The upload box, the shape choice and the note (inside the controls column)."""
    with gr.Accordion("Your own images (upload)", open=False, elem_id="train-upload-box"):
        files = gr.File(label="Images or a .zip", file_count="multiple", type="filepath",
                        file_types=[".zip", *IMAGE_SUFFIXES], elem_id="train-upload", height=120)
        shape = gr.Radio([(v, k) for k, v in SHAPE_LABELS.items()], value="auto", label="They become",
                         elem_id="train-upload-shape")
        note = gr.Markdown(NO_UPLOAD, elem_id="train-upload-note", elem_classes=["note"])
    return files, shape, note


def build_own_view() -> tuple[gr.Column, gr.Markdown, gr.Image]:
    """A few of the uploaded images, shown beside the run's samples (hidden without an upload)."""
    with gr.Column(visible=False, min_width=200, elem_id="train-own-box") as own_box:
        caption = gr.Markdown("**Your images**", elem_id="train-own-caption", elem_classes=["caption"])
        own = gr.Image(show_label=False, type="pil", format="png", interactive=False, elem_id="train-own",
                       buttons=["fullscreen"])
    return own_box, caption, own


def _paths(files: Any) -> list[str]:
    items = files if isinstance(files, list) else ([files] if files else [])
    return [str(f if isinstance(f, str) else getattr(f, "path", None) or getattr(f, "name", f)) for f in items]


def on_upload(files: Any, shape: str, store: TrainStore) -> tuple:
    """Read the upload (or the same files with another shape): REPLY (the note, the box of own images, its
    caption and picture, the Dataset control: off while the upload is used). A refused upload leaves everything
    as it was (gr.skip) and says why in the note."""
    paths = _paths(files)
    if not paths:
        return on_clear(store)
    try:
        up = read_upload(paths, shape if shape in SHAPES else "auto")
    except UploadError as exc:
        keep = (f" Runs still train on your earlier upload ({store.upload.words()})." if store.upload is not None
                else " Runs train on the dataset above.")
        return in_order({**dict.fromkeys(REPLY, gr.skip()), "note": f"**Not used:** {exc}.{keep}"}, REPLY)
    store.set_upload(up)
    note = (f"**Your images:** {up.words()}. The next run trains on them (below: how it starts); remove the "
            "upload (×) to train on the dataset above again.")
    caption = f"**Your images** ({min(up.count, 16)} of {up.count}, {up.shape_words})"
    return in_order({"note": note, "own_box": gr.Column(visible=True), "own_caption": caption, "own": up.preview,
                     "dataset": gr.update(interactive=False, info=DATASET_OFF)}, REPLY)


def on_clear(store: TrainStore, info: str | None = None) -> tuple:
    store.set_upload(None)
    return in_order({"note": NO_UPLOAD, "own_box": gr.Column(visible=False), "own_caption": gr.skip(), "own": None,
                     "dataset": gr.update(interactive=True, info=info)}, REPLY)


def wire_upload(w: UploadWidgets, store: gr.State, dataset: gr.Dropdown, dataset_info: str | None = None,
                then: Any = None) -> None:
    """An upload, a new shape with files present, or removing the files (the Dataset control gets back its
    `dataset_info`); `then(dep)` chains what follows (the time estimate)."""
    outs = [dataset if n == "dataset" else getattr(w, n) for n in REPLY]
    kw = {**PRIVATE, "concurrency_limit": 1, "concurrency_id": "upload"}
    for dep in (w.files.upload(on_upload, [w.files, w.shape, store], outs, **kw),
                w.shape.input(on_upload, [w.files, w.shape, store], outs, **kw),
                w.files.clear(lambda s: on_clear(s, dataset_info), store, outs, **PRIVATE)):
        if then is not None:
            then(dep)


__all__ = ["UploadWidgets", "build_upload_controls", "build_own_view", "on_upload", "on_clear", "wire_upload",
           "NO_UPLOAD"]
