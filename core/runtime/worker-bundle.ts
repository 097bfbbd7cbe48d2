// Runs on: the main thread, once per run(). A TypeScript job and the worker's task host, bundled into one ES
// module that worker threads import as plain JavaScript.
//
// Why: a worker thread does not inherit the main thread's TypeScript loader, so without a bundle each worker
// registers tsx and loads the engine and the job file by file through its loader hooks: ~0.5 s per worker here,
// most of a short job's start-up. The bundle (esbuild, ~0.15 s on the main thread) loads in ~0.05 s. It also
// gives each worker exactly one copy of the engine, shared by the job and the task host.
//
// What the bundle keeps as it was: packages stay imports (resolved from where the bundle is written, inside the
// engine's node_modules/.cache, so they resolve as from the engine), and `import.meta.url` in every bundled file
// is its own file's URL, not the bundle's (relative file paths, createRequire). Fast path switch:
// RunOptions.bundleWorkers (false: the loader path); a job the bundler cannot take falls back to it too.
//
// Bundles are cached on disk, by job file: a manifest lists every input file with its size and mtime, and the
// next run whose inputs all still match loads the same bundle without building (~0.2 s saved). Files are only
// added under new names (content hash) and renamed into place, so concurrent runs never see a partial one. What
// no run needs any more is swept after each build (bundle-cache.ts).

import { existsSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createHash, randomUUID } from 'node:crypto';
import { sweepBundleCache, touch } from './bundle-cache.js';
import { makeDir } from './make-dir.js';

const requireLazy = createRequire(import.meta.url);

export interface WorkerBundle {
  /** File URL of the bundle: piscina's filename. */
  readonly url: string;
  /** Whether it came from the cache (no build this time). */
  readonly cached: boolean;
}

/** What the cache keeps per job: the bundle's file name and the inputs it was built from. */
interface CacheManifest {
  readonly bundle: string;
  /** The job file (the sweep drops the manifest of one that is gone). */
  readonly job: string;
  /** [path, size, mtimeMs] of every file esbuild read; [path, ABSENT, ABSENT] for one that must not exist. */
  readonly inputs: [string, number, number][];
}

function fingerprint(file: string): [number, number] | undefined {
  try {
    const st = statSync(file);
    return [st.size, st.mtimeMs];
  } catch {
    return undefined;
  }
}

function readManifest(file: string): CacheManifest | undefined {
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as CacheManifest;
    return typeof m.bundle === 'string' && Array.isArray(m.inputs) ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Writes `contents` to `file` through a temporary name (a reader sees the old file or the new one, whole). */
function writeAtomically(file: string, contents: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}-${randomUUID()}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
}

/** Files whose `import.meta.url` is rewritten, and what esbuild loads them as. */
const SOURCE = /\.([cm]?[jt]s|tsx|jsx)$/;

/** Part of the cache key: a change to how bundles are made invalidates every cached one. */
const FORMAT = 6;

/** The engine's package name and its entry points ('sluice', 'sluice/shm'), which a bundle takes from its own files. */
const ENGINE_PACKAGE = 'sluice';
const ENGINE_IMPORT = /^sluice(\/shm)?$/;
/** Worker threads of a bundled job get run()'s job URL here (the job module's import.meta.url). */
export const JOB_URL_ENV = 'SLUICE_WORKER_JOB_URL';

/**
 * Bundles the task host with the job module at `jobUrl` when the job is a TypeScript file; undefined when it is
 * not (JavaScript jobs load fast as they are) or when bundling fails (`onFallback` says why).
 */
/**
 * What to add to the message of a worker that died loading its bundle because an import was not found: an import
 * whose path is computed at run time stays as written, resolved from the bundle's place without tsx (a `.ts` file
 * imported as `.js` is not found there). Empty for any other failure.
 */
