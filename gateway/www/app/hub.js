// The pages' connection to the hub: one WebSocket in MessagePack (64-bit ids as BigInt), the
// token from the page's URL fragment (#token=..., so it never reaches a server log) kept in
// sessionStorage, requests answered by promises, subscriptions that survive a reconnect.
//
// Resume (protocol/README.md, "Sequence numbers and resume"): the highest seq received is the
// resume point; after a reconnect, or an `overloaded` error, every subscription is made again
// with since = that point. A `gap`, or an ack below the since sent (the hub lost its past),
// calls onReload: the page drops what it shows and starts again from the live events.

import { encode, decode } from '/node_modules/@msgpack/msgpack/dist.esm/index.mjs';

const KEY = 'hub.token';

/// The session's token: taken from #token=... (then removed from the address bar), else
/// the one this tab kept. Empty when there is none.
export function takeToken() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(KEY) ?? '';
}

/// GET /api/hierarchy with the token: { me, root, modules, channels, categories, units,
/// departments } (gateway/README.md). Throws an Error with the hub's reason on a 401.
export async function loadDirectory(token) {
  const r = await fetch('/api/hierarchy', { headers: { Authorization: `Bearer ${token}` } });
  if (!r.ok) throw new Error((await r.text()).trim() || `HTTP ${r.status}`);
  return r.json();
}

const opts = { useBigInt64: true };

/// The message with every integer above 32 bits as a BigInt: @msgpack/msgpack writes a large
/// Number as a float64, which the hub refuses for ids, unit codes and times (wrong_type).
function wire(v) {
  if (typeof v === 'number') return Number.isInteger(v) && v > 0xffffffff ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(wire);
  if (v && typeof v === 'object' && typeof v !== 'bigint') {
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = wire(x);
    return o;
  }
  return v;
}
const pack = (msg) => encode(wire(msg), opts);

/// The hub's error reply as a thrown value.
export class HubError extends Error {
  constructor(reply) {
    super(reply.message ?? '');
    this.code = reply.code;
  }
}

export class Hub {
  /// `onMessage(msg)`: every event, aggregate (and gap); `onStatus(state, detail)`:
  /// 'connecting' | 'open' | 'reconnecting' | 'refused'; `onReload()`: the page must
  /// drop what it shows (gap).
  constructor(token, { onMessage = () => {}, onStatus = () => {}, onReload = () => {} } = {}) {
    this.token = token;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.onReload = onReload;
    this.units = new Set();      // subscribed units, made again on every connection
    this.eventsOnly = new Set(); // those of them subscribed without figures (no aggregates)
    this.pending = new Map();    // request id -> { msg, resolve, reject }
    this.seq = 0;                // the highest seq received
    this.resumeCap = Infinity;   // while subscribes with since wait: the lowest since sent
    this.waitingSubs = new Set();
    this.lastId = 0;
    this.backoff = 250;
    this.frames = 0;             // frames received (tests read it)
    this.connect();
  }

  /// A fresh message id: microseconds since 1970, never repeated in this tab.
  nextId() {
    this.lastId = Math.max(this.lastId + 1, Date.now() * 1000);
    return this.lastId;
  }

  /// The resume point: the highest seq, but no more than a since still waiting for its ack.
  resumePoint() { return Math.min(this.seq, this.resumeCap); }

