// The pages in headless Chromium (Debian's, driven by playwright-core) against a real
// `hub serve` with Redis: the whistle across three consoles and the dashboard, a directive
// watched to completion, a forbidden step's error in words, the hub killed and restarted,
// and the dashboard's script time and heap under hub-sim's load. Screenshots of each page
// go to $HUB_BROWSER_ARTIFACTS.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { T, withBrowser, until } from './harness.mjs';

// People of the generated city (seed 20261125): see sim/README.md, "hub-cli".
const CITY_LEADER = 41150001n;
const COUNTY = 411502, COUNTY_CENTRE = 41150299901n; // 浉河区 and its centre's operator
const TOWNSHIP = 411502001, HEAD = 41150200101n, MODULE_HEAD = 41150200106n; // module 4
const GRID = 411502001001001, GRID_HEAD = 41150200100100101n, WORKER = 41150200100100102n;
const SECRETARY = 41150200100101n;
const DEPARTMENT = 411502903, DEPT_HEAD = 41150290301n; // 浉河区生态环境分局 (modules 4, 9)

const { city, open, shot } = withBrowser(before, after);

test('the whistle: proposed, blown, reported in and fed back live, rated; the dashboard follows', async () => {
  const dashboard = await open('dashboard', CITY_LEADER, { width: 1920, height: 1080 });
  const worker = await open('grid', WORKER, { width: 390, height: 844 });
  const moduleHead = await open('township', MODULE_HEAD);
  const head = await open('township', HEAD);
  const dept = await open('department', DEPT_HEAD);
  assert.equal(await page0(dept), '');

  // The grid worker reports on the phone page; it appears on the grid's list.
  await worker.selectOption('#category', 'enforce.noise');
  await worker.fill('#r-title', '工地夜间施工噪音');
  await worker.click('#send');
  const item = worker.locator('#cases .item').first();
  await item.waitFor({ timeout: T });
  const id = BigInt(await item.getAttribute('data-case'));
  await worker.click(`#cases .item[data-case="${id}"] button[name="sign"]`);
  await worker.locator(`#cases .item[data-case="${id}"][data-state="signed"]`).waitFor({ timeout: T });
  await shot(worker, 'grid');
  // The dashboard's ticker shows the new case.
  await dashboard.locator('#ticker li', { hasText: '新案件' }).first().waitFor({ timeout: T });

  // Up to the township by hand (no page for the village).
  await city.cli(GRID_HEAD, 'act', '--case', String(id), '--action', 'escalate');
  await city.cli(SECRETARY, 'act', '--case', String(id), '--action', 'sign');
  await city.cli(SECRETARY, 'act', '--case', String(id), '--action', 'escalate');

  // The township signs on its console, the module head proposes, the head blows the whistle.
  const row = (p) => p.locator(`#cases tr[data-case="${id}"]`);
  await row(head).click({ timeout: T });
  await head.click('#sign', { timeout: T });
  await row(moduleHead).click({ timeout: T });
  await moduleHead.locator('#propose').waitFor({ timeout: T });
  await moduleHead.check(`#pick input[value="${DEPARTMENT}"]`);
  await moduleHead.fill('#reason', '需要生态环境部门现场执法');
  // Another case reaching the township refreshes the module head's list while the form is
  // filled in: what was ticked and typed stays (the detail is redrawn only when its case moves).
  const { case: other } = await city.cli(WORKER, 'report', '--unit', String(GRID), '--category', 'enforce.noise', '--title', '井盖松动');
  await city.cli(WORKER, 'act', '--case', String(other), '--action', 'sign');
  await city.cli(GRID_HEAD, 'act', '--case', String(other), '--action', 'escalate');
  await city.cli(SECRETARY, 'act', '--case', String(other), '--action', 'sign');
  await city.cli(SECRETARY, 'act', '--case', String(other), '--action', 'escalate');
  await moduleHead.locator(`#cases tr[data-case="${other}"]`).waitFor({ timeout: T });
  assert.ok(await moduleHead.isChecked(`#pick input[value="${DEPARTMENT}"]`), 'the department ticked stays ticked');
  assert.equal(await moduleHead.inputValue('#reason'), '需要生态环境部门现场执法');
  await moduleHead.click('#propose');
  await head.locator('#whistle').waitFor({ timeout: T });
  await shot(head, 'township');
  await head.click('#whistle');
  await head.locator(`#depts li[data-dept="${DEPARTMENT}"][data-stage="summoned"]`).waitFor({ timeout: T });

  // The department's console: the whistle arrives live, flashing, counting down.
  const card = dept.locator(`.whistle-card[data-case="${id}"]`);
  await card.waitFor({ timeout: T });
  assert.match(await card.getAttribute('class'), /flash/);
  assert.match(await card.locator('.count').innerText(), /小时|分/);
  await shot(dept, 'department');
  // The dashboard counts one whistle waiting and shows it in the ticker.
  await dashboard.locator('#ticker li.whistle', { hasText: '吹哨' }).first().waitFor({ timeout: T });
  await until(async () => (await dashboard.locator('#c-whistles').innerText()) === '1', T, 'the dashboard to count the whistle');

  await card.locator('button[name="report_in"]').click();
  await head.locator(`#depts li[data-dept="${DEPARTMENT}"][data-stage="reported_in"]`).waitFor({ timeout: T });
  await card.locator('textarea').fill('已责令停工');
  await card.locator('button[name="feedback"]').click();
  await head.locator(`#depts li[data-dept="${DEPARTMENT}"][data-stage="fed_back"] .pill.green`).waitFor({ timeout: T });
  await until(async () => (await dashboard.locator('#c-whistles').innerText()) === '0', T, 'the dashboard to see the feedback');

  // The township confirms, rates the department (评哨) and closes.
  await head.click('#resolve');
  await head.locator(`#rate-${DEPARTMENT}`).waitFor({ timeout: T });
  await head.selectOption(`#score-${DEPARTMENT}`, '5');
  await head.click(`#rate-${DEPARTMENT}`);
  await head.locator(`#depts li[data-dept="${DEPARTMENT}"]`, { hasText: '评分 5' }).waitFor({ timeout: T });
  await head.click('#close');
  await head.locator('#case-state', { hasText: '办结' }).waitFor({ timeout: T });

  // The dashboard's figures follow: the close at department level, one rating, satisfied.
  await until(() => dashboard.evaluate(() => (window.dashboard.agg.get(411500)?.closed_at?.[3] ?? 0) >= 1), T, 'the city aggregate to count the close');
  await until(() => dashboard.evaluate(() => window.dashboard.stats.chartDraws > 1), T, 'a chart redraw');
  await shot(dashboard, 'dashboard');
  // Drill down to the county, then the township, and back.
  await dashboard.evaluate(() => window.dashboard.drill(411502));
  await dashboard.locator('#map-title', { hasText: '浉河区' }).waitFor({ timeout: T });
  await until(() => dashboard.frames_.sent.find((m) => m.t === 'subscribe' && m.unit === 411502), T, 'the county subscription');
  await dashboard.evaluate(() => window.dashboard.drill(411502001));
  await dashboard.locator('#map-title', { hasText: '乡镇' }).waitFor({ timeout: T });
  await shot(dashboard, 'dashboard-township');
  await dashboard.click('#back');
  await dashboard.locator('#map-title', { hasText: '浉河区' }).waitFor({ timeout: T });
  await until(() => dashboard.frames_.sent.find((m) => m.t === 'unsubscribe' && m.unit === 411502001), T, 'the township unsubscribed');
  for (const p of [dashboard, worker, moduleHead, head, dept]) {
    assert.deepEqual(p.errors, []);
    await p.close();
  }
});

