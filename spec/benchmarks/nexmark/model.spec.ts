// The Nexmark record schemas encode generated events with the typed codec and decode them unchanged; the flat
// event schema carries a mixed stream.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { typedCodec } from '../../../shm/codec/typed.js';
import type { RecordCodec } from '../../../shm/codec/codec.js';
import { nexmarkConfig } from '../../../benchmarks/nexmark/config.js';
import { inOrderEvents } from '../../../benchmarks/nexmark/generator.js';
import { auctionSchema, bidSchema, nexmarkEventSchema, personSchema, type NexmarkEvent } from '../../../benchmarks/nexmark/model.js';

function roundTrip<T>(codec: RecordCodec<T>, value: T): T {
  const enc = codec.encoder();
  const size = enc.size(value);
  const bytes = new Uint8Array(size + 16);
  const view = new DataView(bytes.buffer);
  enc.write(value, bytes, view, 8);
  return codec.decoder().read(bytes, view, 8, size);
}

/** The fields a record kind has, without `kind`. */
function fieldsOf(e: NexmarkEvent): Record<string, unknown> {
  const { kind: _kind, ...rest } = e;
  return rest;
}

test('person, auction and bid schemas round-trip generated records', () => {
  const events = inOrderEvents(nexmarkConfig({ events: 200 }));
  const person = typedCodec(personSchema);
  const auction = typedCodec(auctionSchema);
  const bid = typedCodec(bidSchema);
  for (const e of events) {
    const back = e.kind === 'person' ? roundTrip(person, e) : e.kind === 'auction' ? roundTrip(auction, e) : roundTrip(bid, e);
    assert.deepEqual(back, fieldsOf(e));
  }
});

test('the flat event schema carries every kind, kind tag included', () => {
  const codec = typedCodec(nexmarkEventSchema);
  for (const e of inOrderEvents(nexmarkConfig({ events: 200 }))) {
    const back = roundTrip(codec, e) as unknown as Record<string, unknown>;
    // Fields of other kinds decode as undefined.
    const present = Object.fromEntries(Object.entries(back).filter(([, v]) => v !== undefined));
    assert.deepEqual(present, { ...e });
  }
});
