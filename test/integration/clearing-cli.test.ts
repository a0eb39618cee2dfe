/**
 * `yibao clearing …` and `yibao reconcile` as an agency clerk runs them, on the hand-computed March
 * of test/integration/clearing.test.ts (Luoyang, 洛医保〔2023〕63号): the registry set through the
 * command line, the month settled through a ledger whose clock is in March 2024, then closed,
 * listed, exported (GBK CSV, XLSX) and reconciled against the institution's files.
 *
 * March (hand computed in clearing.test.ts):
 *   JX  (涧西, city centre 410300)  1 settlement,              200.00 / fund 60.00, cash 140.00 → payable 60.00
 *   JX2 (涧西, city centre 410300)  2 settlements, 1 reversal,  80.00 / fund 48.00, cash  32.00 → payable 48.00
 *   YS  (偃师, county centre 410381) 2 settlements,            400.00 / fund 150.00, cash 250.00 → payable 150.00
 *   city centre 60 + 48 = 108.00; 偃师区医保中心 150.00; 6 entries, 3 statements.
 * JX2's entries: #3 P3 80.00 / 48.00; #4 P1 50.00 / 30.00; #4r its reversal −50.00 / −30.00.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import iconv from 'iconv-lite';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type Io } from '../../src/cli/main.js';
import { periodBounds } from '../../src/clearing/period.js';
import { formatDetailFile } from '../../src/clearing/national-file.js';
import type { LedgerDetailRow } from '../../src/clearing/detail.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { migrateToLatest, openLedgerDb } from '../../src/ledger/connect.js';
import { Ledger, type Actor } from '../../src/ledger/ledger.js';
import { formatYuan } from '../../src/money/money.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { parseSettleOne } from '../../src/request/settle-one.js';
import { runCli } from '../support/cli.js';
import { freshPostgres, pgAvailable, TEST_TMPDIR } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);
const agency: Actor = { id: 'agency-1', role: 'agency' };
const dir = mkdtempSync(join(TEST_TMPDIR, 'yibao-clearing-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const at = (iso: string) => Date.parse(iso);
const resident = (id: string) => ({ id, region: '410300', scheme: 'resident', category: 'adult' });
const JX = { id: 'JX', tier: 'city', grade: 3, contracted: true };
const YS = { id: 'YS', tier: 'county', grade: 2, contracted: true };
const JX2 = { id: 'JX2', tier: 'primary', grade: 0, contracted: true };

function file(name: string, body: string | Buffer | unknown): string {
  const f = join(dir, name);
  writeFileSync(f, typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
  return f;
}

/** The registry through the command line: two districts, their centres, three institutions, two persons' districts. */
async function register(db: string): Promise<void> {
  const set = async (what: string, name: string, body: unknown) => {
    const r = await runCli(['clearing', what, 'set', file(name, body), '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  expect(await set('districts', 'd-jx.json', { code: '410305', name: '涧西区', region: 'luoyang', level: 'urban' })).toContain('已登记 县区 410305 涧西区（城市区');
  await set('districts', 'd-ys.json', { code: '410381', name: '偃师区', region: '410300', level: 'county' });
  expect(await set('centres', 'c-city.json', { id: '410300', name: '洛阳市医保中心', level: 'city', region: '410300' })).toContain(
    '已登记 支付经办机构 410300 洛阳市医保中心（市医保中心',
  );
  await set('centres', 'c-ys.json', { id: '410381', name: '偃师区医保中心', level: 'county', region: '410300', district: '410381' });
  const jx = await set('institutions', 'i-jx.json', { institution: 'JX', district: '410305' });
  expect(jx).toContain('已登记 机构 JX：县区 410305，支付经办机构 洛阳市医保中心（410300）');
  expect(jx).toContain('洛医保〔2023〕63号 三(二)');
  await set('institutions', 'i-jx2.json', { institution: 'JX2', district: '410305' });
  expect(await set('institutions', 'i-ys.json', { institution: 'YS', district: '410381' })).toContain('偃师区医保中心（410381）');
  for (const [p, district] of [
    ['P1', '410305'],
    ['P2', '410381'],
  ] as const) {
    const r = await runCli(['persons', 'set', file(`${p}.json`, { ...resident(p), district }), '--db', db]);
    expect(r.code, r.stderr).toBe(0);
  }
}

/** March settled through a ledger whose clock the seed moves (clearing.test.ts). */
async function settleMarch(db: string): Promise<void> {
  const store = await openLedgerDb({ target: db });
  await migrateToLatest(store.db);
  try {
    const clock = { now: at('2024-03-01T08:00:00+08:00') };
    const ledger = new Ledger(store, engine, () => clock.now);
    const ids: Record<string, string> = {};
    const settle = async (n: string, person: unknown, time: string, institution: unknown, total: number) => {
      clock.now = at(time) + 3_600_000;
      const req = parseSettleOne({ requestId: `r-${n}`, person, visit: { id: `v-${n}`, time, type: 'outpatient', institution, total } }, policies);
      ids[n] = (await ledger.settle(req, agency)).entry.id;
    };
    await settle('1', resident('P1'), '2024-03-04T10:00:00+08:00', JX, 200);
    await settle('2', resident('P2'), '2024-03-05T10:00:00+08:00', YS, 100);
    await settle('3', resident('P3'), '2024-03-06T10:00:00+08:00', JX2, 80);
    await settle('4', resident('P1'), '2024-03-07T10:00:00+08:00', JX2, 50);
    clock.now = at('2024-03-08T10:00:00+08:00');
    await ledger.reverse(ids['4'] as string, 'r-4r', agency);
    await settle('5', resident('P2'), '2024-03-09T10:00:00+08:00', YS, 300);
  } finally {
    await store.close();
  }
}

/** Something read from the store directly, the CLI not running. */
async function withStore<T>(db: string, f: (ledger: Ledger, store: Awaited<ReturnType<typeof openLedgerDb>>) => Promise<T>): Promise<T> {
  const store = await openLedgerDb({ target: db });
  try {
    return await f(new Ledger(store, engine), store);
  } finally {
    await store.close();
  }
}

const count = (db: string, table: 'audit_log' | 'reconciliations') =>
  withStore(db, async (_, store) => Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(store.db)).rows[0]?.n));

/** JX2's March entries in the national detail shape. */
const jx2Rows = (db: string): Promise<LedgerDetailRow[]> =>
  withStore(db, (ledger) => {
    const { start, end } = periodBounds('2024-03');
    return ledger.clearing.detailRows('JX2', start, end);
  });

describe('yibao clearing and yibao reconcile on a SQLite file', () => {
  const db = join(dir, 'clearing.db');

  beforeAll(async () => {
    await register(db);
    await settleMarch(db);
  });

  it("shows a person's district (县区) and the registry", async () => {
    const p1 = await runCli(['persons', 'show', 'P1', '--db', db]);
    expect(p1.stdout).toMatch(/^P1：410300 居民医保 成年居民；县区：410305/);
    const institutions = await runCli(['clearing', 'institutions', '--db', db]);
    expect(institutions.stdout).toMatch(/YS\s+410381\s+偃师区医保中心（410381）\s+偃师区为县/);
    const centres = await runCli(['clearing', 'centres', '--db', db, '--json']);
    expect(JSON.parse(centres.stdout)).toEqual([
      { id: '410300', name: '洛阳市医保中心', level: 'city', region: '410300', district: null },
      { id: '410381', name: '偃师区医保中心', level: 'county', region: '410300', district: '410381' },
    ]);
    // A centre that contradicts the rule is refused (exit 1), naming it; a bad file is invalid (exit 2).
    const wrong = await runCli(['clearing', 'institutions', 'set', file('i-bad.json', { institution: 'YS', district: '410381', centre: '410300' }), '--db', db]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('PAYING_CENTRE_RULE');
    const bad = await runCli(['clearing', 'centres', 'set', file('c-bad.json', { id: 'X', name: 'X', level: 'town', region: 'nowhere' }), '--db', db]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown region "nowhere"');
    expect(bad.stdout).toBe('');
  });

  it('closes March once (6 entries, 3 statements, 108.00 and 150.00), answers a replay with 已清算, refuses out of order', async () => {
    const future = await runCli(['clearing', 'close', '--period', '2099-01', '--db', db]);
    expect(future.code).toBe(1);
    expect(future.stderr).toContain('PERIOD_NOT_ENDED');
    const early = await runCli(['clearing', 'periods', '--db', db]);
    expect(early.stdout).toContain('下一个待清算月份：2024-03');

    // Day-end (日结): every ended day since the first entry summed once, the March entries among them.
    const rolled = await runCli(['clearing', 'rollup', '--json', '--db', db]);
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(JSON.parse(rolled.stdout)).toMatchObject({ entries: 6 });
    expect(JSON.parse((await runCli(['clearing', 'rollup', '--json', '--db', db])).stdout)).toEqual({ days: 0, entries: 0 });

    const closed = await runCli(['clearing', 'close', '--period', '2024-03', '--db', db]);
    expect(closed.code, closed.stderr).toBe(0);
    expect(closed.stdout).toContain('清算期 2024-03 已关账');
    expect(closed.stdout).toMatch(/结算笔数（含退费）\s+6\n/);
    expect(closed.stdout).toMatch(/清算单数\s+3\n/);
    expect(closed.stdout).toMatch(/410300\s+洛阳市医保中心\s+2\s+108\.00\n/);
    expect(closed.stdout).toMatch(/410381\s+偃师区医保中心\s+1\s+150\.00\n/);
    expect(closed.stdout).toMatch(/操作人\s+cli\n/);

    const audits = await count(db, 'audit_log');
    const again = await runCli(['clearing', 'close', '--period', '2024-03', '--db', db]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('已清算');
    expect(again.stdout).toMatch(/410300\s+洛阳市医保中心\s+2\s+108\.00\n/);
    expect(await count(db, 'audit_log')).toBe(audits);

    const may = await runCli(['clearing', 'close', '--period', '2024-05', '--db', db]);
    expect(may.code).toBe(1);
    expect(may.stderr).toContain('EARLIER_PERIOD_OPEN');
    expect(may.stderr).toContain('2024-04 is still open');
    expect(JSON.parse(may.stdout).error.code).toBe('EARLIER_PERIOD_OPEN');

    const badPeriod = await runCli(['clearing', 'close', '--period', '2024-13', '--db', db]);
    expect(badPeriod.code).toBe(2);
    expect(badPeriod.stderr).toContain('INVALID_PERIOD');
    expect(badPeriod.stdout).toBe('');

    const periods = await runCli(['clearing', 'periods', '--db', db]);
    expect(periods.stdout).toMatch(/2024-03\s+\S+\s+cli\s+6\s+3\n/);
    expect(periods.stdout).toContain('下一个待清算月份：2024-04');
  });

  it('lists the statements with the hand-computed figures, and exports them as GBK CSV and XLSX', async () => {
    const table = await runCli(['clearing', 'statements', '--period', '2024-03', '--db', db]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/清算期\s+定点医药机构编号\s+结算经办机构\s+结算笔数\s+退费笔数\s+医疗费总额（元）/);
    expect(table.stdout).toMatch(/2024-03\s+JX\s+410300\s+1\s+0\s+200\.00\s+60\.00\s+0\.00\s+140\.00\s+60\.00\n/);
    expect(table.stdout).toMatch(/2024-03\s+JX2\s+410300\s+2\s+1\s+80\.00\s+48\.00\s+0\.00\s+32\.00\s+48\.00\n/);
    expect(table.stdout).toMatch(/2024-03\s+YS\s+410381\s+2\s+0\s+400\.00\s+150\.00\s+0\.00\s+250\.00\s+150\.00\n/);
    const byCentre = await runCli(['clearing', 'statements', '--centre', '410381', '--db', db, '--format', 'json']);
    expect(JSON.parse(byCentre.stdout)).toEqual([
      {
        period: '2024-03',
        institution: 'YS',
        centre: '410381',
        settlements: 2,
        reversals: 0,
        medfee_sumamt: 400,
        fund_pay_sumamt: 150,
        acct_pay: 0,
        cash_payamt: 250,
        payable: 150,
      },
    ]);

    // A binary format is not sent to a terminal: it needs --out.
    const toTerminal = await runCli(['clearing', 'statements', '--format', 'csv-gbk', '--db', db]);
    expect(toTerminal.code).toBe(2);
    expect(toTerminal.stderr).toContain('--out FILE');

    const gbk = join(dir, 'statements-gbk.csv');
    const csv = await runCli(['clearing', 'statements', '--format', 'csv-gbk', '--out', gbk, '--db', db]);
    expect(csv.code, csv.stderr).toBe(0);
    const bytes = readFileSync(gbk);
    expect(bytes.includes(iconv.encode('医疗费总额（元）', 'gbk'))).toBe(true);
    expect(bytes.includes(Buffer.from('医疗费总额', 'utf8'))).toBe(false);
    const text = iconv.decode(bytes, 'gbk');
    expect(text.split(/\r?\n/)[0]).toBe(
      '清算期,定点医药机构编号,结算经办机构,结算笔数,退费笔数,医疗费总额（元）,基金支付总额（元）,个人账户支付（元）,现金支付（元）,应支付金额（元）',
    );
    expect(text).toContain('2024-03,YS,410381,2,0,400.00,150.00,0.00,250.00,150.00');
    expect(text).toContain('2024-03,JX2,410300,2,1,80.00,48.00,0.00,32.00,48.00');

    const centres = join(dir, 'centres-gbk.csv');
    expect((await runCli(['clearing', 'report', '--period', '2024-03', '--table', 'centres', '--format', 'csv-gbk', '--out', centres, '--db', db])).code).toBe(0);
    const report = iconv.decode(readFileSync(centres), 'gbk');
    expect(report).toContain('2024-03,410300,洛阳市医保中心,2,3,1,108.00,0.00,108.00');
    expect(report).toContain('2024-03,410381,偃师区医保中心,1,2,0,150.00,0.00,150.00');
    const noTable = await runCli(['clearing', 'report', '--period', '2024-03', '--format', 'csv', '--out', centres, '--db', db]);
    expect(noTable.code).toBe(2);
    expect(noTable.stderr).toContain('--table centres|districts');

    const xlsx = join(dir, 'report.xlsx');
    const x = await runCli(['clearing', 'report', '--period', '2024-03', '--out', xlsx, '--db', db]);
    expect(x.code, x.stderr).toBe(0);
    const zip = unzipSync(readFileSync(xlsx));
    const shared = strFromU8(zip['xl/sharedStrings.xml'] as Uint8Array);
    for (const header of ['结算经办机构', '应支付金额（元）', '上解资金（元）', '市医保中心实际支付（元）']) expect(shared).toContain(header);
    const workbook = strFromU8(zip['xl/workbook.xml'] as Uint8Array);
    expect(workbook).toContain('经办机构汇总');
    expect(workbook).toContain('上解资金清算');
  });

  it('shows one statement, the report and a remittance against it (三(三))', async () => {
    const one = await runCli(['clearing', 'statement', '2024-03', 'JX2', '--db', db]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toContain('2024-03 清算单：机构 JX2，支付经办机构 洛阳市医保中心（410300）');
    expect(one.stdout).toContain('结算 2 笔，退费 1 笔');
    expect(one.stdout).toMatch(/390 城乡居民基本医疗保险\s+11 门诊\s+2\s+1\s+80\.00\s+48\.00/);
    const missing = await runCli(['clearing', 'statement', '2024-04', 'JX2', '--db', db]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('NOT_FOUND');

    const remit = await runCli([
      'clearing',
      'remit',
      file('remit.json', { id: 'R-1', district: '410305', period: '2024-03', amount: '100', remittedOn: '2024-04-05' }),
      '--db',
      db,
    ]);
    expect(remit.code, remit.stderr).toBe(0);
    expect(remit.stdout).toContain('已登记上解资金 R-1：县区 410305，清算期 2024-03，100.00 元');
    const replay = await runCli(['clearing', 'remit', join(dir, 'remit.json'), '--db', db]);
    expect(replay.stdout).toContain('已登记过');
    const report = await runCli(['clearing', 'report', '--period', '2024-03', '--db', db]);
    // 涧西: remitted 100.00, the city centre paid its insured (P1) 60 + 30 − 30 = 60.00: 40.00 over.
    expect(report.stdout).toMatch(/2024-03\s+410305\s+涧西区\s+100\.00\s+60\.00\s+40\.00\n/);
    expect(report.stdout).toContain('结余 40 元');
  });

  it('reconciles a balanced 3202 file (exit 0) and writes the result file (表151)', async () => {
    const rows = await jx2Rows(db);
    expect(rows.map((r) => [r.medfee_sumamt, r.refd_setl_flag])).toEqual([
      [8_000, '0'],
      [5_000, '0'],
      [-5_000, '1'],
    ]);
    const txt = file('jx2-3202.txt', formatDetailFile(rows));
    const result = join(dir, 'jx2-result.txt');
    const r = await runCli(['reconcile', '--institution', 'JX2', '--from', '2024-03-01', '--to', '2024-03-31', txt, '--result', result, '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('结果：平');
    expect(r.stdout).toMatch(/一致（对平）\s+3\n/);
    expect(r.stdout).toMatch(/医疗费总额（元）\s+80\.00\s+80\.00\s+0\.00\n/);
    const lines = readFileSync(result, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => l.split('\t')[4])).toEqual(['0', '0', '0']);
  });

  it('reconciles a GBK CSV with Chinese headers: one row missing, one amount changed, one duplicated, one unknown (exit 1)', async () => {
    const [three, four, reversal] = (await jx2Rows(db)) as [LedgerDetailRow, LedgerDetailRow, LedgerDetailRow];
    const line = (r: LedgerDetailRow, medfee = r.medfee_sumamt) =>
      [r.setl_id, r.mdtrt_id, r.psn_no, formatYuan(medfee), formatYuan(r.fund_pay_sumamt), formatYuan(r.acct_pay), r.refd_setl_flag === '1' ? '是' : '否'].join(',');
    const csv = [
      '结算ID,就诊ID,人员编号,医疗费总额（元）,基金支付总额（元）,个人账户支出（元）,退费结算标志',
      line(four, 5_500),
      line(reversal),
      line(reversal),
      'S-NOT-IN-LEDGER,M-X,P-X,10.00,6.00,0.00,否',
    ].join('\r\n');
    const f = file('jx2-hospital.csv', iconv.encode(`${csv}\r\n`, 'gbk'));
    const out = join(dir, 'jx2-differences.csv');
    const before = await count(db, 'reconciliations');
    const r = await runCli(['reconcile', '--institution', 'JX2', '--from', '2024-03-01', '--to', '2024-03-31', f, '--out', out, '--out-format', 'csv-gbk', '--db', db]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('GBK');
    expect(r.stdout).toContain('结果：不平 / unbalanced（4 项差异）');
    expect(r.stdout).toMatch(/医保端无此记录\s+1\n/);
    expect(r.stdout).toMatch(/医院端无此记录\s+1\n/);
    expect(r.stdout).toMatch(/退费正反记录不全\s+0\n/);
    expect(r.stdout).toMatch(/金额不一致\s+1\n/);
    expect(r.stdout).toMatch(/信息不一致\s+0\n/);
    expect(r.stdout).toMatch(/重复记录\s+1\n/);
    expect(r.stdout).toMatch(/一致（对平）\s+1\n/);
    // Hospital 55 − 50 − 50 + 10 = −35.00 against the ledger's 80 + 50 − 50 = 80.00.
    expect(r.stdout).toMatch(/医疗费总额（元）\s+-35\.00\s+80\.00\s+-115\.00\n/);
    expect(r.stdout).toContain(three.setl_id);
    expect(await count(db, 'reconciliations')).toBe(before + 1);
    const written = iconv.decode(readFileSync(out), 'gbk').trimEnd().split(/\r?\n/);
    expect(written[0]).toContain('结算ID,就诊ID,人员编号,退费结算标志,差异类型');
    expect(written).toHaveLength(5);
    expect(written.filter((l) => l.includes('金额不一致'))[0]).toContain(`${four.setl_id},`);

    // --result goes with a 3202 file only.
    const noResult = await runCli(['reconcile', '--institution', 'JX2', '--from', '2024-03-01', '--to', '2024-03-31', f, '--result', join(dir, 'x.txt'), '--db', db]);
    expect(noResult.code).toBe(2);
  });

  it('refuses a file with a broken line (exit 2), naming the line, and writes nothing', async () => {
    const before = await count(db, 'reconciliations');
    const broken = file('broken.txt', 'S1\tM1\tP1\t10.00\t6.00\t0.00\t0\nS2\tM2\tP2\t10.00\t6.00\n');
    const r = await runCli(['reconcile', '--institution', 'JX2', '--from', '2024-03-01', '--to', '2024-03-31', broken, '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('INVALID_FILE');
    expect(r.stderr).toContain('broken.txt: line 2: has 5 columns');
    expect(r.stdout).toBe('');
    const amount = file('amount.csv', '结算ID,就诊ID,人员编号,医疗费总额,基金支付总额,个人账户支出,退费结算标志\nS1,M1,P1,1O.00,6.00,0.00,0\n');
    const bad = await runCli(['reconcile', '--institution', 'JX2', '--from', '2024-03-01', '--to', '2024-03-31', amount, '--db', db]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('line 2, column 4 medfee_sumamt (医疗费总额)');
    expect(await count(db, 'reconciliations')).toBe(before);
    const span = await runCli(['reconcile', '--institution', 'JX2', '--from', '2024-03-31', '--to', '2024-03-01', broken, '--db', db]);
    expect(span.code).toBe(2);
    expect(span.stderr).toContain('--to: 2024-03-01 is before --from');
  });

  it('sends an XLSX to stdout only with --out -, as bytes', async () => {
    const chunks: Buffer[] = [];
    let stderr = '';
    const io: Io = {
      stdout: () => undefined,
      stdoutBytes: (b) => void chunks.push(b),
      stderr: (t) => void (stderr += t),
      readStdin: async () => '',
      env: { ...process.env },
    };
    const code = await main(['clearing', 'statements', '--format', 'xlsx', '--out', '-', '--db', db], io);
    expect(code, stderr).toBe(0);
    expect(strFromU8(unzipSync(Buffer.concat(chunks))['xl/sharedStrings.xml'] as Uint8Array)).toContain('定点医药机构编号');
  });
});

describe.skipIf(!pgAvailable)('yibao clearing on PostgreSQL', () => {
  let store: Awaited<ReturnType<typeof freshPostgres>>;
  beforeAll(async () => {
    store = await freshPostgres(4);
    await register(store.url);
    await settleMarch(store.url);
  });
  afterAll(async () => {
    await store?.close();
  });

  it('closes March and lists its statements', async () => {
    const closed = await runCli(['clearing', 'close', '--period', '2024-03', '--db', store.url]);
    expect(closed.code, closed.stderr).toBe(0);
    expect(closed.stdout).toMatch(/410300\s+洛阳市医保中心\s+2\s+108\.00\n/);
    expect((await runCli(['clearing', 'close', '--period', '2024-03', '--db', store.url])).stdout).toContain('已清算');
    const table = await runCli(['clearing', 'statements', '--db', store.url]);
    expect(table.stdout).toMatch(/2024-03\s+YS\s+410381\s+2\s+0\s+400\.00\s+150\.00\s+0\.00\s+250\.00\s+150\.00\n/);
    expect(table.stdout).toMatch(/2024-03\s+JX2\s+410300\s+2\s+1\s+80\.00\s+48\.00\s+0\.00\s+32\.00\s+48\.00\n/);
  });
});
