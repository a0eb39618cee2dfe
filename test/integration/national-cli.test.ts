/**
 * `yibao settle FILE --format national` as a user runs it: the built bin, a real process.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'yibao-national-cli-'));

function yibao(args: string[]) {
  return runCli(args);
}

function requestFile(body: unknown): string {
  const f = join(dir, `req-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, JSON.stringify(body));
  return f;
}

const county = { id: 'H1', tier: 'county', grade: 2, contracted: true };

describe('yibao settle --format national', () => {
  it('prints each visit of the example as setlinfo and setldetail', async () => {
    const r = await yibao(['settle', 'examples/luoyang-resident-2024.json', '--format', 'national']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.settlements[0]).toMatchObject({
      infcode: 0,
      output: {
        setlinfo: {
          setl_id: null,
          mdtrt_id: 'v1',
          insutype: '390',
          med_type: '11',
          setl_time: '2024-03-02 10:00:00',
          medfee_sumamt: '200.00',
          inscp_scp_amt: '180.00',
          act_pay_dedc: '50.00',
          hifp_pay: '65.00',
          fund_pay_sumamt: '65.00',
          psn_part_amt: '135.00',
          psn_cash_pay: '135.00',
        },
        setldetail: [{ fund_pay_type: '390100', fund_payamt: '65.00' }],
      },
    });
    expect(out.settlements[1].output.setlinfo).toMatchObject({ mdtrt_id: 'v2', act_pay_dedc: '0.00' });
  });

  it('a visit the documents cannot settle is infcode -1 with its code, and the exit code 1', async () => {
    const f = requestFile({
      person: { id: 'p1', region: '410300', scheme: 'resident', category: 'adult' },
      visits: [
        { id: 'v1', time: '2024-03-02T10:00:00+08:00', type: 'outpatient', institution: county, total: 300, eligible: 250 },
        { id: 'v2', time: '2024-03-09T10:00:00+08:00', admittedAt: '2024-03-05T10:00:00+08:00', type: 'inpatient', institution: county, total: 3000 },
      ],
    });
    const r = await yibao(['settle', f, '--format', 'national']);
    const out = JSON.parse(r.stdout);
    expect(out.settlements[0].output.setlinfo).toMatchObject({ hifp_pay: '100.00', psn_cash_pay: '200.00' });
    // 63号 has no inpatient rule: the stay is refused, named.
    expect(r.code).toBe(1);
    expect(out.settlements[1]).toMatchObject({ infcode: -1, mdtrt_id: 'v2', err_msg: expect.stringMatching(/^无待遇规则：/) });
  });

  it('a Linfen stay with critical illness: hifp_pay, hifmi_pay and their setldetail rows (390100, 390200)', async () => {
    const r = await yibao(['settle', 'examples/linfen-inpatient-2019.json', '--policy-file', 'examples/linfen-inpatient-user-policy.yaml', '--format', 'national']);
    expect(r.code, r.stderr).toBe(0);
    const [s1] = JSON.parse(r.stdout).settlements;
    // 建档立卡, 三级 (example 1000 / 60%): fund 15000; 15号 三(三): (11000 − 5000) × 80% = 4800; cash 10200.
    expect(s1.output.setlinfo).toMatchObject({
      med_type: '21',
      insutype: '390',
      medfee_sumamt: '30000.00',
      fulamt_ownpay_amt: '4000.00',
      inscp_scp_amt: '26000.00',
      act_pay_dedc: '1000.00',
      hifp_pay: '15000.00',
      hifmi_pay: '4800.00',
      maf_pay: '0.00',
      fund_pay_sumamt: '19800.00',
      psn_part_amt: '10200.00',
      psn_cash_pay: '10200.00',
    });
    expect(s1.output.setldetail).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ fund_pay_type: '390100', fund_payamt: '15000.00' }),
        expect.objectContaining({ fund_pay_type: '390200', fund_payamt: '4800.00' }),
      ]),
    );
  });

  it('--codes hunan-v1.1.27: the same stay in the Hunan edition (med_type 2101, psn_type 15, setldetail 390100 and 390200); --codes without --format national refused', async () => {
    const args = ['settle', 'examples/linfen-inpatient-2019.json', '--policy-file', 'examples/linfen-inpatient-user-policy.yaml', '--format', 'national'];
    const r = await yibao([...args, '--codes', 'hunan-v1.1.27']);
    expect(r.code, r.stderr).toBe(0);
    const [s1] = JSON.parse(r.stdout).settlements;
    expect(s1.output.setlinfo).toMatchObject({ med_type: '2101', insutype: '390', psn_type: '15', hifp_pay: '15000.00', hifmi_pay: '4800.00' });
    expect(s1.output.setldetail.map((d: { fund_pay_type: string; fund_payamt: string }) => [d.fund_pay_type, d.fund_payamt])).toEqual(
      expect.arrayContaining([
        ['390100', '15000.00'],
        ['390200', '4800.00'],
      ]),
    );
    const bad = await yibao(['settle', 'examples/linfen-inpatient-2019.json', '--codes', 'hunan-v1.1.27']);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('--codes is for --format national')]);
  });

  it('a Puyang employee paying from the personal account: 310100 and 310200 rows, balc the balance after', async () => {
    // Puyang 2024 employees at a county grade-2 hospital: deductible 30, 60% of (900 − 30) = 522 from
    // the pooled fund; the account (500) pays the 478 left, keeping 22.
    const f = requestFile({
      person: { id: 'e1', region: '410900', scheme: 'employee', category: 'active' },
      account: { id: 'A-e1', balance: 500 },
      visits: [{ id: 'ev1', time: '2024-03-02T10:00:00+08:00', type: 'outpatient', institution: county, total: 1000, eligible: 900, useAccount: true }],
    });
    const r = await yibao(['settle', f, '--format', 'national']);
    expect(r.code, r.stderr).toBe(0);
    const { setlinfo, setldetail } = JSON.parse(r.stdout).settlements[0].output;
    expect(setlinfo).toMatchObject({
      insutype: '310',
      psn_type: '11',
      act_pay_dedc: '30.00',
      hifp_pay: '522.00',
      pool_prop_selfpay: '0.6000',
      fund_pay_sumamt: '522.00',
      psn_part_amt: '478.00',
      acct_pay: '478.00',
      psn_cash_pay: '0.00',
      balc: '22.00',
    });
    expect(setldetail.map((d: { fund_pay_type: string; fund_payamt: string }) => [d.fund_pay_type, d.fund_payamt])).toEqual([
      ['310100', '522.00'],
      ['310200', '478.00'],
    ]);
  });

  it('with --db: the ledger entry ids', async () => {
    const db = join(dir, 'national.db');
    const f = requestFile({
      person: { id: 'p-db', region: '410300', scheme: 'resident', category: 'adult' },
      visits: [{ id: 'v-db', time: '2024-03-02T10:00:00+08:00', type: 'outpatient', institution: county, total: 300, eligible: 250 }],
    });
    const r = await yibao(['settle', f, '--format', 'national', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.settlements[0].output.setlinfo).toMatchObject({ mdtrt_id: 'v-db', hifp_pay: '100.00' });
    expect(out.settlements[0].output.setlinfo.setl_id).toMatch(/^S-/);
  });

  it('refuses another format, and --format on other commands', async () => {
    const f = requestFile({ person: { id: 'p', region: '410300', scheme: 'resident', category: 'adult' }, visits: [] });
    const bad = await yibao(['settle', f, '--format', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--format is json \(the default\) or national, not "xml"/);
    expect(bad.stdout).toBe('');
    const other = await yibao(['contribution', f, '--format', 'national']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/contribution takes no --format/);
  });
});
