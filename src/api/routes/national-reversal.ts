/** The national interface: 2601 冲正交易 (issue 15). */
import type { RoutePlugin } from '../context.js';

export const nationalReversalRoutes: RoutePlugin = async (_scope, _opts) => {};
