// The city dashboard (大屏): whoever logs in sees their own subtree. State is updated as each
// message arrives (constant work per event); the screen is redrawn once per animation frame,
// the charts at most once a second, and each chart only when what it shows changed (the map's
// areas when a colour changes, its live points when a grid's load changes, as plain arrays). Everything held is bounded: the cases followed, the
// directives, the ticker.
// The period's figures (where cases closed, 三率) and the rankings (两比) are the hub's, from
// `figures` and `ranking` queries (protocol/README.md, "query"): asked when the focus or the
// period changes, and again every FIGURES_MS while case events arrive.

import * as echarts from '/node_modules/echarts/dist/echarts.esm.min.mjs';
import { startPage, el, $ } from './common.js';
import { ACTION, KIND, time, errorText } from './words.js';
import { figureRow, figureHead, permille } from './figures.js';

const MAX_CASES = 40000;     // open cases followed (the oldest are forgotten first)
const MAX_DIRECTIVES = 200;  // issuer tallies kept
const TICKER = 40;           // lines in the ticker
const CHART_MS = 1000;       // charts redraw at most this often
const FIGURES_MS = 5000;     // the period's figures and rankings are asked again at most this often

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
const period = { stale: true, busy: false, again: false };

const charts = {};
const hulls = new Map();
let categoryName = new Map();

function colourRank(c) { return c === 'red' ? 2 : c === 'yellow' ? 1 : 0; }

let liveDirty = true;         // the map's live points changed since they were last drawn
const last = new Map();      // chart part -> the data it was last given (unchanged: not sent again)

/// Gives `chart` the option only when `data` differs from what part `key` was last given:
/// ECharts then neither merges nor re-renders the unchanged charts every second.
function setIfChanged(key, chart, data, option) {
  const text = JSON.stringify(data);
  if (last.get(key) === text) return;
  last.set(key, text);
  chart.setOption(option);
  stats.chartUpdates = (stats.chartUpdates ?? 0) + 1;
}

