/**
 * The outputs of 【1101】人员信息获取 (baseinfo, insuinfo, idetinfo), 【2001】人员待遇享受检查 (trtinfo)
 * and 【5206】人员累计信息查询 (cuminfo), made from what the ledger knows of a person (the Hunan
 * edition of the national interface specification (V1.1.27)). Pure: the route reads the ledger.
 * The readings are docs/national.md's, "The hospital's session and the person".
 */
import type { Category, Hardship, Scheme } from '../domain.js';
import { HARDSHIP_LABELS } from '../domain.js';
import { formatYuan, type Fen } from '../money/money.js';
import { ageOn } from './certno.js';
import { fundPayTypeOf, insutypeOf, psnTypeOf } from './codes.js';
import { NATIONAL_CODES, type CodeEdition } from './code-editions.js';

/** 人员身份类别 (psn_idet_type) of each hardship group: a reading each (docs/national.md). */
export const HARDSHIP_IDET_TYPES: Readonly<Record<Hardship, { code: string; name: string }>> = {
  dibao: { code: '2303', name: '低保救助对象' },
  tekun: { code: '2304', name: '特困救助对象' },
  // 农村特困人员 are 特困人员 (the 五保 of old were folded into 特困人员救助供养).
  'rural-tekun': { code: '2304', name: '特困救助对象' },
  jiandang: { code: '2302', name: '建档立卡贫困人员' },
  // 返贫致贫人口 and the monitored have no code of their own: the table's local extension of 医疗救助对象.
  fanpin: { code: '2360', name: '地方扩展医疗救助对象人员' },
  monitored: { code: '2360', name: '地方扩展医疗救助对象人员' },
  other: { code: '23', name: '医疗救助人员' },
};

/** The person as 1101 answers them. */
export interface PersonFacts {
  personId: string;
  region: string;
  scheme: Scheme;
  category: Category;
  hardship: Hardship | null;
  identity: { psnCertType: string; certno: string; psnName: string; gend: string; brdy: string | null; naty: string | null };
  /** The open personal account's balance, or null (no account: balc 0.00). */
  balance: Fen | null;
  /** The payments on file (参保缴费): coverage year and day paid (yyyy-MM-dd). */
  payments: readonly { coverageYear: number; paidOn: string }[];
}

/** 1101's output: baseinfo, insuinfo and idetinfo, on the China day `day` (yyyy-MM-dd); insutype and psn_type the edition's. */
export function personInfo(p: PersonFacts, day: string, codes: CodeEdition = NATIONAL_CODES): Record<string, unknown> {
  const year = Number(day.slice(0, 4));
  const paidDays = p.payments.map((x) => x.paidOn).sort();
  const paidForYear = p.payments.some((x) => x.coverageYear === year);
  return {
    baseinfo: {
      psn_no: p.personId,
      psn_cert_type: p.identity.psnCertType,
      certno: p.identity.certno,
      psn_name: p.identity.psnName,
      gend: p.identity.gend,
      naty: p.identity.naty,
      brdy: p.identity.brdy,
      age: p.identity.brdy === null ? null : ageOn(p.identity.brdy, day),
      exp_content: null,
    },
    insuinfo: [
      {
        balc: formatYuan(p.balance ?? 0),
        insutype: insutypeOf(p.scheme, codes).code,
        psn_type: psnTypeOf(p.category, codes)?.code ?? null,
        // 1 正常参保 with a payment for the year asked about; 0 未参保 without (yibao keeps no suspension).
        psn_insu_stas: paidForYear ? '1' : '0',
        psn_insu_date: paidDays[0] ?? null,
        paus_insu_date: null,
        cvlserv_flag: '0',
        insuplc_admdvs: p.region,
        emp_name: null,
      },
    ],
    idetinfo:
      p.hardship === null
        ? []
        : [
            {
              psn_idet_type: HARDSHIP_IDET_TYPES[p.hardship].code,
              psn_type_lv: null,
              memo: `${HARDSHIP_LABELS[p.hardship]}（yibao hardship ${p.hardship}）`,
              // The registry keeps the group, not since when: the first day of the year asked about.
              begntime: `${year}-01-01 00:00:00`,
              endtime: null,
            },
          ],
  };
}

/** One trtinfo row (2001): enjoys (1) or not (0), and why not in Chinese with the article. */
export function trtinfo(
  psnNo: string,
  scheme: Scheme,
  enjoys: boolean,
  begndate: string,
  enddate: string | null,
  reason: string | null,
  codes: CodeEdition = NATIONAL_CODES,
): Record<string, unknown> {
  return {
    psn_no: psnNo,
    trt_chk_type: '01',
    fund_pay_type: fundPayTypeOf('pooled', scheme, codes)?.code ?? null,
    trt_enjymnt_flag: enjoys ? '1' : '0',
    begndate,
    enddate,
    trt_chk_rslt: reason,
    exp_content: null,
  };
}

/** An accumulator view as the ledger gives it (Ledger.accumulators), in yuan. */
export interface CumulativeView {
  year: number;
  caps: readonly { bucket: string; used: number }[];
  deductibleWindows: readonly { bucket: string; day: string; borne: number }[];
}

const fen = (yuan: number): Fen => Math.round(yuan * 100);

/**
 * 5206's cuminfo: a row per cap bucket (cum_type_code the bucket, cum the used amount of the
 * year; cum_ym the month asked, else `asOf`), and a row per deductible bucket and month
 * (cum_type_code `ded:` and the bucket, cum the deductible borne in the month); with cum_ym
 * given, only that month's deductible rows.
 */
export function cuminfo(v: CumulativeView, scheme: Scheme, cumYm: string | undefined, asOf: string, codes: CodeEdition = NATIONAL_CODES): Record<string, unknown>[] {
  const insutype = insutypeOf(scheme, codes).code;
  const year = String(v.year);
  const rows: Record<string, unknown>[] = v.caps.map((c) => ({ insutype, year, cum_ym: cumYm ?? asOf, cum_type_code: c.bucket, cum: formatYuan(fen(c.used)) }));
  const months = new Map<string, Fen>();
  for (const w of v.deductibleWindows) {
    const ym = w.day.slice(0, 7).replace('-', '');
    if (cumYm !== undefined && ym !== cumYm) continue;
    const key = `${ym} ${w.bucket}`;
    months.set(key, (months.get(key) ?? 0) + fen(w.borne));
  }
  for (const [key, borne] of [...months].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const [ym, bucket] = key.split(' ') as [string, string];
    rows.push({ insutype, year, cum_ym: ym, cum_type_code: `ded:${bucket}`, cum: formatYuan(borne) });
  }
  return rows;
}
