// Runs on: any thread. The shared-memory transport: rings, channels and record codecs.

export * from './errors.js';
export { Ring, RingProducer, RingConsumer, type RingEndOptions, MIN_RING_CAPACITY, MAX_RING_CAPACITY } from './ring.js';
export { Doorbell } from './doorbell.js';
export { waitStrategy, type WaitStrategy, type WaitMode } from './wait-strategy.js';
export { ChannelWriter, ChannelReader, EMPTY, RECORD, CONTROL, END, type PollResult, type ChannelItem, type ChannelOptions } from './channel.js';
export type { RecordCodec, RecordEncoder, RecordDecoder } from './codec/codec.js';
export { encodeControl, decodeControl, type ControlFrame } from './codec/control.js';
