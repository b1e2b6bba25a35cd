"""Look of the app: a calm theme with large text for projectors, and a little CSS.

Gradio 6 takes `theme` and `css` in `demo.launch(...)`: use `launch_kwargs()` there.
"""

from __future__ import annotations

from typing import Any

from normgen.service.uploads import MAX_UPLOAD_MB

CSS = """
.gradio-container { max-width: 1600px !important; }
#header h1 { margin-bottom: 0.1em; }
#header p { font-size: 1.15em; margin-top: 0.2em; }
.headline, .headline p { font-size: 1.15em; font-weight: 600; line-height: 1.35; }
.note p { font-size: 1.0em; }
.caption p { font-size: 1.1em; margin: 0; }
.grid-caption { min-height: 3.2em; }  /* Train's before / after grids start at the same height */
/* Compare's pick of λ: a box that reads as the answer */
.choice:not(:empty) { border-left: 5px solid #1d4ed8; background: #eff6ff; padding: 0.4em 0.8em; }
.status h3 { margin: 0.1em 0; }
.details table { font-size: 1.0em; width: 100%; }
.details table:first-of-type td:nth-child(n+2), .details table:first-of-type th:nth-child(n+2) { white-space: nowrap; }
.details td:first-child { min-width: 8em; }  /* the generalization table's long cells ("-154 (3 seeds: -155 to
   -153)") wrap instead, and never squeeze the row labels to a letter a line */
.link p { font-size: 0.85em; word-break: break-all; }
#explore-baseline img, #explore-selected img, #explore-diff img, #explore-noise img,
#train-grid img, #train-cmp-mine img, #train-cmp-zoo img {
  image-rendering: pixelated; object-fit: contain;
}
/* hidden state the browser reads (shareable-link fragments): in the DOM, never shown */
.query-state { display: none !important; }
/* Explore's λ sliders move over the position in the zoo's trained values: the readout below shows
   the λ, so the slider's own number box (the position) is not shown */
.lambda-slider input[type=number], .lambda-slider .reset-button, .lambda-slider .min_value,
.lambda-slider .max_value { display: none !important; }
.readout p { margin: 0 0 0.4em 0; font-size: 1.0em; }
/* the grids and the weight histogram: as large as the screen allows, on one screen at 1280 x 720 */
#explore-grids img { max-height: min(52vh, 520px); width: 100%; object-fit: contain; }
#explore-grids .caption { min-height: 3.3em; }  /* a two-line caption never shifts one grid below the other */
#explore-controls .form, #explore-controls .block { margin-bottom: 0; }
/* access: a focus ring on everything a keyboard reaches; text contrast >= 4.5:1 (WCAG AA): the theme's
   labels are blue-500 on blue-100 (3.0:1), its footer grey-400 on grey-50 (2.4:1) */
a, .tab-nav button, button[role=tab], label span, .block-info, .info { color: #1f2937; }
span[data-testid=block-info], label > span { color: #1e3a8a !important; }
footer a, footer button, footer span { color: #374151 !important; }
a { color: #1d4ed8; text-decoration: underline; }
/* the theme's grey help text (grey-400 on white, 2.5:1), the slider ends and the footer: grey-600 (7:1) */
.info-text, .info, .min_value, .max_value, footer .divider { color: #4b5563 !important; }
/* a block's own label badge (blue-500 on blue-100, 3.0:1): dark blue (9:1) */
[data-testid=block-label], label.float { color: #1e3a8a !important; }
/* white on blue-500 is 3.7:1: the primary button and a selected radio choice on blue-700 (6.7:1) */
button.primary, .primary { background: #1d4ed8 !important; border-color: #1d4ed8 !important; color: #fff !important; }
button.primary:hover { background: #1e40af !important; }
label.selected { background: #1d4ed8 !important; border-color: #1d4ed8 !important; }
label.selected > span, label.selected span { color: #fff !important; }
/* a dropdown is never narrower than its longest usual value ("MNIST digits", "Colour DCGAN") */
.block:has(input[role=combobox]) { min-width: min(100%, 13.5em) !important; }
/* the glossary: a dotted underline, the definition on hover (title) or, on a tap, written out after the word */
abbr[title] { text-decoration: underline dotted; text-underline-offset: 3px; cursor: help; }
abbr[title].open::after { content: " (" attr(title) ")"; font-style: italic; display: inline-block; }
:focus-visible { outline: 3px solid #1d4ed8 !important; outline-offset: 2px; }
input[type=range]:focus-visible { outline: 3px solid #1d4ed8 !important; }
/* the header's sentence introduces the app: on Explore, the first tab; elsewhere only the title stays */
body:has(#tab-explore-button[aria-selected=false]) #header p { display: none; }
body:has(#tab-explore-button[aria-selected=false]) #header h1 { font-size: 1.4em; }
/* a projector or a short laptop screen (720-800 px high): a compact header, so Explore's grids fit the first
   screen (at 1280 x 720 their bottom rows fell below it) */
@media (max-height: 800px) and (min-width: 721px) {
  #header h1 { font-size: 1.5em; margin: 0 !important; cursor: pointer; }
  #header p { display: none; font-size: 1.0em; margin: 0.1em 0 0 0 !important; }  /* a click on the title: shown */
  #header.open p { display: block; }
  #header { padding-bottom: 0 !important; }
}
/* a phone: the guide, the Model box and the λ sliders, the grids right under them, then the other controls
   (seed, more settings), then the tables and figures. The two columns (and the grids' column) give their
   children to the row (display: contents), which orders them */
@media (max-width: 720px) {
  /* all five tabs fit a 390 px phone (Gradio moves tabs that do not fit into a "More tabs" menu) */
  .tab-wrapper .tab-container button { padding: 0.25em 0.3em !important; font-size: 0.85em; }
  /* the header: its title only (a tap shows the sentence); the link bar: its Copy button only */
  #header h1 { font-size: 0.85em !important; line-height: 1.25; margin: 0 !important; cursor: pointer; }
  #header p { display: none; font-size: 0.95em !important; }
  #header.open p { display: block; }
  #header { padding-top: 4px !important; padding-bottom: 4px !important; }
  #link-bar #page-link { display: none; }
  #link-bar button { min-width: 0 !important; padding: 0.2em 0.8em !important; font-size: 0.9em !important; }
  #link-bar { flex-wrap: nowrap !important; }
  #copy-link { flex: 0 0 auto !important; white-space: nowrap; }
  #copy-status { min-width: 0 !important; flex: 1 1 auto !important; }
  /* the λ sliders' labels in one line each, the guide's bar (Start here, lessons) under the grids */
  #explore-top .lambda-slider [data-testid=block-info],
  #explore-top .lambda-slider label span { font-size: 0.8em !important; }
  #explore-top { gap: 2px !important; }
  #explore-top input[role=combobox] { font-size: 0.85em !important; }
  #explore-grids .caption p { font-size: 0.9em; line-height: 1.2; }
  #explore-top .lambda-slider .head { margin-bottom: 0 !important; }
  #explore-top > .row { flex-wrap: nowrap !important; gap: 6px !important; }
  #explore-top .block:has(input[role=combobox]) { min-width: 0 !important; flex: 1 1 50% !important; }
  #explore-row { flex-direction: column !important; gap: 6px !important; }
  #explore-controls, #explore-main, #explore-shown:not([class*=hide]) { display: contents !important; }
  #explore-controls > *, #explore-main > *, #explore-shown > * { order: 5; }
  #explore-coach { order: 0 !important; }
  #coach-bar { order: 4 !important; }
  #coach-pics { order: 1 !important; }  /* a lesson's two pictures are its point: right under its guide */
  #explore-top { order: 2 !important; }
  #explore-grids, #explore-headline { order: 3 !important; }
  #explore-rest { order: 4 !important; }
  #explore-top .block { padding-top: 2px !important; padding-bottom: 2px !important; }
  .readout p { margin: 0 0 0.1em 0; font-size: 0.95em; }
  #explore-grids { flex-wrap: wrap !important; }
  #explore-grids > .column { flex: 1 1 40% !important; min-width: 0 !important; max-width: 50%; }
  #explore-grids > .column:last-child { flex-basis: 100% !important; max-width: 100%; }
  #explore-grids img { max-width: 100%; }
  #explore-grids .caption { min-height: 2.5em !important; }
  /* the wide tables scroll inside their box instead of widening the page past the screen */
  #explore-main, #explore-controls { min-width: 0 !important; max-width: 100%; }
  .details { overflow-x: auto; max-width: 100%; }
  /* the generalization table's value columns stay a few words wide (the box scrolls) instead of one letter a line */
  .details th:nth-child(n+2), .details td:nth-child(n+2) { min-width: 6.5em; }
  /* the cycle GAN's score tables (Train's run, Compare's sweep): scroll sideways, columns stay readable */
  #train-status table, #compare-cycle table { display: block; overflow-x: auto; max-width: 100%; }
  #train-status th, #train-status td, #compare-cycle th, #compare-cycle td { min-width: 6.5em; }
  /* Train's before / after: side by side on a phone too, so the two grids are compared at a glance */
  #train-before-after { flex-wrap: nowrap !important; gap: 6px; }
  #train-before-after > .column { min-width: 0 !important; flex: 1 1 50% !important; }
  /* a phone: a long choice ("L1 axis on the generator, in the loss, 6000 steps") ends in "…", never mid-letter */
  input[role=combobox] { font-size: 0.9em !important; text-overflow: ellipsis; }
  /* Compare's choices one per line: a sweep's name is long and was clipped to a word */
  #compare-model, #compare-dataset, #compare-sweep { flex: 1 1 100% !important; min-width: 100% !important; }
}
"""


