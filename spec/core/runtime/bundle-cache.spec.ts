// The worker-bundle cache's sweep: what it removes (older bundles, manifests of vanished or unused jobs, dead runs'
// leases, half-written files) and what it keeps (current bundles, young files, bundles a live run leases).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ABANDONED_MS, leaseBundle, STALE_MS, sweepBundleCache, touch } from '../../../core/runtime/bundle-cache.js';

const KEY = { live: 'a'.repeat(24), gone: 'b'.repeat(24), unused: 'c'.repeat(24), fresh: 'd'.repeat(24), older: 'e'.repeat(24), olderUnused: 'f'.repeat(24) };
const bundleName = (key: string, hash: string): string => `worker-${key}-${hash.repeat(16)}.mjs`;

test('sweepBundleCache removes what no run can need and keeps the rest', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bundle-cache-'));
  try {
    const now = Date.now();
    const file = (name: string, ageMs: number, contents = ''): string => {
      const f = path.join(dir, name);
      writeFileSync(f, contents);
      const t = new Date(now - ageMs);
      utimesSync(f, t, t);
      return name;
    };
    const old = STALE_MS + 60_000;
    const bundle = (key: string, hash: string, ageMs: number): string[] => [file(bundleName(key, hash), ageMs), file(`${bundleName(key, hash)}.map`, ageMs)];
    const manifest = (key: string, bundleFile: string, job: string, ageMs: number): string => file(`worker-${key}.json`, ageMs, JSON.stringify({ bundle: bundleFile, job, inputs: [] }));
    const job = path.join(dir, 'job.ts');
    writeFileSync(job, '');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;

    const keep = [
      // A job's current bundle, however old, and its manifest.
      manifest(KEY.live, bundleName(KEY.live, '1'), job, old), ...bundle(KEY.live, '1', old),
      // An older version of it, too young to go.
      ...bundle(KEY.live, '2', 60_000),
      // An older version a live run leases.
      ...bundle(KEY.live, '3', old), file(`${bundleName(KEY.live, '3')}.${process.pid}-0f0f.lease`, old),
      // The manifest of a job whose file is gone, too young to go, and its bundle.
      manifest(KEY.fresh, bundleName(KEY.fresh, '1'), path.join(dir, 'gone.ts'), 60_000), ...bundle(KEY.fresh, '1', old),
      // A manifest of an older version, which does not name its job: a run started before the upgrade holds no
      // lease on its bundle (regression: the first sweep after the upgrade took it from a running job).
      file(`worker-${KEY.older}.json`, old, JSON.stringify({ bundle: bundleName(KEY.older, '1'), inputs: [] })), ...bundle(KEY.older, '1', old),
      // A temporary file young enough to be a build in progress.
      file(`worker-${KEY.live}.json.123-abc.tmp`, 60_000),
    ];
    const removed = [
      // An older version of a job, old.
      ...bundle(KEY.live, '4', old),
      // An older version leased by a run that is gone.
      ...bundle(KEY.live, '5', old), file(`${bundleName(KEY.live, '5')}.${dead}-0f0f.lease`, 60_000),
      // A job written to a temporary directory that is gone: its manifest and bundle.
      manifest(KEY.gone, bundleName(KEY.gone, '1'), path.join(dir, 'gone.ts'), old), ...bundle(KEY.gone, '1', old),
      // A job no run has used for ABANDONED_MS, and an older version's manifest unused as long.
      manifest(KEY.unused, bundleName(KEY.unused, '1'), job, ABANDONED_MS + 60_000), ...bundle(KEY.unused, '1', old),
      file(`worker-${KEY.olderUnused}.json`, ABANDONED_MS + 60_000, JSON.stringify({ bundle: bundleName(KEY.olderUnused, '1'), inputs: [] })), ...bundle(KEY.olderUnused, '1', old),
      // A build killed half-way.
      file(`worker-${KEY.live}.json.123-abc.tmp`.replace('123', '456'), old),
    ];
    sweepBundleCache(dir, now);
    const left = new Set(readdirSync(dir));
    for (const f of keep) assert.ok(left.has(f), `kept: ${f}`);
    for (const f of removed) assert.ok(!left.has(f), `removed: ${f}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('leaseBundle: a lease file beside the bundle until released', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bundle-lease-'));
  try {
    const b = path.join(dir, bundleName(KEY.live, '1'));
    writeFileSync(b, '');
    const release = leaseBundle(pathToFileURL(b).href);
    const leases = (): string[] => readdirSync(dir).filter((f) => f.endsWith('.lease'));
    assert.equal(leases().length, 1);
    assert.ok(leases()[0]!.startsWith(`${path.basename(b)}.${process.pid}-`));
    release();
    assert.deepEqual(leases(), []);
    assert.ok(existsSync(b));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('touch: true for a file it marked used now, false for one that is gone', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bundle-touch-'));
  try {
    const f = path.join(dir, 'x');
    writeFileSync(f, '');
    const t = new Date(Date.now() - 3_600_000);
    utimesSync(f, t, t);
    assert.equal(touch(f), true);
    assert.ok(Date.now() - statSync(f).mtimeMs < 60_000);
    assert.equal(touch(path.join(dir, 'gone')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
