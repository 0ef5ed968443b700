#!/usr/bin/env node
// DESIGN.md's import table ("Layers and rooms"), checked mechanically.
//
// The table below is the rules as data, in one place; `checkImports` applies them to any import
// graph (the real tree, read by `readImportGraph`, or a made-up one in a test); `runtimeCycles`
// finds import cycles that exist at run time (type-only imports are erased, so they make none).
// Type-only imports count for layering: a core module that names a Node type still needs Node's
// types to compile.
//
//   node scripts/import-rules.mjs      prints every violation (exit 1 if any) and runtime cycle
//
// Imports are found with a small tokenizer rather than the TypeScript compiler API: TypeScript 7
// exposes its parser only as `typescript/unstable/*`. The tokenizer skips comments, strings,
// template literals and regular expressions, so an `import` in a doc comment's example is not
// read as one.
import { readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The layers of src/ and what each may import (DESIGN.md "Layers and rooms"). A layer may always
 * import itself; `src/fs/*` stands for each filesystem folder, which may import its own folder
 * but not another filesystem's. `core` layers must run in a browser worker: no Node builtin, and
 * no npm package outside PLATFORM_NEUTRAL_PACKAGES.
 */
export const LAYER_RULES = {
  'src/vfs': { mayImport: [], core: true },
  'src/fs/*': { mayImport: ['src/vfs', 'src/p9', 'src/fs/libfs'], core: true },
  'src/p9': { mayImport: ['src/vfs'], core: true },
  'src/plan': { mayImport: ['src/vfs', 'src/fs/*'], core: true },
  'src/boot': { mayImport: ['src/plan', 'src/vfs', 'src/fs/*'], core: true },
  'src/host': { mayImport: ['src/vfs', 'src/fs/*', 'src/p9', 'src/plan', 'src/boot'], core: false },
  // src/node mounts memfs volumes, so it registers src/fs/memfs's type itself.
  'src/node': { mayImport: ['src/vfs', 'src/fs/memfs'], core: false },
  'src/cli': { mayImport: ['*'], core: false },
  // The library entry and composition root (DESIGN.md decision 5): it wires the core together,
  // and since embedders load it in a browser worker too, it is held to the core's platform rule.
  // No layer lists it, so nothing but src/cli may import it.
  'src/index.ts': { mayImport: ['src/vfs', 'src/fs/*', 'src/p9', 'src/plan', 'src/boot'], core: true },
  // The tsyringe composition root (vfsemu/container), apart so that the entry does not load tsyringe.
  'src/container.ts': { mayImport: ['src/vfs', 'src/plan'], core: true },
};

/**
 * npm packages the core may import: each runs unchanged in a browser worker. A package not
 * listed here is refused in the core until someone checks it and adds it.
 */
export const PLATFORM_NEUTRAL_PACKAGES = {
  'fast-check': 'pure JavaScript property testing (src/plan arbitraries)',
  tsyringe: 'dependency injection over reflect-metadata, no Node API (src/container.ts)',
  'reflect-metadata': 'a Reflect polyfill (src/container.ts, for tsyringe)',
  ajv: 'JSON Schema validation; its main entry uses no Node API (only ajv/dist/standalone does)',
  'ajv-errors': 'an ajv plugin, pure JavaScript',
};

/**
 * @typedef {{ specifier: string, line: number, typeOnly: boolean }} ImportRef
 * @typedef {{ file: string, imports: ImportRef[] }} ModuleImports  file: 'src/vfs/mount.ts', relative to the project root
 * @typedef {{ file: string, line: number, specifier: string, message: string }} Violation
 */

/** The layer a source file belongs to: 'src/vfs', 'src/fs/tmpfs', 'src/index.ts', … or null. */
export function layerOf(file) {
  const parts = file.split('/');
  if (parts[0] !== 'src') return null;
  if (parts.length === 2) return file;
  if (parts[1] === 'fs') return parts.length > 3 ? `src/fs/${parts[2]}` : 'src/fs';
  return `src/${parts[1]}`;
}

/** The rule of a layer: 'src/fs/tmpfs' is governed by 'src/fs/*'. */
function ruleOf(layer) {
  const key = layer.startsWith('src/fs/') ? 'src/fs/*' : layer;
  return Object.prototype.hasOwnProperty.call(LAYER_RULES, key) ? LAYER_RULES[key] : undefined;
}

function mayImport(from, to) {
  if (from === to) return true;
  return ruleOf(from).mayImport.some((allowed) => allowed === '*' || allowed === to || (allowed === 'src/fs/*' && to.startsWith('src/fs/')));
}

/** The project-relative file a relative specifier names (`./x.js` is `./x.ts`'s output). */
export function resolveSpecifier(from, specifier) {
  const target = posix.normalize(posix.join(posix.dirname(from), specifier));
  return target.replace(/\.(m|c)?js$/, (_, m) => `.${m ?? ''}ts`);
}

/** An npm specifier's package: 'ajv/dist/x' is 'ajv', '@scope/p/x' is '@scope/p'. */
function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * Every import of the graph that breaks the table, with a message naming file, line, specifier
 * and rule.
 *
 * @param {ModuleImports[]} modules
 * @returns {Violation[]}
 * @example
 * checkImports([{ file: 'src/vfs/x.ts', imports: [{ specifier: 'node:fs', line: 1, typeOnly: false }] }]);
 * // [{ …, message: "src/vfs/x.ts:1 imports 'node:fs': src/vfs is core and may not import a Node builtin" }]
 */
export function checkImports(modules) {
  /** @type {Violation[]} */
  const out = [];
  for (const { file, imports } of modules) {
    const from = layerOf(file);
    const rule = from && ruleOf(from);
    for (const { specifier, line } of imports) {
      const bad = (why) => out.push({ file, line, specifier, message: `${file}:${line} imports '${specifier}': ${why}` });
      if (!rule) {
        bad(`${file} is in no layer of DESIGN.md's table`);
        continue;
      }
      if (specifier.startsWith('.')) {
        const target = resolveSpecifier(file, specifier);
        const to = layerOf(target);
        if (to === null) bad(`${target} is outside src/`);
        else if (!ruleOf(to)) bad(`${target} is in no layer of DESIGN.md's table`);
        else if (!mayImport(from, to)) bad(`${from} may not import ${to} (it may import ${[from, ...rule.mayImport].join(', ')})`);
      } else if (specifier.startsWith('node:') || isBuiltin(specifier)) {
        if (rule.core) bad(`${from} is core and may not import a Node builtin`);
      } else if (rule.core && !Object.prototype.hasOwnProperty.call(PLATFORM_NEUTRAL_PACKAGES, packageOf(specifier))) {
        bad(`${from} is core and may import only platform-neutral npm packages (${Object.keys(PLATFORM_NEUTRAL_PACKAGES).join(', ')})`);
      }
    }
  }
  return out;
}

/**
 * The import cycles made of runtime (not type-only) imports between files of the graph: each
 * strongly connected component of more than one file, its files sorted.
 *
 * @param {ModuleImports[]} modules
 * @returns {string[][]}
 */
export function runtimeCycles(modules) {
  const files = new Set(modules.map((m) => m.file));
  const edges = new Map(
    modules.map((m) => [m.file, m.imports.filter((i) => !i.typeOnly && i.specifier.startsWith('.')).map((i) => resolveSpecifier(m.file, i.specifier)).filter((t) => files.has(t))]),
  );
  // Tarjan's algorithm.
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const cycles = [];
  const visit = (v) => {
    index.set(v, index.size);
    low.set(v, index.get(v));
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) cycles.push(scc.sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return cycles;
}

// Keywords after which a `/` starts a regular expression rather than a division.
const BEFORE_REGEX = new Set(['return', 'typeof', 'case', 'do', 'else', 'in', 'instanceof', 'new', 'delete', 'void', 'throw', 'yield', 'await', 'of']);

/**
 * TypeScript source as tokens: identifiers and keywords (`word`), string literals (`string`, with
 * their value) and single punctuation characters (`punct`); comments, template literals, regular
 * expressions and numbers are skipped.
 */
function tokenize(text) {
  const tokens = [];
  let line = 1;
  let i = 0;
  const prev = () => tokens[tokens.length - 1];
  const regexAllowed = () => {
    const p = prev();
    if (!p) return true;
    if (p.kind === 'word') return BEFORE_REGEX.has(p.value);
    if (p.kind === 'string') return false;
    return !')]}'.includes(p.value);
  };
  const skipTemplate = () => {
    // At the opening backtick; nested `${ … }` may hold strings and templates of its own.
    i++;
    while (i < text.length && text[i] !== '`') {
      if (text[i] === '\\') i += 2;
      else if (text[i] === '$' && text[i + 1] === '{') {
        i += 2;
        let depth = 1;
        while (i < text.length && depth > 0) {
          const c = text[i];
          if (c === '{') depth++;
          else if (c === '}') depth--;
          else if (c === '`') {
            skipTemplate();
            continue;
          } else if (c === "'" || c === '"') {
            skipString(c);
            continue;
          } else if (c === '\n') line++;
          i++;
        }
      } else {
        if (text[i] === '\n') line++;
        i++;
      }
    }
    i++;
  };
  const skipString = (quote) => {
    let value = '';
    i++;
    while (i < text.length && text[i] !== quote && text[i] !== '\n') {
      if (text[i] === '\\') {
        value += text[i + 1];
        i += 2;
      } else value += text[i++];
    }
    i++;
    return value;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) i++;
    else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      for (; i < stop; i++) if (text[i] === '\n') line++;
    } else if (c === "'" || c === '"') {
      const at = line;
      tokens.push({ kind: 'string', value: skipString(c), line: at });
    } else if (c === '`') {
      skipTemplate();
      tokens.push({ kind: 'punct', value: ')', line }); // a template is a value, as a `)` ends one
    } else if (c === '/' && regexAllowed()) {
      let inClass = false;
      for (i++; i < text.length && text[i] !== '\n'; i++) {
        if (text[i] === '\\') i++;
        else if (text[i] === '[') inClass = true;
        else if (text[i] === ']') inClass = false;
        else if (text[i] === '/' && !inClass) break;
      }
      i++;
      while (/[a-z]/.test(text[i] ?? '')) i++;
      tokens.push({ kind: 'punct', value: ')', line });
    } else if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z0-9_$]+/.exec(text.slice(i, i + 256));
      tokens.push({ kind: 'word', value: m[0], line });
      i += m[0].length;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9A-Za-z_.]+/.exec(text.slice(i, i + 256));
      tokens.push({ kind: 'word', value: m[0], line });
      i += m[0].length;
    } else {
      tokens.push({ kind: 'punct', value: c, line });
      i++;
    }
  }
  return tokens;
}

