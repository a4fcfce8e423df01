// Cases as a console follows them from the events it receives: the latest state of each and
// its recent history, bounded (the oldest case is forgotten first).

/// What a list row sets of a case; a row that changes none of them leaves `rev` as it was.
const ROW_FIELDS = ['title', 'state', 'unit', 'colour', 'deadline', 'category', 'urgency'];

export class CaseBook {
  constructor(max = 2000, history = 40) {
    this.max = max;
    this.historyMax = history;
    this.cases = new Map(); // String(case) -> { id, state, unit, colour, deadline, category, history, depts }
  }
  /// Applies a case.event; returns the case.
  apply(m) {
    const c = this.entry(m.case);
    if (m.action === 'report' && m.note) c.title = m.note;
    c.state = m.state;
    c.unit = Number(m.unit);
    c.colour = m.colour ?? 'green';
    c.deadline = m.deadline;
    c.category = m.category ?? c.category;
    c.urgency = m.urgency ?? 'normal';
    c.rev = (c.rev ?? 0) + 1;
    c.history.push(m);
    if (c.history.length > this.historyMax) c.history.shift();
    const d0 = Number(m.departments?.[0] ?? 0);
    if (m.action === 'propose_whistle') c.proposed = (m.departments ?? []).map(Number);
    if (m.action === 'approve_whistle') for (const d of m.departments ?? []) c.depts.set(Number(d), { stage: 'summoned' });
    if (m.action === 'report_in' && c.depts.has(d0)) c.depts.get(d0).stage = 'reported_in';
    if (m.action === 'feedback' && c.depts.has(d0)) c.depts.get(d0).stage = 'fed_back';
    if (m.action === 'rate' && c.depts.has(d0)) c.depts.get(d0).score = m.score;
    return c;
  }
  /// A row of a `cases` result (protocol/README.md, "result"): the case as the hub has it at
  /// the result's `seq`; events up to that seq are already in it.
  row(r, seq) {
    const c = this.entry(r.case);
    const was = ROW_FIELDS.map((f) => c[f]);
    Object.assign(c, { title: r.title ?? c.title, state: r.state, unit: Number(r.unit), colour: r.colour ?? 'green',
      deadline: r.deadline, category: r.category, urgency: r.urgency ?? 'normal' });
    // A case with its history loaded keeps that snapshot's seq: its later events still add
    // to the history, and the last of them leaves the state as the hub has it.
    if (!c.loaded) c.seq = Number(seq ?? 0);
    // A list refreshed with the case as it was is no change: a page redraws a case's detail,
    // and the forms in it (a reason being typed, departments ticked), only when `rev` moves.
    if (ROW_FIELDS.some((f, i) => c[f] !== was[i])) c.rev = (c.rev ?? 0) + 1;
    return c;
  }

  /// A `case` result: the case and its whole history (`steps`, every page of them), replayed
  /// into a fresh entry, so the history and the departments' stages are the hub's.
  load(k, steps, seq) {
    this.cases.delete(String(k.case));
    const c = this.entry(k.case);
    for (const s of steps) this.apply({ ...s, case: k.case, category: k.category });
    this.row(k, seq);
    c.seq = Number(seq ?? 0);
    c.loaded = true;
    return c;
  }

  /// Applies a live case.event unless the snapshot the case came from already holds it.
  follow(m) {
    const c = this.get(m.case);
    if (c?.seq !== undefined && Number(m.seq) <= c.seq) return c;
    return this.apply(m);
  }

  entry(id) {
    const key = String(id);
    let c = this.cases.get(key);
    if (!c) {
      if (this.cases.size >= this.max) this.cases.delete(this.cases.keys().next().value);
      c = { id, key, history: [], depts: new Map(), title: '' };
      this.cases.set(key, c);
    }
    return c;
  }

  get(key) { return this.cases.get(String(key)); }
  clear() { this.cases.clear(); }
}

/// Every step of case `id` (a `case` query, page after page, at most `maxPages`): resolves
/// with { k: the case, steps, seq: the first page's seq }.
export async function loadCase(hub, id, maxPages = 10) {
  let r = await hub.query({ what: 'case', case: id, limit: 200 });
  const k = r.case, steps = [...(k.steps ?? [])], seq = Number(r.seq ?? 0);
  for (let n = 1; r.cursor && n < maxPages; n += 1) {
    r = await hub.query({ what: 'case', case: id, limit: 200, cursor: r.cursor });
    steps.push(...(r.case.steps ?? []));
  }
  return { k, steps, seq };
}
