// The pages open with what the hub has (the read side's queries), not only with what happens
// after they open: a reload shows the same state. The township console's list and a case's
// whole history, the department's whistles with its own stage, the grid's open cases, the
// leader's directives with their laggards shrinking as recipients sign, drilled down by
// county and township. Real `hub serve` with Redis, Debian's headless Chromium.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { T, withBrowser, until } from './harness.mjs';

// People of the generated city (seed 20261125): see sim/README.md, "hub-cli".
const CITY_LEADER = 41150001n;
const TOWNSHIP = 411502001, HEAD = 41150200101n, MODULE_HEAD = 41150200106n;
const GRID = 411502001001001, GRID_HEAD = 41150200100100101n, WORKER = 41150200100100102n;
const SECRETARY = 41150200100101n, TOWNSHIP_STAFF = 41150200112n;
const DEPARTMENT = 411502903, DEPT_HEAD = 41150290301n;
// 综治主任 of three villages of the township 411502001.
const SECURITY = [41150200100104n, 41150200100204n, 41150200100304n];

const { city, open, reload, shot } = withBrowser(before, after);

/// The page's first query's result and the subscribe that follows: since = the result's seq.
async function snapshotThenSubscribe(page, unit) {
  const q = await until(() => page.frames_.sent.find((m) => m.t === 'query'), T, 'a query');
  const r = await until(() => page.frames_.received.find((m) => m.t === 'result' && m.id === q.id), T, 'its result');
  const s = await until(() => page.frames_.sent.find((m) => m.t === 'subscribe' && Number(m.unit) === unit), T, 'the subscribe');
  assert.equal(Number(s.since ?? 0), Number(r.seq ?? 0), 'the subscription starts where the snapshot ends');
  return r;
}


async function caseAtTownship(title) {
  const { case: id } = await city.cli(WORKER, 'report', '--unit', String(GRID), '--category', 'enforce.noise', '--title', title);
  await city.cli(WORKER, 'act', '--case', String(id), '--action', 'sign');
  await city.cli(GRID_HEAD, 'act', '--case', String(id), '--action', 'escalate');
  await city.cli(SECRETARY, 'act', '--case', String(id), '--action', 'sign');
  await city.cli(SECRETARY, 'act', '--case', String(id), '--action', 'escalate');
  return id;
}

test('township and department consoles after a reload: the list, the history, the whistle\'s stages', async () => {
  // Cases made before any page opens: the pages must learn them from the hub.
  const id = await caseAtTownship('重载前的噪音');
  await city.cli(TOWNSHIP_STAFF, 'act', '--case', String(id), '--action', 'sign');
  await city.cli(MODULE_HEAD, 'act', '--case', String(id), '--action', 'propose_whistle', '--departments', String(DEPARTMENT), '--note', '需要执法');
  await city.cli(HEAD, 'act', '--case', String(id), '--action', 'approve_whistle');
  const older = await caseAtTownship('另一件');

  const head = await open('township', HEAD);
  await snapshotThenSubscribe(head, TOWNSHIP);
  const row = (k) => head.locator(`#cases tr[data-case="${k}"]`);
  await row(id).waitFor({ timeout: T });
  await row(older).waitFor({ timeout: T });
  assert.match(await head.locator('#page').innerText(), /共 2 件/);
  await row(id).click();
  // The whole history, from the report at the grid to the whistle.
  await head.locator('#depts li[data-dept="' + DEPARTMENT + '"][data-stage="summoned"]').waitFor({ timeout: T });
  const history = async () => (await head.locator('#detail table tr').allInnerTexts()).length;
  assert.equal(await history(), 8, 'report, sign, escalate, sign, escalate, sign, propose, approve');

  // The department's console opens with the whistle waiting, reports in, and after a reload
  // shows it reported in.
  const dept = await open('department', DEPT_HEAD);
  await snapshotThenSubscribe(dept, DEPARTMENT);
  const card = dept.locator(`.whistle-card[data-case="${id}"]`);
  await card.locator('button[name="report_in"]').click({ timeout: T });
  await dept.locator(`.whistle-card[data-case="${id}"][data-stage="reported_in"]`).waitFor({ timeout: T });
  await head.locator(`#depts li[data-dept="${DEPARTMENT}"][data-stage="reported_in"]`).waitFor({ timeout: T });
  await reload(dept);
  await snapshotThenSubscribe(dept, DEPARTMENT);
  await dept.locator(`.whistle-card[data-case="${id}"][data-stage="reported_in"] textarea`).waitFor({ timeout: T });
  await shot(dept, 'department-reloaded');
  await dept.locator(`.whistle-card[data-case="${id}"] textarea`).fill('已到场处理');
  await dept.locator(`.whistle-card[data-case="${id}"] button[name="feedback"]`).click();
  await dept.locator(`.whistle-card[data-case="${id}"][data-stage="fed_back"]`).waitFor({ timeout: T });
  await reload(dept);
  await dept.locator(`.whistle-card[data-case="${id}"][data-stage="fed_back"]`).waitFor({ timeout: T });

  // The township head's reload: the same list, the same case open, its departments fed back.
  await head.locator(`#depts li[data-dept="${DEPARTMENT}"][data-stage="fed_back"]`).waitFor({ timeout: T });
  // The rows without their countdowns (which move with the clock).
  const rowsNow = () => head.locator('#cases tr').evaluateAll((rows) => rows.map((r) => [...r.cells].slice(0, 4).map((c) => c.innerText).join('|')));
  const before = await rowsNow();
  await reload(head);
  await snapshotThenSubscribe(head, TOWNSHIP);
  await head.locator(`#depts li[data-dept="${DEPARTMENT}"][data-stage="fed_back"]`).waitFor({ timeout: T });
  assert.equal(await history(), 10);
  await until(async () => (await head.locator('#cases tr').count()) === before.length, T, 'the same rows');
  assert.deepEqual(await rowsNow(), before);
  await shot(head, 'township-reloaded');

  // Filters and pages are the hub's: a filter that keeps none shows none.
  await head.selectOption('#f-colour', 'red');
  await until(async () => /共 0 件/.test(await head.locator('#page').innerText()), T, 'the red filter');
  const q = head.frames_.sent.filter((m) => m.t === 'query' && m.what === 'cases').pop();
  assert.equal(q.colour, 'red');
  // Live after the reload: the township's next step shows without asking.
  await head.selectOption('#f-colour', '');
  await row(older).waitFor({ timeout: T });
  await city.cli(TOWNSHIP_STAFF, 'act', '--case', String(older), '--action', 'sign');
  await head.locator(`#cases tr[data-case="${older}"] td.state`, { hasText: '签收' }).waitFor({ timeout: T });
  for (const p of [head, dept]) { assert.deepEqual(p.errors, []); await p.close(); }
});

