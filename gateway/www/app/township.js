// The township console: its cases as they move, a case's history, the whistle (吹哨): the
// module head proposes it, the head's whistle button approves and blows it, the summoned
// departments turn green as they report in and feed back; then resolve, rate, close.

import { startPage, el, $, acting } from './common.js';
import { CaseBook } from './cases.js';
import { STATE, ACTION, COLOUR, time, countdown } from './words.js';

const PAGE = 15;
const book = new CaseBook(3000);
let dir, hub, me, selected = null, page = 0, dirty = true;

const isHead = () => me.post === 'township_head';
const isModuleHead = () => me.post === 'township_module_head';

function onMessage(m) {
  if (m.t !== 'case.event') return;
  const c = book.apply(m);
  dirty = true;
}

function visible() {
  const state = $('#f-state').value, colour = $('#f-colour').value, here = $('#f-here').checked;
  return [...book.cases.values()]
    .filter((c) => !['closed', 'rejected', 'duplicate'].includes(c.state) || c.key === selected)
    .filter((c) => (!state || c.state === state) && (!colour || c.colour === colour) && (!here || c.unit === dir.root))
    .sort((a, b) => Number(a.deadline ?? Infinity) - Number(b.deadline ?? Infinity));
}

function drawList() {
  const all = visible();
  const pages = Math.max(1, Math.ceil(all.length / PAGE));
  page = Math.min(page, pages - 1);
  $('#page').textContent = `第 ${page + 1} / ${pages} 页，共 ${all.length} 件`;
  $('#cases').replaceChildren(...all.slice(page * PAGE, page * PAGE + PAGE).map((c) =>
    el('tr', { dataset: { case: c.key, colour: c.colour }, class: c.key === selected ? 'selected' : '', onclick: () => select(c.key) },
      el('td', {}, `#${String(c.id).slice(-6)}`),
      el('td', {}, categoryName(c.category)),
      el('td', {}, dir.name(c.unit)),
      el('td', { class: 'state' }, STATE[c.state] ?? c.state),
      el('td', {}, c.deadline ? countdown(c.deadline) : '—'))));
}

const categoryName = (code) => dir.categories.find((c) => c[0] === code)?.[1] ?? code ?? '';

function select(key) {
  selected = key;
  dirty = true;
}

function act(button, action, extra = {}) {
  const c = book.get(selected);
  return acting(button, hub.request({ t: 'case.act', case: c.id, action, ...extra }));
}

function deptStage(stage) {
  if (stage === 'fed_back') return el('span.pill.green', {}, '已反馈');
  if (stage === 'reported_in') return el('span.pill.amber', {}, '已报到');
  return el('span.pill', {}, '待报到');
}

