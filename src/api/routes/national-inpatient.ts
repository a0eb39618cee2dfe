/** The national interface: 2401 入院办理, 2402 出院办理, 2403 住院信息变更, 2404 入院撤销, 2405 出院撤销, 2301 住院费用明细上传, 2302 住院费用明细撤销 (issue 15). */
import type { RoutePlugin } from '../context.js';

export const nationalInpatientRoutes: RoutePlugin = async (_scope, _opts) => {};
