// The leader console: compose a directive (channel, target kind and selection, deadline,
// text), send it with one key, watch the receipt bars fill from the issuer's tally and the
// laggard list (recipients reached but not done, from the recipients' events) shrink, by
// county and township; remind the laggards with one key.

import { startPage, el, $, acting } from './common.js';
import { KIND, POST } from './words.js';

const MAX_DIRECTIVES = 20;
const MAX_RECIPIENTS = 20000;
const mine = new Map(); // String(directive) -> { id, title, total, signed, done, recipients: Map(unit -> stage), card, drill }
let dir, hub, dirty = false;
let early = []; // directive events not (yet) known as ours

function onMessage(m) {
  if (m.t !== 'directive.event') return;
  const d = mine.get(String(m.directive));
  if (!d) {
    // Events may come before the ack: keep the latest few until it does.
    if (early.length >= 4096) early.shift();
    early.push(m);
    return;
  }
  if (m.recipient === undefined) {
    if (m.total !== undefined) d.total = m.total;
    if (m.signed !== undefined || m.action !== 'issue') { d.signed = m.signed ?? 0; d.done = m.done ?? 0; }
  } else {
    const r = Number(m.recipient);
    const stage = m.action === 'issue' || m.action === 'remind' ? 'arrived' : m.action === 'sign' ? 'signed' : 'done';
    const was = d.recipients.get(r);
    if (was === 'done' || (was === 'signed' && stage === 'arrived')) return;
    if (!d.recipients.has(r) && d.recipients.size >= MAX_RECIPIENTS) return;
    d.recipients.set(r, stage);
  }
  d.dirty = dirty = true;
}

function targetOf() {
  const kind = $('#kind').value;
  const units = [...$('#units').selectedOptions].map((o) => Number(o.value));
  const t = { kind };
  if (kind !== 'people') t.units = units.length ? units : [dir.root];
  if (kind === 'level') t.level = $('#level').value;
  if (kind === 'module') t.module = Number($('#module').value);
  if (kind === 'post') t.post = $('#post').value;
  if (kind === 'people') t.people = $('#people').value.split(/[,，\s]+/).filter(Boolean).map((p) => BigInt(p));
  return t;
}

async function send(e) {
  e?.preventDefault();
  const minutes = Number($('#minutes').value || 0);
  const msg = { t: 'directive.issue', channel: Number($('#channel').value), title: $('#d-title').value, target: targetOf() };
  if ($('#body').value) msg.body = $('#body').value;
  if (minutes > 0) msg.deadline = Date.now() + minutes * 60000;
  const ack = await acting($('#send'), hub.request(msg));
  if (!ack) return;
  const d = { id: ack.directive, title: msg.title, total: 0, signed: 0, done: 0, recipients: new Map(), drill: dir.root, dirty: true };
  mine.set(String(d.id), d);
  const mineNow = early.filter((m) => String(m.directive) === String(d.id));
  early = early.filter((m) => String(m.directive) !== String(d.id));
  mineNow.forEach(onMessage);
  if (mine.size > MAX_DIRECTIVES) { const old = mine.values().next().value; old.card?.remove(); mine.delete(String(old.id)); }
  $('#directives .muted')?.remove();
  dirty = true;
}

function bar(label, n, total, cls) {
  const share = total ? Math.round((100 * n) / total) : 0;
  return el('div', {}, el('span', {}, `${label} ${n}/${total}（${share}%）`),
    el('div.bar-outer', {}, el(`div.bar-inner${cls ? '.' + cls : ''}`, { style: `width:${share}%` })));
}

function laggards(d) {
  // Recipients reached but not done, grouped by the child of the drill unit they lie under.
  const groups = new Map();
  let n = 0;
  for (const [unit, stage] of d.recipients) {
    if (stage === 'done') continue;
    const child = unit === d.drill ? dir.unit(unit) : dir.childToward(d.drill, unit);
    if (!child) continue;
    n += 1;
    groups.set(child.code, (groups.get(child.code) ?? 0) + 1);
  }
  const rows = [...groups].sort((a, b) => b[1] - a[1]).slice(0, 12);
  return el('div.laggards', { dataset: { count: n } },
    el('div', {}, `未完成 ${n} 个单位`, d.drill !== dir.root ? el('a', { onclick: () => { d.drill = dir.unit(d.drill).parent; d.dirty = dirty = true; } }, ' ↑返回上级') : ''),
    ...rows.map(([code, count]) => el('a', { onclick: () => { if (dir.children(code).length) { d.drill = code; d.dirty = dirty = true; } } }, `${dir.name(code)} ${count}`)));
}

function draw() {
  for (const d of mine.values()) {
    if (!d.dirty) continue;
    d.dirty = false;
    const card = el('div.directive', { dataset: { directive: String(d.id) } },
      el('b', {}, d.title), el('span.muted', {}, ` #${d.id}`),
      bar('签收', d.signed, d.total), bar('完成', d.done, d.total, 'done'),
      laggards(d),
      el('button', { name: 'remind', onclick: (e) => acting(e.target, hub.request({ t: 'directive.act', directive: d.id, action: 'remind' })) }, '一键催办'));
    if (d.card) d.card.replaceWith(card);
    else $('#directives').prepend(card);
    d.card = card;
  }
}

const started = await startPage({ onMessage, onReload: () => {} });
if (started) {
  ({ hub, dir } = started);
  $('#title').textContent = `${dir.name(dir.root)} · 一键下达`;
  $('#channel').append(...dir.channels.map((c, i) => el('option', { value: i }, c)));
  $('#module').append(...dir.modules.map((m, i) => el('option', { value: i }, m)));
  $('#level').append(...Object.entries(KIND).map(([k, v]) => el('option', { value: k }, v)));
  $('#post').append(...Object.entries(POST).map(([k, v]) => el('option', { value: k }, v)));
  $('#units').append(el('option', { value: dir.root }, dir.name(dir.root)),
    ...dir.children(dir.root).map((u) => el('option', { value: u.code }, `${u.name}（${KIND[u.kind]}）`)));
  const show = () => {
    const k = $('#kind').value;
    $('#units-l').hidden = k === 'people';
    $('#level-l').hidden = k !== 'level';
    $('#module-l').hidden = k !== 'module';
    $('#post-l').hidden = k !== 'post';
    $('#people-l').hidden = k !== 'people';
  };
  $('#kind').addEventListener('change', show);
  $('#compose').addEventListener('submit', send);
  document.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) send(e); });
  hub.subscribe(dir.root);
  const frame = () => { if (dirty) { dirty = false; draw(); } requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
}
