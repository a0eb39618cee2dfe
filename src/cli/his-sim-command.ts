/**
 * `yibao his-sim`: a hospital's day played against a running service over the national interface
 * (issue 15's acceptance kit; the day itself is his-sim-day.ts), with the package's own client
 * (src/client). Prints a report, Chinese first, of every step and whether it balanced; with
 * --record, writes each request and its answer as JSON (national field names) to DIR/NN-INFNO.json.
 *
 * Exit codes: 0 every step answered and balanced; 1 something did not balance, was refused, or
 * (without --allow-missing) the service does not offer a transaction of the day; 2 bad arguments.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Exchange } from '../client/client.js';
import { HisDay, type DayReport, type StepStatus } from './his-sim-day.js';
import { EXIT_FAILED, EXIT_OK, pathIn, printJson, UsageError, type Command, type Io } from './io.js';

const HIS_SIM_USAGE = `  yibao his-sim --url URL --key KEY --institution CODE [--setup AGENCY_KEY] [--persons N] [--seed S]
                [--record DIR] [--timeout MS] [--allow-missing] [--format text|json]
      医院一日模拟 / plays a hospital's day against the service at URL over the national interface,
      with the institution's key: 9001 签到; per person 1101, 2001, 2201, 2204, 2206, 2207, 5206,
      2208 (every third); a 2207 whose answer is lost, 冲正 by 2601 (sent twice) and checked by 5203;
      corrections: 2201→2202, 3101 事前, a batch cancelled by 2205, 3102 事中 before the 2207; a stay
      (2401, a second by mistake →2404, 2301, 2302, 2403, 2402, 2405, 2402, 2303, 2304, 2305);
      3201 对总账 per class, 3202 对明细账; 9002 签退. Reports every step
      and whether it balanced. --setup: the agency's key, to register the persons (SIM{seed}-{n}, with
      identities) and the institution's paying centre first (idempotent); without it they must exist.
      --persons: default 3. --seed: default 1. --record DIR: each request and answer as
      DIR/NN-INFNO.json. --allow-missing: a transaction the service does not offer (404) is reported
      but does not fail the run. Exit 0 all balanced, 1 not, 2 bad arguments.
`;

const STATUS_TEXT: Record<StepStatus, string> = {
  balanced: '平',
  unbalanced: '不平',
  refused: '拒绝',
  unavailable: '未提供',
  failed: '出错',
};

const int = (v: string | undefined, name: string, dflt: number, min: number, max: number): number => {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return Number(v);
};

/** The report as text: the steps, then the verdict. */
export function reportText(r: DayReport, allowMissing: boolean): string {
  const out: string[] = [`医院一日模拟报告 / his-sim day report — 机构 ${r.institution}，${r.date}，参保人 ${r.persons} 名，种子 ${r.seed}`];
  if (r.setup.length > 0) out.push('', '准备 / setup:', ...r.setup.map((l) => `  ${l}`));
  out.push('', '步骤 / steps:');
  for (const s of r.steps) {
    out.push(`  ${String(s.n).padStart(3)}. ${s.infno} ${s.name} [${s.subject}] — ${STATUS_TEXT[s.status]}${s.message ? `：${s.message}` : ''}`);
    for (const c of s.checks) out.push(`         ${c.ok ? '✓' : '✗'} ${c.label}：${c.detail}`);
  }
  out.push('', '医院账 / the hospital’s ledger of the day (settled − reversed):');
  for (const [clr, t] of Object.entries(r.ledger))
    out.push(`  清算类别 ${clr}: 医疗费总额 ${t.medfee_sumamt}，基金支付 ${t.fund_pay_sumamt}，个人账户 ${t.acct_pay}，${t.count} 笔`);
  const count = (st: StepStatus) => r.steps.filter((s) => s.status === st).length;
  out.push(
    '',
    `平 ${count('balanced')}，不平 ${count('unbalanced')}，拒绝 ${count('refused')}，出错 ${count('failed')}，未提供 ${count('unavailable')}` +
      (r.unavailable.length > 0 ? `（服务未提供的交易：${r.unavailable.join('、')}）` : ''),
  );
  const ok = passed(r, allowMissing);
  out.push(ok ? (r.balanced ? '结论：全部平衡 / every step balanced' : '结论：已提供的交易全部平衡 / every transaction offered balanced') : '结论：不平衡 / NOT balanced');
  return `${out.join('\n')}\n`;
}

/** The run passes: every step balanced (with allowMissing, or not offered). */
export function passed(r: DayReport, allowMissing: boolean): boolean {
  return r.setup.every((l) => !l.startsWith('失败')) && r.steps.every((s) => s.status === 'balanced' || (allowMissing && s.status === 'unavailable'));
}

/** A recorder writing DIR/NN-INFNO.json, NN the exchange's order. */
export function recorder(dir: string): (e: Exchange) => void {
  mkdirSync(dir, { recursive: true });
  let n = 0;
  return (e) => {
    n += 1;
    const file = join(dir, `${String(n).padStart(2, '0')}-${e.infno}.json`);
    writeFileSync(file, `${JSON.stringify({ infno: e.infno, request: e.request, status: e.status, response: e.response ?? null }, null, 2)}\n`);
  };
}

async function hisSimCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      url: { type: 'string' },
      key: { type: 'string' },
      institution: { type: 'string' },
      setup: { type: 'string' },
      persons: { type: 'string' },
      seed: { type: 'string' },
      record: { type: 'string' },
      timeout: { type: 'string' },
      'allow-missing': { type: 'boolean' },
      format: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError(`his-sim takes no file, got ${JSON.stringify(positionals[0])}`);
  const missing = (['url', 'key', 'institution'] as const).filter((k) => values[k] === undefined);
  if (missing.length > 0) throw new UsageError(`his-sim needs ${missing.map((k) => `--${k}`).join(', ')}`);
  const url = values.url as string;
  if (!/^https?:\/\/[^\s]+$/.test(url)) throw new UsageError(`--url must be an http(s) URL, got ${JSON.stringify(url)}`);
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, got ${JSON.stringify(format)}`);
  const institution = values.institution as string;
  if (!/^[0-9A-Za-z_-]{1,30}$/.test(institution))
    throw new UsageError(`--institution must be an institution code (letters, digits, - and _; at most 30), got ${JSON.stringify(institution)}`);
  const allowMissing = values['allow-missing'] === true;
  const day = new HisDay({
    url,
    key: values.key as string,
    institution,
    persons: int(values.persons, 'persons', 3, 1, 200),
    seed: int(values.seed, 'seed', 1, 0, 1_000_000),
    timeoutMs: int(values.timeout, 'timeout', 30_000, 1, 600_000),
    ...(values.setup !== undefined ? { setupKey: values.setup } : {}),
    ...(values.record !== undefined ? { record: recorder(pathIn(io, values.record)) } : {}),
    ...(io.now ? { now: () => new Date((io.now as () => number)()) } : {}),
  });
  const report = await day.run();
  if (format === 'json') printJson(io, { ...report, passed: passed(report, allowMissing) });
  else io.stdout(reportText(report, allowMissing));
  if (!passed(report, allowMissing)) {
    io.stderr(`yibao his-sim: 不平衡 / not balanced (${report.steps.filter((s) => s.status !== 'balanced').length} 步未平)\n`);
    return EXIT_FAILED;
  }
  return EXIT_OK;
}

export const HIS_SIM_COMMAND: Command = { name: 'his-sim', summary: '医院一日模拟 / a hospital’s day over the national interface', usage: HIS_SIM_USAGE, run: hisSimCommand };
