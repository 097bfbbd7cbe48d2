// CoMap / CoFlatMap (Flink's connect(...).map / flatMap, unkeyed and keyed) end to end at parallelism 1 and 2, and
// their errors at build time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../../core/index.js';
import { StreamEnvironment } from '../../../core/api/environment.js';
import { JobDefinitionError } from '../../../core/api/errors.js';
import { KEYS, N } from './jobs/co-functions.js';

const sorted = (xs: unknown[]): string[] => xs.map(String).sort();
const range = (f: (i: number) => string): string[] => Array.from({ length: N }, (_, i) => f(i));

for (const parallelism of [1, 2]) {
  test(`connect(...).map / flatMap, unkeyed and keyed, at parallelism ${parallelism}: every record once, through its input's function`, async () => {
    const h = await run<Record<string, unknown[]>>(new URL('./jobs/co-functions.ts', import.meta.url), { parallelism });
    const { collected } = await h.result;
    assert.deepEqual(sorted(collected['out-map']!), sorted([...range((i) => `n${i}`), ...range((i) => `W${i}`)]));
    assert.deepEqual(sorted(collected['out-map-object']!), sorted([...range((i) => `#${i}`), ...range((i) => `#w${i}`)]));
    assert.deepEqual(sorted(collected['out-flat-map']!), sorted([
      ...range((i) => `even ${i}`).filter((_, i) => i % 2 === 0),
      ...range((i) => `tens w${i}`).filter((_, i) => i % 10 === 0),
    ]));
    // Both inputs' records of a key count in one state: per key, the counts are 1..(records of that key), once each.
    const byKey = new Map<number, number[]>();
    for (const [k, c] of collected['out-keyed'] as [number, number][]) byKey.set(k, [...(byKey.get(k) ?? []), c]);
    assert.equal(byKey.size, KEYS);
    for (const [k, counts] of byKey) {
      const records = 2 * Array.from({ length: N }, (_, i) => i).filter((i) => i % KEYS === k).length;
      assert.deepEqual(counts.sort((a, b) => a - b), Array.from({ length: records }, (_, i) => i + 1), `key ${k}`);
    }
    assert.deepEqual(sorted(collected['out-keyed-map']!), sorted([...range((i) => `${i % KEYS}:${i}`), ...range((i) => `${i % KEYS}:w${i}`)]));
  });
}

test('connect(...).map / flatMap without a function per input fail at build time, saying what they expect', () => {
  const env = new StreamEnvironment(1);
  const a = env.fromCollection([1]);
  const b = env.fromCollection(['x']);
  const c = a.connect(b);
  assert.throws(() => c.map((n: number) => n as never, undefined as never), (e: unknown) => e instanceof JobDefinitionError && /connect\(\.\.\.\)\.map after operators 'collection-0' and 'collection-1': expected two functions/.test(e.message));
  assert.throws(() => c.map({ map1: (n: number) => n } as never), (e: unknown) => e instanceof JobDefinitionError && /expected an object with map1 and map2/.test(e.message));
  assert.throws(() => c.flatMap({ flatMap1: () => [] } as never), (e: unknown) => e instanceof JobDefinitionError && /expected an object with flatMap1 and flatMap2/.test(e.message));
  const keyed = c.keyBy((n) => n, (s) => Number(s));
  assert.throws(() => keyed.map({ map1: (n: number) => n } as never), (e: unknown) => e instanceof JobDefinitionError && /keyBy\(\.\.\.\)\.map after operators 'collection-0' and 'collection-1': expected an object with map1 and map2/.test(e.message));
  assert.throws(() => keyed.flatMap({} as never), (e: unknown) => e instanceof JobDefinitionError && /keyBy\(\.\.\.\)\.flatMap after operators 'collection-0' and 'collection-1': expected an object with flatMap1 and flatMap2/.test(e.message));
});
