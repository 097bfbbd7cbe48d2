// Runs on: main thread (a test). The real `sluice` CLI as a child process, for the CLI's whole-program tests:
// waits on what it prints (never on time), signals it, and collects its output and exit.

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = fileURLToPath(new URL('../../../', import.meta.url));
export const bin = path.join(repo, 'bin', 'sluice.mjs');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export class SluiceProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private readonly waiters = new Set<() => void>();

  /** `env`: variables set for the child on top of this process's own. */
  constructor(readonly args: string[], timeoutMs: number, env?: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [bin, ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], ...(env === undefined ? {} : { env: { ...process.env, ...env } }) });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => { this.stdout += d; this.poke(); });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => { this.stderr += d; this.poke(); });
    this.exited = new Promise((resolve, reject) => {
      // A hung CLI must fail its test, not the suite: kill it and report what it printed.
      const timer = setTimeout(() => { this.child.kill('SIGKILL'); reject(new Error(`sluice ${args.join(' ')} timed out; stderr:\n${this.stderr}`)); }, timeoutMs);
      this.child.on('error', reject);
      this.child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
        this.poke();
      });
    });
  }

  private poke(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves with the first match of `re` in stderr (now or later); rejects if the process exits first. */
  waitFor(re: RegExp, what = re.source): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = re.exec(this.stderr);
        if (m) { this.waiters.delete(check); resolve(m); return; }
        if (this.child.exitCode !== null || this.child.signalCode !== null) {
          this.waiters.delete(check);
          reject(new Error(`sluice exited before printing ${what}; stderr:\n${this.stderr}`));
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Resolves once `count` stderr lines satisfy `pred`. */
  waitForLines(pred: (line: string) => boolean, count: number, what: string): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const lines = this.stderr.split('\n').filter(pred);
        if (lines.length >= count) { this.waiters.delete(check); resolve(lines); return; }
        if (this.child.exitCode !== null || this.child.signalCode !== null) {
          this.waiters.delete(check);
          reject(new Error(`sluice exited before printing ${count} × ${what}; stderr:\n${this.stderr}`));
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

/** Runs the CLI to its end. */
export function sluice(args: string[], timeoutMs = 55_000): Promise<Exit> {
  return new SluiceProcess(args, timeoutMs).exited;
}

/** The JSON log lines (pino) among stderr's lines. */
export function logLines(stderr: string): Record<string, unknown>[] {
  return stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}