/**
 * The module specifiers a TypeScript source imports or re-exports from: `import … from`,
 * `import '…'`, `export … from`, `import x = require(…)`, `import(…)` (dynamic, or in a type when
 * after `typeof`). `typeOnly` marks those erased at run time: `import type`, `export type`, and an
 * import whose every named binding is marked `type`.
 *
 * @param {string} text
 * @returns {ImportRef[]}
 */
export function parseImports(text) {
  const t = tokenize(text);
  const out = [];
  const is = (k, v) => t[k] !== undefined && t[k].value === v && t[k].kind !== 'string';
  const str = (k) => t[k] !== undefined && t[k].kind === 'string';
  /** At `{`: the index after the matching `}`, and whether every binding inside is `type`. */
  const braces = (k) => {
    let allType = true;
    let first = true;
    for (k++; k < t.length && !is(k, '}'); k++) {
      if (first && !is(k, 'type')) allType = false;
      first = is(k, ',');
    }
    return { next: k + 1, allType };
  };
  for (let k = 0; k < t.length; k++) {
    if (t[k].kind !== 'word' || is(k - 1, '.')) continue;
    const line = t[k].line;
    if (t[k].value === 'import') {
      if (is(k + 1, '(') && str(k + 2)) {
        out.push({ specifier: t[k + 2].value, line, typeOnly: is(k - 1, 'typeof') });
        continue;
      }
      if (str(k + 1)) {
        out.push({ specifier: t[k + 1].value, line, typeOnly: false });
        continue;
      }
      let j = k + 1;
      let typeOnly = false;
      if (is(j, 'type') && !is(j + 1, 'from') && !is(j + 1, ',') && !is(j + 1, '=')) {
        typeOnly = true;
        j++;
      }
      // Erased when every binding is a type: `import { type A, type B } from …`.
      let erased = false;
      if (t[j]?.kind === 'word' && !is(j, 'from')) j++; // default binding, or `import x = …`
      else if (is(j, 'from') && is(j + 1, 'from')) j++; // a default binding called `from`
      else if (is(j, '{')) erased = braces(j).allType;
      if (is(j, ',')) j++;
      if (is(j, '{')) j = braces(j).next;
      else if (is(j, '*') && is(j + 1, 'as')) j += 3;
      if (is(j, 'from') && str(j + 1)) {
        out.push({ specifier: t[j + 1].value, line, typeOnly: typeOnly || erased });
      } else if (is(j, '=') && is(j + 1, 'require') && is(j + 2, '(') && str(j + 3)) {
        out.push({ specifier: t[j + 3].value, line, typeOnly });
      }
    } else if (t[k].value === 'export') {
      let j = k + 1;
      let typeOnly = false;
      if (is(j, 'type') && (is(j + 1, '{') || is(j + 1, '*'))) {
        typeOnly = true;
        j++;
      }
      if (is(j, '{')) {
        const b = braces(j);
        typeOnly ||= b.allType;
        j = b.next;
      } else if (is(j, '*')) {
        j++;
        if (is(j, 'as')) j += 2;
      } else continue;
      if (is(j, 'from') && str(j + 1)) out.push({ specifier: t[j + 1].value, line, typeOnly });
    }
  }
  return out;
}

/**
 * The import graph of every .ts file under `root`/src, file names relative to `root`.
 *
 * @param {string} root the project root
 * @returns {ModuleImports[]}
 */
export function readImportGraph(root) {
  const walk = (dir) =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = join(dir, e.name);
      if (e.isDirectory()) return walk(p);
      return e.name.endsWith('.ts') ? [p] : [];
    });
  return walk(join(root, 'src'))
    .sort()
    .map((p) => ({ file: relative(root, p).split('\\').join('/'), imports: parseImports(readFileSync(p, 'utf8')) }));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const graph = readImportGraph(resolve(dirname(fileURLToPath(import.meta.url)), '..'));
  const violations = checkImports(graph);
  const cycles = runtimeCycles(graph);
  for (const v of violations) console.log(v.message);
  for (const c of cycles) console.log(`note: runtime import cycle: ${c.join(' ')}`);
  if (violations.length === 0) console.log(`${graph.length} modules: the import table holds; ${cycles.length} runtime import cycles`);
  process.exitCode = violations.length > 0 ? 1 : 0;
}
