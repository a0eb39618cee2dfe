/**
 * `yibao his-sim` against the service listening on a port, on every store (issue 15's acceptance
 * kit): the agency's key sets the day up (--setup), the institution's key plays it with the
 * package's client over real HTTP, and every step the service offers must balance. The
 * transactions the service does not offer are listed in NOT_YET (reported 未提供 by the sim, never
 * counted as balanced; empty since issue 15's parts were merged): the test fails when a listed one
 * answers or another is missing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCatalogue } from '../../src/catalogue/load.js';
import { SettlementEngine } from '../../src/engine/settle.js';
import { createKey } from '../../src/ledger/keys.js';
import { main } from '../../src/cli/main.js';
import { loadPolicies } from '../../src/policy/policies.js';
import { startService, type TestService } from '../support/service.js';
import { STORES } from '../support/stores.js';

const policies = loadPolicies();
const engine = new SettlementEngine(policies);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The sample catalogue (made-up items, catalogues/sample.json): the sim's fee details are priced by it. */
const catalogue = parseCatalogue(readFileSync(join(ROOT, 'catalogues/sample.json'), 'utf8'), 'catalogues/sample.json');

/**
 * The transactions of the day the service does not offer yet (issue 15's other parts, merged one
 * by one): each is reported 未提供 by the sim. Remove an entry when its branch is merged.
 */
const NOT_YET: readonly string[] = [];

/**
 * Checks the service does not pass yet, each a finding of the kit (not of the sim): the test fails
 * when a listed check passes, or another fails. Empty: the kit's one finding so far (a reversal of a
 * settlement made from fee details put the whole outside amount in fulamt_ownpay_amt instead of
 * negating the details' split) is fixed (src/api/routes/national-split.ts).
 */
const KNOWN_UNBALANCED: readonly { infno: string; label: string }[] = [];

type Json = any;

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (t) => (out += t), stderr: (t) => (err += t), readStdin: async () => '' });
  return { code, out, err };
}

