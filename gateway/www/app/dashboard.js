// The city dashboard (大屏): whoever logs in sees their own subtree. State is updated as each
// message arrives (constant work per event); the screen is redrawn once per animation frame,
// the charts at most once a second. Everything held is bounded: the cases followed, the
// directives, the ticker.

import * as echarts from '/node_modules/echarts/dist/echarts.esm.min.mjs';
import { startPage, el, $ } from './common.js';
import { ACTION, KIND, time } from './words.js';

const MAX_CASES = 40000;     // open cases followed (the oldest are forgotten first)
const MAX_DIRECTIVES = 200;  // issuer tallies kept
const TICKER = 40;           // lines in the ticker
const CHART_MS = 1000;       // charts redraw at most this often

const agg = new Map();       // unit -> latest figures
const cases = new Map();     // String(case) -> { grid, township, holderKind, colour, whistle: Set|null }
const gridLoad = new Map();  // grid -> { open, yellow, red } of the cases followed
const directives = new Map();// String(directive) -> { total, signed, done, title }
let tickerLines = [];        // newest first, at most TICKER, waiting for the next frame
let dirty = true, chartsDirty = true, lastCharts = 0;
let dir, hub, root, focus;
let whistleCount = 0;   // whistles waiting for departments in the focus, counted with the charts
const pinned = new Set();    // subscriptions kept whatever the focus
const stats = { events: 0 }; // for the browser test
window.dashboard = { stats, agg, cases, gridLoad, drill: (code) => drill(code) };

const charts = {};
const hulls = new Map();
let categoryName = new Map();

function colourRank(c) { return c === 'red' ? 2 : c === 'yellow' ? 1 : 0; }

function gridAdd(grid, colour, sign) {
  if (!grid) return;
  let g = gridLoad.get(grid);
  if (!g) gridLoad.set(grid, (g = { open: 0, yellow: 0, red: 0 }));
  g.open += sign;
  if (colour === 'yellow') g.yellow += sign;
  if (colour === 'red') g.red += sign;
  if (g.open <= 0) gridLoad.delete(grid);
}

function forget(key) {
  const c = cases.get(key);
  if (!c) return;
  gridAdd(c.grid, c.colour, -1);
  cases.delete(key);
}

const FINAL = new Set(['closed', 'rejected', 'duplicate']);

function onCase(m) {
  const key = String(m.case);
  const u = dir.unit(m.unit);
  if (u?.kind === 'department') return; // a department's copy (remind): the township's event counts
  let c = cases.get(key);
  if (FINAL.has(m.state)) {
    forget(key);
  } else {
    if (!c) {
      if (cases.size >= MAX_CASES) forget(cases.keys().next().value);
      c = { grid: u?.kind === 'grid' ? u.code : 0, colour: 'green', whistle: null };
      gridAdd(c.grid, 'green', 1);
      cases.set(key, c);
    }
    gridAdd(c.grid, c.colour, -1);
    c.colour = m.colour ?? 'green';
    gridAdd(c.grid, c.colour, 1);
    c.holderKind = u?.kind;
    c.holder = Number(m.unit);
    if (m.action === 'approve_whistle') c.whistle = new Set((m.departments ?? []).map(Number));
    if (m.action === 'feedback' && c.whistle) for (const d of m.departments ?? []) c.whistle.delete(Number(d));
  }
  const line = tickerLine(m, u);
  if (line) pushTicker(line);
}

function tickerLine(m, u) {
  const where = u?.name ?? m.unit;
  const cat = categoryName.get(m.category) ?? m.category ?? '';
  switch (m.action) {
    case 'report': return { at: m.at, cls: '', text: `新案件 · ${where} · ${cat}` };
    case 'approve_whistle':
      return { at: m.at, cls: 'whistle', text: `吹哨 · ${where} → ${(m.departments ?? []).map((d) => dir.name(d)).join('、')}` };
    case 'report_in': return { at: m.at, cls: 'whistle', text: `报到 · ${dir.name(m.departments?.[0])} · ${where}` };
    case 'feedback': return { at: m.at, cls: '', text: `部门反馈 · ${dir.name(m.departments?.[0])}` };
    case 'remind':
    case 'supervise':
      return m.colour === 'red' ? { at: m.at, cls: 'red', text: `超时${ACTION[m.action]} · ${where} · ${cat}` } : null;
    case 'close': return { at: m.at, cls: '', text: `办结 · ${where} · ${cat}` };
    default: return null;
  }
}

