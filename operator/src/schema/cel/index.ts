export { compile, compileRule, evaluateCel, CelCompileError, CelEvalError } from './program.ts';
export type { Program } from './program.ts';
export { CelUint, CelTimestamp, CelDuration, CelType, CelIP, CelCIDR, CelOptional, celToString, parseTimestamp, parseDuration } from './values.ts';
