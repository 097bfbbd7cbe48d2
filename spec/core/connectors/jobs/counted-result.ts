// A custom sink whose `finish` (?hook=finish) or `stopped` (?hook=stopped) returns a record with a getter that
// appends a line to the file ?reads= each time it is read: each structured clone of the result reads it once. With
// ?hook=stopped the source never ends, and the sink's first write makes the file ?marker= so the test can cancel.
import { appendFileSync, writeFileSync } from 'node:fs';
import { defineJob, type SinkSpec } from '../../../../core/index.js';
import { threeNumbers } from './three-numbers.js';

const q = new URL(import.meta.url).searchParams;
const hook = q.get('hook') ?? 'finish';
const reads = q.get('reads')!;
const marker = q.get('marker');

const numbers = threeNumbers(hook === 'finish');

const counted = (written: number): unknown[] => [{ written, get read(): string { appendFileSync(reads, 'read\n'); return 'yes'; } }];

const sink: SinkSpec<number> = {
  kind: 'counted-results', fingerprint: 'counted-results',
  createWriter() {
    let written = 0;
    return {
      write() { if (written++ === 0 && marker !== null) writeFileSync(marker, ''); },
      finish: () => (hook === 'finish' ? counted(written) : undefined),
      stopped: () => (hook === 'stopped' ? counted(written) : undefined),
    };
  },
};

export default defineJob((env) => {
  env.fromSource(numbers).name('numbers').sink(sink).name('counted');
});
