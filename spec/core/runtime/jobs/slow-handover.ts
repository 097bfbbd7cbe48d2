// Runs until cancelled: numbers into a collect sink, chained (records stay the objects emitted). Record AT is held
// (held-record.ts): a structured clone reads its getter, so the cancelled run's handover of the sink's records
// blocks in it until the file `release` exists; with ?read=<path>, the getter first writes that file.
// With ?count=<n>, the source is bounded (n records): the sink's end posts them (a finished sink's tail).
// ?release=<path>[&read=<path>][&count=<n>]
import { heldRecord } from './held-record.js';
import { defineJob } from '../../../../core/index.js';

export const AT = 1000;
const params = new URL(import.meta.url).searchParams;
const release = params.get('release') ?? '';
const read = params.get('read');
const count = params.get('count');

export default defineJob((env) => {
  env.fromGenerator({ seed: 1, ...(count === null ? {} : { count: Number(count) }) }, (i) => (i === AT ? heldRecord(i, { release, read }) : { i })).name('numbers')
    .collect().name('out');
});
