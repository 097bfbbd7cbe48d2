// Runs on: main thread. The exit codes the `sluice` commands share, apart from what they run: the command line
// needs EXIT_USAGE before any command's module is loaded (commands load theirs when they run).

export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
/** A run cancelled by SIGINT or `sluice cancel`. */
export const EXIT_CANCELLED = 130;
