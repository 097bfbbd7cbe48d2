// Runs on: main thread. The process's one registration of tsx's hooks, shared by run() (a TypeScript job in a
// process without a loader) and `sluice run` (which registers them before it loads anything of the job's).

/**
 * Registers tsx's hooks once per process and never takes them off: two jobs loading at once would otherwise have
 * the hooks removed under the later one's imports. A promise: every caller waits for the same one.
 */
export function typeScriptHooks(): Promise<void> {
  const g = globalThis as { [TSX_HOOKS]?: Promise<void> };
  return (g[TSX_HOOKS] ??= import('tsx/esm/api').then((tsx) => { tsx.register(); }));
}

/** Where that promise is kept: on the process, not in this module, which a bundle may load twice. */
const TSX_HOOKS = Symbol.for('sluice.tsxHooks');
