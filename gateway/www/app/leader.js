// The leader console: compose a directive (channel, target kind and selection, deadline,
// text), send it with one key, watch the receipt bars fill and the laggard list shrink (the
// hub's receipts: a `directive` query, asked again as the directive's events arrive), by
// county and township; remind the laggards with one key. A reload shows the same directives.
// Below, 两比 and 三率: the ranking of the units under the one drilled into (the city's
// counties, a county's townships or departments) and its figures over a chosen period, from
// the hub's `ranking` and `figures` queries; drill down city → county → township.

import { startPage, el, $, acting } from './common.js';
import { KIND, POST, errorText } from './words.js';
import { figureRow, figureHead } from './figures.js';

const MAX_DIRECTIVES = 20;
const KEPT = 'leader.directives'; // the directives this tab sent, so that a reload shows them
// String(directive) -> { id, title, drill, total, signed, done, children, laggards, lagTotal, stale, card }
const mine = new Map();
let dir, hub, dirty = false;

// Receipts are the hub's (a `directive` query at the unit drilled into: the counts, per
// child, and the laggards); any event of a directive asks for them again, at most every
// 500 ms per directive.
function onMessage(m) {
  if (m.t === 'case.event') figures.stale = true;
  if (m.t !== 'directive.event') return;
  const d = mine.get(String(m.directive));
  if (d) d.stale = true;
}

async function refresh(d) {
  if (d.busy) return;
  d.busy = true;
  d.stale = false;
  try {
    const r = await hub.query({ what: 'directive', directive: d.id, unit: d.drill, lagging: 'complete', limit: 12 });
    const x = r.directive;
    Object.assign(d, { title: x.title ?? d.title, total: Number(x.total ?? 0), signed: Number(x.signed ?? 0), done: Number(x.done ?? 0),
      children: x.children ?? [], laggards: x.laggards ?? [], lagTotal: Number(r.total ?? 0), error: '' });
  } catch (e) {
    d.error = e.code !== undefined ? errorText(e) : String(e.message ?? e);
  } finally {
    d.busy = false;
    d.dirty = dirty = true;
  }
}

function keep() {
  sessionStorage.setItem(KEPT, JSON.stringify([...mine.keys()]));
}

function track(id, title = '') {
  const d = { id, title, drill: dir.root, total: 0, signed: 0, done: 0, children: [], laggards: [], lagTotal: 0, dirty: true };
  mine.set(String(id), d);
  if (mine.size > MAX_DIRECTIVES) { const old = mine.values().next().value; old.card?.remove(); mine.delete(String(old.id)); }
  keep();
  $('#directives .muted')?.remove();
  refresh(d);
  return d;
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
  track(ack.directive, msg.title);
}

function bar(label, n, total, cls) {
  const share = total ? Math.round((100 * n) / total) : 0;
  return el('div', {}, el('span', {}, `${label} ${n}/${total}（${share}%）`),
    el('div.bar-outer', {}, el(`div.bar-inner${cls ? '.' + cls : ''}`, { style: `width:${share}%` })));
}

function drillTo(d, code) { d.drill = Number(code); refresh(d); }

function laggards(d) {
  // The hub's receipts in the unit drilled into: who has not signed / completed, per child
  // (click to go down), and the first laggards by name.
  const up = d.drill !== dir.root ? el('a', { class: 'up', onclick: () => drillTo(d, dir.unit(d.drill).parent) }, ' ↑返回上级') : '';
  const kids = d.children.filter((c) => Number(c.unit) !== d.drill).map((c) => {
    const code = Number(c.unit), total = Number(c.total ?? 0), done = Number(c.done ?? 0), signed = Number(c.signed ?? 0);
    return el('a', { dataset: { unit: code, total, signed, done }, onclick: () => { if (dir.children(code).length) drillTo(d, code); } },
      `${dir.name(code)}：共 ${total}，已签 ${signed}，已完成 ${done}`);
  });
  const named = d.laggards.map((l) => el('li', { dataset: { unit: String(l.unit) } },
    dir.name(l.unit), l.person !== undefined ? ` · ${l.person}` : '', l.action === 'sign' ? '（已签收）' : '（未签收）'));
  return el('div.laggards', { dataset: { count: d.total - d.done, unsigned: d.total - d.signed, drill: d.drill } },
    el('div', {}, `${dir.name(d.drill)}：未签收 ${d.total - d.signed} · 未完成 ${d.total - d.done}`, up),
    el('div.kids', {}, ...kids),
    named.length ? el('ul.named', {}, ...named, d.lagTotal > named.length ? el('li.muted', {}, `…共 ${d.lagTotal} 个`) : '') : '');
}

function draw() {
  for (const d of mine.values()) {
    if (!d.dirty) continue;
    d.dirty = false;
    const card = el('div.directive', { dataset: { directive: String(d.id) } },
      el('b', {}, d.title), el('span.muted', {}, ` #${d.id}`),
      bar('签收', d.signed, d.total), bar('完成', d.done, d.total, 'done'),
      laggards(d), d.error ? el('p.error', { role: 'alert' }, d.error) : '',
      el('button', { name: 'remind', onclick: (e) => acting(e.target, hub.request({ t: 'directive.act', directive: d.id, action: 'remind' })) }, '一键催办'));
    if (d.card) d.card.replaceWith(card);
    else $('#directives').prepend(card);
    d.card = card;
  }
}

// -- 两比 · 三率 -----------------------------------------------------------------------------

const figures = { drill: 0, stale: true, busy: false };
const row = (r, opts = {}) => figureRow(dir, r, { ...opts, onDrill: drillFigures });

async function refreshFigures() {
  if (figures.busy) return;
  figures.busy = true;
  figures.stale = false;
  const unit = figures.drill;
  const kind = dir.unit(unit)?.kind;
  const period = $('#period').value;
  $('#fig-level-l').hidden = kind !== 'county';
  $('#fig-up').hidden = unit === dir.root;
  $('#fig-where').textContent = dir.name(unit);
  try {
    const f = (await hub.query({ what: 'figures', unit, period })).figures;
    let rows;
    if (kind === 'city' || kind === 'county') {
      const level = kind === 'city' ? 'county' : $('#fig-level').value;
      const r = await hub.query({ what: 'ranking', unit, level, by: $('#by').value, period });
      rows = (r.ranking.rows ?? []).map((x) => row(x, { rank: x.rank }));
    } else {
      rows = (f.children ?? []).map((x) => row(x));
    }
    $('#figures tbody').replaceChildren(row(f, { total: true }), ...rows);
    $('#fig-error').textContent = '';
  } catch (e) {
    $('#fig-error').textContent = e.code !== undefined ? errorText(e) : String(e.message ?? e);
  } finally {
    figures.busy = false;
  }
}

function drillFigures(code) {
  figures.drill = Number(code);
  refreshFigures();
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
  for (const id of JSON.parse(sessionStorage.getItem(KEPT) ?? '[]')) track(BigInt(id));
  setInterval(() => { for (const d of mine.values()) if (d.stale) refresh(d); }, 500);
  figures.drill = dir.root;
  $('#figures thead').replaceChildren(figureHead());
  for (const id of ['#period', '#by', '#fig-level']) $(id).addEventListener('change', refreshFigures);
  $('#fig-up').addEventListener('click', () => drillFigures(dir.unit(figures.drill).parent));
  refreshFigures();
  setInterval(() => { if (figures.stale) refreshFigures(); }, 1000);
  const frame = () => { if (dirty) { dirty = false; draw(); } requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
}
