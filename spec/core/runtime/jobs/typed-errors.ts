// A job whose map throws on its third record: ?what=mine (a class of the job's own, with a code and a plain field)
// or connector (one of sluice's exported error classes).
import { defineJob, MalformedJsonError } from '../../../../core/index.js';

export class MineError extends Error {
  readonly code = 'E_MINE';
  readonly extra = 42;
  readonly nested = { not: 'plain' };
  constructor() {
    super('mine');
    this.name = 'MineError';
  }
}

const what = new URL(import.meta.url).searchParams.get('what');

export default defineJob((env) => {
  env.fromCollection([1, 2, 3, 4]).name('numbers')
    .map((x: number) => {
      if (x === 3) throw what === 'mine' ? new MineError() : new MalformedJsonError({ source: 'in.jsonl', line: 3, offset: -1 }, 'Unexpected token');
      return x;
    }).name('explode')
    .discard().name('out');
});
