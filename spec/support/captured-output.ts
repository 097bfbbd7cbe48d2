// What an in-process command (inspectCommand and the like) writes to stdout and stderr, kept from the test log.

/** Runs `f` with stdout and stderr captured into one string; both are restored however `f` ends. */
export async function captured<T>(f: () => Promise<T>): Promise<{ code: T; out: string }> {
  const [write, errWrite] = [process.stdout.write, process.stderr.write];
  let out = '';
  process.stdout.write = process.stderr.write = ((chunk: string | Uint8Array) => { out += String(chunk); return true; }) as typeof process.stdout.write;
  try {
    return { code: await f(), out };
  } finally {
    [process.stdout.write, process.stderr.write] = [write, errWrite];
  }
}