// 两比 and 三率 on the leader page, from the hub's `ranking` and `figures`: after a case is
// closed, each row shows what the hub answers (hub-cli asks the same), drilled down from the
// city to a county and a township; the county centre's operator sees the county's departments.
test('the leader page ranks the units by the hub\'s figures and drills down', async () => {
  const { case: id } = await city.cli(WORKER, 'report', '--unit', String(GRID), '--category', 'enforce.noise', '--title', '路灯不亮');
  await city.cli(WORKER, 'act', '--case', String(id), '--action', 'sign');
  await city.cli(WORKER, 'act', '--case', String(id), '--action', 'resolve');
  await city.cli(GRID_HEAD, 'act', '--case', String(id), '--action', 'close');
  const percent = (v) => `${(Number(v) / 10).toFixed(1)}%`;
  /// The hub's row of `unit` in `ranking` as hub-cli gets it, and the page's row showing it.
  async function shows(page, person, unit, ...args) {
    const r = await city.cli(person, 'ranking', '--period', 'month', ...args);
    const want = r.ranking.rows.find((x) => Number(x.unit) === unit);
    assert.ok(want.resolved >= 1 && want.resolution > 0, `${unit} resolved something: ${JSON.stringify(want)}`);
    const row = page.locator(`#figures tr[data-unit="${unit}"][data-rank="${want.rank}"][data-resolution="${want.resolution}"]`);
    await row.waitFor({ timeout: T });
    assert.equal(await row.locator('td.resolution').innerText(), percent(want.resolution));
    assert.equal(await row.locator('td.response').innerText(), percent(want.response));
    return row;
  }
  const leader = await open('leader', CITY_LEADER);
  // The city: its counties; 浉河区 has the figures the hub has.
  const county = await shows(leader, CITY_LEADER, COUNTY, '--unit', '411500');
  // The total row is the city's own figures (hub-cli figures asks the same).
  const total = (await city.cli(CITY_LEADER, 'figures', '--unit', '411500', '--period', 'month')).figures;
  await leader.locator(`#figures tr.total[data-unit="411500"][data-reported="${total.reported}"]`).waitFor({ timeout: T });
  assert.equal(await leader.locator('#figures tr.total td.resolution').innerText(), percent(total.resolution));
  // Down to the county: its townships, ranked.
  await county.locator('td.name').click();
  await leader.locator('#fig-where', { hasText: '浉河区' }).waitFor({ timeout: T });
  const township = await shows(leader, CITY_LEADER, TOWNSHIP, '--unit', String(COUNTY));
  await shot(leader, 'leader-ranking');
  // Down to the township: its villages' figures (no ranking below a county).
  await township.locator('td.name').click();
  await leader.locator(`#figures tr[data-unit="${GRID.toString().slice(0, 12)}"]`).waitFor({ timeout: T });
  assert.ok(Number(await leader.locator(`#figures tr[data-unit="${GRID.toString().slice(0, 12)}"]`).getAttribute('data-reported')) >= 1);
  await leader.click('#fig-up');
  await leader.locator('#fig-where', { hasText: '浉河区' }).waitFor({ timeout: T });
  assert.deepEqual(leader.errors, []);
  await leader.close();

  // The county centre's view: the county's departments, by whistles answered, after the whistle
  // above (its department fed back).
  const centre = await open('leader', COUNTY_CENTRE);
  await centre.locator('#fig-where', { hasText: '浉河区' }).waitFor({ timeout: T });
  await centre.selectOption('#fig-level', 'department');
  await shows(centre, COUNTY_CENTRE, DEPARTMENT, '--unit', String(COUNTY), '--level', 'department');
  assert.deepEqual(centre.errors, []);
  await centre.close();
});

