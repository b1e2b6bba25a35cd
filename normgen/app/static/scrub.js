
const root = () => ((window.gradio_config && window.gradio_config.root) || location.origin).replace(/\/$/, '');
const preload = () => {
  let data = null;
  try { data = props.value ? JSON.parse(props.value) : null; } catch (e) { data = null; }
  const urls = new Set();
  for (const stops of Object.values((data && data.axes) || {})) {
    for (const s of stops) {
      for (const k of ['baseline', 'selected', 'diff']) { if (s[k]) { urls.add(root() + s[k].url); } }
    }
  }
  element.__pictures = [...urls].map((u) => { const im = new Image(); im.decoding = 'async'; im.src = u;
    if (im.decode) { im.decode().catch(() => {}); } return im; });
  element.dataset.preloaded = String(urls.size);
  window.normgenSlice = props.value;  // what the page holds, for a test or a curious reader
};
preload();
watch('value', preload);
let timer = null;
document.addEventListener('input', (e) => {
  const t = e.target;
  const slider = t instanceof HTMLInputElement && t.type === 'range' && t.closest('.lambda-slider');
  if (!slider) { return; }
  if (timer) { clearTimeout(timer); }
  timer = setTimeout(() => { timer = null; trigger('release'); }, window.normgenSyncMs || __SYNC_MS__);
}, true);
// a jump to another setting (a lesson or "Start here" opening its path) makes a rest still pending old: its view
// would come back after the jump's and put the old λ back (the server drops one already on its way:
// normgen.service.view_order)
document.addEventListener('click', (e) => {
  const t = e.target instanceof Element ? e.target : null;
  if (timer && t && t.closest('#coach-start, #coach-pick, .learn-open')) { clearTimeout(timer); timer = null; }
}, true);