function pushTicker(line) {
  tickerLines.unshift(line);
  if (tickerLines.length > TICKER) tickerLines.length = TICKER;
  dirty = true;
}

function onDirective(m) {
  if (m.recipient !== undefined) return; // a recipient's copy; the issuer's tally counts
  const key = String(m.directive);
  if (!directives.has(key) && directives.size >= MAX_DIRECTIVES) directives.delete(directives.keys().next().value);
  const d = directives.get(key) ?? { title: m.title ?? '' };
  if (m.total !== undefined) d.total = m.total;
  d.signed = m.signed ?? d.signed ?? 0;
  d.done = m.done ?? d.done ?? 0;
  directives.set(key, d);
  if (m.action === 'issue') pushTicker({ at: m.at, cls: '', text: `指令下达 · ${dir.name(m.unit)} · ${m.title ?? ''}` });
}

function onMessage(m) {
  stats.events += 1;
  if (m.t === 'case.event') onCase(m);
  else if (m.t === 'directive.event') onDirective(m);
  else if (m.t === 'aggregate') { agg.set(Number(m.unit), m.figures); chartsDirty = true; }
  else return;
  dirty = chartsDirty = true;
}

function onReload() {
  // The events missed are gone: start again from what the hub sends from now on.
  cases.clear(); gridLoad.clear(); directives.clear(); tickerLines = [];
  $('#ticker').replaceChildren();
  pushTicker({ at: Date.now(), cls: 'red', text: '数据已重新载入' });
  dirty = chartsDirty = true;
}

// -- drawing -------------------------------------------------------------------------------

const pct = (a, b) => (b ? Math.round((100 * a) / b) : 0);

function inFocus(code) { return focus === root || code === focus || dir.childToward(focus, code) !== undefined; }

function drawCounters() {
  const f = agg.get(focus) ?? {};
  $('#c-open').textContent = f.open ?? 0;
  $('#c-yellow').textContent = f.yellow ?? 0;
  $('#c-red').textContent = f.red ?? 0;
  $('#c-whistles').textContent = whistleCount;
  let running = 0;
  for (const d of directives.values()) if (d.total && d.done < d.total) running += 1;
  $('#c-directives').textContent =
    `${running} 项 · ${pct(f.directives_signed ?? 0, f.directives ?? 0)}% / ${pct(f.directives_done ?? 0, f.directives ?? 0)}%`;
}

function drawTicker() {
  const list = $('#ticker');
  for (const line of tickerLines.slice().reverse())
    list.prepend(el(`li${line.cls ? '.' + line.cls : ''}`, {}, el('time', {}, time(line.at)), line.text));
  tickerLines = [];
  while (list.childElementCount > TICKER) list.lastElementChild.remove();
}

