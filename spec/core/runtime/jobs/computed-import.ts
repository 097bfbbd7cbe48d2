// Loads the engine through an import whose path is computed at run time (a .ts source named .js): bundled, the
// worker resolves it as written, without TypeScript, and cannot find it.
const { defineJob } = await import(new URL('../../../../core/index.js', import.meta.url).href) as typeof import('../../../../core/index.js');

export default defineJob((env) => {
  env.fromCollection([1, 2, 3]).name('numbers').collect().name('out');
});
