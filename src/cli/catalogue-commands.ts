/**
 * `yibao catalogue show | price`: a catalogue file (三个目录, src/catalogue; the format is in
 * docs/national.md "The catalogue") read and checked, its items listed, and one fee detail priced
 * item by item (全自费, 超限价, 先行自付, 符合政策范围) as the national routes price it.
 *
 * Exit codes: 0 done; 1 a code the catalogue does not have (NOT_FOUND); 2 invalid input (an
 * option, a file that is not a catalogue — INVALID_CATALOGUE, each problem named — or an amount
 * that is not 数量 × 单价), named on stderr, nothing on stdout.
 */
import { parseArgs } from 'node:util';
import { chinaDay, formatDate, parseDate } from '../calendar/calendar.js';
import { COUNT, decimalProblem, fenOfProduct, plainDecimal, PRICE, scaled } from '../catalogue/decimal.js';
import { CHARGE_TYPES, ITEM_CLASSES, itemOn, LIST_TYPES, parseCatalogue } from '../catalogue/load.js';
import { detailAmountProblem, priceDetail } from '../catalogue/price.js';
import type { Catalogue, CatalogueItem } from '../catalogue/types.js';
import { YibaoError } from '../errors.js';
import type { Table } from '../export/table.js';
import { formatYuan, MAX_AMOUNT_FEN, parseYuan, toYuanNumber, type Fen } from '../money/money.js';
import { RequestError } from '../request/settle-request.js';
import { EXIT_OK, printJson, readInput, UsageError, type Command, type Io } from './io.js';
import { pairs, textTable } from './output.js';

const CATALOGUE_USAGE = `  yibao catalogue show FILE [--code CODE] [--on YYYY-MM-DD] [--json]
      A catalogue file (三个目录, JSON), checked: every problem named (INVALID_CATALOGUE). Its items
      as a table (--code: one code's versions; --on: the versions in force that day).
  yibao catalogue price FILE --code CODE --count N --price P [--amount YUAN] [--on YYYY-MM-DD] [--hospital-self-pay] [--json]
      One fee detail priced by the catalogue: 全自费, 超限价, 先行自付, 符合政策范围 and why.
      N: 数量 (≤ 4 places; a refund line is negative, written --count=-N --amount=-YUAN); P: 单价 in yuan (≤ 6 places); --amount: 明细项目费用总额,
      checked against N × P rounded half away from zero (default: that product). --on: 费用发生日期
      (default: today, China time). --hospital-self-pay: 医院审批标志 2 (审批不通过), all self-paid.
`;

