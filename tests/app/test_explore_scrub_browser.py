"""Explore's λ sliders scrubbed in the page (normgen.app.tabs.explore_scrub), in Debian's Chromium on the
tiny zoo: a drag across the L1 track shows every trained λ it passes (the readout, grid and histogram of
each, sampled once per animation frame: what was painted); a scrub makes no request to the server
(`/gradio_api/`) until the slider rests, and then one view fills in the rest; the histogram's axes stay
the same for every stop of both sliders; a view at rest answering after a later step does not put its
stop back. Step latencies in the page are the benchmark's (normgen.bench.scrub_latency)."""

from __future__ import annotations

import pytest
from conftest_browser import CHROMIUM_ARGS, chromium_path, img_src, tiny_app_url, wait_until

from normgen.app.tabs.explore_scrub import SYNC_MS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# every animation frame: the L1 readout's λ, the selected grid's src (once loaded) and the histogram's axes
RECORD_JS = """() => {
  window.__shown = [];
  const tick = () => {
    const r = document.querySelector('#explore-l1-readout');
    const img = document.querySelector('#explore-selected img');
    const svg = document.querySelector('#explore-hist svg');
    const m = r && r.innerText.match(/L1 λ = (\\S+)/);
    const row = [m ? m[1] : '', img && img.complete && img.naturalWidth > 0 ? img.src : '',
                 svg ? svg.getAttribute('data-axes') : ''];
    const last = window.__shown[window.__shown.length - 1];
    if (!last || last.join('|') !== row.join('|')) { window.__shown.push(row); }
    if (!window.__stopRecord) { requestAnimationFrame(tick); }
  };
  window.__stopRecord = false;
  requestAnimationFrame(tick);
}"""

@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    yield from tiny_app_url(tmp_path_factory, "explore-scrub-zoo")


@pytest.fixture(scope="module")
def browser(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, app_url):
    pg = browser.new_page(viewport={"width": 1280, "height": 720})
    pg.set_default_timeout(30_000)
    pg.goto(f"{app_url}?model=gan&dataset=shapes&l1=0&l2=0")
    wait_until(lambda: img_src(pg, "explore-selected"), 60, "the first Explore grid")
    wait_until(lambda: pg.evaluate("() => Number(document.querySelector('#explore-scrub [data-preloaded]')"
                                   "?.dataset.preloaded || 0)") > 0, 30, "the slice's pictures to preload")
    wait_until(lambda: pg.evaluate("() => window.normgenLinkReady === true"), 60, "the page load's chain to end")
    pg.wait_for_timeout(SYNC_MS + 500)  # and its follow-ups
    yield pg
    pg.close()


def _slice(page) -> dict:
    """The slice the page holds (the scrub component's value, as its script last read it)."""
    import json

    return json.loads(page.evaluate("() => window.normgenSlice || '{}'"))


def _pump(page) -> bool:
    """Let Playwright deliver the page's events (its sync API does so only inside its own calls)."""
    page.wait_for_timeout(50)
    return True


def _lam_text(v: float) -> str:
    return "0" if v == 0 else f"{v:.0e}".replace("e-0", "e-")


def test_a_drag_across_the_l1_track_shows_every_trained_lambda_it_passes(page):
    stops = _slice(page)["axes"]["l1"]
    assert [s["l1"] for s in stops] == [0.0, 1e-5, 1e-4, 1e-3]
    knob = page.locator("#explore-l1-slider input[type=range]").first
    knob.focus()
    page.keyboard.press("Home")
    box = knob.bounding_box()
    assert box is not None
    page.evaluate(RECORD_JS)
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 2, y, steps=40)  # left to right across the whole track
    page.mouse.up()
    page.wait_for_timeout(300)
    shown = page.evaluate("() => { window.__stopRecord = true; return window.__shown; }")
    # every stop's λ in the readout, in order, each painted with its own grid (loaded) in the same frame
    order = [_lam_text(s["l1"]) for s in stops]
    assert list(dict.fromkeys(row[0] for row in shown if row[0] in order)) == order, shown
    root = page.evaluate("() => ((window.gradio_config && window.gradio_config.root) || location.origin)"
                         ".replace(/\\/$/, '')")
    for s in stops:
        want = (_lam_text(s["l1"]), root + s["selected"]["url"])
        assert any((row[0], row[1]) == want for row in shown), (want, shown)


