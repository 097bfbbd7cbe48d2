// Not part of the suite (no .spec.ts): shows msgpackr-extract corrupting strings while another thread loads it.
//   node spec/shm/codec/native-extract-race.mjs [seconds=40] [loaders=3]
// One worker decodes batches of {id, account, amount, country} records (msgpackr records, as the generic codec
// packs them) with the native extractor on, in a loop; other workers keep starting and importing msgpackr, whose
// addon init (NAPI_MODULE_INIT -> setupTokenTable) clears the process-wide token table and fills it again. A
// decode that reads the table meanwhile takes a uint16 (0xcd) for a one-byte token and a byte of it for a string
// header, and one string field of one record comes back wrong. Seen here: 1 bad batch in 1.67 M decodes over 40 s
// with 631 loader threads ("acc46" decoded as "\uFFFD"). With MSGPACKR_NATIVE_ACCELERATION_DISABLED=true: none.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

if (isMainThread) {
  const seconds = Number(process.argv[2] ?? 40);
  const loaders = Number(process.argv[3] ?? 3);
  const countries = ['DE', 'FR', 'NL', 'US'];
  let s = 11;
  const rnd = (n) => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return (s >>> 8) % n; };
  const recs = Array.from({ length: 5000 }, (_, i) => ({ id: i, account: `acc${rnd(50)}`, amount: rnd(1000), country: countries[rnd(4)] }));
  let stop = false, loads = 0;
  const dec = new Worker(new URL(import.meta.url), { workerData: { role: 'decode', recs, ms: seconds * 1000 } });
  dec.on('message', (m) => {
    if (m.done) { stop = true; console.log(`${m.bad} bad batches in ${m.n} decodes (native extraction ${m.native ? 'on' : 'off'}), ${loads} loader threads`); process.exitCode = m.bad > 0 ? 1 : 0; }
    else console.log('wrong:', m.got, '\nwant: ', m.want);
  });
  for (let k = 0; k < loaders; k++) {
    (async () => { while (!stop) await new Promise((r) => { const w = new Worker(new URL(import.meta.url), { workerData: { role: 'load' } }); loads++; w.on('exit', r); w.on('error', r); }); })();
  }
} else if (workerData.role === 'load') {
  await import('msgpackr');
} else {
  const { Packr, Unpackr, isNativeAccelerationEnabled } = await import('msgpackr');
  const opts = () => ({ useRecords: true, sequential: true, maxOwnStructures: 64, moreTypes: true });
  const { recs, ms } = workerData;
  const packr = new Packr(opts());
  const frames = [];
  for (let i = 0; i < recs.length; i += 32) frames.push(Uint8Array.from(packr.pack(recs.slice(i, i + 32))));
  const want = frames.map((_, k) => JSON.stringify(recs.slice(k * 32, k * 32 + 32)));
  let bad = 0, n = 0;
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const un = new Unpackr(opts());
    const scratch = new Uint8Array(4096);
    for (let k = 0; k < frames.length; k++) {
      scratch.set(frames[k]);
      const got = JSON.stringify(un.unpack(scratch, { start: 0, end: frames[k].length }));
      n++;
      if (got !== want[k]) {
        bad++;
        // The first record that differs.
        const g = JSON.parse(got), w = JSON.parse(want[k]);
        const i = g.findIndex((r, j) => JSON.stringify(r) !== JSON.stringify(w[j]));
        if (bad <= 3) parentPort.postMessage({ got: JSON.stringify(g[i]), want: JSON.stringify(w[i]) });
      }
    }
  }
  parentPort.postMessage({ done: true, bad, n, native: isNativeAccelerationEnabled });
}
