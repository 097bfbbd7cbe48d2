// Runs on: any thread. An option that must be a number is checked with `isNumber` before its range: a comparison
// coerces, so the string '5000' passed `x > 0` and `x >= 1` and went on as a string ('5000' + 1 is '50001'),
// and a number read from a flag, a file or an environment variable is easily still one. Number.isInteger and
// Number.isFinite coerce nothing and need no more. Messages show what came with shownValue ('the string "5000"').

/** `v` is a number other than NaN (which no range check takes either). */
export function isNumber(v: unknown): v is number {
  return typeof v === 'number' && v === v;
}