for (const s of STORES.filter((x) => !x.label.includes('writer'))) {
  describe.skipIf(s.skip)(`his-sim on ${s.label}`, () => {
    let service: TestService;
    let url: string;
    const dirs: string[] = [];

    beforeAll(async () => {
      // SQLite answers refusals with the service's HTTP status, PostgreSQL as the platform does
      // (HTTP 200, infcode -1) and requires a sign-in (9001's sign_no on every message): the client
      // reads both the same, and keeps and sends the sign_no.
      const statusMode = s.name === 'postgres' ? 'platform' : 'http';
      service = await startService(s.open, engine, { server: { national: { catalogue, statusMode, requireSignIn: s.name === 'postgres' } } });
      url = await service.app.listen({ port: 0, host: '127.0.0.1' });
    });
    afterAll(async () => {
      await service?.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    it('plays the day: every transaction offered balances, the missing ones are named', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'his-sim-'));
      dirs.push(dir);
      const args = [
        'his-sim',
        '--url',
        url,
        '--key',
        service.h1.key,
        '--institution',
        'H1',
        '--setup',
        service.agency.key,
        '--persons',
        '3',
        '--seed',
        '7',
        '--format',
        'json',
        '--record',
        dir,
      ];
      const r = await run([...args, '--allow-missing']);
      const report: Json = JSON.parse(r.out);
      const failing = report.steps.flatMap((x: Json) => x.checks.filter((c: Json) => !c.ok).map((c: Json) => ({ infno: x.infno, label: c.label })));
      const known = (f: { infno: string; label: string }) => KNOWN_UNBALANCED.some((k) => k.infno === f.infno && k.label === f.label);
      expect(
        failing.filter((f: Json) => !known(f)),
        JSON.stringify(failing, null, 2),
      ).toEqual([]);
      // Each known finding is still there (when its transaction ran): fixed, it leaves the list.
      for (const k of KNOWN_UNBALANCED) {
        const ran = report.steps.some((x: Json) => x.infno === k.infno && x.checks.some((c: Json) => c.label === k.label));
        if (ran)
          expect(
            failing.some((f: Json) => f.infno === k.infno && f.label === k.label),
            `${k.infno} ${k.label} now balances: remove it from KNOWN_UNBALANCED`,
          ).toBe(true);
      }
      const bad = report.steps.filter(
        (x: Json) =>
          x.status !== 'balanced' && x.status !== 'unavailable' && !(x.status === 'unbalanced' && x.checks.every((c: Json) => c.ok || known({ infno: x.infno, label: c.label }))),
      );
      expect(bad, JSON.stringify(bad, null, 2)).toEqual([]);
      expect(
        report.setup.filter((l: string) => l.startsWith('失败')),
        report.setup.join('\n'),
      ).toEqual([]);
      expect(report.unavailable).toEqual([...NOT_YET].sort());
      // The run passes only when nothing at all is left unbalanced.
      expect(r.code).toBe(failing.length === 0 ? 0 : 1);
      expect(report.passed).toBe(failing.length === 0);
      // Every step checked something or was a plain write; the settlements' identities held.
      const settled = report.steps.filter((x: Json) => ['2206', '2207', '2303', '2304', '2208', '2305'].includes(x.infno) && x.status === 'balanced');
      expect(settled.length).toBeGreaterThanOrEqual(8);
      for (const x of settled) if (!x.subject.includes('应答丢弃')) expect(x.checks.length, x.subject).toBeGreaterThan(0);
      // The day's end: 3201 balanced for both classes.
      expect(report.steps.filter((x: Json) => x.infno === '3201').map((x: Json) => x.status)).toEqual(['balanced', 'balanced']);
      // And 3202 with the hospital's file of every settlement and reversal (the corrections' too): 平.
      const detail = report.steps.filter((x: Json) => x.infno === '3202');
      expect(detail.map((x: Json) => x.status)).toEqual(['balanced']);
      expect(detail[0].checks.map((c: Json) => c.ok)).toEqual([true, true]);
      // The corrections were each checked: 2205 and 2302 cancelled what was sent, 2305 negated 2304, 5206 came back.
      for (const infno of ['2202', '2205', '2302', '2305', '3101', '3102']) expect(report.steps.find((x: Json) => x.infno === infno)?.checks.length, infno).toBeGreaterThan(0);
      expect(report.steps.some((x: Json) => x.infno === '5206' && x.checks.some((c: Json) => c.label === '5206 累计回到结算前' && c.ok))).toBe(true);
      // Each exchange recorded, in order, with the national field names.
      const files = readdirSync(dir).sort();
      expect(files.length).toBeGreaterThan(10);
      const first: Json = JSON.parse(readFileSync(join(dir, files[0] as string), 'utf8'));
      expect(Object.keys(first)).toEqual(['infno', 'request', 'status', 'response']);
      expect(first.request).toMatchObject({ infno: first.infno, fixmedins_code: 'H1' });
      // The day covers every national transaction the service registers (the OpenAPI document's
      // /v1/national/{infno} paths): each is in the recording, and so in test/fixtures/national/.
      const doc: Json = (await service.app.inject({ url: '/openapi.json' })).json();
      const routes = Object.keys(doc.paths)
        .map((p) => /^\/v1\/national\/(\d{4})$/.exec(p)?.[1])
        .filter((x): x is string => x !== undefined)
        .sort();
      expect(routes.length).toBeGreaterThanOrEqual(30);
      const played = [...new Set(files.map((f) => f.slice(f.indexOf('-') + 1, f.indexOf('.'))))].sort();
      expect(played).toEqual(routes);
      const fixed = [...new Set(readdirSync(join(ROOT, 'test/fixtures/national')).flatMap((f) => /^\d+-(\d{4})\.json$/.exec(f)?.[1] ?? []))].sort();
      expect(fixed).toEqual(routes);
      // Without --allow-missing a transaction the service does not offer fails the run (exit 1).
      // Every transaction offered, the strict run (text report) passes too; with one missing it would
      // fail. Another institution: 3201 reconciles an institution's whole day, and H1's has the first run.
      const h2 = await createKey(service.store.db, 'institution', { institutionId: 'H2' });
      const strict = await run(['his-sim', '--url', url, '--key', h2.key, '--institution', 'H2', '--persons', '1', '--seed', '8', '--setup', service.agency.key]);
      if (NOT_YET.length > 0) {
        expect(strict.code).toBe(1);
        expect(strict.out).toContain('未提供');
        expect(strict.out).toContain('结论：不平衡');
      } else {
        expect(strict.code, strict.out).toBe(0);
        expect(strict.out).toContain('结论：全部平衡 / every step balanced');
      }
    });

    it('refuses bad arguments with exit 2 and names them', async () => {
      const r = await run(['his-sim', '--url', 'nope', '--key', 'k']);
      expect(r.code).toBe(2);
      expect(r.err).toContain('--institution');
      const r2 = await run(['his-sim', '--url', 'ftp://x', '--key', 'k', '--institution', 'H1']);
      expect(r2.code).toBe(2);
      expect(r2.err).toContain('--url');
    });
  });
}

describe('the package exports the client', () => {
  it('imports yibao/client by the package path (dist built by the global setup)', () => {
    expect(existsSync(join(ROOT, 'dist/src/client/index.js'))).toBe(true);
    const out = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', "const m = await import('yibao/client'); console.log(typeof m.NationalClient, typeof m.NationalError, m.TRANSACTION_NAMES['2601'])"],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(out.trim()).toBe('function function 冲正交易');
  });
});