export function bundleImportHint(message: string): string {
  if (!/Cannot find (module|package) .* imported from .*[\\/]node_modules[\\/]\.cache[\\/]sluice[\\/]worker-[^\s]*\.mjs/.test(message)) return '';
  return ' (the job\'s worker bundle could not import it: an import whose path is computed at run time is not bundled and'
    + ' is resolved from the bundle without TypeScript; import it with a literal path, or run without bundles:'
    + ' bundleWorkers: false or SLUICE_BUNDLE_WORKERS=0)';
}

export async function bundleWorkerEntry(jobUrl: string, onFallback: (why: string) => void): Promise<WorkerBundle | undefined> {
  if (!jobUrl.startsWith('file:') || !/\.(c|m)?tsx?$/.test(new URL(jobUrl).pathname)) return undefined;
  const engineRoot = fileURLToPath(new URL('../../', import.meta.url));
  const hostTs = fileURLToPath(new URL('../../workers/task-host.ts', import.meta.url));
  const hostJs = fileURLToPath(new URL('../../workers/task-host.js', import.meta.url));
  // The sources when there are any: a job in this tree imports them, and two copies of the engine in one worker
  // would fail its instanceof checks (a build in dist/ is for jobs that import the package).
  const host = existsSync(hostTs) ? hostTs : hostJs;
  const jobPath = fileURLToPath(jobUrl);
  const outDir = path.join(engineRoot, 'node_modules', '.cache', 'sluice');
  // With the job's real path: a link repointed from one release to another (current -> v2) changes no input the
  // manifest records (those are real paths), so keyed by the given path alone the old release's bundle was served.
  let realJob = jobPath;
  try { realJob = realpathSync(jobPath); } catch { /* missing: the build reports it */ }
  const key = createHash('sha256').update(`${pathToFileURL(jobPath).href}\n${realJob}\n${host}\n${process.versions.node}\n${FORMAT}`).digest('hex').slice(0, 24);
  const manifestFile = path.join(outDir, `worker-${key}.json`);
  const cached = readManifest(manifestFile);
  // A hit's bundle is touched, not only seen: a sweep leaves files younger than STALE_MS alone, which covers this
  // run until it leases the bundle; one swept before the touch is a miss.
  if (cached !== undefined && cached.inputs.every(([f, size, mtime]) => {
    const now = fingerprint(f);
    if (size === ABSENT) return now === undefined;
    return now !== undefined && now[0] === size && now[1] === mtime;
  }) && touch(path.join(outDir, `${cached.bundle}.map`)) && touch(path.join(outDir, cached.bundle))) {
    touch(manifestFile);
    return { url: pathToFileURL(path.join(outDir, cached.bundle)).href, cached: true };
  }
  const outfile = path.join(outDir, `worker-${key}-${process.pid}-${randomUUID()}.tmp.mjs`);
  /** Package files a job's own files import (by file URL): inputs of the bundle, as its sources are. */
  const packageFiles = new Set<string>();
  /** node_modules/<package> directories that must stay absent for the bundle to import what it does. */
  const absentDirs = new Set<string>();
  /** Fingerprints of the files the plugin loaded, taken before reading them (see `inputs` below). */
  const readFingerprints = new Map<string, [number, number]>();
  const isEngineFile = (file: string): boolean => !path.relative(engineRoot, file).startsWith('..');
  const entry = [
    `import runThread from ${JSON.stringify(host)};`,
    `import * as job from ${JSON.stringify(jobPath)};`,
    'export default (assignment) => runThread(assignment, job);',
  ].join('\n');
  try {
    const esbuild = requireLazy('esbuild') as typeof import('esbuild');
    makeDir(outDir);
    const built = await esbuild.build({
      stdin: { contents: entry, resolveDir: engineRoot, loader: 'js', sourcefile: 'sluice-worker-entry.js' },
      absWorkingDir: engineRoot,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: `node${process.versions.node.split('.')[0]}`,
      // Packages stay imports (the plugin's package handler below decides from where); resolved as Node does ('import' and
      // 'node' conditions, the 'main' field), not as bundlers do ('module').
      conditions: [],
      mainFields: ['main'],
      outfile,
      write: false,
      metafile: true,
      logLevel: 'silent',
      // Stack traces of errors in a worker name the job's own files and lines, not the bundle's (workers run
      // with --enable-source-maps: core/runtime/attempt.ts). In a file of its own: inline, the map is 3/4 of the
      // bundle's bytes, which every worker reads and decodes before it runs (~25 ms more per worker here).
      sourcemap: 'linked',
      plugins: [{
        name: 'sluice-import-meta-url',
        setup(b) {
          // `import ... from 'file:///...'`: a file like any other (esbuild would leave the URL to Node).
          b.onResolve({ filter: /^file:/ }, (args) => ({ path: fileURLToPath(args.path) }));
          // The engine's own package (a job that imports 'sluice'): the same files the task host is bundled from,
          // so the worker holds one copy of the engine. Left a package import, it loaded a second copy beside
          // the bundled one (whose instanceof checks then fail), and in a checkout it did not resolve at all.
          b.onResolve({ filter: ENGINE_IMPORT }, (args) => {
            const file = path.join(engineRoot, args.path === ENGINE_PACKAGE ? 'core' : 'shm', `index${path.extname(host)}`);
            return existsSync(file) ? { path: file } : undefined;
          });
          // Any other package stays an import. The engine's own files import theirs by name, resolved from where
          // the bundle is written (inside the engine). A job's files import theirs from the job's project: resolved
          // here, from the importing file, and imported by file URL, as an unbundled worker would find them (by
          // name from the bundle, a job's own package was not found, and one the engine also has was the engine's).
          // (Not '#' subpath imports: esbuild resolves those through package.json "imports" and bundles them.)
          b.onResolve({ filter: /^[^./#]/ }, async (args) => {
            if (args.pluginData === RESOLVING || isBuiltin(args.path) || /^[a-z]+:/.test(args.path)) return undefined;
            if (args.importer === '' || isEngineFile(args.importer)) return { path: args.path, external: true };
            const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: RESOLVING });
            // Not found (an optional dynamic import, say): left as it was written, to fail or not at run time as
            // it would unbundled.
            if (r.errors.length > 0 || r.external) return { path: args.path, external: true };
            // Not a package (a tsconfig path alias, a workspace package's sources): the job's own, bundled.
            if (!r.path.includes(`${path.sep}node_modules${path.sep}`)) return { path: r.path };
            packageFiles.add(r.path);
            // Where a nearer copy would be found first, were one installed later: the cached bundle checks that
            // none is (it imports this copy by its path).
            for (let dir = args.resolveDir; ; dir = path.dirname(dir)) {
              const nearer = path.join(dir, 'node_modules', packageName(args.path));
              if (r.path.startsWith(nearer + path.sep) || path.dirname(dir) === dir) break;
              absentDirs.add(nearer);
            }
            return { path: pathToFileURL(r.path).href, external: true };
          });
          b.onLoad({ filter: SOURCE }, (args) => {
            if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
            // The job module's own URL is the one run() was given (a query string may select what it builds): read
            // when the worker evaluates it, so one bundle serves every query string of a job file.
            const own = JSON.stringify(pathToFileURL(args.path).href);
            const url = args.path === jobPath ? `(process.env.${JOB_URL_ENV} ?? ${own})` : own;
            const before = fingerprint(args.path);
            if (before !== undefined) readFingerprints.set(args.path, before);
            const contents = readFileSync(args.path, 'utf8')
              .replace(/\bimport\.meta\.url\b/g, url)
              .replace(/\bimport\.meta\.filename\b/g, JSON.stringify(args.path))
              .replace(/\bimport\.meta\.dirname\b/g, JSON.stringify(path.dirname(args.path)));
            const ext = path.extname(args.path);
            return { contents, loader: /tsx$/.test(ext) ? 'tsx' : /ts$/.test(ext) ? 'ts' : /jsx$/.test(ext) ? 'jsx' : 'js' };
          });
        },
      }],
    });
    // Whatever stayed an import must load without a TypeScript loader (a TypeScript file left to Node would not).
    const left = Object.values(built.metafile!.outputs).flatMap((o) => o.imports).filter((i) => i.external && /\.(c|m)?tsx?$/.test(i.path));
    if (left.length > 0) throw new Error(`it would import ${left[0]!.path} as it is`);
    const out = built.outputFiles!;
    const mapFile = out.find((f) => f.path.endsWith('.map'))!;
    const js = new TextDecoder().decode(out.find((f) => f !== mapFile)!.contents);
    const code = js.slice(0, js.lastIndexOf('//# sourceMappingURL='));
    const bundle = `worker-${key}-${createHash('sha256').update(code).update(mapFile.contents).digest('hex').slice(0, 16)}.mjs`;
    // A source file's fingerprint is the one taken before it was read: stat-ed after the build, a file edited while
    // the build runs would be recorded new beside a bundle of its old contents, and served stale from then on.
    // Other inputs are stat-ed now.
    const inputs: [string, number, number][] = [];
    const sources = Object.keys(built.metafile!.inputs).map((input) => path.resolve(engineRoot, input.replace(/^[a-z-]+:/, '')));
    // A package counts with its package.json: a job's packages (whose exports choose the file), and the job's own
    // packages (whose "imports" map '#' specifiers: remapping one was not noticed).
    const packageJsons = new Set([...packageFiles, ...sources].map(nearestPackageJson).filter((f): f is string => f !== undefined));
    for (const file of new Set([...sources, ...packageFiles, ...packageJsons])) {
      const fp = readFingerprints.get(file) ?? fingerprint(file);
      if (fp !== undefined) inputs.push([file, fp[0], fp[1]]);
    }
    for (const dir of absentDirs) if (fingerprint(dir) === undefined) inputs.push([dir, ABSENT, ABSENT]);
    if (!existsSync(path.join(outDir, bundle))) {
      // The map first: a bundle is only ever found next to its map.
      writeAtomically(path.join(outDir, `${bundle}.map`), mapFile.contents);
      writeAtomically(path.join(outDir, bundle), `${code}//# sourceMappingURL=${bundle}.map\n`);
    }
    writeAtomically(manifestFile, JSON.stringify({ bundle, job: jobPath, inputs } satisfies CacheManifest));
    sweepBundleCache(outDir);
    return { url: pathToFileURL(path.join(outDir, bundle)).href, cached: false };
  } catch (e) {
    const first = (e as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors?.[0];
    const why = first ? `${first.text}${first.location ? ` at ${first.location.file}:${first.location.line}` : ''}` : (e as Error).message.split('\n')[0];
    onFallback(`could not bundle the job for worker threads (${why}); they load it through tsx instead`);
    return undefined;
  }
}

/** An input's size and mtime in a cache manifest when the path must not exist. */
const ABSENT = -1;

/** The package a bare specifier names: 'a' of 'a/b', '@s/a' of '@s/a/b'. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** pluginData of the resolve a job's package import asks esbuild for (its own handler then stands aside). */
const RESOLVING = Symbol('resolving a job package');

/** The package.json of the package holding `file`, if any. */
function nearestPackageJson(file: string): string | undefined {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** A Node command line without its TypeScript loader: `--import tsx`, `--loader tsx`, `--require tsx/cjs`. */
export function withoutTsx(argv: readonly string[]): string[] {
  const isTsx = (v: string | undefined): boolean => v !== undefined && (/^tsx(\/|$)/.test(v) || /[/\\]node_modules[/\\]tsx[/\\]/.test(v));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const m = /^--(import|loader|experimental-loader|require)(?:=(.*))?$|^-r$/.exec(argv[i]!);
    if (m === null) { out.push(argv[i]!); continue; }
    const inline = m[2] !== undefined;
    const flag = inline ? [argv[i]!] : argv.slice(i, i + 2);
    if (!inline) i++;
    if (!isTsx(inline ? m[2] : flag[1])) out.push(...flag);
  }
  return out;
}
