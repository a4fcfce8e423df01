// What every page does first: the token, the directory (GET /api/hierarchy), the connection,
// a status line that says when the hub is away, and errors shown beside what caused them.

import { Hub, takeToken, loadDirectory } from './hub.js';
import { errorText, KIND, POST } from './words.js';

/// The directory indexed: units by code, children by code, grids under each unit.
export class Directory {
  constructor(d) {
    Object.assign(this, d);
    this.byCode = new Map();
    this.kids = new Map();
    for (const [code, kind, parent, name, lat, lon] of d.units) {
      const u = { code, kind, parent, name, lat, lon };
      this.byCode.set(code, u);
      if (!this.kids.has(parent)) this.kids.set(parent, []);
      this.kids.get(parent).push(u);
    }
    this.depts = new Map(d.departments.map(([code, name, modules]) => [code, { code, name, modules }]));
  }
  unit(code) { return this.byCode.get(Number(code)); }
  name(code) {
    const c = Number(code);
    return this.byCode.get(c)?.name ?? this.depts.get(c)?.name ?? String(code);
  }
  children(code) { return this.kids.get(Number(code)) ?? []; }
  /// The child of `ancestor` on the way down to `code`, or undefined when `code` is not below.
  childToward(ancestor, code) {
    let u = this.unit(code);
    while (u && u.parent !== ancestor) u = this.unit(u.parent);
    return u;
  }
  /// Every grid in the subtree of `code`.
  grids(code) {
    const out = [];
    const todo = [Number(code)];
    while (todo.length) {
      const c = todo.pop();
      const u = this.byCode.get(c);
      if (u?.kind === 'grid') out.push(u);
      for (const k of this.children(c)) todo.push(k.code);
    }
    return out;
  }
}

export const $ = (sel, root = document) => root.querySelector(sel);

/// An element: el('div.card', {onclick}, 'text', child, ...).
export function el(tag, attrs = {}, ...kids) {
  const [name, ...classes] = tag.split('.');
  const e = document.createElement(name);
  if (classes.length) e.className = classes.join(' ');
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) if (k !== undefined && k !== null) e.append(k);
  return e;
}

/// Runs `promise` for the control `near`: an error reply appears next to it (class
/// "error", role alert), in words; success clears it. Returns the ack or undefined.
export async function acting(near, promise) {
  let box = near.nextElementSibling;
  if (!box?.classList.contains('error')) {
    box = el('span.error', { role: 'alert' });
    near.after(box);
  }
  box.textContent = '';
  near.disabled = true;
  try {
    return await promise;
  } catch (e) {
    box.textContent = e.code !== undefined ? errorText(e) : String(e.message ?? e);
    return undefined;
  } finally {
    near.disabled = false;
  }
}

const STATUS = { connecting: '正在连接…', open: '已连接', reconnecting: '连接中断，正在重新连接…' };

/// Starts a page: token, directory, connection. `handlers`: { onMessage, onReload }.
/// Shows the person and the connection's state in #status; returns { hub, dir } or
/// undefined when there is no valid token (the page then says so).
export async function startPage(handlers) {
  const token = takeToken();
  const status = $('#status');
  const who = $('#who');
  if (!token) {
    status.textContent = '未登录：请用 ./dev.sh run 打印的链接打开本页（地址中带 #token=…）';
    status.dataset.state = 'refused';
    return undefined;
  }
  let dir;
  try {
    dir = new Directory(await loadDirectory(token));
  } catch (e) {
    status.textContent = `登录失败：${e.message}`;
    status.dataset.state = 'refused';
    return undefined;
  }
  if (who) who.textContent = `${dir.me.name} · ${POST[dir.me.post] ?? dir.me.post} · ${dir.name(dir.me.unit)}`;
  const hub = new Hub(token, {
    ...handlers,
    onStatus: (state, detail) => {
      status.dataset.state = state;
      status.textContent = state === 'refused' ? `连接被拒绝：${detail}` : STATUS[state];
    },
  });
  window.hub = hub; // for the browser tests: frames received, the resume point
  return { hub, dir };
}

export { KIND };
