#!/usr/bin/env node
// Builds the native backend's addon (binding.gyp → build/Release/vfsemu_native.node) with
// node-gyp. Run by `npm install`/`npm ci` (the "install" script) and by `npm run build:native`.
//
// Offline by design: node-gyp would download Node's headers unless told where they are, so when
// this Node's own headers are installed (<prefix>/include/node/node_api.h, as distribution
// packages install them) we pass --nodedir=<prefix> explicitly rather than trusting any npmrc.
// A failed build is not a failed install: the emulated backend needs no addon, so we warn, say how
// to retry, and exit 0.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** node-gyp's entry script: npm's own for lifecycle scripts, else npm's bundled or a local copy. */
function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  try {
    candidates.push(createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // no local node-gyp: fine, the others may exist
  }
  return candidates.find((c) => c && existsSync(c));
}

function warn(what) {
  console.warn(
    `vfsemu: WARNING: the native backend was not built (${what}). ` +
      'Everything but `--backend native` works without it. It needs g++, make and python3 ' +
      'and this Node\'s headers (or network access for node-gyp to fetch them); install them and ' +
      'retry with `npm run build:native`.',
  );
  process.exit(0);
}

if (process.platform !== 'linux') warn(`the native backend is Linux-only, this is ${process.platform}`);

const nodeGyp = findNodeGyp();
if (!nodeGyp) warn('node-gyp was not found: not set by npm (npm_config_node_gyp), not bundled with npm next to this node');

const args = [nodeGyp, 'rebuild', '--directory', root];
const nodedir = dirname(dirname(process.execPath));
if (existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodedir}`);

const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (r.error) warn(`node-gyp could not start: ${r.error.message}`);
if (r.status !== 0) warn(`node-gyp rebuild exited with ${r.status ?? r.signal}; its output is above`);
if (!existsSync(join(root, 'build', 'Release', 'vfsemu_native.node'))) warn('node-gyp finished but build/Release/vfsemu_native.node is missing');