// The dashboard's figures for the period chosen, from the hub's `figures` and `ranking`: after
// a case is closed at the grid and one at the village, the closed-at-level counts and shares,
// the 三率 and the ranking rows are what the hub answers (hub-cli asks the same), at the city
// and drilled down to a county; switching the period asks again for it; a township head sees
// the township's own figures and no ranking, without an error.
test('the dashboard shows the period\'s closes by level, 三率 and 两比 as the hub counts them', async () => {
  async function closed(title, steps) {
    const { case: id } = await city.cli(WORKER, 'report', '--unit', String(GRID), '--category', 'enforce.noise', '--title', title);
    for (const [person, action] of steps) await city.cli(person, 'act', '--case', String(id), '--action', action);
  }
  await closed('井盖缺失', [[WORKER, 'sign'], [WORKER, 'resolve'], [GRID_HEAD, 'close']]);
  await closed('邻里纠纷', [[GRID_HEAD, 'escalate'], [SECRETARY, 'sign'], [SECRETARY, 'resolve'], [SECRETARY, 'close']]);
  const percent = (v) => (v === undefined ? '—' : `${(Number(v) / 10).toFixed(1)}%`);
  const LEVELS = ['grid', 'village', 'township', 'department'];

  /// The page shows `unit`'s figures over `period` as hub-cli figures answers them.
  async function figures(page, person, unit, period) {
    const f = (await city.cli(person, 'figures', '--unit', String(unit), '--period', period)).figures;
    const at = (f.closed_at ?? [0, 0, 0, 0]).map(Number);
    assert.ok(at[0] >= 1 && at[1] >= 1, `closes at the grid and the village: ${JSON.stringify(f)}`);
    const sum = at.reduce((a, b) => a + b, 0);
    const list = page.locator(`#levels-list[data-unit="${unit}"][data-period="${period}"]`);
    for (const [i, level] of LEVELS.entries()) {
      const li = list.locator(`li[data-level="${level}"][data-count="${at[i]}"]`);
      await li.waitFor({ timeout: T });
      assert.match(await li.innerText(), new RegExp(` ${at[i]} · ${((100 * at[i]) / sum).toFixed(1)}%$`));
    }
    for (const key of ['response', 'resolution', 'satisfaction']) {
      const tile = page.locator(`#rates[data-unit="${unit}"][data-period="${period}"] [data-rate="${key}"][data-permille="${f[key] ?? ''}"] b`);
      await tile.waitFor({ timeout: T });
      assert.equal(await tile.innerText(), percent(f[key]));
    }
    return f;
  }
  /// The page's ranking table `table` shows `unit`'s row as hub-cli ranking answers it.
  async function ranked(page, table, person, unit, ...args) {
    const r = (await city.cli(person, 'ranking', ...args)).ranking;
    const want = r.rows.find((x) => Number(x.unit) === unit);
    assert.ok(want?.rank >= 1, `${unit} is ranked: ${JSON.stringify(r)}`);
    const row = page.locator(`${table}[data-unit="${r.unit}"][data-level="${r.level}"] tr[data-unit="${unit}"][data-rank="${want.rank}"][data-resolution="${want.resolution ?? ''}"]`);
    await row.waitFor({ timeout: T });
    for (const key of ['response', 'resolution', 'satisfaction']) assert.equal(await row.locator(`td.${key}`).innerText(), percent(want[key]));
    assert.equal(await row.locator('td.reported').innerText(), String(Number(want.reported ?? 0)));
    return row;
  }
  const asked = (page, from, what, unit, period) => until(() => page.frames_.sent.slice(from).find((m) =>
    m.t === 'query' && m.what === what && Number(m.unit) === unit && m.period === period), T, `a ${what} query of ${unit} for ${period}`);

  const dashboard = await open('dashboard', CITY_LEADER, { width: 1920, height: 1080 });
  // The city, this month: its figures and its counties ranked.
  await figures(dashboard, CITY_LEADER, 411500, 'month');
  const county = await ranked(dashboard, '#rank', CITY_LEADER, COUNTY, '--unit', '411500', '--level', 'county', '--by', 'resolution', '--period', 'month');
  assert.equal(await dashboard.locator('#dept-card').isHidden(), true); // the city ranks no departments
  // Down to the county (its row's name): its figures, its townships and its departments.
  let from = dashboard.frames_.sent.length;
  await county.locator('td.name').click();
  await dashboard.locator('#map-title', { hasText: '浉河区' }).waitFor({ timeout: T });
  await figures(dashboard, CITY_LEADER, COUNTY, 'month');
  await ranked(dashboard, '#rank', CITY_LEADER, TOWNSHIP, '--unit', String(COUNTY), '--level', 'township', '--by', 'resolution', '--period', 'month');
  await ranked(dashboard, '#dept-rank', CITY_LEADER, DEPARTMENT, '--unit', String(COUNTY), '--level', 'department', '--by', 'satisfaction', '--period', 'month');
  await asked(dashboard, from, 'ranking', COUNTY, 'month');
  // The period switch asks again, for today.
  from = dashboard.frames_.sent.length;
  await dashboard.selectOption('#period', 'today');
  await asked(dashboard, from, 'figures', COUNTY, 'today');
  await asked(dashboard, from, 'ranking', COUNTY, 'today');
  await figures(dashboard, CITY_LEADER, COUNTY, 'today');
  await ranked(dashboard, '#rank', CITY_LEADER, TOWNSHIP, '--unit', String(COUNTY), '--level', 'township', '--by', 'resolution', '--period', 'today');
  await ranked(dashboard, '#dept-rank', CITY_LEADER, DEPARTMENT, '--unit', String(COUNTY), '--level', 'department', '--by', 'satisfaction', '--period', 'today');
  await dashboard.locator('#rank-card .period-name', { hasText: '今日' }).waitFor({ timeout: T });
  await shot(dashboard, 'dashboard-county');
  assert.equal(await dashboard.locator('#fig-error').innerText(), '');
  assert.deepEqual(dashboard.errors, []);
  await dashboard.close();

  // A township head: the township's own figures, no ranking (the hub would refuse it), no error.
  const head = await open('dashboard', HEAD, { width: 1920, height: 1080 });
  await figures(head, HEAD, TOWNSHIP, 'month');
  assert.equal(await head.locator('#rank-card').isHidden(), true);
  assert.equal(await head.locator('#dept-card').isHidden(), true);
  assert.equal(head.frames_.sent.some((m) => m.t === 'query' && m.what === 'ranking'), false);
  assert.equal(await head.locator('#fig-error').innerText(), '');
  await shot(head, 'dashboard-township-head');
  assert.deepEqual(head.errors, []);
  await head.close();
});

