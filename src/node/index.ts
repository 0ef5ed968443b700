/**
 * `vfsemu/node`: the Node-side entry of vfsemu — the node:fs API over a sandbox's Process
 * (`createFs`), running unmodified Node code inside a sandbox (patch.ts), and memfs interop
 * (a live memfs Volume mounted as a filesystem, memfs JSON in and out). Everything here may use
 * Node; the core (`vfsemu`) does not.
 */
export { createFs, type SandboxFs } from './create-fs.js';
export { Dir } from './dir.js';
export { FileHandle } from './file-handle.js';
export { BigIntStats, StatFs } from './stats.js';
export { memfsStore, mountMemfs, type MemfsVolumeLike, type MountMemfsOptions } from './memfs-store.js';
export { copyTree, exportJSON, importJSON, type DirectoryJSON, type TreeFs } from './memfs-json.js';
export { patchNodeFs, patchNodeRequire, runInSandbox, type RunInSandboxOptions } from './patch.js';
