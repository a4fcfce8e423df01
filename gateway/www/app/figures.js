// 两比 · 三率 tables, shared by the leader console and the dashboard: a row of the hub's
// figures (protocol/README.md, "query": `figures` and `ranking`) as a table row, and the
// table's head, for a chosen set of columns. Rates come in thousandths and are shown as
// percentages with one decimal; the average rating (×100) with two decimals.

import { el } from './common.js';

export const permille = (v) => (v === undefined ? '—' : `${(Number(v) / 10).toFixed(1)}%`);
export const average = (v) => (v === undefined ? '—' : (Number(v) / 100).toFixed(2));
const count = (v) => String(Number(v ?? 0));

// Each column: its head, the cell's class (the tests find a figure by it) and its text.
const COLUMNS = {
  rank: { head: '名次', cls: 'n', text: (r, o) => (o.total ? '合计' : o.rank ? String(o.rank) : '—') },
  name: { head: '单位', cls: 'name' },
  reported: { head: '上报', cls: 'n.reported', text: (r) => count(r.reported) },
  response: { head: '响应率', cls: 'n.response', text: (r) => permille(r.response) },
  resolution: { head: '解决率', cls: 'n.resolution', text: (r) => permille(r.resolution) },
  satisfaction: { head: '满意率', cls: 'n.satisfaction', text: (r) => permille(r.satisfaction) },
  overdue: { head: '超期率', cls: 'n.overdue', text: (r) => permille(r.overdue_share) },
  rating: { head: '评哨均分', cls: 'n.rating', text: (r) => average(r.rating) },
  open: { head: '在办', cls: 'n.open', text: (r) => count(r.open) },
  red: { head: '红灯', cls: 'n.red', text: (r) => count(r.red) },
};

/// Every column, in the leader console's order.
export const ALL_COLUMNS = Object.keys(COLUMNS);

/// The head row of a table of `columns`.
export function figureHead(columns = ALL_COLUMNS) {
  return el('tr', {}, ...columns.map((c) => el(`th${COLUMNS[c].cls.startsWith('n') ? '.n' : ''}`, {}, COLUMNS[c].head)));
}

/// A row of figures `r` (a `figures` row or a `ranking` row) in `columns`. `rank`: its place
/// (a ranking row); `total`: the unit's own row (合计); `onDrill(code)`: when given and the
/// unit has children below it that are not departments, its name is a link to drill down.
/// The row carries data-unit, data-rank, data-resolution and data-reported for the tests.
export function figureRow(dir, r, { rank, total = false, onDrill, columns = ALL_COLUMNS } = {}) {
  const code = Number(r.unit);
  const down = Boolean(onDrill) && !total && dir.children(code).length > 0 && dir.unit(code)?.kind !== 'department';
  const opts = { rank, total };
  return el(`tr${total ? '.total' : ''}`, {
    dataset: { unit: code, rank: rank ?? '', resolution: r.resolution ?? '', reported: Number(r.reported ?? 0), ...(down ? { drill: '' } : {}) },
  }, ...columns.map((c) => {
    const col = COLUMNS[c];
    if (c === 'name') return el('td.name', down ? { onclick: () => onDrill(code) } : {}, dir.name(code));
    return el(`td.${col.cls}`, {}, col.text(r, opts));
  }));
}
