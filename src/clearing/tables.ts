/**
 * The clearing results as tables (报表) with Chinese headers, for the files people open (JSON, CSV
 * UTF-8 with BOM or GBK, XLSX: src/export). One builder per result, shared by the service and the
 * command line, so the same export has the same columns everywhere.
 */
import type { Table } from '../export/table.js';
import { FIELD_LABELS, type DetailDifference } from './reconcile.js';

/** Fen of a yuan number the ledger printed (toYuanNumber): exact for any amount the ledger holds. */
const fen = (yuan: unknown): number => Math.round(Number(yuan ?? 0) * 100);

type Row = Record<string, unknown>;

/** 清算单汇总: one row per statement (listStatements' rows). */
export function statementsTable(rows: readonly Row[]): Table {
  return {
    name: '清算单',
    columns: [
      { key: 'period', header: '清算期', kind: 'text' },
      { key: 'institution', header: '定点医药机构编号', kind: 'text' },
      { key: 'centre', header: '结算经办机构', kind: 'text' },
      { key: 'settlements', header: '结算笔数', kind: 'count' },
      { key: 'reversals', header: '退费笔数', kind: 'count' },
      { key: 'medfee_sumamt', header: '医疗费总额（元）', kind: 'fen' },
      { key: 'fund_pay_sumamt', header: '基金支付总额（元）', kind: 'fen' },
      { key: 'acct_pay', header: '个人账户支付（元）', kind: 'fen' },
      { key: 'cash_payamt', header: '现金支付（元）', kind: 'fen' },
      { key: 'payable', header: '应支付金额（元）', kind: 'fen' },
    ],
    rows: rows.map((r) => ({
      period: String(r.period),
      institution: String(r.institution),
      centre: String(r.centre),
      settlements: Number(r.settlements),
      reversals: Number(r.reversals),
      medfee_sumamt: fen(r.medfee_sumamt),
      fund_pay_sumamt: fen(r.fund_pay_sumamt),
      acct_pay: fen(r.acct_pay),
      cash_payamt: fen(r.cash_payamt),
      payable: fen(r.payable),
    })),
  };
}

/** One statement: its classes (险种 × 清算类别) and its funds (基金支付类型). */
export function statementTables(body: Row): Table[] {
  const classes = (body.classes ?? []) as {
    insutype: string;
    insutype_name: string;
    clr_type: string;
    clr_type_name: string;
    settlements: number;
    reversals: number;
    totals: Row;
  }[];
  const funds = (body.funds ?? []) as { insutype: string; clr_type: string; fund_pay_type: string; fund_pay_type_name: string; amount: number }[];
  const head = `${String(body.period)} ${String(body.institution)}`;
  return [
    {
      name: '清算类别',
      columns: [
        { key: 'statement', header: '清算单', kind: 'text' },
        { key: 'insutype', header: '险种', kind: 'text' },
        { key: 'clr_type', header: '清算类别', kind: 'text' },
        { key: 'settlements', header: '结算笔数', kind: 'count' },
        { key: 'reversals', header: '退费笔数', kind: 'count' },
        { key: 'medfee_sumamt', header: '医疗费总额（元）', kind: 'fen' },
        { key: 'fund_pay_sumamt', header: '基金支付总额（元）', kind: 'fen' },
        { key: 'acct_pay', header: '个人账户支付（元）', kind: 'fen' },
        { key: 'cash_payamt', header: '现金支付（元）', kind: 'fen' },
      ],
      rows: classes.map((c) => ({
        statement: head,
        insutype: `${c.insutype} ${c.insutype_name}`,
        clr_type: `${c.clr_type} ${c.clr_type_name}`,
        settlements: c.settlements,
        reversals: c.reversals,
        medfee_sumamt: fen(c.totals.medfee_sumamt),
        fund_pay_sumamt: fen(c.totals.fund_pay_sumamt),
        acct_pay: fen(c.totals.acct_pay),
        cash_payamt: fen(c.totals.cash_payamt),
      })),
    },
    {
      name: '基金支付',
      columns: [
        { key: 'statement', header: '清算单', kind: 'text' },
        { key: 'insutype', header: '险种', kind: 'text' },
        { key: 'clr_type', header: '清算类别', kind: 'text' },
        { key: 'fund_pay_type', header: '基金支付类型', kind: 'text' },
        { key: 'name', header: '基金名称', kind: 'text' },
        { key: 'amount', header: '支付金额（元）', kind: 'fen' },
      ],
      rows: funds.map((f) => ({ statement: head, insutype: f.insutype, clr_type: f.clr_type, fund_pay_type: f.fund_pay_type, name: f.fund_pay_type_name, amount: fen(f.amount) })),
    },
  ];
}

