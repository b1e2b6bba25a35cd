(p1, p2, raw, ...now) => {
  const S = window.__normgenScrub || (window.__normgenScrub = {raw: null, data: null});
  if (S.raw !== raw) { S.raw = raw; try { S.data = raw ? JSON.parse(raw) : null; } catch (e) { S.data = null; } }
  const axis = '__AXIS__', other = axis === 'l1' ? 'l2' : 'l1';
  const stops = S.data && S.data.axes && S.data.axes[axis];
  const pos = Math.round(Number(axis === 'l1' ? p1 : p2)) || 0;
  const s = stops && stops.length ? stops[Math.max(0, Math.min(pos, stops.length - 1))] : null;
  // no stop, or one drawn at another value of the other λ (that slider moved and the server has not sent
  // the new slice yet): leave the view as it is; the view at rest (SYNC_MS later) shows this step
  const held = Number(now[other === 'l1' ? 0 : 1]);
  if (!s || Math.abs(s[other] - held) > 1e-9 * Math.max(Math.abs(held), 1e-12)) { return now; }
  const root = ((window.gradio_config && window.gradio_config.root) || location.origin).replace(/\/$/, '');
  // a picture the page already shows is handed back as the very value it holds, so it is not drawn again
  const file = (im, held) => !im ? null : (held && held.path === im.path) ? held : {path: im.path,
    url: root + im.url, orig_name: im.path.split('/').pop(), mime_type: 'image/png', is_stream: false,
    meta: {_type: 'gradio.FileData'}};
  window.__normgenStep = {axis: axis, pos: pos, t: performance.now(), url: s.selected ? root + s.selected.url : null,
                          lam: s[axis]};
  // alt text names the setting shown (the server's view sets the same text). Gradio draws the new picture a
  // frame or more later, into an <img> that carries the old alt, so each is set once its <img> shows this
  // stop's file (retried every frame for up to about a second; a later step's pictures take over)
  const shown = [['explore-selected', s.selected], ['explore-baseline', s.baseline], ['explore-diff', s.diff]];
  const label = (tries) => {
    let left = 0;
    for (const [id, im] of shown) {
      const img = im && document.querySelector('#' + id + ' img');
      if (!img) { continue; }
      if ((img.getAttribute('src') || '').endsWith(im.url)) { img.alt = im.alt; } else { left += 1; }
    }
    if (left && tries > 0 && window.__normgenStep && window.__normgenStep.pos === pos &&
        window.__normgenStep.axis === axis) { requestAnimationFrame(() => label(tries - 1)); }
  };
  requestAnimationFrame(() => label(60));
  return [s.l1, s.l2, s.readouts[0], s.readouts[1], file(s.baseline, now[4]), s.baseline_caption,
          file(s.selected, now[6]), s.selected_caption, file(s.diff, now[8]), s.headline, s.hist];
}