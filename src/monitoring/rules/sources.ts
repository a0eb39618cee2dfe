/**
 * The articles the supervision rules serve, in the documents' own words (the seeds of the built-in
 * policies; catalogue.test.ts finds each quote in its document). Lines broken by the PDF extraction
 * are joined; the punctuation is the document's.
 */
import type { Citation } from '../types.js';

const PUYANG = '濮阳市职工医保门诊共济保障机制实施细则（试行）';
const LUOYANG_36 = '洛医保〔2022〕36号';
const HENAN_71 = '豫医保办〔2023〕71号';
const LINFEN_15 = '临医保发〔2019〕15号';

/** 濮阳 第二十二条: the abuses supervision strikes at. */
export const PUYANG_22: Citation = {
  document: PUYANG,
  article: '第二十二条',
  quote: '严厉打击过度诊疗、过度检查、不合理用药、过量开药、个人账户套现及提供其他不必要的医药服务等违法违规行为',
};

/** 濮阳 第二十三条: big data and monitoring of medical services. */
export const PUYANG_23: Citation = {
  document: PUYANG,
  article: '第二十三条',
  quote: '运用大数据、人工智能等新技术，健全医疗服务监控、分析、考核体系',
};

/** 洛医保〔2022〕36号 第十六条: institutions that falsify to draw the outpatient pool. */
export const LUOYANG_36_16: Citation = {
  document: LUOYANG_36,
  article: '第十六条',
  quote: '定点医疗机构及其医务人员违反门诊统筹政策规定，弄虚作假、伪造医疗文书骗取、套取城乡居民医疗保险门诊统筹基金的',
};

/** 洛医保〔2022〕36号 第十七条: lending one's card, impersonation. */
export const LUOYANG_36_17: Citation = {
  document: LUOYANG_36,
  article: '第十七条',
  quote: '参保居民违规将本人社会保障卡或医保凭证借给他人使用,或通过弄虚作假、冒名顶替、涂改单据等违法、违规行为，骗取、套取门诊统筹基金的',
};

/** 豫医保办〔2023〕71号 九: routine and intelligent supervision. */
export const HENAN_71_9: Citation = {
  document: HENAN_71,
  article: '九',
  quote: '推进飞行检查、专项整治、日常监管、智能监管、社会监督常态化',
};

/** 豫医保办〔2023〕71号 十: duplicate enrollment. */
export const HENAN_71_10: Citation = {
  document: HENAN_71,
  article: '十',
  quote: '持续开展重复参保数据治理,从源头上避免财政重复补助、重复享受待遇等问题',
};

/** 临医保发〔2019〕15号 二: duplicate enrollment and subsidy. */
export const LINFEN_15_2: Citation = {
  document: LINFEN_15,
  article: '二',
  quote: '防止重复参保、重复补贴',
};
