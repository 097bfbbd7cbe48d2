// A user function that emits only through `out.collect` gives TypeScript nothing to infer its output type from.
// The compiler's error must then say how to name it, not "not assignable to parameter of type 'never'" (which
// nearly every window job a Flink user ports would meet). Compiled here with the TypeScript compiler API.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The error messages of `code`, a module beside core/ that imports the API (`everywhere`: of every file it
 * brings in, sluice's own included). Checked with ES2022's lib (no explicit `lib`), older than this repo's.
 */
function diagnostics(code: string, everywhere = false): string[] {
  const file = path.join(repo, 'spec', 'core', 'api', '__hint_probe__.ts');
  const options: ts.CompilerOptions = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, allowImportingTsExtensions: true, skipLibCheck: true, types: ['node'] };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  host.readFile = (f) => (path.resolve(f) === file ? code : read(f));
  const exists = host.fileExists.bind(host);
  host.fileExists = (f) => path.resolve(f) === file || exists(f);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program, everywhere ? undefined : program.getSourceFile(file))
    .map((d) => `${d.file ? `${path.relative(repo, d.file.fileName)}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

test('emitting through out with no output type named: the error says to name it; named or annotated, no error', () => {
  const api = "import { StreamEnvironment, TumblingEventTimeWindows, type Collector } from '../../../core/index.ts';\nconst env = new StreamEnvironment(1);\nconst s = env.fromCollection<{ k: string; v: number }>([]);\n";
  const unnamed = diagnostics(`${api}
s.keyBy((x) => x.k).window(TumblingEventTimeWindows.of(10)).process((k, ctx, els, out) => out.collect({ k, n: els.length }));
s.keyBy((x) => x.k).process((x, ctx, out) => out.collect(x.v));
s.process((x, ctx, out) => out.collect(x.k));
s.windowAll(TumblingEventTimeWindows.of(10)).process((ctx, els, out) => out.collect(els.length));
s.coGroup(s).where((x) => x.k).equalTo((y) => y.k).window(TumblingEventTimeWindows.of(10)).apply((xs, ys, out) => out.collect(xs.length - ys.length));
`);
  assert.equal(unnamed.length, 5, unnamed.join('\n'));
  for (const d of unnamed) assert.match(d, /the output type cannot be inferred from out\.collect: name it .*or annotate the parameter \(out: Collector<R>\)/);
  const named = diagnostics(`${api}
const a = s.keyBy((x) => x.k).window(TumblingEventTimeWindows.of(10)).process<{ k: string; n: number }>((k, ctx, els, out) => out.collect({ k, n: els.length }));
const b = s.keyBy((x) => x.k).process((x, ctx, out: Collector<number>) => out.collect(x.v));
const c = s.flatMap((x) => [x.k, x.k]);
const d = s.coGroup(s).where((x) => x.k).equalTo((y) => y.k).window(TumblingEventTimeWindows.of(10)).apply<number>((xs, ys, out) => out.collect(xs.length - ys.length));
const n: number = 0;
a.map((r) => r.n + n).discard(); b.map((v) => v + 1).discard(); c.map((w) => w.length).discard(); d.map((v) => v + 1).discard();
`);
  assert.deepEqual(named, []);
});

// Regression: a job type-checked with a lib before ES2024 (target es2022, a common tsconfig) failed on
// sluice's own source: Atomics.waitAsync is typed only from ES2024 on.
test('a job importing the API type-checks with the ES2022 lib, sluice\'s own files included', () => {
  const errors = diagnostics("import { StreamEnvironment } from '../../../core/index.ts';\nnew StreamEnvironment(1).fromCollection([1, 2]).map((x) => x + 1).discard();\n", true);
  assert.deepEqual(errors, []);
});