  connect() {
    this.onStatus(this.opened ? 'reconnecting' : 'connecting');
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/?token=${encodeURIComponent(this.token)}`;
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.opened = true;
      this.backoff = 250;
      this.onStatus('open');
      const since = this.resumePoint();
      for (const unit of this.units) this.sendSubscribe(unit, since);
      for (const [, p] of this.pending) if (!p.subscribe) ws.send(pack(p.msg));
    };
    ws.onmessage = (e) => this.receive(decode(new Uint8Array(e.data), opts));
    ws.onclose = async () => {
      if (this.ws !== ws) return;
      // Subscribes in flight die with the connection: they are made again on the next one.
      for (const [id, p] of this.pending) if (p.subscribe) this.pending.delete(id);
      this.waitingSubs.clear();
      if (!opened) {
        // Refused at the upgrade (a 401 is not visible to WebSocket): ask the same token over HTTP.
        try {
          await loadDirectory(this.token);
        } catch (err) {
          if (!/fetch|network/i.test(String(err.message))) {
            this.onStatus('refused', err.message);
            return;
          }
        }
      }
      this.onStatus('reconnecting');
      setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 4000);
    };
  }

  receive(m) {
    this.frames += 1;
    if (m.t === 'ack' || m.t === 'error' || m.t === 'result') {
      if (m.t === 'error' && Number(m.id) === 0) {
        if (m.code === 31) { // overloaded: every subscription ended; resume them
          const since = this.resumePoint();
          for (const unit of this.units) this.sendSubscribe(unit, since);
        }
        this.onMessage(m);
        return;
      }
      const p = this.pending.get(String(m.id));
      if (!p) return;
      if (m.t === 'error' && m.code === 32) { // try_again: the same request, a little later
        p.retry = Math.min((p.retry ?? 50) * 2, 3000);
        setTimeout(() => this.ws.readyState === 1 && this.ws.send(pack(p.msg)), p.retry);
        return;
      }
      this.pending.delete(String(m.id));
      if (p.subscribe) this.subscribeDone(p, m);
      if (m.t !== 'error') p.resolve(m);
      else p.reject(new HubError(m));
      return;
    }
    if (m.t === 'gap') {
      this.onMessage(m);
      this.onReload('gap');
      return;
    }
    if (m.seq !== undefined && Number(m.seq) > this.seq) this.seq = Number(m.seq);
    this.onMessage(m);
  }

  subscribeDone(p, m) {
    this.waitingSubs.delete(String(p.msg.id));
    if (this.waitingSubs.size === 0) this.resumeCap = Infinity;
    // An ack below the since sent: the hub restarted without its past. Reload.
    if (m.t === 'ack' && p.msg.since && Number(m.seq ?? 0) < p.msg.since) {
      this.seq = Number(m.seq ?? 0);
      this.onReload('lost');
    }
  }

  sendSubscribe(unit, since) {
    const msg = { t: 'subscribe', id: this.nextId(), unit };
    if (this.eventsOnly.has(unit)) msg.figures = 0;
    if (since > 0) {
      msg.since = since;
      this.resumeCap = Math.min(this.resumeCap, since);
      this.waitingSubs.add(String(msg.id));
    }
    return this.send(msg, true);
  }

  send(msg, subscribe = false) {
    return new Promise((resolve, reject) => {
      this.pending.set(String(msg.id), { msg, resolve, reject, subscribe });
      if (this.ws.readyState === 1) this.ws.send(pack(msg));
      // else: sent when the connection opens (the same id: the hub applies it once)
    }).catch((e) => { if (subscribe) return e; throw e; });
  }

  /// Sends `body` (a client message without id); resolves with the ack, rejects with HubError.
  request(body) { return this.send({ ...body, id: this.nextId() }); }

  /// Asks the read side (protocol/README.md, "query"): resolves with the `result`, rejects
  /// with HubError. `body` is the query without `t` and `id`.
  query(body) { return this.request({ t: 'query', ...body }); }

  /// Watches `unit` on this connection and every later one: from now on, or, with `since`
  /// (a query result's `seq`), from just after that snapshot (the hub replays what came
  /// between: no gap, no overlap). `figures: false`: its events only, no aggregates (a page
  /// that draws no figures).
  subscribe(unit, since = 0, { figures = true } = {}) {
    if (this.units.has(unit)) return Promise.resolve();
    this.units.add(unit);
    if (!figures) this.eventsOnly.add(unit);
    if (since > this.seq) this.seq = since;
    return this.ws.readyState === 1 ? this.sendSubscribe(unit, since) : Promise.resolve();
  }

  /// Loads a snapshot with `query`, then watches `unit` from its `seq`: the usual way a page
  /// opens. Resolves with the result.
  async open(unit, body) {
    const r = await this.query(body);
    await this.subscribe(unit, Number(r.seq ?? 0));
    return r;
  }

  unsubscribe(unit) {
    if (!this.units.delete(unit)) return Promise.resolve();
    this.eventsOnly.delete(unit);
    return this.ws.readyState === 1 ? this.request({ t: 'unsubscribe', unit }) : Promise.resolve();
  }
}
