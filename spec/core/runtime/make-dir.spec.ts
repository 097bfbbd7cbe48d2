// makeDir: `mkdir -p` that ends with an error where Node's recursive mkdirSync never returns (`--state-dir /proc/x`
// hung the CLI before any message: an old operations finding).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDir } from '../../../core/runtime/make-dir.js';

test('makeDir makes every missing level, accepts an existing directory, and names a file in the way', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-make-dir-'));
  try {
    const deep = join(dir, 'a', 'b', 'c');
    makeDir(deep);
    assert.ok(statSync(deep).isDirectory());
    makeDir(deep);
    makeDir(dir);
    const file = join(dir, 'afile');
    writeFileSync(file, 'x');
    assert.throws(() => makeDir(join(file, 'x', 'y')), (e: NodeJS.ErrnoException) => e.code === 'ENOTDIR' && e.message.includes(file));
    assert.throws(() => makeDir(file), (e: NodeJS.ErrnoException) => e.code === 'ENOTDIR');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('makeDir calls syncParent with the parent of each level it made, top down, and not for levels that were there', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-make-dir-'));
  try {
    const synced: string[] = [];
    makeDir(join(dir, 'a', 'b'), (p) => synced.push(p));
    assert.deepEqual(synced, [dir, join(dir, 'a')]);
    synced.length = 0;
    makeDir(join(dir, 'a', 'b', 'c'), (p) => synced.push(p));
    makeDir(join(dir, 'a', 'b', 'c'), (p) => synced.push(p));
    assert.deepEqual(synced, [join(dir, 'a', 'b')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// In a child process: the bug is a synchronous loop, which no test timeout in this process could end.
test('a state directory under /proc is a StateDirError naming it, not a hang', { skip: !existsSync('/proc/self') }, () => {
  const script = `
    import { CheckpointStore } from ${JSON.stringify(new URL('../../../core/checkpoint/store.ts', import.meta.url).href)};
    CheckpointStore.open('/proc/sluice-no-such/state').then(
      () => console.log('opened'),
      (e) => console.log(e.name + ': ' + e.message));`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(child.signal, null, `the child hung (killed by ${child.signal}); stderr: ${child.stderr}`);
  assert.match(child.stdout, /^StateDirError: state directory \/proc\/sluice-no-such\/state cannot be created: ENOENT.*'\/proc\/sluice-no-such'/m);
});