async function page0(p) { return p.locator('.error').first().innerText().catch(() => ''); }

test('a directive from the leader console is watched to completion', async () => {
  const leader = await open('leader', CITY_LEADER);
  const worker = await open('grid', WORKER, { width: 390, height: 844 });
  await leader.selectOption('#channel', '12');
  await leader.fill('#d-title', '防汛值班');
  await leader.fill('#body', '20:00 起到岗');
  await leader.selectOption('#kind', 'people');
  await leader.fill('#people', String(WORKER));
  await leader.focus('#body');
  await leader.keyboard.press('Control+Enter'); // one key
  const card = leader.locator('.directive').first();
  await card.waitFor({ timeout: T });
  await card.getByText('签收 0/1').waitFor({ timeout: T });

  const d = worker.locator('#directives .item', { hasText: '防汛值班' });
  await d.waitFor({ timeout: T });
  await d.locator('button[name="sign"]').click();
  await leader.locator('.directive', { hasText: '签收 1/1' }).waitFor({ timeout: T });
  await d.locator('button[name="complete"]').click();
  await leader.locator('.directive', { hasText: '完成 1/1（100%）' }).waitFor({ timeout: T });
  await leader.locator('.directive .laggards[data-count="0"]').waitFor({ timeout: T });
  await shot(leader, 'leader');
  assert.deepEqual(leader.errors, []);
  await leader.close();
  await worker.close();
});