/** 中心清算汇总: what each paying centre owes its institutions. */
export function centresTable(rows: readonly Row[]): Table {
  return {
    name: '经办机构汇总',
    columns: [
      { key: 'period', header: '清算期', kind: 'text' },
      { key: 'centre', header: '结算经办机构', kind: 'text' },
      { key: 'name', header: '经办机构名称', kind: 'text' },
      { key: 'institutions', header: '机构数', kind: 'count' },
      { key: 'settlements', header: '结算笔数', kind: 'count' },
      { key: 'reversals', header: '退费笔数', kind: 'count' },
      { key: 'fund_pay_sumamt', header: '基金支付总额（元）', kind: 'fen' },
      { key: 'acct_pay', header: '个人账户支付（元）', kind: 'fen' },
      { key: 'payable', header: '应支付金额（元）', kind: 'fen' },
    ],
    rows: rows.map((r) => ({
      period: String(r.period),
      centre: String(r.centre),
      name: r.name === null || r.name === undefined ? null : String(r.name),
      institutions: Number(r.institutions),
      settlements: Number(r.settlements),
      reversals: Number(r.reversals),
      fund_pay_sumamt: fen(r.fund_pay_sumamt),
      acct_pay: fen(r.acct_pay),
      payable: fen(r.payable),
    })),
  };
}

/** 区县上解资金清算 (洛医保〔2023〕63号 三(三)). */
export function districtsTable(rows: readonly Row[]): Table {
  return {
    name: '上解资金清算',
    columns: [
      { key: 'period', header: '清算期', kind: 'text' },
      { key: 'district', header: '县区编码', kind: 'text' },
      { key: 'name', header: '县区', kind: 'text' },
      { key: 'remitted', header: '上解资金（元）', kind: 'fen' },
      { key: 'paidByCity', header: '市医保中心实际支付（元）', kind: 'fen' },
      { key: 'balance', header: '结余（缺口为负，元）', kind: 'fen' },
    ],
    rows: rows.map((r) => ({
      period: String(r.period),
      district: String(r.district),
      name: String(r.name),
      remitted: fen(r.remitted),
      paidByCity: fen(r.paidByCity),
      balance: fen(r.balance),
    })),
  };
}

export const DIFFERENCE_LABELS: Readonly<Record<string, string>> = {
  'missing-in-ledger': '医保端无此记录',
  'missing-in-hospital': '医院端无此记录',
  'refund-incomplete': '退费正反记录不全',
  'amount-differs': '金额不一致',
  'field-differs': '信息不一致',
  duplicated: '重复记录',
};

/** 对账差异明细. */
export function differencesTable(rows: readonly DetailDifference[]): Table {
  return {
    name: '对账差异',
    columns: [
      { key: 'setl_id', header: '结算ID', kind: 'text' },
      { key: 'mdtrt_id', header: '就诊ID', kind: 'text' },
      { key: 'psn_no', header: '人员编号', kind: 'text' },
      { key: 'refd_setl_flag', header: '退费结算标志', kind: 'text' },
      { key: 'class', header: '差异类型', kind: 'text' },
      { key: 'fields', header: '不一致字段', kind: 'text' },
      { key: 'hospital_medfee', header: '医院医疗费总额（元）', kind: 'fen' },
      { key: 'ledger_medfee', header: '医保医疗费总额（元）', kind: 'fen' },
      { key: 'hospital_fund', header: '医院基金支付（元）', kind: 'fen' },
      { key: 'ledger_fund', header: '医保基金支付（元）', kind: 'fen' },
      { key: 'hospital_acct', header: '医院个人账户（元）', kind: 'fen' },
      { key: 'ledger_acct', header: '医保个人账户（元）', kind: 'fen' },
      { key: 'memo', header: '备注', kind: 'text' },
    ],
    rows: rows.map((d) => ({
      setl_id: d.setl_id,
      mdtrt_id: d.mdtrt_id,
      psn_no: d.psn_no,
      refd_setl_flag: d.refd_setl_flag === '1' ? '1 是' : '0 否',
      class: DIFFERENCE_LABELS[d.class] ?? d.class,
      fields: d.fields.map((f) => FIELD_LABELS[f]).join('、'),
      hospital_medfee: d.hospital?.medfee_sumamt ?? null,
      ledger_medfee: d.ledger?.medfee_sumamt ?? null,
      hospital_fund: d.hospital?.fund_pay_sumamt ?? null,
      ledger_fund: d.ledger?.fund_pay_sumamt ?? null,
      hospital_acct: d.hospital?.acct_pay ?? null,
      ledger_acct: d.ledger?.acct_pay ?? null,
      memo: d.memo,
    })),
  };
}