function drawDetail() {
  const box = $('#detail');
  const c = selected && book.get(selected);
  if (!c) return;
  const version = `${c.key}/${c.rev}`;
  if (box.dataset.version === version) return; // forms keep what is typed until the case moves
  box.dataset.version = version;
  const parts = [el('h2', {}, `案件 #${c.id} · ${categoryName(c.category)}`),
    el('p', {}, el('span.pill', { id: 'case-state' }, STATE[c.state] ?? c.state), ' ',
      el('span', {}, `${dir.name(c.unit)} · ${COLOUR[c.colour]}`), c.deadline ? el('span.muted', {}, ` · 时限 ${countdown(c.deadline)}`) : '')];
  const here = c.unit === dir.root;
  if (here && c.state === 'dispatched')
    parts.push(el('p', {}, el('button.primary', { id: 'sign', onclick: (e) => act(e.target, 'sign') }, '签收')));
  if (here && ['signed', 'in_progress', 'reopened'].includes(c.state)) parts.push(proposeForm(c));
  if (here && c.state === 'escalation_requested') {
    parts.push(el('div.whistle-box', {},
      el('p', {}, `吹哨申请：${(c.proposed ?? []).map((d) => dir.name(d)).join('、')}`),
      el('button.whistle', { id: 'whistle', onclick: (e) => act(e.target, 'approve_whistle') }, '吹 哨'),
      isHead() ? '' : el('p.muted', {}, '由乡镇长批准吹哨')));
  }
  if (c.depts.size) {
    parts.push(el('h2', {}, '应哨部门'), el('ul.deps', { id: 'depts' }, ...[...c.depts].map(([d, s]) =>
      el('li', { dataset: { dept: d, stage: s.stage } }, deptStage(s.stage), ' ', dir.name(d),
        s.stage === 'fed_back' && c.state !== 'whistle_blown' && s.score === undefined && here ? rateControl(d) : '',
        s.score !== undefined ? el('span.muted', {}, ` 评分 ${s.score}`) : ''))));
    const allBack = [...c.depts.values()].every((s) => s.stage === 'fed_back');
    if (here && c.state === 'whistle_blown' && allBack)
      parts.push(el('p', {}, el('button.primary', { id: 'resolve', onclick: (e) => act(e.target, 'resolve', { note: '部门已反馈，乡镇确认' }) }, '确认反馈')));
  }
  if (here && c.state === 'resolved')
    parts.push(el('p', {}, el('button', { id: 'close', onclick: (e) => act(e.target, 'close') }, '办结')));
  parts.push(el('h2', {}, '办理记录'), el('table', {}, el('tbody', {}, ...c.history.slice().reverse().map((h) =>
    el('tr', {}, el('td', {}, time(h.at)), el('td', {}, ACTION[h.action] ?? h.action),
      el('td', {}, h.departments?.length ? h.departments.map((d) => dir.name(d)).join('、') : dir.name(h.unit)), el('td', {}, h.note ?? ''))))));
  box.replaceChildren(...parts);
}

function rateControl(d) {
  const sel = el('select', { id: `score-${d}` }, ...[5, 4, 3, 2, 1].map((s) => el('option', { value: s }, `${s} 分`)));
  return el('span', {}, ' ', sel, ' ', el('button', { id: `rate-${d}`, onclick: (e) => act(e.target, 'rate', { unit: d, score: Number(sel.value) }) }, '评哨'));
}

function proposeForm(c) {
  const modSel = el('select', { id: 'module' }, el('option', { value: '' }, '全部模块'), ...dir.modules.map((m, i) => el('option', { value: i }, m)));
  const pick = el('div.depts-pick', { id: 'pick' });
  const fill = () => pick.replaceChildren(...dir.departments.filter(([, , mods]) => modSel.value === '' || mods.includes(Number(modSel.value)))
    .map(([code, name]) => el('label', {}, el('input', { type: 'checkbox', value: code, name: 'dept' }), ` ${name}`)));
  modSel.addEventListener('change', fill);
  if (isModuleHead()) modSel.value = String(me.module);
  fill();
  const reason = el('textarea', { id: 'reason', placeholder: '吹哨理由' });
  const send = el('button.primary', { id: 'propose', onclick: (e) => {
    const departments = [...pick.querySelectorAll('input:checked')].map((i) => Number(i.value));
    act(e.target, 'propose_whistle', { departments, ...(reason.value ? { note: reason.value } : {}) });
  } }, '提交吹哨申请');
  return el('div', {}, el('h2', {}, '吹哨申请（选择县区部门）'), modSel, pick, reason, send);
}

const started = await startPage({ onMessage, onReload: () => { book.clear(); selected = null; dirty = true; } });
if (started) {
  ({ hub, dir } = started);
  me = dir.me;
  $('#title').textContent = `${dir.name(dir.root)} · 工作台`;
  $('#f-state').append(...Object.entries(STATE).map(([k, v]) => el('option', { value: k }, v)));
  for (const id of ['#f-state', '#f-colour', '#f-here']) $(id).addEventListener('change', () => { page = 0; dirty = true; });
  $('#prev').addEventListener('click', () => { page = Math.max(0, page - 1); dirty = true; });
  $('#next').addEventListener('click', () => { page += 1; dirty = true; });
  hub.subscribe(dir.root);
  const frame = () => {
    if (dirty) { dirty = false; drawList(); drawDetail(); }
    requestAnimationFrame(frame);
  };
  setInterval(() => { dirty = true; }, 1000); // countdowns
  requestAnimationFrame(frame);
}
