// Runs on: main thread. Warnings said once per run however often their cause comes back (a file sink's part taken
// by a consumer is found gone again at every later commit that names it).

/** `warn` that says only the first message of each key. The run makes one and keeps it across its attempts. */
export function warnOnce(warn: (message: string) => void): (key: string, message: string) => void {
  const said = new Set<string>();
  return (key, message) => {
    if (said.has(key)) return;
    said.add(key);
    warn(message);
  };
}
