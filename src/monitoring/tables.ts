/**
 * Budgets, statements, warnings and high-cost patients as tables (报表) with Chinese headers, for
 * the files people open (CSV UTF-8 with BOM or GBK, XLSX: src/export) and the CLI's terminal
 * tables. One builder per result, shared by the service and the command line.
 */
import type { Column, Table } from '../export/table.js';
import type { AccountStatement, BudgetRecord } from './budget.js';
import { hardshipLabel, type HighCostPatient } from './high-cost.js';
import type { Hardship } from '../domain.js';

const col = (key: string, header: string, kind: Column['kind']): Column => ({ key, header, kind });

const basisText = (b: BudgetRecord['basis']): string =>
  b.method === 'entered' ? '录入' : `${b.persons} 人 × ${b.rateText}（${b.citation.citation}；人数${b.personsSource === 'ledger' ? '由账本统计' : '由经办机构录入'}）`;

/** 预算: one row per budget (in force, or every revision). */
export function budgetsTable(rows: readonly BudgetRecord[]): Table {
  return {
    name: '预算',
    columns: [
      col('area', '县区', 'text'),
      col('year', '年度', 'count'),
      col('account', '账户', 'text'),
      col('amount', '预算金额（元）', 'fen'),
      col('basis', '确定方式', 'text'),
      col('note', '备注', 'text'),
      col('recordedBy', '录入人', 'text'),
      col('recordedAt', '录入时间', 'datetime'),
      col('requestId', '请求编号', 'text'),
    ],
    rows: rows.map((b) => ({
      area: b.area,
      year: b.year,
      account: b.account,
      amount: b.amount,
      basis: basisText(b.basis),
      note: b.note,
      recordedBy: b.recordedBy,
      recordedAt: b.recordedAt,
      requestId: b.requestId,
    })),
  };
}

/** 预算账户支出: one row per payment out of a separate account. */
export function paymentsTable(
  rows: readonly { area: string; year: number; account: string; amount: number; paidOn: string; note: string | null; requestId: string; recordedBy: string }[],
): Table {
  return {
    name: '预算账户支出',
    columns: [
      col('area', '县区', 'text'),
      col('year', '年度', 'count'),
      col('account', '账户', 'text'),
      col('amount', '支付金额（元）', 'fen'),
      col('paidOn', '支付日期', 'date'),
      col('note', '备注', 'text'),
      col('recordedBy', '录入人', 'text'),
      col('requestId', '请求编号', 'text'),
    ],
    rows: rows.map((p) => ({ ...p })),
  };
}

/** Whether a warning fired, in words. */
export const warningWord = (s: AccountStatement): string => (!s.warning.evaluated ? '未评估' : s.warning.fires ? '预警' : '正常');

/** 预算执行: one row per account of an area's statement (or of every area's, with the area). */
export function statementTable(accounts: readonly AccountStatement[], name = '预算执行'): Table {
  return {
    name,
    columns: [
      col('area', '县区', 'text'),
      col('year', '年度', 'count'),
      col('account', '账户', 'text'),
      col('label', '账户名称', 'text'),
      col('asOf', '截至', 'date'),
      col('budget', '预算（元）', 'fen'),
      col('carriedIn', '上年结转（元）', 'fen'),
      col('available', '可用额度（元）', 'fen'),
      col('spent', '已支出（元）', 'fen'),
      col('balance', '结余（元）', 'fen'),
      col('overspent', '超支（元）', 'fen'),
      col('projected', '年末预计（元）', 'fen'),
      col('method', '预测方法', 'text'),
      col('backtest', '回测平均误差（基点）', 'count'),
      col('warning', '预警', 'text'),
      col('text', '说明', 'text'),
    ],
    rows: accounts.map((s) => ({
      area: s.area,
      year: s.year,
      account: s.account,
      label: s.label,
      asOf: s.asOf,
      budget: s.budget?.amount ?? null,
      carriedIn: s.carriedIn,
      available: s.available,
      spent: s.spentToDate,
      balance: s.balance,
      overspent: s.overspent,
      projected: s.projection?.projected ?? null,
      method: s.projection?.methodLabel ?? null,
      backtest: s.projection?.meanAbsErrorBp ?? null,
      warning: warningWord(s),
      text: [s.warning.evaluated ? s.warning.text : s.warning.reason, ...(s.carry ? [s.carry.text] : []), ...s.notes].join('；'),
    })),
  };
}

/** 按月支出: each account's spending by month. */
export function monthsTable(accounts: readonly AccountStatement[]): Table {
  const months = Array.from({ length: 12 }, (_, i) => col(`m${i + 1}`, `${i + 1}月（元）`, 'fen'));
  return {
    name: '按月支出',
    columns: [col('area', '县区', 'text'), col('year', '年度', 'count'), col('account', '账户', 'text'), ...months, col('total', '合计（元）', 'fen')],
    rows: accounts.map((s) => ({
      area: s.area,
      year: s.year,
      account: s.account,
      ...Object.fromEntries(s.months.map((m, i) => [`m${i + 1}`, m])),
      total: s.spentToDate,
    })),
  };
}

/** 高额费用负担患者: one row per person listed. */
export function highCostTable(rows: readonly HighCostPatient[]): Table {
  return {
    name: '高额费用负担患者',
    columns: [
      col('person', '人员编号', 'text'),
      col('district', '县区', 'text'),
      col('hardship', '困难类别', 'text'),
      col('settlements', '结算笔数', 'count'),
      col('total', '医疗费总额（元）', 'fen'),
      col('fund', '统筹基金（元）', 'fen'),
      col('critical', '大病保险（元）', 'fen'),
      col('assistance', '医疗救助（元）', 'fen'),
      col('account', '个人账户（元）', 'fen'),
      col('cash', '现金（元）', 'fen'),
      col('yearBurden', '年度个人负担（元）', 'fen'),
      col('windowBurden', '窗口期个人负担（元）', 'fen'),
      col('capUsed', '大病保险年度已用（元）', 'fen'),
      col('capLimit', '大病保险封顶线（元）', 'fen'),
      col('text', '列入原因', 'text'),
    ],
    rows: rows.map((p) => ({
      person: p.person,
      district: p.district,
      hardship: hardshipLabel(p.hardship),
      settlements: p.year.settlements,
      total: p.year.total,
      fund: p.year.fund,
      critical: p.year.criticalIllness,
      assistance: p.year.assistance,
      account: p.year.account,
      cash: p.year.cash,
      yearBurden: p.yearBurden,
      windowBurden: p.windowBurden,
      capUsed: p.criticalIllness.cap?.used ?? null,
      capLimit: p.criticalIllness.cap?.limit ?? null,
      text: p.text,
    })),
  };
}

/** 高额费用负担患者人数: by district and hardship group, no personal data. */
export function highCostCountsTable(rows: readonly { area: string; hardship: Hardship | null; persons: number }[]): Table {
  return {
    name: '高额费用负担患者人数',
    columns: [col('area', '县区', 'text'), col('hardship', '困难类别', 'text'), col('persons', '人数', 'count')],
    rows: rows.map((r) => ({ area: r.area || '未登记县区', hardship: hardshipLabel(r.hardship), persons: r.persons })),
  };
}