test('a forbidden step shows the hub\'s refusal in words beside the button', async () => {
  const worker = await open('grid', WORKER, { width: 390, height: 844 });
  await worker.selectOption('#category', 'enforce.noise');
  await worker.fill('#r-title', '占道经营');
  await worker.click('#send');
  const item = worker.locator('#cases .item', { hasText: '占道经营' });
  await item.locator('button[name="sign"]').click({ timeout: T });
  // A full-time grid worker may not escalate (the grid head or the instructor does).
  await item.locator('button[name="escalate"]').click({ timeout: T });
  const error = item.locator('button[name="escalate"] + .error');
  await error.getByText('无权执行此操作').waitFor({ timeout: T });
  assert.match(await error.innerText(), /无权执行此操作（.+）/);
  await shot(worker, 'forbidden');
  await worker.close();
});

test('the hub killed and restarted: the page says so, reconnects, resumes with since', async () => {
  const head = await open('township', HEAD);
  const r = await city.cli(WORKER, 'report', '--unit', String(GRID), '--category', 'enforce.noise', '--title', '重启前');
  const before = r.case;
  await city.cli(GRID_HEAD, 'act', '--case', String(before), '--action', 'escalate');
  await city.cli(SECRETARY, 'act', '--case', String(before), '--action', 'sign');
  await city.cli(SECRETARY, 'act', '--case', String(before), '--action', 'escalate');
  await head.locator(`#cases tr[data-case="${before}"]`).waitFor({ timeout: T });
  const resumeAt = await head.evaluate(() => window.hub.seq);
  assert.ok(resumeAt > 0);

  await city.killHub();
  await head.locator('#status[data-state="reconnecting"]', { hasText: '正在重新连接' }).waitFor({ timeout: T });
  await shot(head, 'reconnecting');
  const sentBefore = head.frames_.sent.length;
  await city.startHub();
  await head.locator('#status[data-state="open"]').waitFor({ timeout: 30000 });
  // The subscription is made again from where the page was.
  await until(() => head.frames_.sent.slice(sentBefore).find((m) => m.t === 'subscribe' && m.unit === TOWNSHIP && Number(m.since) === resumeAt), T, 'the resume subscribe');
  // What it showed is still there, and the live stream goes on.
  await head.locator(`#cases tr[data-case="${before}"]`).waitFor({ timeout: T });
  await city.cli(41150200112n, 'act', '--case', String(before), '--action', 'sign');
  await head.locator(`#cases tr[data-case="${before}"] td.state`, { hasText: '签收' }).waitFor({ timeout: T });
  assert.deepEqual(head.errors, []);
  await head.close();
});

