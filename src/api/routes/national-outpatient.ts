/** The national interface: 2201 门诊挂号, 2202 门诊挂号撤销, 2203 门诊就诊信息上传, 2204 门诊费用明细信息上传, 2205 门诊费用明细信息撤销, 5203 结算信息查询, 5204 费用明细查询 (issue 15). */
import type { RoutePlugin } from '../context.js';

export const nationalOutpatientRoutes: RoutePlugin = async (_scope, _opts) => {};
