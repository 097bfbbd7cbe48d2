// The file specs' whole-job helpers: the spec job (jobs/files.ts) with its query, and numbered JSON lines.

/** jobs/files.ts with `params` as its query. */
export function filesJob(params: Record<string, string | number>): URL {
  const u = new URL('./jobs/files.ts', import.meta.url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
  return u;
}

/** JSON lines `{"i":n}` for n in [from, to). */
export const numberedLines = (from: number, to: number): string => Array.from({ length: to - from }, (_, j) => `${JSON.stringify({ i: from + j })}\n`).join('');