const OPTIONS = {
  code: { type: 'string' },
  on: { type: 'string' },
  count: { type: 'string' },
  price: { type: 'string' },
  amount: { type: 'string' },
  'hospital-self-pay': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

const ALLOWED: Record<string, readonly string[]> = {
  show: ['code', 'on', 'json'],
  price: ['code', 'on', 'count', 'price', 'amount', 'hospital-self-pay', 'json'],
};

/** Reads and checks the catalogue FILE (INVALID_CATALOGUE names each problem). */
async function readCatalogue(file: string, io: Io): Promise<Catalogue> {
  return parseCatalogue(await readInput(file, io), file);
}

/** --on, checked: a real date; today in China when absent. */
function dayOption(v: string | undefined, io: Io): string {
  if (v === undefined) return formatDate(chinaDay((io.now ?? Date.now)()));
  if (parseDate(v) === undefined) throw new RequestError([`--on: 须为真实日期 YYYY-MM-DD / must be a real date YYYY-MM-DD, got ${JSON.stringify(v)}`]);
  return v;
}

/** The catalogue's title line: its name, and 样例目录 when it is the sample. */
const titleOf = (c: Catalogue): string => `${c.name}${c.sample ? '【样例目录，非真实目录数据】' : ''}`;

/** The items as a table with Chinese headers. */
export function itemsTable(items: readonly CatalogueItem[]): Table {
  return {
    name: '目录项目',
    columns: [
      { key: 'code', header: '医疗目录编码', kind: 'text' },
      { key: 'name', header: '名称', kind: 'text' },
      { key: 'listType', header: '目录类别', kind: 'text' },
      { key: 'chargeType', header: '收费项目类别', kind: 'text' },
      { key: 'itemClass', header: '等级', kind: 'text' },
      { key: 'selfPayRatio', header: '先行自付比例', kind: 'text' },
      { key: 'priceLimit', header: '限价（元）', kind: 'text' },
      { key: 'validFrom', header: '有效期起', kind: 'text' },
      { key: 'validTo', header: '有效期止', kind: 'text' },
      { key: 'source', header: '来源', kind: 'text' },
    ],
    rows: items.map((i) => ({
      code: i.code,
      name: i.name,
      listType: `${i.listType} ${LIST_TYPES[i.listType] ?? ''}`,
      chargeType: `${i.chargeType} ${CHARGE_TYPES[i.chargeType] ?? ''}`,
      itemClass: `${i.itemClass} ${ITEM_CLASSES[i.itemClass]}`,
      selfPayRatio: i.selfPayRatio ?? '',
      priceLimit: i.priceLimit === undefined ? '' : plainDecimal(i.priceLimit),
      validFrom: i.validFrom,
      validTo: i.validTo ?? '长期',
      source: i.source,
    })),
  };
}

async function show(file: string, values: { code?: string; on?: string; json?: boolean }, io: Io): Promise<number> {
  const catalogue = await readCatalogue(file, io);
  const day = values.on === undefined ? undefined : dayOption(values.on, io);
  if (values.code !== undefined && !catalogue.items.has(values.code))
    throw new YibaoError('NOT_FOUND', `目录中没有编码 ${values.code} / the catalogue has no code ${JSON.stringify(values.code)}`);
  const codes = values.code === undefined ? [...catalogue.items.keys()] : [values.code];
  const items = codes.flatMap((code) => {
    if (day === undefined) return catalogue.items.get(code) ?? [];
    const item = itemOn(catalogue, code, day);
    return item ? [item] : [];
  });
  if (values.json) {
    printJson(io, { name: catalogue.name, sample: catalogue.sample, ...(day ? { on: day } : {}), items });
    return EXIT_OK;
  }
  io.stdout(`${titleOf(catalogue)}${day ? `，${day} 有效` : ''}\n`);
  io.stdout(textTable(itemsTable(items)));
  return EXIT_OK;
}

/** --amount in yuan, two places, a leading "-" for a refund line. */
function amountOption(v: string): Fen {
  const negative = v.startsWith('-');
  try {
    const fen = parseYuan(negative ? v.slice(1) : v);
    return negative ? -fen : fen;
  } catch (e) {
    throw new RequestError([`--amount: ${(e as Error).message}`]);
  }
}

async function price(
  file: string,
  values: { code?: string; on?: string; count?: string; price?: string; amount?: string; 'hospital-self-pay'?: boolean; json?: boolean },
  io: Io,
): Promise<number> {
  for (const o of ['code', 'count', 'price'] as const) if (values[o] === undefined) throw new UsageError(`catalogue price needs --${o}`);
  const count = values.count as string;
  const unitPrice = values.price as string;
  const problems = [
    decimalProblem(count, COUNT) && `--count: ${decimalProblem(count, COUNT)}`,
    decimalProblem(unitPrice, PRICE) && `--price: ${decimalProblem(unitPrice, PRICE)}`,
  ].filter((p): p is string => typeof p === 'string');
  if (problems.length > 0) throw new RequestError(problems);
  let amount: Fen;
  if (values.amount !== undefined) {
    amount = amountOption(values.amount);
    const problem = detailAmountProblem(count, unitPrice, amount);
    if (problem !== null) throw new RequestError([`--amount: ${problem}`]);
  } else {
    const product = fenOfProduct(scaled(count, COUNT), scaled(unitPrice, PRICE));
    if (product > BigInt(MAX_AMOUNT_FEN) || -product > BigInt(MAX_AMOUNT_FEN))
      throw new RequestError([`--count × --price: 超过 ${formatYuan(MAX_AMOUNT_FEN)} 元 / beyond the largest amount`]);
    amount = Number(product);
  }
  const day = dayOption(values.on, io);
  const catalogue = await readCatalogue(file, io);
  const code = values.code as string;
  const priced = priceDetail(catalogue, { code, count, price: unitPrice, amount, day }, { hospitalSelfPay: values['hospital-self-pay'] === true });
  const item = priced.item;
  if (values.json) {
    printJson(io, {
      catalogue: catalogue.name,
      sample: catalogue.sample,
      med_list_codg: code,
      day,
      cnt: count,
      pric: unitPrice,
      det_item_fee_sumamt: toYuanNumber(amount),
      listed: priced.listed,
      ...(item ? { chrgitm_lv: item.itemClass, med_chrgitm_type: item.chargeType, list_type: item.listType } : {}),
      ...(item?.selfPayRatio !== undefined ? { selfpay_prop: item.selfPayRatio } : {}),
      ...(item?.priceLimit !== undefined ? { pric_uplmt_amt: item.priceLimit } : {}),
      fulamt_ownpay_amt: toYuanNumber(priced.fullOwnPay),
      overlmt_amt: toYuanNumber(priced.overLimit),
      preselfpay_amt: toYuanNumber(priced.preSelfPay),
      inscp_scp_amt: toYuanNumber(priced.eligible),
      memo: priced.memo,
    });
    return EXIT_OK;
  }
  io.stdout(`${titleOf(catalogue)}\n`);
  io.stdout(
    pairs([
      ['项目', item ? `${item.name}（编码${code}，${ITEM_CLASSES[item.itemClass]}）` : `编码${code}（目录外）`],
      ['费用发生日期', day],
      ['数量 × 单价', `${plainDecimal(count)} × ${plainDecimal(unitPrice)} 元`],
      ['明细项目费用总额', `${formatYuan(amount)} 元`],
      ['全自费金额', `${formatYuan(priced.fullOwnPay)} 元`],
      ['超限价金额', `${formatYuan(priced.overLimit)} 元`],
      ['先行自付金额', `${formatYuan(priced.preSelfPay)} 元`],
      ['符合政策范围金额', `${formatYuan(priced.eligible)} 元`],
      ['说明', priced.memo],
    ]),
  );
  return EXIT_OK;
}

async function catalogueCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: OPTIONS });
  const [sub, file, ...rest] = positionals;
  const allowed = ALLOWED[sub ?? ''];
  if (sub === undefined || allowed === undefined) throw new UsageError(`catalogue needs a command: show | price${sub === undefined ? '' : ` (got ${JSON.stringify(sub)})`}`);
  for (const [k, v] of Object.entries(values)) if (v !== undefined && !allowed.includes(k)) throw new UsageError(`--${k} does not go with catalogue ${sub}`);
  if (file === undefined || rest.length > 0) throw new UsageError(`catalogue ${sub} needs one FILE (the catalogue, JSON)`);
  return sub === 'show' ? show(file, values, io) : price(file, values, io);
}

export const CATALOGUE_COMMAND: Command = { name: 'catalogue', summary: '医保目录 / the catalogue: show, price a detail', usage: CATALOGUE_USAGE, run: catalogueCommand };
