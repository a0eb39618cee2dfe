/** The national interface: 9001 签到, 9002 签退, 1101 人员信息获取, 2001 人员待遇享受检查, 5206 人员累计信息查询 (issue 15). */
import type { RoutePlugin } from '../context.js';

export const nationalSessionRoutes: RoutePlugin = async (_scope, _opts) => {};
