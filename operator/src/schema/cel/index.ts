export { compile, compileRule, evaluateCel, CelCompileError, CelEvalError } from './program.ts';
export type { Program } from './program.ts';
export {
  CelDuration, CelOptional, CelUint, celToString, daysInMonth, formatTimestamp, fromJson, parseDuration, parseTimestamp,
} from './convert.ts';
export { CelCIDR, CelIP, CelURL } from './network.ts';
export { CelQuantity } from './quantity.ts';
export { re2 } from './regex.ts';