function gridAdd(grid, colour, sign) {
  if (!grid) return;
  liveDirty = true;
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
  if (m.t === 'case.event') { onCase(m); period.stale = true; }
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

function setText(sel, text) {
  const e = $(sel);
  if (e.textContent !== String(text)) e.textContent = text;
}

function drawCounters() {
  const f = agg.get(focus) ?? {};
  setText('#c-open', f.open ?? 0);
  setText('#c-yellow', f.yellow ?? 0);
  setText('#c-red', f.red ?? 0);
  setText('#c-whistles', whistleCount);
  let running = 0;
  for (const d of directives.values()) if (d.total && d.done < d.total) running += 1;
  setText('#c-directives',
    `${running} 项 · ${pct(f.directives_signed ?? 0, f.directives ?? 0)}% / ${pct(f.directives_done ?? 0, f.directives ?? 0)}%`);
}

function drawTicker() {
  const list = $('#ticker');
  for (const line of tickerLines.slice(0, TICKER).reverse())
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
  charts.map.setOption({ series: [{ id: 'grids', data: baseGrids }] });
  liveDirty = chartsDirty = dirty = true;
  refreshPeriod();
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
  // The children's areas: drawn again only when one's colour changes (or the focus moves).
  const areaKey = `${focus}:` + areas.map((a) => areaColour(a.f)).join(',');
  if (last.get('areas') !== areaKey) {
    last.set('areas', areaKey);
    stats.chartUpdates = (stats.chartUpdates ?? 0) + 1;
    charts.map.setOption({ series: [
      { id: 'areas', data: areas.map((a) => ({ value: a.points.length ? centre(a.points) : [NaN, NaN], name: a.name, code: a.code })), renderItem: (params, api) => {
        const a = areas[params.dataIndex];
        if (!a || a.points.length < 3) return null;
        return {
          type: 'group', children: [
            { type: 'polygon', shape: { points: a.points.map((p) => api.coord(p)) }, style: { fill: areaColour(a.f), stroke: '#3d6b99', lineWidth: 1 } },
            { type: 'text', style: { text: a.name, fill: '#cfe3ff', font: '12px sans-serif', x: api.coord(centre(a.points))[0], y: api.coord(centre(a.points))[1], align: 'center' } },
          ],
        };
      } }] });
  }
  // The grids with open cases: one series per colour of plain [lon, lat, grid] points (no
  // object per point), sent only when a grid's load changed since the last draw.
  if (liveDirty) {
    liveDirty = false;
    const live = { open: [], yellow: [], red: [] };
    for (const [grid, g] of gridLoad) {
      const u = dir.unit(grid);
      if (!u || u.lon === undefined || !inFocus(grid)) continue;
      live[g.red ? 'red' : g.yellow ? 'yellow' : 'open'].push([u.lon, u.lat, grid]);
    }
    charts.map.setOption({ series: [{ id: 'live-open', data: live.open }, { id: 'live-yellow', data: live.yellow }, { id: 'live-red', data: live.red }] });
    stats.chartUpdates = (stats.chartUpdates ?? 0) + 1;
  }

  whistleCount = 0;
  for (const c of cases.values()) if (c.whistle?.size && inFocus(c.holder)) whistleCount += 1;
  dirty = true;
  const held = { grid: 0, village: 0, township: 0, department: 0 };
  for (const c of cases.values()) if (c.holderKind in held && inFocus(c.holder)) held[c.holderKind] += 1;
  setIfChanged('held', charts.held, held, { series: [{ data: Object.values(held) }] });
}

// -- the period's figures and 两比 -----------------------------------------------------------

const LEVELS = [['grid', '网格'], ['village', '村(社区)'], ['township', '乡镇'], ['department', '部门']];
const RANK_COLUMNS = ['rank', 'name', 'reported', 'response', 'resolution', 'satisfaction'];

/// The city or county whose units are ranked for the focus: the nearest at or above it within
/// the viewer's subtree (none for a township's or a village's own people: they may not see
/// their county's ranking, protocol/README.md "Who may ask what").
function rankedAt() {
  for (let u = dir.unit(focus); u; u = u.code === root ? null : dir.unit(u.parent))
    if (u.kind === 'city' || u.kind === 'county') return u;
  return undefined;
}

/// Asks the hub for the focus's figures and the rankings over the chosen period, and shows
/// them. One at a time: a change while one is on its way asks again when it is answered.
async function refreshPeriod() {
  if (period.busy) { period.again = true; return; }
  period.busy = true;
  period.stale = period.again = false;
  const unit = focus, p = $('#period').value, at = rankedAt();
  // The city ranks its counties; a county its townships (by resolution) and its departments
  // (by satisfaction).
  const tables = !at ? [] : at.kind === 'city' ? [['county', 'resolution']] : [['township', 'resolution'], ['department', 'satisfaction']];
  const ranking = ([level, by]) => hub.query({ what: 'ranking', unit: at.code, level, by, period: p })
    .then((r) => ({ level, by, rows: r.ranking.rows ?? [] }), (e) => { if (e.code === 21) return undefined; throw e; });
  try {
    const [f, ...ranks] = await Promise.all([hub.query({ what: 'figures', unit, period: p }), ...tables.map(ranking)]);
    if (unit !== focus || p !== $('#period').value) return; // moved meanwhile: asked again below
    drawPeriod(unit, p, f.figures, at, ranks);
    $('#fig-error').textContent = '';
  } catch (e) {
    $('#fig-error').textContent = e.code !== undefined ? errorText(e) : String(e.message ?? e);
  } finally {
    period.busy = false;
    if (period.again || unit !== focus || p !== $('#period').value) refreshPeriod();
  }
}

function drawPeriod(unit, p, f, at, ranks) {
  const name = $('#period').selectedOptions[0].textContent;
  for (const e of document.querySelectorAll('.period-name')) e.textContent = name;
  // Where cases closed: the share of each level in the period's closes.
  const closed = LEVELS.map((_, i) => Number(f.closed_at?.[i] ?? 0));
  const sum = closed.reduce((a, b) => a + b, 0);
  // (no closes: an empty ring, not four equal quarters)
  setIfChanged('levels', charts.levels, closed, { series: [{ data: sum ? LEVELS.map(([, label], i) => ({ name: label, value: closed[i] })) : [] }] });
  const list = $('#levels-list');
  list.dataset.unit = unit;
  list.dataset.period = p;
  list.replaceChildren(...LEVELS.map(([level, label], i) => {
    const n = closed[i];
    return el('li', { dataset: { level, count: n } }, `${label} ${n} · ${sum ? ((100 * n) / sum).toFixed(1) : '0.0'}%`);
  }));
  // 三率, in ‰ from the hub, shown as percentages.
  const rates = $('#rates');
  rates.dataset.unit = unit;
  rates.dataset.period = p;
  for (const key of ['response', 'resolution', 'satisfaction']) {
    const tile = rates.querySelector(`[data-rate="${key}"]`);
    tile.dataset.permille = f[key] ?? '';
    tile.querySelector('b').textContent = permille(f[key]);
  }
  // 两比: a table per ranking the viewer may see; none when it may not.
  const cards = [['#rank-card', '#rank', '#rank-title'], ['#dept-card', '#dept-rank', '#dept-title']];
  cards.forEach(([card, table, title], i) => {
    const r = ranks[i];
    $(card).hidden = !r;
    if (!r) return;
    const columns = r.level === 'department' ? [...RANK_COLUMNS, 'rating'] : RANK_COLUMNS;
    const what = { county: '县区', township: '乡镇', department: '部门' }[r.level];
    $(title).textContent = `${at.code === unit ? '' : at.name + ' '}${what}排名（${r.by === 'satisfaction' ? '满意率' : '解决率'}）`;
    const t = $(table);
    Object.assign(t.dataset, { unit: at.code, level: r.level, period: p });
    t.tHead.replaceChildren(figureHead(columns));
    t.tBodies[0].replaceChildren(...r.rows.map((x) => figureRow(dir, x, { rank: x.rank, columns, onDrill: drill })));
  });
  stats.periodDraws = (stats.periodDraws ?? 0) + 1;
}

function centre(points) {
  let x = 0, y = 0;
  for (const p of points) { x += p[0]; y += p[1]; }
  return [x / points.length, y / points.length];
}

const TICKER_MS = 250;        // the ticker's lines are added at most this often
let lastTicker = 0;

function frame(now) {
  if (dirty) {
    drawCounters();
    dirty = false;
  }
  // Under load a whole ticker of lines arrives every frame: adding them four times a second
  // shows the same newest lines for a fraction of the elements and layouts.
  if (tickerLines.length && now - lastTicker >= TICKER_MS) {
    drawTicker();
    lastTicker = now;
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
      // The live grids on a canvas of their own (zlevel 1): redrawing them every second
      // leaves the 18,100 grids and the areas beneath (zlevel 0) as they were painted.
      ...[['open', '#4fc3f7'], ['yellow', '#ffd54f'], ['red', '#ff6b6b']].map(([k, color], i) => (
        { id: `live-${k}`, type: 'scatter', symbolSize: 6, large: true, largeThreshold: 2000, itemStyle: { color }, data: [], zlevel: 1, z: 3 + i })),
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
  // A chart follows its box: the window's size, and the side card's lists filling in.
  const sized = new ResizeObserver((entries) => { for (const e of entries) echarts.getInstanceByDom(e.target)?.resize(); });
  for (const c of Object.values(charts)) sized.observe(c.getDom());
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
  $('#period').addEventListener('change', refreshPeriod);
  setInterval(() => { if (period.stale) refreshPeriod(); }, FIGURES_MS);
  requestAnimationFrame(frame);
}
