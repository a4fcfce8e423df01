// Cases as a console follows them from the events it receives: the latest state of each and
// its recent history, bounded (the oldest case is forgotten first).

export class CaseBook {
  constructor(max = 2000, history = 40) {
    this.max = max;
    this.historyMax = history;
    this.cases = new Map(); // String(case) -> { id, state, unit, colour, deadline, category, history, depts }
  }
  /// Applies a case.event; returns the case.
  apply(m) {
    const key = String(m.case);
    let c = this.cases.get(key);
    if (!c) {
      if (this.cases.size >= this.max) this.cases.delete(this.cases.keys().next().value);
      c = { id: m.case, key, history: [], depts: new Map(), title: '' };
      this.cases.set(key, c);
    }
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
  get(key) { return this.cases.get(String(key)); }
  clear() { this.cases.clear(); }
}
