// Runs on: any thread. A value as an error message says what it got: numbers as they are, anything else named,
// strings quoted. A '2' read from a flag or an environment variable said as "got 2" looked like a valid number.

/** `2`, `NaN`, `the string "2"`, `the bigint 2n`, `undefined`, `null`, `an array`, `an object`, `a function`. */
export function shownValue(v: unknown): string {
  switch (typeof v) {
    case 'number': case 'boolean': case 'undefined': return String(v);
    case 'string': return `the string ${JSON.stringify(v)}`;
    case 'bigint': return `the bigint ${v}n`;
    case 'symbol': return 'a symbol';
    case 'function': return 'a function';
    default: return v === null ? 'null' : Array.isArray(v) ? 'an array' : 'an object';
  }
}