# Keyboard access: a Gradio dropdown opens its list when it gets the focus, so tabbing through the controls
# left lists open over the labels below. On Tab, an open list is closed (Escape, which keeps the focus).
# And each λ slider tells a screen reader its λ (aria-valuetext from its readout), not its position.
JS = """() => {
  const close = () => document.querySelectorAll('input[role=combobox][aria-expanded=true]').forEach((box) => {
    box.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}));
  });
  // the next dropdown opens on focus a frame or two after the Tab: close again once it has
  const onTab = (e) => { if (e.key === 'Tab') { close(); setTimeout(close, 50); setTimeout(close, 150); } };
  document.addEventListener('keydown', onTab, true);
  document.addEventListener('keyup', onTab, true);
  // a tap on a glossary word (no hover on a phone) writes its definition out after it; a second tap hides it
  document.addEventListener('click', (e) => {
    const a = e.target.closest && e.target.closest('abbr[title]');
    if (a) a.classList.toggle('open');
    const head = !a && e.target.closest && e.target.closest('#header');  // a phone shows 2 lines of it: a tap, all
    if (head) head.classList.toggle('open');
  });
  // A λ slider moves over positions (or exponents): a screen reader would read "3" or "-4". Each one's
  // aria-valuetext is its readout's line naming the λ ("L1 λ = 1e-4 · ..."), kept in step as the readout changes.
  let queued = false;
  const speak = () => {
    queued = false;
    document.querySelectorAll('.lambda-slider[id]').forEach((box) => {
      const r = document.getElementById(box.id.replace(/-slider$/, '') + '-readout');
      const input = box.querySelector('input[type=range]');
      const text = r && r.innerText.split('\\n').map((l) => l.trim()).find((l) => l.includes('λ'));
      if (input && text && input.getAttribute('aria-valuetext') !== text) input.setAttribute('aria-valuetext', text);
    });
  };
  new MutationObserver(() => { if (!queued) { queued = true; requestAnimationFrame(speak); } })
    .observe(document.body, {subtree: true, childList: true, characterData: true});
  speak();
}"""


def theme() -> Any:
    import gradio as gr

    return gr.themes.Soft(primary_hue="blue", secondary_hue="orange", text_size="lg", radius_size="sm")


MAX_UPLOAD = f"{MAX_UPLOAD_MB}mb"  # Train's own-images upload (normgen.service.uploads); Gradio refuses more


def launch_kwargs() -> dict[str, Any]:
    """Theme, CSS, the page's script and the upload cap for `demo.launch(**launch_kwargs(), ...)`: any
    upload past MAX_UPLOAD is refused before it is stored (Gradio answers 413)."""
    return {"theme": theme(), "css": CSS, "js": JS, "max_file_size": MAX_UPLOAD}
