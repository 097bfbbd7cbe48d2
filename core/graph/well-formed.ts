// Runs on: any thread. Whether a string is well-formed Unicode (no lone surrogate, which a ring or a checkpoint
// keeps as U+FFFD). String.prototype.isWellFormed is in Node 20, but not in the ES2022 lib a user's job may be
// type-checked with (our declarations are part of their check): called through this type, not the lib's.

interface WellFormed { isWellFormed(): boolean }

export function isWellFormed(s: string): boolean {
  return (s as unknown as WellFormed).isWellFormed();
}