def test_a_scrub_asks_the_server_nothing_until_the_slider_rests(page):
    api: list[str] = []
    page.on("request", lambda r: api.append(r.url) if "/gradio_api/" in r.url else None)
    # the driver's steps are slower than a hand's on this loaded machine: the page's rest timer is set
    # longer than a step takes here, so a pause of the driver is not taken for the slider at rest
    page.evaluate("() => { window.normgenSyncMs = 4000; }")
    knob = page.locator("#explore-l1-slider input[type=range]").first
    knob.focus()
    keys = ["ArrowRight"] * 3 + ["ArrowLeft"] * 3 + ["ArrowRight"] * 2
    for key in keys:  # back to back: each press waits for its picture (well under SYNC_MS)
        before = img_src(page, "explore-selected")
        knob.press(key)
        page.wait_for_function("(b) => { const i = document.querySelector('#explore-selected img');"
                               " return i && i.src !== b && i.complete && i.naturalWidth > 0; }", arg=before,
                               polling="raf")
    during = list(api)
    assert during == [], f"{len(during)} requests to the server during a scrub of {len(keys)} steps: {during}"
    assert "1e-4" in page.locator("#explore-l1-readout").inner_text()
    # at rest, one view fills in what a step does not change (the table's mean pixel change, the link)
    wait_until(lambda: _pump(page) and [u for u in api if "file=" not in u], 30, "the view at rest")
    wait_until(lambda: "l1=1e-4" in page.locator("#explore-link").inner_text(), 20, "the link line at rest")
    calls = [u for u in api if "file=" not in u]
    assert len(calls) <= 3, calls  # the rest view and its follow-up (nearest images), not one per step


def test_the_histogram_keeps_its_axes_across_the_slice(page):
    sl = _slice(page)
    keys = {sl["hist_axes"]}
    for axis in ("l1", "l2"):
        for s in sl["axes"][axis]:
            assert f'data-axes="{sl["hist_axes"]}"' in s["hist"], (axis, s[axis])
    # and in the page, step by step on both sliders: the drawn axes (bins, y-ranges, tick labels) never move
    ticks = set()
    svgs = set()
    for axis in ("l1", "l2"):
        knob = page.locator(f"#explore-{axis}-slider input[type=range]").first
        knob.focus()
        page.keyboard.press("Home")
        for _ in range(len(sl["axes"][axis])):
            page.wait_for_timeout(50)
            keys.add(page.locator("#explore-hist svg").get_attribute("data-axes"))
            ticks.add(tuple(page.locator("#explore-hist svg text.tick").all_inner_texts()))
            svgs.add(page.locator("#explore-hist svg").inner_html())
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Home")
    assert len(keys) == 1, keys
    assert len(ticks) == 1, ticks
    assert len(svgs) >= len(sl["axes"]["l1"]), "the bars change from stop to stop"


def test_a_view_at_rest_that_answers_after_a_later_step_does_not_put_the_old_grid_back(page):
    """The slider rests on stop 1, so the page asks the server for the rest of that view; before it answers
    the visitor steps back to stop 0. The answer (held here until then) must not leave stop 1's grid,
    readout and histogram under a slider at stop 0."""
    stops = _slice(page)["axes"]["l1"]
    root = page.evaluate("() => ((window.gradio_config && window.gradio_config.root) || location.origin)"
                         ".replace(/\\/$/, '')")
    held: list = []

    def hold(route) -> None:  # every call to the server waits here; pictures and the event stream go on
        if route.request.method == "POST" and "file=" not in route.request.url:
            held.append(route)
        else:
            route.continue_()

    page.evaluate("() => { window.normgenSyncMs = 300; }")
    page.route("**/gradio_api/**", hold)
    try:
        knob = page.locator("#explore-l1-slider input[type=range]").first
        knob.focus()
        knob.press("ArrowRight")
        wait_until(lambda: img_src(page, "explore-selected") == root + stops[1]["selected"]["url"], 10, "stop 1")
        wait_until(lambda: _pump(page) and held, 10, "the view at rest on stop 1 to be asked")
        knob.press("ArrowLeft")
        wait_until(lambda: img_src(page, "explore-selected") == root + stops[0]["selected"]["url"], 10, "stop 0")
        held.pop(0).continue_()  # stop 1's view answers now; stop 0's (asked 300 ms later) is still held
        page.wait_for_timeout(2000)
        shown = page.evaluate("() => [document.querySelector('#explore-selected img').getAttribute('src'),"
                              " document.querySelector('#explore-l1-readout').innerText,"
                              " document.querySelector('#explore-l1-slider input[type=range]').value]")
        assert shown[2] == "0"
        assert shown[0] == root + stops[0]["selected"]["url"], shown
        assert "L1 λ = 0" in shown[1] and _lam_text(stops[1]["l1"]) not in shown[1], shown
    finally:
        for r in held:
            r.continue_()
        page.unroute("**/gradio_api/**")
