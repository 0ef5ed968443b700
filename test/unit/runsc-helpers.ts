/** Small specs, images and the gofer for the runsc suites. */
import type { RunscProfileOptions } from '../../src/boot/runsc/profile.js';
import type { ImageNode } from '../../src/boot/rootfs-image.js';
import type { OciSpec, SpecMount } from '../../src/boot/spec.js';
import { treeExportGofer } from '../../src/index.js';

/** The profile's options with the gofer the CLI uses (src/p9 over a TreeExport). */
export function withGofer(opts: Omit<RunscProfileOptions, 'goferServer'> = {}): RunscProfileOptions {
  return { goferServer: treeExportGofer, ...opts };
}

/** A spec with a process, the given mounts (after none of runsc's mandatory ones) and root. */
export function runscSpec(mounts: SpecMount[], root: { readonly?: boolean } = {}, extra: Partial<OciSpec> = {}): OciSpec {
  return {
    ociVersion: '1.0.2',
    process: { args: ['sh'], cwd: '/', user: { uid: 0, gid: 0 } },
    root: { path: 'rootfs', ...(root.readonly ? { readonly: true } : {}) },
    mounts,
    linux: { namespaces: [{ type: 'mount' }] },
    ...extra,
  };
}

/** A bundle image: rootfs with the usual directories plus `rootfs` entries, and `more` beside it. */
export function runscImage(rootfs: Record<string, ImageNode> = {}, more: Record<string, ImageNode> = {}): ImageNode {
  return [0, {}, { rootfs: [0, {}, { proc: [0, {}, {}], sys: [0, {}, {}], dev: [0, {}, {}], etc: [0, {}, { hostname: [1, {}, 'box\n'] }], tmp: [0, { mode: 0o1777 }, {}], ...rootfs }], ...more }];
}

/** The mountinfo line of mount point `mp`, without the ids and device (fields 4 on). */
export function lineAt(view: readonly string[], mp: string): string | undefined {
  const l = view.find((x) => x.split(' ')[4] === mp);
  return l?.split(' ').slice(3).join(' ');
}
