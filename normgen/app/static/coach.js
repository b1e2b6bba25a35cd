
const P = () => { try { return JSON.parse(props.paths || '{}'); } catch (e) { return {}; } };
const parse = (v) => { const q = new URLSearchParams(v || '');
  return {path: q.get('coach') || '', step: Number(q.get('coach_step') || 0), guess: q.get('coach_guess') || ''}; };
const frag = (s) => { if (!s.path) { return ''; } const q = new URLSearchParams({coach: s.path});
  if (s.step) { q.set('coach_step', String(s.step)); } if (s.guess) { q.set('coach_guess', s.guess); }
  return q.toString(); };
const esc = (t) => String(t).replace(/[&<>"]/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]));
const md = (t) => esc(t).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>');
const seeds = {};
let shown = null;
const set = (s) => { props.value = frag(s); trigger('change'); requestAnimationFrame(render); };
const num = (id) => { const el = document.querySelector('#' + id + ' input'); return el ? Number(el.value) : NaN; };
const close = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b), 1e-12);
const met = (t, key) => {
  const l1 = num('explore-l1'), l2 = num('explore-l2'), seed = num('explore-seed');
  if (t.l1_min !== undefined && !(l1 >= t.l1_min || close(l1, t.l1_min))) { return false; }
  if (t.l1_max !== undefined && !(l1 <= t.l1_max || close(l1, t.l1_max))) { return false; }
  if (t.l2_min !== undefined && !(l2 >= t.l2_min || close(l2, t.l2_min))) { return false; }
  if (t.l2_max !== undefined && !(l2 <= t.l2_max || close(l2, t.l2_max))) { return false; }
  if (t.seed_not !== undefined) {  // the seed when this step came up: a new one ticks it
    if (!(key in seeds)) { seeds[key] = seed; }
    if (seed === seeds[key]) { return false; }
  }
  return true;
};
function render() {
  const s = parse(props.value), path = P()[s.path];
  const box = element.querySelector('.coach-box');
  if (!box) { return; }
  document.querySelectorAll('.coach-target').forEach((el) => el.classList.remove('coach-target'));
  const guessing = !!(path && path.question && !s.guess);
  document.body.classList.toggle('coach-guessing', guessing);
  document.body.classList.toggle('coach-open', !!path);
  element.dataset.path = s.path; element.dataset.step = String(s.step); element.dataset.guess = s.guess;
  if (!path) { box.innerHTML = ''; box.hidden = true; shown = null; return; }
  box.hidden = false;
  const steps = path.steps || [], q = path.question;
  const at = steps.length ? '<span class="coach-progress">' + (s.step >= steps.length ? '✓ all ' + steps.length
    + ' steps done' : 'step ' + (s.step + 1) + ' of ' + steps.length) + '</span>' : '';
  let h = '<div class="coach-head"><span><strong>' + esc(path.title) + '</strong> ' + (guessing ? '' : at) + '</span>'
    + '<button type="button" class="coach-close" aria-label="Close the guide">✕ Close</button></div>';
  if (q) {
    h += '<p class="coach-ask"><strong>Predict first:</strong> ' + md(q.ask) + '</p>';
    if (!s.guess) {
      h += '<div class="coach-choices" role="group" aria-label="Your prediction">' + q.choices.map((c) =>
        '<button type="button" class="coach-choice" data-choice="' + esc(c[0]) + '">' + esc(c[1]) + '</button>')
        .join('') + '</div><p class="coach-hint">The selected grid and its numbers stay hidden until you choose.</p>';
    } else {
      const mine = (q.choices.find((c) => c[0] === s.guess) || [s.guess, s.guess])[1];
      const right = q.choices.find((c) => c[0] === q.answer)[1];
      const ok = s.guess === q.answer, close = (q.also || []).includes(s.guess);
      h += '<p class="coach-verdict ' + (ok || close ? 'right' : 'wrong') + '" role="status">'
        + (ok ? '✓ Right: ' : close ? '✓ Close: ' : '✗ Not this time: ') + 'you said <em>' + esc(mine)
        + '</em>; measured: <strong>' + esc(right) + '</strong>. <span class="coach-why">' + md(q.verdict)
        + '</span></p>';
      h += '<details class="coach-more"><summary>All the measured numbers</summary><p class="coach-why-again">'
        + md(q.verdict) + '</p>' + (path.text ? '<p>' + md(path.text) + '</p>' : '') + '</details>';
    }
  }
  if (!guessing && steps.length) {
    h += '<ol class="coach-steps">';
    steps.forEach((st, i) => {
      if (i < s.step) { h += '<li class="done">✓ ' + md(st.do) + '</li>'; }
      else if (i === s.step) { h += '<li class="now" aria-current="step">' + md(st.do)
        + '<div class="coach-watch">' + md(st.watch) + '</div></li>'; }
      else { h += '<li class="later">' + md(st.do) + '</li>'; }
    });
    h += '</ol>';
  }
  if (!guessing && s.step >= steps.length) {
    h += '<p class="coach-done">' + (steps.length ? '✓ All done. ' : '')
      + 'Next: another lesson from the Lessons list (each asks you to predict first), or close this guide.</p>';
  }
  box.classList.toggle('answered', !!(q && s.guess));
  if (shown !== h) { box.innerHTML = h; shown = h; }
  const now = !guessing && steps[s.step];
  if (now) { const el = document.getElementById(now.control); if (el) { el.classList.add('coach-target'); } }
}
element.addEventListener('click', (e) => {
  const b = e.target.closest('button');
  if (!b) { return; }
  const s = parse(props.value);
  if (b.classList.contains('coach-close')) { set({path: '', step: 0, guess: ''}); }
  else if (b.dataset.choice) { s.guess = b.dataset.choice; set(s); }
});
// a path just opened: its setting's controls arrive in the same reply as the guide, but the page may draw the guide
// first; until they have settled, a control still at the old value (L1 left at 1e-4) would tick the first step
let settleUntil = 0;
const SETTLE_MS = 1000;
setInterval(() => {
  const s = parse(props.value), path = P()[s.path];
  if (!path || (path.question && !s.guess) || performance.now() < settleUntil) { return; }
  const st = (path.steps || [])[s.step];
  if (st && met(st.tick, s.path + ':' + s.step)) { s.step += 1; set(s); }
}, 250);
let last = parse(props.value).path;
watch(['value', 'paths'], () => {
  shown = null; render();
  const now = parse(props.value).path;  // a path opened (here or from Learn): its guide in view, from its top
  if (now && now !== last) {
    settleUntil = performance.now() + SETTLE_MS;
    requestAnimationFrame(() => { const r = element.getBoundingClientRect();
      if (r.top < 0 || r.top > window.innerHeight * 0.6) {
        (document.getElementById('explore-row') || element).scrollIntoView({block: 'start'}); } });
  }
  last = now;
});
render();
