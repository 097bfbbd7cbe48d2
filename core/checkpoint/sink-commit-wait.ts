// Runs on: main thread. How anything waits for a sinks' commit of a completed checkpoint (a periodic one's, the
// final one's, a restore's publish again): user code that may never return. Warned about once it has taken
// checkpointTimeoutMs; given up stopGraceMs after a cancel (else a cancel never returned), or checkpointTimeoutMs
// after a failure (the caller then fails the run: a restart would publish beside it). The checkpoint is complete
// and its PUBLISHED mark written, so a resume publishes its transactions again.

/** What ends the wait early. */
export interface CommitStop {
  /** Settles at the user's stop (a cancel, an abort signal, a stop with savepoint); never at a failure. */
  cancelled: Promise<void>;
  /** stopGraceMs: how long the wait goes on once `cancelled` settles. */
  cancelGraceMs: number;
  /** checkpointTimeoutMs when the attempt failed; Infinity when it did not. */
  failureGraceMs: number;
}

export class SinkCommitWait {
  private readonly slow: NodeJS.Timeout | undefined;
  /** The commit settled, or bounded() gave it up: nothing more is said of it. */
  private over = false;
  private said = false;

  /**
   * `label` names the checkpoint ("checkpoint 4"); `waits` says what waits for the commit meanwhile, in the
   * warning given after `timeoutMs`.
   */
  constructor(private readonly label: string, commit: Promise<unknown>, private readonly timeoutMs: number, private readonly warn: ((m: string) => void) | undefined, private waits: string) {
    if (warn === undefined || !Number.isFinite(timeoutMs)) return;
    const slow = setTimeout(() => { this.said = true; warn(this.slowText()); }, timeoutMs);
    this.slow = slow;
    // Its outcome is the caller's to see; this only ends the warning.
    const end = (): void => { this.over = true; clearTimeout(slow); };
    commit.then(end, end);
  }

  private slowText(): string {
    return `the sinks' commit of ${this.label} has not returned after ${this.timeoutMs} ms (checkpointTimeoutMs); ${this.waits}`;
  }

  /**
   * From now on `waits` waits for the commit (a periodic checkpoint's, when the job's end comes to wait for it):
   * its warning says so when it comes, or again now if it came already.
   */
  nowWaits(waits: string): void {
    if (this.over || this.waits === waits) return;
    this.waits = waits;
    if (this.said) this.warn?.(this.slowText());
  }

  /**
   * Waits for `work` (the commit, or what ends with it) until `stop` gives it up. Undefined once it settled (a
   * rejection is the caller's to see); else the warning that it was given up. Its slow-commit warning is then off:
   * nothing waits for it any more, and its timer would keep the process up.
   */
  async bounded(work: Promise<unknown>, stop: CommitStop): Promise<string | undefined> {
    const timers: NodeJS.Timeout[] = [];
    let over = false;
    const after = (ms: number, why: string): Promise<string> => new Promise((r) => { if (!over && Number.isFinite(ms)) timers.push(setTimeout(() => r(why), ms)); });
    const late = await Promise.race([
      work.then(() => undefined, () => undefined),
      stop.cancelled.then(() => after(stop.cancelGraceMs, `${stop.cancelGraceMs} ms after the job was cancelled (stopGraceMs)`)),
      after(stop.failureGraceMs, `${stop.failureGraceMs} ms after the job failed (checkpointTimeoutMs)`),
    ]).finally(() => { over = true; for (const t of timers) clearTimeout(t); });
    if (late === undefined) return undefined;
    this.over = true;
    clearTimeout(this.slow);
    return `the sinks' commit of ${this.label} had not returned ${late}: no longer waited for; its checkpoint is complete, so a resume publishes its transactions again`;
  }
}

/**
 * Publishes a restored checkpoint's transactions again (`publish`, idempotent) before the job starts from it,
 * waited for as any sinks' commit. Resolves true once published, false when a cancel gave it up (said through
 * `warn`); rejects as `publish` does.
 */
export async function publishAgain(publish: Promise<unknown>, checkpointId: number, timeoutMs: number, stop: CommitStop, warn: (m: string) => void): Promise<boolean> {
  const wait = new SinkCommitWait(`checkpoint ${checkpointId} (published again as the job restores it)`, publish, timeoutMs, warn, 'the job does not start until it does');
  const gaveUp = await wait.bounded(publish, stop);
  if (gaveUp !== undefined) { warn(gaveUp); return false; }
  await publish;
  return true;
}
