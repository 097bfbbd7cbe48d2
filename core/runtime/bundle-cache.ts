// Runs on: the main thread (run() and the worker bundler). What keeps the worker-bundle cache from growing without
// end: leases on the bundles of running jobs, and a sweep of what no run can still need.
//
// The cache (worker-bundle.ts) holds, per job file, a manifest `worker-<key>.json` naming that job's current bundle
// `worker-<key>-<hash>.mjs` (and its `.map`). A sweep, after each build, removes:
//   - a bundle no manifest names (an older version of a job), once it is STALE_MS old, unless a live run leases it;
//   - a manifest whose job file is gone (a job written to a temporary directory) or that no run has used for
//     ABANDONED_MS, once it is STALE_MS old; its bundle then goes too, by the first rule;
//   - a lease whose process is gone, and temporary files STALE_MS old (a build killed half-way).
// A running job reloads its bundle when it restarts after a failure, possibly days later: its lease
// (`<bundle>.<pid>-<uuid>.lease`, removed when the run ends) keeps it. A cache hit touches the bundle before it
// returns it, so STALE_MS covers the run until it leases the bundle.

import { existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';

/** Files younger than this are never removed: a run that just read a manifest may still be about to load them. */
export const STALE_MS = 10 * 60_000;
/** A manifest no run has used for this long is dropped (cache hits touch it). */
export const ABANDONED_MS = 14 * 86_400_000;

const MANIFEST = /^worker-[0-9a-f]+\.json$/;
const BUNDLE = /^(worker-[0-9a-f]+-[0-9a-f]+\.mjs)(\.map)?$/;
const LEASE = /^(worker-[0-9a-f]+-[0-9a-f]+\.mjs)\.(\d+)-[0-9a-f-]+\.lease$/;
const TEMPORARY = /\.tmp(\.mjs)?$/;

/** Claims the bundle at `bundleUrl` for this process until the returned function is called. */
export function leaseBundle(bundleUrl: string): () => void {
  const file = `${fileURLToPath(bundleUrl)}.${process.pid}-${randomUUID()}.lease`;
  try {
    writeFileSync(file, '');
  } catch {
    return () => {}; // a read-only cache: nothing sweeps it either
  }
  return () => rmSync(file, { force: true });
}

/**
 * Marks a cache file used now: a manifest (the sweep drops those unused for ABANDONED_MS) or a bundle a run is
 * about to load (the sweep leaves files younger than STALE_MS). False when the file is gone; true when it exists
 * but cannot be touched (a read-only cache, which nothing sweeps).
 */
export function touch(file: string): boolean {
  try {
    const now = new Date();
    utimesSync(file, now, now);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function mtime(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** What a cache manifest says of its job: the bundle it names and the job file (absent in older manifests). */
function manifestOf(file: string): { bundle: string; job: string | undefined } | undefined {
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as { bundle?: unknown; job?: unknown };
    return typeof m.bundle === 'string' ? { bundle: m.bundle, job: typeof m.job === 'string' ? m.job : undefined } : undefined;
  } catch {
    return undefined;
  }
}

/** Removes from the cache at `dir` what no run can still need (see the top of this file); `now` is Date.now(). */
export function sweepBundleCache(dir: string, now = Date.now()): void {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return;
  }
  const stale = (t: number | undefined): boolean => t !== undefined && now - t > STALE_MS;
  const old = (f: string): boolean => stale(mtime(path.join(dir, f)));
  const remove = (f: string): void => rmSync(path.join(dir, f), { force: true });
  const kept = new Set<string>();
  for (const f of files) {
    const lease = LEASE.exec(f);
    if (lease === null) continue;
    if (alive(Number(lease[2]))) kept.add(lease[1]!);
    else remove(f);
  }
  for (const f of files) {
    if (!MANIFEST.test(f)) continue;
    const m = manifestOf(path.join(dir, f));
    const t = mtime(path.join(dir, f));
    // A manifest from before manifests named their job goes only when unused for ABANDONED_MS: a job started before
    // the upgrade holds no lease on its bundle, and its restarts reload it.
    const abandoned = m === undefined || (m.job !== undefined && !existsSync(m.job)) || (t !== undefined && now - t > ABANDONED_MS);
    if (!abandoned) kept.add(m.bundle);
    else if (stale(t)) remove(f);
    else if (m !== undefined) kept.add(m.bundle);
  }
  for (const f of files) {
    const b = BUNDLE.exec(f);
    if (b !== null ? !kept.has(b[1]!) && old(f) : TEMPORARY.test(f) && old(f)) remove(f);
  }
}
