// Runs on: main thread (the test). `sluice run --help` names the defaults of options whose value the run decides
// (left undefined in the parsed options): commander printed a default's description only when its value was set,
// so none of them showed (parallelism, threads, checkpoint timeout, ...).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProgram } from '../../../core/cli/main.js';

test('run --help shows the default of every option that has one, also those the run decides', () => {
  const run = createProgram().commands.find((c) => c.name() === 'run')!;
  // Wrapped to the terminal's width: compare with the line breaks and indents folded.
  const help = run.helpInformation().replace(/\s+/g, ' ');
  for (const [flag, text] of [
    ['--parallelism <n>', 'default: available cores'], ['--threads <n>', 'default: available cores'], ['--buffer-timeout <ms>', 'default: 1'],
    ['--state-dir <dir>', 'default: .sluice/<job name> when checkpointing'], ['--checkpoint-mode <mode>', 'default: aligned'],
    ['--checkpoint-timeout <ms>', 'default: 60000'], ['--latency-tracking <ms>', 'default: 0'], ['--metrics-host <host>', 'default: "127.0.0.1"'],
  ] as const) {
    const at = help.indexOf(flag);
    assert.ok(at >= 0, `lists ${flag}`);
    const own = help.slice(at, help.indexOf(' --', at + flag.length));
    assert.ok(own.includes(`${text})`), `${flag} says ${text}: ${own}`);
  }
  // Only in the help: the parsed options keep the run's own defaults (undefined).
  const parsed = createProgram().commands.find((c) => c.name() === 'run')!;
  parsed.action(() => undefined).parse(['x.ts'], { from: 'user' });
  assert.equal(parsed.opts().parallelism, undefined);
  assert.equal(parsed.opts().checkpointTimeout, undefined);
});
