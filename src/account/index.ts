/**
 * The account model: employees' personal accounts (职工医保个人账户, Puyang 第六条–第八条, 第十四条) and
 * residents' legacy personal (family) accounts (居民医保个人（家庭）账户, Luoyang 36号 第五条, 第八条;
 * 63号 二(一)4). Pure functions over plain data; see account.ts for how to persist the entries.
 */
export { accountShare, append, balance, isClosed, verifyEntries } from './account.js';
export { authorize } from './authorize.js';
export { creditEntry, creditMonth, creditMonthBatch, monthlyCredit, type BatchResult, type CreditOutcome, type CreditSkip, type MonthlyCredit } from './credit.js';
export { rulesAt, RulesAt } from './rules.js';
export * from './types.js';
