// One followed JSON Lines file (?file=<path>) into a collect sink 'out', checkpointed every 50 ms. With
// ?deleteAt=<i>&marker=<path>: the first record i seen deletes the file and fails the job (once: the marker file
// says it happened), so its restart restores a checkpoint that reads the deleted file on.
import { existsSync, unlinkSync, writeFileSync } from 'node:fs';
import { defineJob, jsonLines } from '../../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const file = q.get('file')!;
const deleteAt = q.get('deleteAt') === null ? undefined : Number(q.get('deleteAt'));
const marker = q.get('marker') ?? '';

export default defineJob((env) => {
  env.enableCheckpointing(50);
  env.fromFiles(file, jsonLines<{ i: number }>(), { follow: true }).name('followed').uid('followed')
    .map((r) => {
      if (r.i === deleteAt && !existsSync(marker)) {
        writeFileSync(marker, '');
        unlinkSync(file);
        throw new Error(`deleted ${file} at record ${r.i}`);
      }
      return r;
    }).name('check')
    .collect().name('out');
});
