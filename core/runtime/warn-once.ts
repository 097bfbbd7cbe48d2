// Runs on: main thread. A run's warnings said once per key across its attempts: a condition every commit meets
// again (a file sink's part taken by a consumer, named by each restore) is said the first time only.

/** `warn`, said once per `key` for as long as the returned function lives (one run). */
export function warnOnce(warn: (message: string) => void): (key: string, message: string) => void {
  const said = new Set<string>();
  return (key, message) => {
    if (said.has(key)) return;
    said.add(key);
    warn(message);
  };
}
