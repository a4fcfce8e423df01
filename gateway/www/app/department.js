// The department console: whistles addressed to the department arrive live (the summons, a
// case.event at the department: protocol/README.md), flash, and count down to the report-in
// limit; report in (报到), feed back with a note (部门反馈).

import { startPage, el, $, acting } from './common.js';
import { countdown, time } from './words.js';

const MAX = 200; // whistles shown (the oldest finished ones go first)
const whistles = new Map(); // String(case) -> { id, from, title, deadline, stage, card }
let dir, hub;

function beep() {
  try {
    const ctx = new AudioContext();
    const o = ctx.createOscillator();
    o.frequency.value = 880;
    o.connect(ctx.destination);
    o.start();
    o.stop(ctx.currentTime + 0.25);
  } catch { /* no sound: the flash says it */ }
}

function onMessage(m) {
  if (m.t !== 'case.event' || Number(m.unit) !== dir.root) return;
  const key = String(m.case);
  let w = whistles.get(key);
  if (m.action === 'approve_whistle' && !w) {
    w = { id: m.case, from: Number(m.from_unit), title: m.note ?? '', deadline: m.deadline, at: m.at, stage: 'summoned', category: m.category };
    whistles.set(key, w);
    if (whistles.size > MAX) {
      const old = [...whistles.values()].find((x) => x.stage === 'fed_back') ?? whistles.values().next().value;
      old.card?.remove();
      whistles.delete(String(old.id));
    }
    draw(w, true);
    beep();
  } else if (m.action === 'remind' && w) {
    w.reminded = m.note;
    draw(w, true);
  }
}

function draw(w, flash = false) {
  const note = el('textarea', { placeholder: '反馈意见', name: 'note' });
  const card = el('section.card.whistle-card', { dataset: { case: String(w.id), stage: w.stage } },
    el('h2', {}, el('span', {}, `${dir.name(w.from)} 吹哨`), el('span.muted', {}, time(w.at))),
    el('p', {}, w.title || '（无标题）', el('span.muted', {}, ` · ${w.category ?? ''} · #${w.id}`)),
    w.stage === 'summoned' ? el('p', {}, '报到剩余 ', el('b.count', { dataset: { deadline: String(w.deadline ?? '') } }, w.deadline ? countdown(w.deadline) : '—')) : '',
    w.reminded ? el('p.error', {}, `催办：${w.reminded}`) : '',
    w.stage === 'summoned' ? el('button.primary', { name: 'report_in', onclick: (e) => step(w, e.target, 'report_in') }, '报到') : '',
    w.stage === 'reported_in' ? el('div', {}, note, el('button.primary', { name: 'feedback', onclick: (e) => step(w, e.target, 'feedback', note.value) }, '反馈')) : '',
    w.stage === 'fed_back' ? el('p', {}, el('span.pill.green', {}, '已反馈')) : '');
  if (flash) card.classList.add('flash');
  if (w.card) w.card.replaceWith(card);
  else $('#whistles').prepend(card);
  w.card = card;
  $('#empty')?.remove();
}

async function step(w, button, action, note) {
  const ack = await acting(button, hub.request({ t: 'case.act', case: w.id, action, ...(note ? { note } : {}) }));
  if (!ack) return;
  w.stage = action === 'report_in' ? 'reported_in' : 'fed_back';
  draw(w);
}

const started = await startPage({ onMessage, onReload: () => {} });
if (started) {
  ({ hub, dir } = started);
  $('#title').textContent = `${dir.name(dir.root)} · 应哨工作台`;
  hub.subscribe(dir.root);
  setInterval(() => {
    for (const b of document.querySelectorAll('.count')) {
      if (!b.dataset.deadline) continue;
      b.textContent = countdown(b.dataset.deadline);
      b.classList.toggle('late', Number(b.dataset.deadline) < Date.now());
    }
  }, 1000);
}