function hull(code) {
  if (hulls.has(code)) return hulls.get(code);
  const pts = dir.grids(code).filter((g) => g.lon !== undefined).map((g) => [g.lon, g.lat]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const cross = (o, a, b) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const half = (list) => {
    const h = [];
    for (const p of list) {
      while (h.length >= 2 && cross(h[h.length - 2], h[h.length - 1], p) <= 0) h.pop();
      h.push(p);
    }
    h.pop();
    return h;
  };
  const out = pts.length < 3 ? pts : half(pts).concat(half(pts.slice().reverse()));
  hulls.set(code, out);
  return out;
}

function areaColour(f) {
  if (!f) return 'rgba(79,195,247,0.10)';
  if (f.red) return 'rgba(255,107,107,0.28)';
  if (f.yellow) return 'rgba(255,213,79,0.25)';
  return f.open ? 'rgba(79,195,247,0.18)' : 'rgba(79,195,247,0.08)';
}

let baseGrids = [];

function setFocus(code) {
  focus = code;
  const u = dir.unit(code);
  $('#map-title').textContent = `${u.name} · 网格分布（${KIND[u.kind]}）`;
  baseGrids = dir.grids(code).filter((g) => g.lon !== undefined).map((g) => [g.lon, g.lat, g.code]);
  const crumbs = [];
  for (let c = u; c; c = c.code === root ? null : dir.unit(c.parent)) crumbs.unshift(c);
  $('#crumbs').replaceChildren(...crumbs.map((c) => el('a', { onclick: () => drill(c.code) }, c.name)));
  $('#back').hidden = code === root;
  $('#rank-title').textContent = `${KIND[dir.children(code).find((k) => k.kind !== 'department' && k.kind !== 'centre')?.kind] ?? '下级'}排名（解决率）`;
  charts.map.setOption({ series: [{ id: 'grids', data: baseGrids }] });
  chartsDirty = dirty = true;
}

function drill(code) {
  code = Number(code);
  if (!code || code === focus || !dir.unit(code)) return;
  setFocus(code);
  // One subscription follows the focus (for its children's aggregates); the pinned stay.
  for (const u of [...hub.units]) if (!pinned.has(u) && u !== code) hub.unsubscribe(u);
  if (!pinned.has(code)) hub.subscribe(code);
}

function drawCharts() {
  const kids = dir.children(focus).filter((k) => k.kind !== 'department' && k.kind !== 'centre' && k.kind !== 'grid');
  const areas = kids.map((k) => ({ code: k.code, name: k.name, points: hull(k.code), f: agg.get(k.code) })).filter((a) => a.points.length >= 3);
  const live = [];
  for (const [grid, g] of gridLoad) {
    const u = dir.unit(grid);
    if (!u || u.lon === undefined || !inFocus(grid)) continue;
    live.push({ value: [u.lon, u.lat, grid], itemStyle: { color: g.red ? '#ff6b6b' : g.yellow ? '#ffd54f' : '#4fc3f7' } });
  }
  charts.map.setOption({
    series: [
      { id: 'areas', data: areas.map((a) => ({ value: a.points.length ? centre(a.points) : [NaN, NaN], name: a.name, code: a.code })), renderItem: (params, api) => {
        const a = areas[params.dataIndex];
        if (!a || a.points.length < 3) return null;
        return {
          type: 'group', children: [
            { type: 'polygon', shape: { points: a.points.map((p) => api.coord(p)) }, style: { fill: areaColour(a.f), stroke: '#3d6b99', lineWidth: 1 } },
            { type: 'text', style: { text: a.name, fill: '#cfe3ff', font: '12px sans-serif', x: api.coord(centre(a.points))[0], y: api.coord(centre(a.points))[1], align: 'center' } },
          ],
        };
      } },
      { id: 'grids' },
      { id: 'live', data: live },
    ],
  });

  whistleCount = 0;
  for (const c of cases.values()) if (c.whistle?.size && inFocus(c.holder)) whistleCount += 1;
  dirty = true;
  const f = agg.get(focus) ?? {};
  const held = { grid: 0, village: 0, township: 0, department: 0 };
  for (const c of cases.values()) if (c.holderKind in held && inFocus(c.holder)) held[c.holderKind] += 1;
  charts.held.setOption({ series: [{ data: Object.values(held) }] });
  const at = f.closed_at ?? [0, 0, 0, 0];
  charts.levels.setOption({ series: [{ data: ['网格', '村(社区)', '乡镇', '部门'].map((name, i) => ({ name, value: at[i] ?? 0 })) }] });
  charts.rates.setOption({ series: [{ data: [pct(f.responded ?? 0, f.reported ?? 0), pct(f.resolved ?? 0, f.reported ?? 0), pct(f.satisfied ?? 0, f.rated ?? 0)] }] });

  const rank = kids.map((k) => ({ name: k.name, f: agg.get(k.code) })).filter((r) => r.f?.reported)
    .map((r) => ({ name: r.name, value: pct(r.f.resolved ?? 0, r.f.reported) })).sort((a, b) => b.value - a.value).slice(0, 10).reverse();
  charts.rank.setOption({ yAxis: { data: rank.map((r) => r.name) }, series: [{ data: rank.map((r) => r.value) }] });
  const depts = [];
  for (const [code, f2] of agg) {
    const u = dir.unit(code);
    if (u?.kind === 'department' && f2.rated && inFocus(code)) depts.push({ name: u.name, value: pct(f2.satisfied ?? 0, f2.rated) });
  }
  depts.sort((a, b) => b.value - a.value);
  const top = depts.slice(0, 10).reverse();
  charts.dept.setOption({ yAxis: { data: top.map((r) => r.name) }, series: [{ data: top.map((r) => r.value) }] });
}

function centre(points) {
  let x = 0, y = 0;
  for (const p of points) { x += p[0]; y += p[1]; }
  return [x / points.length, y / points.length];
}

function frame(now) {
  if (dirty) {
    drawCounters();
    drawTicker();
    dirty = false;
  }
  if (chartsDirty && now - lastCharts >= CHART_MS) {
    drawCharts();
    chartsDirty = false;
    lastCharts = now;
    stats.chartDraws = (stats.chartDraws ?? 0) + 1;
  }
  requestAnimationFrame(frame);
}

function makeCharts() {
  const text = { color: '#9fb3c8' };
  charts.map = echarts.init($('#map'), null, { renderer: 'canvas' });
  charts.map.setOption({
    animation: false,
    grid: { left: 4, right: 4, top: 4, bottom: 4 },
    xAxis: { type: 'value', scale: true, show: false },
    yAxis: { type: 'value', scale: true, show: false },
    tooltip: { trigger: 'item', formatter: (p) => (p.seriesId === 'areas' ? `${p.name}（点击下钻）` : dir.name(p.value?.[2])) },
    series: [
      { id: 'areas', type: 'custom', coordinateSystem: 'cartesian2d', data: [], z: 1, silent: false },
      { id: 'grids', type: 'scatter', large: true, largeThreshold: 2000, symbolSize: 2, itemStyle: { color: '#2e5f8f' }, data: [], z: 2 },
      { id: 'live', type: 'scatter', symbolSize: 6, data: [], z: 3 },
    ],
  });
  charts.map.on('click', (p) => {
    if (p.seriesId === 'areas') return drill(p.data.code);
    const grid = p.value?.[2];
    const child = grid && dir.childToward(focus, grid);
    if (child && child.kind !== 'grid') drill(child.code);
  });
  const bar = (labels) => ({
    animation: false, grid: { left: 70, right: 30, top: 8, bottom: 20 },
    xAxis: { type: 'value', axisLabel: text, splitLine: { lineStyle: { color: '#1b3558' } } },
    yAxis: { type: 'category', data: labels, axisLabel: text },
    series: [{ type: 'bar', data: [], label: { show: true, position: 'right', color: '#dce6f2' }, itemStyle: { color: '#4fc3f7' } }],
  });
  charts.held = echarts.init($('#held'));
  charts.held.setOption(bar(['网格', '村(社区)', '乡镇', '部门']));
  charts.levels = echarts.init($('#levels'));
  charts.levels.setOption({
    animation: false, color: ['#4fc3f7', '#81c784', '#ffd54f', '#ff8a65'],
    series: [{ type: 'pie', radius: ['40%', '70%'], label: { color: '#dce6f2', formatter: '{b} {d}%' }, data: [] }],
  });
  charts.rates = echarts.init($('#rates'));
  charts.rates.setOption({ ...bar(['响应率', '解决率', '满意率']), xAxis: { type: 'value', max: 100, axisLabel: { ...text, formatter: '{value}%' }, splitLine: { lineStyle: { color: '#1b3558' } } } });
  charts.rank = echarts.init($('#rank'));
  charts.rank.setOption({ ...bar([]), xAxis: { type: 'value', max: 100, axisLabel: text, splitLine: { show: false } } });
  charts.dept = echarts.init($('#dept-rank'));
  charts.dept.setOption({ ...bar([]), xAxis: { type: 'value', max: 100, axisLabel: text, splitLine: { show: false } } });
  window.addEventListener('resize', () => Object.values(charts).forEach((c) => c.resize()));
}

const started = await startPage({ onMessage, onReload });
if (started) {
  ({ hub, dir } = started);
  root = dir.root;
  categoryName = new Map(dir.categories.map(([code, name]) => [code, name]));
  $('#title').textContent = `${dir.name(root)}社会治理大屏`;
  makeCharts();
  // The root, and below a city each county: their children's aggregates rank the townships
  // and the departments.
  pinned.add(root);
  if (dir.unit(root).kind === 'city') for (const k of dir.children(root)) if (k.kind === 'county') pinned.add(k.code);
  for (const u of pinned) hub.subscribe(u);
  setFocus(root);
  $('#back').addEventListener('click', () => drill(dir.unit(focus).parent));
  requestAnimationFrame(frame);
}
