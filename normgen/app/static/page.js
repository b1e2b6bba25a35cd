() => {
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
  // A slider's number box puts a typed value back in range when it loses focus (Gradio's Slider), so the page
  // remembers the last value typed or dragged into each slider, as the keystroke lands (a Gradio `.input` event
  // runs a tick later, after a blur may already have clamped it); Train's Start sends it while the box shows it
  // or its clamp (START_JS in normgen/app/tabs/train.py). Any later edit replaces it.
  document.addEventListener('input', (e) => {
    const t = e.target;
    if (!t || !t.matches || !t.matches('input[type=number], input[type=range]')) return;
    const box = t.closest('.block[id]');
    if (!box) return;
    const typed = (window.normgenTyped = window.normgenTyped || {});
    const v = parseFloat(t.value);
    if (Number.isFinite(v)) typed[box.id] = v; else delete typed[box.id];
  }, true);
  // A λ slider moves over positions (or exponents): a screen reader would read "3" or "-4". Each one's
  // aria-valuetext is its readout's line naming the λ ("L1 λ = 1e-4 · ..."), kept in step as the readout changes.
  let queued = false;
  const speak = () => {
    queued = false;
    document.querySelectorAll('.lambda-slider[id]').forEach((box) => {
      const r = document.getElementById(box.id.replace(/-slider$/, '') + '-readout');
      const input = box.querySelector('input[type=range]');
      const text = r && r.innerText.split('\n').map((l) => l.trim()).find((l) => l.includes('λ'));
      if (input && text && input.getAttribute('aria-valuetext') !== text) input.setAttribute('aria-valuetext', text);
    });
  };
  // Gradio's image viewer marks its picture loading="lazy"; a tab's grids are what it shows, so each is fetched at
  // once (a full-page capture or a print of Compare on a phone showed its large grid blank). Only the open tab's
  // pictures are in the page, so this fetches nothing another tab would not.
  const eager = () => document.querySelectorAll('img[loading=lazy]').forEach((i) => { i.loading = 'eager'; });
  new MutationObserver(() => { if (!queued) { queued = true; requestAnimationFrame(() => { speak(); eager(); }); } })
    .observe(document.body, {subtree: true, childList: true, characterData: true, attributeFilter: ['loading']});
  speak();
  eager();
}