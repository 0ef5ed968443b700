/**
 * DESIGN.md's import table, held mechanically: the rules are data in scripts/import-rules.mjs;
 * here they are shown to catch what they must on made-up graphs, then applied to the real tree —
 * and the core is compiled without Node's types (tsconfig.core.json), which catches what an import
 * scan cannot: a Node global such as Buffer or process.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkImports, parseImports, readImportGraph, runtimeCycles } from '../../scripts/import-rules.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** One made-up module importing `specifier` (a runtime import unless `typeOnly`). */
const mod = (file: string, specifier: string, typeOnly = false) => ({ file, imports: [{ specifier, line: 1, typeOnly }] });
const messages = (modules: ReturnType<typeof mod>[]) => checkImports(modules).map((v: { message: string }) => v.message);

describe('the import table', () => {
  it('refuses a Node builtin in the core, with or without the node: prefix', () => {
    expect(messages([mod('src/vfs/x.ts', 'node:fs')])).toEqual(["src/vfs/x.ts:1 imports 'node:fs': src/vfs is core and may not import a Node builtin"]);
    expect(messages([mod('src/plan/x.ts', 'path')])).toEqual(["src/plan/x.ts:1 imports 'path': src/plan is core and may not import a Node builtin"]);
    expect(messages([mod('src/fs/tmpfs/x.ts', 'node:crypto', true)])).toHaveLength(1);
    expect(messages([mod('src/index.ts', 'node:os')])).toHaveLength(1);
  });

  it('refuses an npm package in the core unless it is known to be platform-neutral', () => {
    expect(messages([mod('src/boot/x.ts', 'commander')])).toEqual([
      "src/boot/x.ts:1 imports 'commander': src/boot is core and may import only platform-neutral npm packages (fast-check, tsyringe, reflect-metadata, ajv, ajv-errors)",
    ]);
    expect(messages([mod('src/plan/x.ts', 'fast-check'), mod('src/boot/x.ts', 'ajv'), mod('src/index.ts', 'tsyringe')])).toEqual([]);
  });

  it('lets the edges import Node and npm', () => {
    expect(messages([mod('src/host/x.ts', 'node:fs'), mod('src/node/x.ts', 'fs'), mod('src/cli/x.ts', 'commander')])).toEqual([]);
  });

  it('refuses imports across layers the table does not list, type-only ones included', () => {
    expect(messages([mod('src/vfs/x.ts', '../fs/tmpfs/tmpfs.js', true)])).toEqual([
      "src/vfs/x.ts:1 imports '../fs/tmpfs/tmpfs.js': src/vfs may not import src/fs/tmpfs (it may import src/vfs)",
    ]);
    expect(messages([mod('src/plan/emulated.ts', '../index.js')])).toEqual([
      "src/plan/emulated.ts:1 imports '../index.js': src/plan may not import src/index.ts (it may import src/plan, src/vfs, src/fs/*)",
    ]);
    expect(messages([mod('src/fs/overlay/x.ts', '../tmpfs/tmpfs.js')])).toHaveLength(1);
    expect(messages([mod('src/p9/x.ts', '../plan/plan.js')])).toHaveLength(1);
    expect(messages([mod('src/node/x.ts', '../host/native.js')])).toHaveLength(1);
    expect(messages([mod('src/host/x.ts', '../cli/main.js')])).toHaveLength(1);
    expect(messages([mod('src/extra/x.ts', '../vfs/errno.js')])).toEqual(["src/extra/x.ts:1 imports '../vfs/errno.js': src/extra/x.ts is in no layer of DESIGN.md's table"]);
  });

  it('allows what the table lists', () => {
    expect(
      messages([
        mod('src/fs/overlay/x.ts', '../../vfs/inode.js'),
        mod('src/fs/overlay/y.ts', './x.js'),
        mod('src/fs/proc/x.ts', '../libfs/simple.js'),
        mod('src/fs/gofer/x.ts', '../../p9/codec.js'),
        mod('src/p9/x.ts', '../vfs/errno.js'),
        mod('src/plan/x.ts', '../fs/overlay/params.js'),
        mod('src/boot/x.ts', '../plan/plan.js'),
        mod('src/boot/x.ts', './schema.json'),
        mod('src/host/x.ts', '../boot/spec.js'),
        mod('src/node/x.ts', '../vfs/process.js'),
        mod('src/cli/x.ts', '../index.js'),
        mod('src/index.ts', './plan/emulated.js'),
      ]),
    ).toEqual([]);
  });

  it('holds for the tree', () => {
    const graph = readImportGraph(root);
    expect(graph.length).toBeGreaterThan(50);
    expect(messages(graph)).toEqual([]);
  });
});

