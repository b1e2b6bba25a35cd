"""Compare's plots as the page gets them: PNG files the web server serves, each with its phone variant, named in a
small HTML value instead of carried inline in the page's config (they were 0.24 MB of every first page load, on
any tab, and their text was 7 px on a phone)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest_browser import build_small_zoo, build_tiny_zoo

from normgen.app import picture_tags
from normgen.app.tabs import compare
from normgen.render.figures import NARROW
from normgen.render.learn_figures import min_text_px, overflow_px
from normgen.service import page_pictures
from normgen.service.requests import CompareQuery
from normgen.zoo.index import load_index, zoo_root

PHONE_SHOWN = 326  # px: a Compare plot's width at 390 x 844 (measured in Chromium, as Learn's figures)
L1_ID = "l1|none|none|generator|loss|10"


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    root = tmp_path_factory.mktemp("compare-plots")
    build_tiny_zoo(root)
    return root


def _files(html: str) -> list[Path]:
    """The served files an HTML value names (its <img> src and its <source> srcset), in that order."""
    urls = re.findall(r'<img src="([^"]*)"', html) + re.findall(r'srcset="([^"]*)"', html)
    assert urls and all(u.startswith(picture_tags.FILE_ROUTE) for u in urls), html
    return [Path(unquote(u[len(picture_tags.FILE_ROUTE):])) for u in urls]


def test_the_page_config_names_the_plots_files_instead_of_carrying_them(zoo):
    import gradio as gr

    with gr.Blocks() as demo, gr.Tabs():
        compare.build_compare_tab(zoo)
    config = demo.get_config_file()
    text = json.dumps(config)
    assert "data:image/png;base64" not in text
    plots = {c["props"]["elem_id"]: c["props"]["value"] for c in config["components"]
             if str(c["props"].get("elem_id", "")).startswith("compare-plot-") and c["props"].get("value")}
    assert set(plots) == {f"compare-plot-{k}" for k in compare.PLOTS}  # the tiny zoo has no small-data sweep
    for html in plots.values():
        wide, phone = _files(html)
        assert wide.parent == phone.parent == page_pictures.folder() and wide != phone
        assert f'<source media="(max-width: {picture_tags.PHONE_PX}px)"' in html and 'loading="lazy"' not in html
    assert sum(map(len, plots.values())) < 4000  # four names of files, not four ~60 KB pictures


def test_every_view_updates_the_plots_as_served_pictures_with_their_phone_variants(zoo):
    q = CompareQuery("vae", "shapes", L1_ID.replace("generator", "decoder"), 1)
    out = compare._view(zoo, q)
    for k in compare.PLOTS:
        assert out[k].count("<picture>") == 1, k
        wide, phone = _files(out[k])
        assert wide.read_bytes()[:8] == phone.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        alt = re.search(r'alt="([^"]*)"', out[k]).group(1)  # names the setting and the chosen point
        assert "VAE on Shapes" in alt and "L1 axis on the decoder" in alt and "ringed: L1" in alt, alt
    assert compare._view(zoo, q)["quality"] == out["quality"]  # the same picture: the same file


def test_a_view_waits_for_its_wide_plots_only_and_the_phone_variants_follow(zoo):
    """A point viewed for the first time answers with the four wide plots (drawing eight took the first view of a
    point from 0.5 to 0.9 s); `phone_plots` then draws the phone variants and sends those plots again, with them,
    and nothing once they are drawn."""
    q = CompareQuery("vae", "shapes", L1_ID.replace("generator", "decoder"), 2, seed=None, noise=7)
    quick = compare._view(zoo, q, phone=False)
    for k in compare.PLOTS:
        assert len(_files(quick[k])) == 1 and "<source" not in quick[k], k  # wide only, drawn now
    later = compare.phone_plots(zoo, q)
    for k in compare.PLOTS:
        wide, phone = _files(later[k])
        assert wide == _files(quick[k])[0] and phone.is_file(), k
    assert all(later[k] == {"__type__": "update"} for k in compare.GEN_PLOTS)  # gr.skip(): this sweep has none
    again = compare.phone_plots(zoo, q)
    assert all(not isinstance(v, str) for v in again.values())  # all drawn: nothing to send again
    assert compare._view(zoo, q, phone=False)["sparsity"] == later["sparsity"]  # drawn now: the reply has it


def test_a_small_data_sweeps_generalization_plots_are_served_pictures_too(tmp_path):
    build_small_zoo(tmp_path)
    out = compare._view(tmp_path, CompareQuery("vae", "shapes", "dropout|none|none|decoder|loss|10|n300", 1, 2))
    assert out["generalization"]["visible"]
    for k in compare.GEN_PLOTS:
        assert out[k]["visible"] and len(_files(out[k]["value"])) == 2, k
    full = compare._view(tmp_path, CompareQuery("vae", "shapes", "l2|none|none|decoder|loss|10"))
    assert not full["generalization"]["visible"] and not any(full[k]["visible"] for k in compare.GEN_PLOTS)


def test_with_no_sweep_the_plots_say_so_on_a_phone_too(tmp_path):
    v = compare.compute_view(tmp_path / "empty", CompareQuery())
    phone = v["quality"].narrow()
    assert any("zoo is empty" in t.get_text() for t in phone.axes[0].texts)
    assert phone.get_figwidth() == NARROW and overflow_px(phone) <= 1


def test_every_shipped_plots_phone_variant_fits_and_reads_at_12_px():
    """Each plot of the shipped zoo's Compare tab (every sweep at its middle point, the cycle GAN's) has a phone
    variant NARROW wide, nothing cut at its edges, its smallest text at least 12 px where a phone shows it
    PHONE_SHOWN wide. The desktop figure (700 px) showed its 11-pt legend at 7 px there."""
    from normgen.zoo import sweep_view as V
    from normgen.zoo import sweeps as S
    from normgen.zoo.views import cycle_sweep as CS

    root = zoo_root(None)
    if not (Path(root) / "index.json").is_file():
        pytest.skip("no shipped zoo index")
    index = load_index(root)
    pics = {}
    for m, d in S.models_and_datasets(index):
        for _, sid in S.sweep_choices(index, m, d):
            sw = S.get_sweep(index, m, d, sid)
            pics.update({p.key: p for p in V.sweep_pictures(sw, V.default_point(sw), index.floors).values()})
    for m, d in CS.pairs(index):
        pics.update({p.key: p for p in CS.pictures(index, m, d).values()})
    assert len(pics) > 100
    bad = {}
    for key, p in pics.items():
        f = p.narrow()
        shown = min_text_px(f) * min(1.0, PHONE_SHOWN / (f.get_figwidth() * f.dpi))
        if abs(f.get_figwidth() - NARROW) > 1e-6 or overflow_px(f) > 1 or shown < 12:
            bad[key] = (f.get_figwidth(), round(overflow_px(f), 1), round(shown, 1))
    assert not bad, bad
