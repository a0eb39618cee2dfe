/**
 * The `yibao` command as a user runs it: exit codes and streams, main() in-process with an
 * injected Io (test/support/cli.ts); the built bin in a real process: test/e2e/cli-smoke.test.ts.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'yibao-cli-'));

function yibao(args: string[], input?: string) {
  return runCli(args, input === undefined ? {} : { input });
}

function requestFile(body: unknown): string {
  const f = join(dir, `req-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, typeof body === 'string' ? body : JSON.stringify(body));
  return f;
}

const person = { id: 'p1', region: '410300', scheme: 'resident', category: 'adult' };
const visit = {
  id: 'v1',
  time: '2024-03-02T10:00:00+08:00',
  type: 'outpatient',
  institution: { id: 'H1', tier: 'county', grade: 2, contracted: true },
  total: 200,
  eligible: 180,
};

describe('yibao settle', () => {
  it('settles Linfen stays once the example user policy file supplies the inpatient figures', async () => {
    const without = await yibao(['settle', 'examples/linfen-inpatient-2019.json']);
    expect(without.code).toBe(1);
    // The document names the benefit but not its figures: each missing one is named, with where to supply it.
    expect(without.stderr).toMatch(/MISSING_PARAMETER.*benefits\.resident-inpatient\.classes\.grade-3\.ratio.*--policy-file/);
    const r = await yibao(['settle', 'examples/linfen-inpatient-2019.json', '--policy-file', 'examples/linfen-inpatient-user-policy.yaml']);
    expect(r.code, r.stderr).toBe(0);
    const [s1, s2] = JSON.parse(r.stdout).settlements;
    // 建档立卡: stay 1 (三级, example 1000 / 60%): (26000 − 1000) × 60% = 15000; self-paid 11000;
    // 15号 三(三): (11000 − 5000) × 80% = 4800; cash 30000 − 15000 − 4800 = 10200.
    expect(s1).toMatchObject({ fundPay: 15000, criticalIllnessPay: 4800, cashPay: 10200 });
    // Stay 2, out of the county without referral (三(一)): 19000 × 45% = 8550 (2850 less than at 60%);
    // self-paid 11450 of which 8600 counts; all above the threshold: 8600 × 80% = 6880; cash 4570.
    expect(s2).toMatchObject({ ratio: 45, fundPay: 8550, criticalIllnessPay: 6880, cashPay: 4570 });
    const steps = s2.trace.map((t: { step: string }) => t.step);
    expect(steps).toEqual(expect.arrayContaining(['referral', 'referral-exclusion', 'critical-illness', 'result']));
    expect(JSON.stringify(s2.trace)).toContain('用户提供');
  });

  it('settles the example in examples/', async () => {
    const r = await yibao(['settle', 'examples/luoyang-resident-2024.json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.settlements[0]).toMatchObject({ visitId: 'v1', policy: '洛医保〔2023〕63号', total: 200, eligible: 180, deductible: 50, fundPay: 65, cashPay: 135 });
    expect(out.settlements[0].trace.map((s: { step: string }) => s.step)).toEqual(
      expect.arrayContaining(['policy', 'eligibility', 'classify', 'deductible', 'ratio', 'cap', 'result']),
    );
    expect(out.settlements[1]).toMatchObject({ visitId: 'v2', deductible: 0 });
  });

  it('reads stdin with -', async () => {
    const r = await yibao(['settle', '-'], JSON.stringify({ person, visits: [visit] }));
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).settlements[0].fundPay).toBe(65);
  });

  it('leaves the trace out with --no-trace', async () => {
    const r = await yibao(['settle', requestFile({ person, visits: [visit] }), '--no-trace']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).settlements[0].trace).toBeUndefined();
  });

  const invalid: [string, unknown, RegExp[]][] = [
    ['wrong types', { person: { ...person, category: 7 }, visits: [{ ...visit, total: true }] }, [/person\.category/, /visits\[0\]\.total/]],
    [
      'a missing field',
      { person: { ...person, scheme: undefined }, visits: [{ ...visit, institution: { id: 'H1', tier: 'county', grade: 2 } }] },
      [/person\.scheme/, /visits\[0\]\.institution\.contracted/],
    ],
    ['a negative amount', { person, visits: [{ ...visit, total: -5 }] }, [/visits\[0\]\.total: must not be negative/]],
    ['three decimal places', { person, visits: [{ ...visit, total: '1.234' }] }, [/visits\[0\]\.total/]],
    ['a huge number', { person, visits: [{ ...visit, total: 1e300 }] }, [/visits\[0\]\.total/]],
    ['an unknown region', { person: { ...person, region: 'atlantis' }, visits: [visit] }, [/person\.region: unknown region "atlantis"/]],
    ['a date that does not exist', { person, visits: [{ ...visit, time: '2023-02-29T10:00:00+08:00' }] }, [/visits\[0\]\.time/]],
    ['eligible above total', { person, visits: [{ ...visit, eligible: 250 }] }, [/visits\[0\]\.eligible: must not exceed total/]],
    [
      'visits out of order',
      {
        person,
        visits: [
          { ...visit, id: 'a' },
          { ...visit, id: 'b', time: '2024-03-01T10:00:00+08:00' },
        ],
      },
      [/visits\[1\]\.time: visits must be in time order/],
    ],
    ['a duplicate visit id', { person, visits: [visit, visit] }, [/visits\[1\]\.id/]],
    ['an employee category for a resident', { person: { ...person, category: 'retired' }, visits: [visit] }, [/person\.category: retired is not a resident category/]],
    ['an unknown field', { person, visits: [{ ...visit, colour: 'red' }] }, [/visits\[0\]/]],
    ['no visits', { person, visits: [] }, [/visits: must list at least one visit/]],
    ['a grade of 4', { person, visits: [{ ...visit, institution: { ...visit.institution, grade: 4 } }] }, [/visits\[0\]\.institution\.grade/]],
    ['useAccount without an account', { person, visits: [{ ...visit, useAccount: true }] }, [/visits\[0\]\.useAccount: the request names no account/]],
    ['an account with a bad balance', { person, account: { id: 'A1', balance: '-3' }, visits: [visit] }, [/account\.balance/]],
    // The id rule of the service, in an input file too.
    [
      'a NUL in ids',
      { person: { ...person, id: 'p\u00001' }, account: { id: 'A\u0000', balance: 1 }, visits: [{ ...visit, institution: { ...visit.institution, id: 'H\u00001' } }] },
      [/person\.id: must be printable/, /account\.id: must be printable/, /visits\[0\]\.institution\.id: must be printable/],
    ],
    ['an id of 129 characters', { person: { ...person, id: 'p'.repeat(129) }, visits: [visit] }, [/person\.id: must be at most 128 characters/]],
  ];
  for (const [name, body, patterns] of invalid) {
    it(`refuses ${name}: exit 2, each bad field named, nothing on stdout`, async () => {
      const r = await yibao(['settle', requestFile(body)]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      for (const p of patterns) expect(r.stderr).toMatch(p);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    });
  }

  it('refuses a file that is not JSON, and a file that does not exist', async () => {
    const notJson = await yibao(['settle', requestFile('{ nope')]);
    expect(notJson.code).toBe(2);
    expect(notJson.stdout).toBe('');
    expect(notJson.stderr).toMatch(/not valid JSON/);
    const missing = await yibao(['settle', join(dir, 'absent.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot be read/);
  });

  it('reports a visit the documents cannot settle (exit 1), naming the missing parameter, and settles the rest', async () => {
    const r = await yibao([
      'settle',
      requestFile({
        person,
        visits: [
          { ...visit, id: 'd1', type: 'two-diseases' },
          { ...visit, id: 'v2' },
        ],
      }),
    ]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.settlements[0].error.code).toBe('MISSING_PARAMETER');
    expect(out.settlements[0].error.message).toContain('benefits.resident-two-diseases.classes.any.ratio');
    expect(out.settlements[1].fundPay).toBe(65);
    expect(r.stderr).toContain('MISSING_PARAMETER');
  });

  it('settles that visit once a user policy file supplies the parameter, marking it user-supplied', async () => {
    const r = await yibao([
      'settle',
      requestFile({ person, visits: [{ ...visit, id: 'd1', type: 'two-diseases', institution: { ...visit.institution, tier: 'primary', grade: 1 } }] }),
      '--policy-file',
      'examples/user-policy-luoyang-two-diseases.yaml',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout).settlements[0];
    // Example file: no deductible, 50%: 180 × 50% = 90, within the 240 cap of 63号 二(二).
    expect(s).toMatchObject({ fundPay: 90, cashPay: 110, cap: { bucket: 'two-diseases', limit: 240 } });
    expect(JSON.stringify(s.trace)).toContain('用户提供');
  });

  it('refuses a malformed user policy file with exit 2', async () => {
    const bad = join(dir, 'bad-overlay.yaml');
    writeFileSync(bad, 'format: yibao-policy-overlay/1\nextends: luoyang-2024\nparameters:\n  benefits.resident-outpatient.cap: { value: 1, unit: yuan-per-year }\n');
    const r = await yibao(['settle', 'examples/luoyang-resident-2024.json', '--policy-file', bad]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/bad-overlay\.yaml.*benefits\.resident-outpatient\.cap.*source/s);
  });
});

describe('yibao policy missing', () => {
  it('lists what the documents leave open, and drops what a user file supplies', async () => {
    const before = await yibao(['policy', 'missing', 'linfen', '--json']);
    expect(before.code, before.stderr).toBe(0);
    const paths = JSON.parse(before.stdout).map((m: { path: string }) => m.path);
    expect(paths).toContain('contributions.assistance.tekun');
    const after = await yibao(['policy', 'missing', 'linfen', '--json', '--policy-file', 'test/fixtures/linfen-contributions-user.yaml']);
    expect(JSON.parse(after.stdout).map((m: { path: string }) => m.path)).not.toContain('contributions.assistance.tekun');
    expect((await yibao(['policy', 'missing', 'atlantis'])).code).toBe(2);
  });
});

describe('yibao policy', () => {
  it('lists the five documents', async () => {
    const r = await yibao(['policy', 'list']);
    expect(r.code).toBe(0);
    for (const doc of ['洛医保〔2023〕63号', '洛医保〔2022〕36号', '豫医保办〔2023〕71号', '临医保发〔2019〕15号', '濮阳市职工医保门诊共济保障机制实施细则（试行）'])
      expect(r.stdout).toContain(doc);
    const json = JSON.parse((await yibao(['policy', 'list', '--json'])).stdout);
    expect(json).toHaveLength(5);
  });

  it('shows the parameters in force with their sources, by code or alias and date', async () => {
    const r2024 = await yibao(['policy', 'show', 'luoyang', '--date', '2024-05-01']);
    expect(r2024.code).toBe(0);
    expect(r2024.stdout).toContain('洛医保〔2023〕63号');
    expect(r2024.stdout).toContain('280 元/人/年');
    expect(r2024.stdout).toContain('洛医保〔2023〕63号 二(一)2');
    expect(r2024.stdout).toContain('豫医保办〔2023〕71号'); // the province's payment periods apply too
    const r2023 = await yibao(['policy', 'show', '410300', '--date', '2023-05-01']);
    expect(r2023.stdout).toContain('260 元/人/年');
    expect(r2023.stdout).not.toContain('280 元/人/年');
    const puyang = JSON.parse((await yibao(['policy', 'show', 'puyang', '--date', '2022-08-01', '--json'])).stdout);
    const cap = puyang.inForce[0].params.find((p: { path: string }) => p.path === 'benefits.employee-outpatient.cap');
    expect(cap).toMatchObject({ value: '750 元/人/年', source: '濮阳市职工医保门诊共济保障机制实施细则（试行） 第十二条(二)', from: '2022-07-01', to: '2022-12-31' });
  });

  it('says so when nothing is in force, and refuses unknown regions and bad dates', async () => {
    const none = await yibao(['policy', 'show', '410900', '--date', '2021-01-01']);
    expect(none.code).toBe(1);
    expect(none.stdout).toContain('No policy is in force');
    expect((await yibao(['policy', 'show', 'atlantis'])).code).toBe(2);
    const badDate = await yibao(['policy', 'show', 'luoyang', '--date', '2024-02-30']);
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toContain('--date must be a real date');
  });

  it('a command that only reads refuses a ledger file that does not exist, and creates none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'yibao-cli-missing-'));
    const missing = join(dir, 'typo.db');
    for (const args of [['ledger', 'verify'], ['ledger', 'history', 'P-1'], ['audit'], ['keys', 'list'], ['keys', 'revoke', 'K-1']]) {
      const r = await yibao([...args, '--db', missing]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(`账本不存在：${missing}`);
      expect(existsSync(missing), args.join(' ')).toBe(false);
    }
    // The first write makes it; then the reads read it.
    expect((await yibao(['keys', 'create', 'agency', '--db', missing])).code).toBe(0);
    expect((await yibao(['ledger', 'verify', '--db', missing])).code).toBe(0);
  });

  it('refuses unknown commands and options with usage help', async () => {
    expect((await yibao(['frobnicate'])).code).toBe(2);
    expect((await yibao(['settle', '--bogus', 'x'])).code).toBe(2);
    expect((await yibao(['--help'])).stdout).toContain('yibao settle FILE');
  });
});

describe('yibao --version, --help, a mistyped command', () => {
  it('prints the version of package.json', async () => {
    const r = await yibao(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^yibao \d+\.\d+\.\d+\n$/);
  });

  it("prints a command's own usage with --help or -h, exit 0, on stdout only", async () => {
    for (const [args, shows] of [
      [['settle', '--help'], 'yibao settle FILE --format national'],
      [['ledger', 'verify', '--help'], 'yibao ledger history PERSON'],
      [['accounts', '-h'], 'yibao accounts credit-month YYYY-MM'],
      [['serve', '--help'], '--require-enrollment'],
      [['policy', 'check', '--help'], 'yibao policy check CITY --against PROVINCE'],
    ] as const) {
      const r = await yibao([...args]);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain(shows);
      expect(r.stdout).not.toContain('The ledger: a SQLite file');
    }
  });

  it('builds the top-level help from every command', async () => {
    const r = await yibao(['--help']);
    for (const c of ['settle', 'contribution', 'claim', 'enrollment', 'serve', 'ledger', 'audit', 'accounts', 'persons', 'keys', 'simulate', 'policy'])
      expect(r.stdout).toContain(`  yibao ${c} `);
  });

  it('suggests the command a typo meant, exit 2; none when nothing is close', async () => {
    const r = await yibao(['setle', 'x.json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('未知命令 / unknown command "setle"；您是不是要输入 settle？ / did you mean settle?');
    expect((await yibao(['polcy'])).stderr).toContain('did you mean policy?');
    const far = await yibao(['frobnicate']);
    expect(far.code).toBe(2);
    expect(far.stderr).toContain('unknown command "frobnicate"');
    expect(far.stderr).not.toContain('did you mean');
  });
});

describe('yibao claim maternity-grant', () => {
  const claim = {
    claimant: { id: 'g1', region: 'luoyang', scheme: 'employee', sex: 'male', employment: 'employer', maternityInsured: true, contributionsPaid: true },
    employer: { maternityInsuredSince: '2023-03-10' },
    spouse: { hasEmployer: false, residentMaternityBenefit: false },
    birthDate: '2024-03-11',
  };

  it('grants or refuses with exit 0, each condition with its article; reads stdin; --no-trace', async () => {
    // 63号 四(三)2: insured from 2023-03-10, the year is complete from 2024-03-11 → granted, 1000.
    const yes = await yibao(['claim', 'maternity-grant', requestFile(claim)]);
    expect(yes.code, yes.stderr).toBe(0);
    expect(JSON.parse(yes.stdout)).toMatchObject({ claim: 'maternity-grant', granted: true, amount: 1000, policy: '洛医保〔2023〕63号' });
    // A day earlier the year is not complete: refused, citing and quoting 四(三)2.
    const no = await yibao(['claim', 'maternity-grant', '-', '--no-trace'], JSON.stringify({ ...claim, birthDate: '2024-03-10' }));
    expect(no.code, no.stderr).toBe(0);
    const out = JSON.parse(no.stdout);
    expect(out).toMatchObject({
      granted: false,
      amount: 0,
      refusals: [{ condition: 'employer-insured', source: '洛医保〔2023〕63号 四(三)2', quote: '所在单位参加生育保险满1年' }],
    });
    expect(out.trace).toBeUndefined();
  });

  it('exit 1 when no policy in force gives the grant, 2 for bad input or an unknown claim', async () => {
    const early = await yibao(['claim', 'maternity-grant', requestFile({ ...claim, birthDate: '2023-06-01' })]);
    expect(early.code).toBe(1);
    expect(JSON.parse(early.stdout).error.code).toBe('NO_BENEFIT_RULE');
    const bad = await yibao(['claim', 'maternity-grant', requestFile({ ...claim, employer: undefined, spouse: {} })]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    for (const p of [/spouse.hasEmployer/, /spouse.residentMaternityBenefit/]) expect(bad.stderr).toMatch(p);
    expect((await yibao(['claim', 'allowance', requestFile(claim)])).stderr).toMatch(/unknown claim "allowance"; known: maternity-grant/);
    expect((await yibao(['claim'])).code).toBe(2);
    expect((await yibao(['claim', 'maternity-grant'])).code).toBe(2);
  });
});

describe('yibao contribution', () => {
  it('computes the example in examples/: Luoyang 2024, western-policy county, 低保', async () => {
    const r = await yibao(['contribution', 'examples/contribution-luoyang-2024.json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    // 63号 一: 640 + 380 = 1020; 71号 一: 640 × 80% = 512, local 128; 63号 七(二): 低保 80 → 380 − 80 = 300.
    expect(out).toMatchObject({
      region: '410300',
      year: 2024,
      policy: '洛医保〔2023〕63号',
      total: 1020,
      individual: 380,
      subsidy: { total: 640, central: 512, province: null, city: null, county: null, local: 128 },
      assistance: 80,
      payable: 300,
      bounds: { assistance: 'at-least', payable: 'at-most' },
    });
    const sources = out.trace.map((s: { source?: string }) => s.source ?? '').join(' ');
    expect(sources).toContain('洛医保〔2023〕63号 一');
    expect(sources).toContain('豫医保办〔2023〕71号 一');
    expect(sources).toContain('洛医保〔2023〕63号 七(二)');
  });

  it('reads stdin with -, and leaves the trace out with --no-trace', async () => {
    const r = await yibao(['contribution', '-', '--no-trace'], JSON.stringify({ region: '410000', year: 2023, countyType: 'ordinary' }));
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.subsidy).toMatchObject({ central: 384, local: 256 });
    expect(out.trace).toBeUndefined();
  });

  it('exit 1 with the error on stdout and stderr when the documents do not give the year', async () => {
    const r = await yibao(['contribution', requestFile({ region: 'luoyang', year: 2023, countyType: 'ordinary' })]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('NO_CONTRIBUTION_STANDARD');
    expect(r.stderr).toMatch(/NO_CONTRIBUTION_STANDARD: .*2023/);
  });

  it('exit 1 with what is given and each missing figure named, then 0 once a user policy file supplies them', async () => {
    const body = { region: 'linfen', year: 2020, countyType: 'western', hardship: 'tekun' };
    const missing = await yibao(['contribution', requestFile(body)]);
    expect(missing.code).toBe(1);
    // 15号 一(二) gives 2020's individual contribution (250); not the 2020 subsidy, nor 特困's assistance (67号).
    const partial = JSON.parse(missing.stdout);
    expect(partial).toMatchObject({ individual: 250, total: null, assistance: null, payable: null, subsidy: { total: null } });
    expect(partial.missing.map((m: { figure: string }) => m.figure)).toEqual(['subsidy.total', 'total', 'assistance', 'payable', 'criticalIllnessFunding']);
    expect(partial.missing[2]).toMatchObject({ code: 'MISSING_PARAMETER', missing: [{ path: 'contributions.assistance.tekun' }] });
    expect(missing.stderr).toMatch(/MISSING_PARAMETER: .*contributions\.subsidyStandard.*--policy-file/);
    const filled = await yibao(['contribution', requestFile(body), '--policy-file', 'test/fixtures/linfen-contributions-user.yaml']);
    expect(filled.code, filled.stderr).toBe(0);
    const out = JSON.parse(filled.stdout);
    // The user file's 2020 subsidy 550 + 一(二)'s 250 = 800; its 100 for 特困 → pays 150; its 90 for 大病保险.
    // 15号 splits only 2019's subsidy: 2020's levels are not split.
    expect(out).toMatchObject({ total: 800, subsidy: { total: 550, central: null }, assistance: 100, payable: 150, criticalIllnessFunding: 90, missing: [] });
    expect(JSON.stringify(out.trace)).toContain('用户提供');
  });

  it('refuses an invalid request with exit 2, every bad field on stderr, nothing on stdout', async () => {
    const r = await yibao(['contribution', requestFile({ region: 'atlantis', year: 'soon', countyType: 'coastal', hardship: 'rich' })]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    for (const p of [/region: unknown region "atlantis"/, /year:/, /countyType:/, /hardship:/]) expect(r.stderr).toMatch(p);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a monitored person without followsDibao (exit 2), naming the field and the article', async () => {
    const r = await yibao(['contribution', requestFile({ region: 'luoyang', year: 2024, countyType: 'ordinary', hardship: 'monitored' })]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/followsDibao: required.*七\(二\)/);
  });

  it('refuses a file that is not JSON, no FILE, and an unknown option', async () => {
    expect((await yibao(['contribution', requestFile('{ nope')])).stderr).toMatch(/not valid JSON/);
    expect((await yibao(['contribution'])).code).toBe(2);
    expect((await yibao(['contribution', requestFile({}), '--db', 'x.db'])).code).toBe(2);
  });
});

describe('yibao enrollment', () => {
  const payment = {
    requestId: 'cli-pay-1',
    person: { id: 'cli-e1', region: 'luoyang', scheme: 'resident', category: 'adult' },
    coverageYear: 2024,
    paidOn: '2024-03-01',
    amount: '380.00',
    payer: 'self',
  };

  it('derives coverage without a database: extended period, the wait, the articles', async () => {
    const r = await yibao(['enrollment', 'coverage', requestFile({ person: payment.person, coverageYear: 2024, paidOn: '2024-03-01' })]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ period: 'extended', waitingPeriod: { from: '2024-03-02', to: '2024-03-31', days: 30 }, coverage: { from: '2024-04-01', to: '2024-12-31' } });
    expect(JSON.stringify(out.trace)).toContain('洛医保〔2023〕63号 六(三)');
  });

  it('coverage: a payment in neither period exits 1 with the error on stdout; invalid input exits 2 with nothing on stdout', async () => {
    const neither = await yibao(['enrollment', 'coverage', requestFile({ person: payment.person, coverageYear: 2024, paidOn: '2023-08-31' })]);
    expect(neither.code).toBe(1);
    expect(JSON.parse(neither.stdout).error.code).toBe('ENROLLMENT_INVALID');
    expect(neither.stderr).toMatch(/ENROLLMENT_INVALID/);
    const bad = await yibao([
      'enrollment',
      'coverage',
      requestFile({ person: { region: 'atlantis', scheme: 'resident', category: 'adult' }, coverageYear: 'soon', paidOn: '2024-13-01' }),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    for (const p of [/person.region: unknown region/, /coverageYear:/, /paidOn:/]) expect(bad.stderr).toMatch(p);
    expect((await yibao(['enrollment', 'coverage', requestFile({}), '--db', join(dir, 'x.db')])).code).toBe(2);
  });

  it('records a payment, replays it, refuses the id for another payment, lists the history', async () => {
    const db = join(dir, 'enrollment.db');
    const first = await yibao(['enrollment', 'record', requestFile(payment), '--db', db]);
    expect(first.code, first.stderr).toBe(0);
    const rec = JSON.parse(first.stdout);
    expect(rec).toMatchObject({ person: 'cli-e1', amount: 380, payer: 'self', replayed: false, coverage: { benefitsFrom: '2024-04-01' } });
    const again = await yibao(['enrollment', 'record', requestFile(payment), '--db', db]);
    expect(JSON.parse(again.stdout)).toMatchObject({ id: rec.id, replayed: true });
    const conflict = await yibao(['enrollment', 'record', requestFile({ ...payment, amount: 1 }), '--db', db]);
    expect(conflict.code).toBe(1);
    expect(JSON.parse(conflict.stdout).error.code).toBe('IDEMPOTENCY_CONFLICT');

    const list = await yibao(['enrollment', 'list', 'cli-e1', '--db', db]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('2024年度 2024-03-01 缴费 380.00元（个人缴费）：延长缴费期，等待期 2024-03-02至2024-03-31；待遇享受期 2024-04-01至2024-12-31（结算适用）');
    const json = JSON.parse((await yibao(['enrollment', 'list', 'cli-e1', '--db', db, '--json'])).stdout);
    expect(json.enrollments).toHaveLength(1);
    expect((await yibao(['enrollment', 'list', 'nobody', '--db', db])).code).toBe(1);

    // The settle reads the payment on file: nothing during the wait, paid after it.
    const settled = await yibao([
      'settle',
      requestFile({
        person: { id: 'cli-e1', region: '410300', scheme: 'resident', category: 'adult' },
        visits: [
          { ...visit, id: 'cli-e1-v1', time: '2024-03-15T10:00:00+08:00' },
          { ...visit, id: 'cli-e1-v2', time: '2024-04-02T10:00:00+08:00' },
        ],
      }),
      '--db',
      db,
    ]);
    expect(settled.code, settled.stderr).toBe(0);
    expect(JSON.parse(settled.stdout).settlements.map((s: { eligibility: string; fundPay: number }) => [s.eligibility, s.fundPay])).toEqual([
      ['waiting-period', 0],
      ['covered', 65],
    ]);
  });

  it('refuses a bad payment with exit 2, every bad field on stderr, and creates no database', async () => {
    const db = join(dir, 'never.db');
    const r = await yibao(['enrollment', 'record', requestFile({ ...payment, requestId: '', amount: 'lots', payer: 'boss' }), '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    for (const p of [/requestId:/, /amount:/, /payer:/]) expect(r.stderr).toMatch(p);
    expect(existsSync(db)).toBe(false);
    expect((await yibao(['enrollment', 'record'])).code).toBe(2);
    expect((await yibao(['enrollment', 'frobnicate', 'x'])).code).toBe(2);
  });
});
