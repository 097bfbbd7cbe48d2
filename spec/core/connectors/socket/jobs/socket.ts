// A job for the socket source test: lines from host:port (the test's TCP server), bad ones dead-lettered.
import { DEAD_LETTERS, defineJob } from '../../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;

export default defineJob((env) => {
  const lines = env.socketTextStream('127.0.0.1', Number(q.get('port')), { maxLineBytes: 64 }).name('socket').onError('dead-letter');
  lines.map((l) => l.toUpperCase()).name('upper').collect().name('out');
  lines.getSideOutput(DEAD_LETTERS).collect().name('dead');
});