test('the grid page opens with the grid\'s open cases', async () => {
  const { case: id } = await city.cli(WORKER, 'report', '--unit', String(GRID), '--category', 'enforce.noise', '--title', '网格上的旧案件');
  const worker = await open('grid', WORKER, { width: 390, height: 844 });
  await snapshotThenSubscribe(worker, GRID);
  const item = worker.locator(`#cases .item[data-case="${id}"]`, { hasText: '网格上的旧案件' });
  await item.waitFor({ timeout: T });
  await item.locator('button[name="sign"]').click();
  await worker.locator(`#cases .item[data-case="${id}"][data-state="signed"]`).waitFor({ timeout: T });
  await reload(worker);
  await worker.locator(`#cases .item[data-case="${id}"][data-state="signed"]`).waitFor({ timeout: T });
  assert.deepEqual(worker.errors, []);
  await worker.close();
});

test('the leader\'s laggards shrink as recipients sign, drill down by county and township, and survive a reload', async () => {
  const leader = await open('leader', CITY_LEADER);
  await leader.selectOption('#channel', '12');
  await leader.fill('#d-title', '防汛值班（三村）');
  await leader.selectOption('#kind', 'people');
  await leader.fill('#people', SECURITY.join(','));
  await leader.click('#send');
  const lag = leader.locator('.directive .laggards').first();
  await leader.locator('.directive .laggards[data-unsigned="3"]').waitFor({ timeout: T });
  const id = await leader.locator('.directive').first().getAttribute('data-directive');
  // The per-county row, then the township's villages.
  await lag.locator(`a[data-unit="411502"]`).click();
  await leader.locator('.directive .laggards[data-drill="411502"]').waitFor({ timeout: T });
  await lag.locator(`a[data-unit="${TOWNSHIP}"]`).click();
  await leader.locator(`.directive .laggards[data-drill="${TOWNSHIP}"] a[data-unit="411502001001"][data-signed="0"]`).waitFor({ timeout: T });

  for (const [i, person] of SECURITY.slice(0, 2).entries()) {
    await city.cli(person, 'directive', '--id', id, '--action', 'sign');
    await leader.locator(`.directive .laggards[data-unsigned="${2 - i}"]`).waitFor({ timeout: T });
  }
  await leader.locator(`.directive .laggards a[data-unit="411502001001"][data-signed="1"]`).waitFor({ timeout: T });
  await city.cli(SECURITY[0], 'directive', '--id', id, '--action', 'complete');
  await leader.locator('.directive .laggards[data-count="2"]').waitFor({ timeout: T });
  await shot(leader, 'leader-laggards');

  await reload(leader);
  const card = leader.locator(`.directive[data-directive="${id}"]`);
  await card.locator('.laggards[data-unsigned="1"][data-count="2"]').waitFor({ timeout: T });
  await card.getByText('签收 2/3（67%）').waitFor({ timeout: T });
  assert.deepEqual(leader.errors, []);
  await leader.close();
});
