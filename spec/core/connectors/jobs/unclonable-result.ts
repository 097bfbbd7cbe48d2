// A custom sink whose `finish` (?hook=finish) or `stopped` (?hook=stopped) returns what structured clone refuses
// (an object holding a function). With ?hook=stopped the source never ends, and the sink's first write makes the
// file ?marker= so the test knows records flow before it cancels.
import { writeFileSync } from 'node:fs';
import { defineJob, type SinkSpec } from '../../../../core/index.js';
import { threeNumbers } from './three-numbers.js';

const q = new URL(import.meta.url).searchParams;
const hook = q.get('hook') ?? 'finish';
const marker = q.get('marker');

const numbers = threeNumbers(hook === 'finish');

const sink: SinkSpec<number> = {
  kind: 'odd-results', fingerprint: 'odd-results',
  createWriter() {
    let written = 0;
    return {
      write() { if (written++ === 0 && marker !== null) writeFileSync(marker, ''); },
      finish: () => (hook === 'finish' ? { written, done: () => written } : undefined),
      stopped: () => (hook === 'stopped' ? { written, done: () => written } : undefined),
    };
  },
};

export default defineJob((env) => {
  env.fromSource(numbers).name('numbers').sink(sink).name('odd-out');
});
