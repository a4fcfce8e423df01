// The grid worker's view (phone-sized): report a case at one's grid, see the grid's open
// cases and the directives that reached it, sign and complete.

import { startPage, el, $, acting } from './common.js';
import { CaseBook } from './cases.js';
import { STATE, countdown, errorText } from './words.js';

const book = new CaseBook(300);
const directives = new Map(); // String(directive) -> { id, title, stage }
let dir, hub, dirty = false;
const titles = new Map();      // String(case) -> the title this page reported it with

function onMessage(m) {
  if (m.t === 'case.event') book.follow(m);
  else if (m.t === 'directive.event' && m.recipient !== undefined) {
    const key = String(m.directive);
    const d = directives.get(key) ?? { id: m.directive, title: m.title ?? '', stage: 'arrived' };
    if (m.action === 'sign' && d.stage === 'arrived') d.stage = 'signed';
    if (m.action === 'complete') d.stage = 'done';
    if (m.action === 'remind') d.reminded = true;
    directives.set(key, d);
    if (directives.size > 100) directives.delete(directives.keys().next().value);
  } else return;
  dirty = true;
}

const NEXT = { reported: 'sign', dispatched: 'sign', signed: 'start', reopened: 'start', in_progress: 'resolve', resolved: 'close' };
const LABEL = { sign: '签收', start: '办理', resolve: '反馈', close: '办结', escalate: '上报村(社区)' };

function draw() {
  const mine = [...book.cases.values()].filter((c) => c.unit === dir.root && !['closed', 'rejected', 'duplicate'].includes(c.state));
  $('#cases').replaceChildren(...(mine.length ? mine.map((c) => {
    const next = NEXT[c.state];
    return el('div.item', { dataset: { case: c.key, state: c.state } },
      el('div', {}, el('b', {}, titles.get(c.key) ?? (c.title || c.category)), ' ', el('span.pill', {}, STATE[c.state]),
        c.deadline ? el('span.muted', {}, ` 时限 ${countdown(c.deadline)}`) : ''),
      el('div.row', {},
        next ? el('button.primary', { name: next, onclick: (e) => acting(e.target, hub.request({ t: 'case.act', case: c.id, action: next, ...(next === 'resolve' ? { note: '已处理' } : {}) })) }, LABEL[next]) : '',
        ['signed', 'in_progress'].includes(c.state) ? el('button', { name: 'escalate', onclick: (e) => acting(e.target, hub.request({ t: 'case.act', case: c.id, action: 'escalate' })) }, LABEL.escalate) : ''));
  }) : [el('p.muted', {}, '暂无')]));
  const ds = [...directives.values()].reverse();
  $('#directives').replaceChildren(...(ds.length ? ds.map((d) => el('div.item', { dataset: { directive: String(d.id), stage: d.stage } },
    el('div', {}, el('b', {}, d.title), ' ', el('span.pill', { class: d.stage === 'done' ? 'pill green' : 'pill' }, { arrived: '待签收', signed: '已签收', done: '已完成' }[d.stage]),
      d.reminded && d.stage !== 'done' ? el('span.error', {}, '催办') : ''),
    el('div.row', {},
      d.stage === 'arrived' ? el('button.primary', { name: 'sign', onclick: (e) => dact(d, e.target, 'sign') }, '签收') : '',
      d.stage !== 'done' ? el('button', { name: 'complete', onclick: (e) => dact(d, e.target, 'complete') }, '完成') : ''))) : [el('p.muted', {}, '暂无')]));
}

async function dact(d, button, action) {
  const ack = await acting(button, hub.request({ t: 'directive.act', directive: d.id, action }));
  if (ack) { d.stage = action === 'sign' ? 'signed' : 'done'; dirty = true; }
}

/// The grid's open cases as the hub has them (a `cases` query, earliest deadline first).
async function loadCases() {
  const r = await hub.query({ what: 'cases', unit: dir.root, sort: 'deadline', limit: 200 });
  book.clear();
  for (const row of r.cases ?? []) book.row(row, r.seq);
  dirty = true;
  return r;
}

const started = await startPage({ onMessage, onReload: () => { loadCases(); } });
if (started) {
  ({ hub, dir } = started);
  $('#title').textContent = dir.name(dir.root);
  $('#category').append(...dir.categories.map(([code, name]) => el('option', { value: code }, name)));
  $('#report').addEventListener('submit', async (e) => {
    e.preventDefault();
    const msg = { t: 'case.report', unit: dir.root, category: $('#category').value, title: $('#r-title').value };
    if ($('#urgent').checked) msg.urgency = 'urgent';
    if ($('#description').value) msg.description = $('#description').value;
    const ack = await acting($('#send'), hub.request(msg));
    if (ack) { titles.set(String(ack.case), msg.title); $('#r-title').value = ''; dirty = true; }
  });
  // What the hub has now, then the events after it (the result's seq is the since).
  try {
    const r = await loadCases();
    await hub.subscribe(dir.root, Number(r.seq ?? 0), { figures: false }); // draws no figures
  } catch (e) {
    $('#cases').replaceChildren(el('p.error', { role: 'alert' }, errorText(e)));
    hub.subscribe(dir.root, 0, { figures: false });
  }
  const frame = () => { if (dirty) { dirty = false; draw(); } requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
}