test('the dashboard under hub-sim load: script time per second and heap', async () => {
  const seconds = Number(process.env.HUB_BROWSER_LOAD_S ?? 30);
  const rate = Number(process.env.HUB_BROWSER_LOAD_RATE ?? 300);
  const dashboard = await open('dashboard', CITY_LEADER, { width: 1920, height: 1080 });
  const cdp = await dashboard.context().newCDPSession(dashboard);
  await cdp.send('Performance.enable');
  const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const sim = city.simulate(rate);
  try {
    // Warm up until the load shows on the page, then measure over the window.
    await until(() => dashboard.evaluate(() => window.dashboard.stats.events > 500), 60000, 'hub-sim\'s events on the dashboard');
    // HUB_BROWSER_PROFILE=1: a CPU profile over the window, its top functions by self time.
    const profile = Boolean(process.env.HUB_BROWSER_PROFILE);
    if (profile) { await cdp.send('Profiler.enable'); await cdp.send('Profiler.start'); }
    const m0 = await metrics();
    const e0 = await dashboard.evaluate(() => window.dashboard.stats.events);
    const t0 = Date.now();
    await until(() => Date.now() - t0 >= seconds * 1000, seconds * 1000 + T, 'the measuring window');
    const m1 = await metrics();
    if (profile) printProfile((await cdp.send('Profiler.stop')).profile);
    const e1 = await dashboard.evaluate(() => window.dashboard.stats.events);
    const wall = (Date.now() - t0) / 1000;
    const held = await dashboard.evaluate(() => ({ cases: window.dashboard.cases.size, ticker: document.querySelectorAll('#ticker li').length, charts: window.dashboard.stats.chartUpdates ?? 0 }));
    const script = (m1.ScriptDuration - m0.ScriptDuration) / wall;
    const line = `dashboard under hub-sim --rate ${rate} for ${wall.toFixed(0)} s: ${((e1 - e0) / wall).toFixed(0)} messages/s, ` +
      `script ${(script * 1000).toFixed(0)} ms per second, layout ${(((m1.LayoutDuration - m0.LayoutDuration) / wall) * 1000).toFixed(0)} ms/s, ` +
      `JS heap ${(m0.JSHeapUsedSize / 2 ** 20).toFixed(1)} -> ${(m1.JSHeapUsedSize / 2 ** 20).toFixed(1)} MiB, ` +
      `cases followed ${held.cases}, ticker lines ${held.ticker}, chart updates ${held.charts}, DOM nodes ${m1.Nodes}`;
    console.log(line);
    await shot(dashboard, 'dashboard-load');
    assert.ok(held.ticker <= 40, 'the ticker is bounded');
    assert.ok(e1 > e0, 'the page kept receiving');
    assert.ok(script < 0.9, `the page keeps up (script ${script.toFixed(2)} s per second)`);
  } finally {
    sim.kill('SIGTERM');
  }
  assert.deepEqual(dashboard.errors, []);
  await dashboard.close();
});

/// The top functions of a CDP CPU profile by self time (sampled), one line each.
function printProfile({ nodes, samples, timeDeltas }) {
  const self = new Map();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (timeDeltas[i] ?? 0)));
  const perFn = new Map();
  for (const [id, us] of self) {
    const f = byId.get(id).callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    perFn.set(key, (perFn.get(key) ?? 0) + us);
  }
  const total = [...perFn.values()].reduce((a, b) => a + b, 0);
  for (const [key, us] of [...perFn].sort((a, b) => b[1] - a[1]).slice(0, 15))
    console.log(`  ${((100 * us) / total).toFixed(1).padStart(5)} %  ${key}`);
}
