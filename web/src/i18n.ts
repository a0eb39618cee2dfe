/**
 * The app's words, Chinese first (zh-CN) with an English switch; the choice is kept in localStorage.
 * Element Plus's own words (its date picker, its empty lists) follow through its locale.
 */
import { computed, ref } from 'vue';
import en from 'element-plus/es/locale/lang/en';
import zhCn from 'element-plus/es/locale/lang/zh-cn';

export type Lang = 'zh-CN' | 'en';

const zh = {
  title: '医保结算',
  subtitle: '基本医疗保险待遇测算',
  language: '语言',
  signIn: '登录',
  signOut: '退出登录',
  signedIn: '已登录',
  apiKey: 'API 密钥',
  apiKeyHint: '密钥只保存在本浏览器会话中（关闭浏览器即清除）。',
  cancel: '取消',
  confirm: '确定',
  nav: '导航',
  calculator: '待遇测算',
  policies: '政策文件',
  notFound: '页面不存在',
  backHome: '返回待遇测算',
  calcIntro: '按参保地政策文件测算一次就诊的费用分担，视为本年度首次就诊（此前未发生起付线和限额的使用）。不保存任何信息，无需登录。',
  person: '参保人',
  visit: '就诊',
  region: '参保地',
  scheme: '险种',
  category: '人员类别',
  hardship: '困难群众类别',
  noHardship: '无',
  tier: '医疗机构级别',
  grade: '医院等级',
  contracted: '定点医疗机构',
  visitType: '就诊类型',
  date: '就诊日期',
  total: '医疗费总额（元）',
  eligible: '政策范围内金额（元）',
  eligibleHint: '不填则视同医疗费总额',
  calculate: '计算',
  calculating: '计算中…',
  share: '复制分享链接',
  copied: '链接已复制',
  result: '测算结果',
  policy: '适用政策',
  split: '费用分担',
  fundPay: '统筹基金',
  criticalIllnessPay: '大病保险',
  assistancePay: '医疗救助',
  accountPay: '个人账户',
  cashPay: '个人现金',
  totalRow: '医疗费总额',
  deductible: '起付标准',
  ratio: '支付比例',
  trace: '计算过程',
  source: '依据',
  quote: '原文',
  errors: '请更正以下问题',
  failed: '无法计算',
  network: '无法连接服务，请稍后重试',
  required: '请填写',
  yuan: '元',
} as const;

export type Key = keyof typeof zh;

const english: Record<Key, string> = {
  title: 'Medical insurance settlement',
  subtitle: 'Benefit calculator',
  language: 'Language',
  signIn: 'Sign in',
  signOut: 'Sign out',
  signedIn: 'Signed in',
  apiKey: 'API key',
  apiKeyHint: 'The key is kept for this browser session only.',
  cancel: 'Cancel',
  confirm: 'OK',
  nav: 'Navigation',
  calculator: 'Calculator',
  policies: 'Policy documents',
  notFound: 'No such page',
  backHome: 'Back to the calculator',
  calcIntro:
    "How one visit is split under the documents of the person's region, as the first visit of the year (no deductible paid, no cap used before). Nothing is saved; no key needed. The trace is the engine's, in Chinese.",
  person: 'Insured person',
  visit: 'Visit',
  region: 'Region',
  scheme: 'Scheme',
  category: 'Category',
  hardship: 'Hardship group',
  noHardship: 'None',
  tier: 'Institution tier',
  grade: 'Hospital grade',
  contracted: 'Contracted institution',
  visitType: 'Visit type',
  date: 'Visit date',
  total: 'Total (yuan)',
  eligible: 'Eligible amount (yuan)',
  eligibleHint: 'Empty: the same as the total',
  calculate: 'Calculate',
  calculating: 'Calculating…',
  share: 'Copy the link',
  copied: 'Link copied',
  result: 'Result',
  policy: 'Policy',
  split: 'Split',
  fundPay: 'Pooled fund',
  criticalIllnessPay: 'Critical illness insurance',
  assistancePay: 'Medical assistance',
  accountPay: 'Personal account',
  cashPay: 'Cash',
  totalRow: 'Total',
  deductible: 'Deductible',
  ratio: 'Ratio',
  trace: 'How it was calculated',
  source: 'Article',
  quote: 'Text',
  errors: 'Please correct',
  failed: 'Cannot calculate',
  network: 'The service cannot be reached; try again',
  required: 'Required',
  yuan: 'yuan',
};

const stored = typeof localStorage === 'undefined' ? null : localStorage.getItem('yibao.lang');
export const lang = ref<Lang>(stored === 'en' ? 'en' : 'zh-CN');

export function setLang(l: Lang): void {
  lang.value = l;
  localStorage.setItem('yibao.lang', l);
  document.documentElement.lang = l;
}

export function t(key: Key): string {
  return lang.value === 'en' ? english[key] : zh[key];
}

export const elementLocale = computed(() => (lang.value === 'en' ? en : zhCn));