describe('reading imports', () => {
  it('finds every form, and which are erased at run time', () => {
    const text = [
      "import { a, b } from './a.js';",
      "import type { C } from './c.js';",
      "import { type D, type E } from './d.js';",
      "import F, { type G } from './f.js';",
      "import * as ns from 'node:os';",
      "import 'reflect-metadata';",
      "import schema from './s.json' with { type: 'json' };",
      'import {',
      '  h,',
      '  type I,',
      "} from './h.js';",
      "export { j } from './j.js';",
      "export type { K } from './k.js';",
      "export * from './l.js';",
      "const m = await import('./m.js');",
      "type N = typeof import('./n.js');",
    ].join('\n');
    expect(parseImports(text).map((i: { specifier: string; line: number; typeOnly: boolean }) => `${i.line} ${i.specifier}${i.typeOnly ? ' (type)' : ''}`)).toEqual([
      '1 ./a.js',
      '2 ./c.js (type)',
      '3 ./d.js (type)',
      '4 ./f.js',
      '5 node:os',
      '6 reflect-metadata',
      '7 ./s.json',
      '8 ./h.js',
      '12 ./j.js',
      '13 ./k.js (type)',
      '14 ./l.js',
      '15 ./m.js',
      '16 ./n.js (type)',
    ]);
  });

  it('skips comments, strings, templates and regular expressions', () => {
    const text = [
      '/**',
      ' * @example',
      " * import { createSandbox } from 'vfsemu';",
      ' */',
      "// import x from 'node:fs';",
      "const s = \"import y from 'node:path'\";",
      "const t = `import z from 'node:os' ${'}'} import w from 'node:url'`;",
      "const r = /import v from 'node:tty'/;",
      "import { real } from './real.js';",
    ].join('\n');
    expect(parseImports(text)).toEqual([{ specifier: './real.js', line: 9, typeOnly: false }]);
  });
});

describe('runtime import cycles', () => {
  it('are found through runtime imports only', () => {
    const graph = [
      { file: 'src/fs/x/a.ts', imports: [{ specifier: './b.js', line: 1, typeOnly: false }] },
      { file: 'src/fs/x/b.ts', imports: [{ specifier: './a.js', line: 1, typeOnly: false }] },
      { file: 'src/fs/x/c.ts', imports: [{ specifier: './a.js', line: 1, typeOnly: false }] },
      { file: 'src/fs/x/d.ts', imports: [{ specifier: './c.js', line: 1, typeOnly: true }] },
    ];
    expect(runtimeCycles(graph)).toEqual([['src/fs/x/a.ts', 'src/fs/x/b.ts']]);
    graph[0]!.imports[0]!.typeOnly = true;
    expect(runtimeCycles(graph)).toEqual([]);
  });

  it('are none among the overlay modules', () => {
    const overlay = readImportGraph(root).filter((m: { file: string }) => m.file.startsWith('src/fs/overlay/'));
    expect(overlay.length).toBeGreaterThan(5);
    expect(runtimeCycles(overlay)).toEqual([]);
  });
});

describe('the core without Node', () => {
  it('compiles with no Node types (tsconfig.core.json)', () => {
    const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.core.json')], { cwd: root, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
