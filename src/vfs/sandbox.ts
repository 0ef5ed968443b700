/**
 * Sandbox: a fresh emulated machine as a plan sees it — one mount namespace whose hidden root
 * holds a tmpfs mounted as by `mount("none", root, "tmpfs", 0, "mode=755")`, and a task chrooted
 * into it with uid 0, every capability and umask 0 (docs/plan-format.md). The kernel passed in
 * must have a `tmpfs` type registered (the composition root in src/index.ts does it).
 *
 * The first sandbox of the module also makes the shape anchor (shape-anchor.ts): a small sandbox
 * on a kernel of its own, kept so that the JIT's code for the next sandboxes survives the last
 * one's death.
 */
import { Credentials } from './creds.js';
import { SysError } from './errno.js';
import { O_CREAT, O_WRONLY } from './file.js';
import { Kernel } from './kernel.js';
import { MNT_RELATIME } from './mount.js';
import { Process } from './process.js';
import { Nameidata } from './resolve.js';
import { keepShape } from './shape-anchor.js';

export interface SandboxOptions {
  /** Data string of the root tmpfs. Default `mode=755`. */
  rootData?: string;
  /** umask of the first task. Default 0, as plans run. */
  umask?: number;
  /**
   * Capabilities (effective and permitted) of the first task, uid 0. Default: every one. The
   * native backend's root has the host's, which may lack some (a container's root often does).
   */
  caps?: bigint;
}

export class Sandbox {
  readonly process: Process;

  constructor(
    readonly kernel: Kernel,
    opts: SandboxOptions = {},
  ) {
    const creds = opts.caps === undefined ? Credentials.root() : new Credentials(0, 0, [], opts.caps, opts.caps);
    const ns = kernel.newNamespace();
    // The namespace's own root stands for the host's mount tree outside the sandbox: nothing of
    // it is reachable from the task's root, so mountinfo never shows it.
    const hostRoot = kernel.newMount(creds, 'tmpfs', 'rootfs', 0, '', MNT_RELATIME);
    ns.setRoot(hostRoot);
    const root = kernel.newMount(creds, 'tmpfs', 'none', 0, opts.rootData ?? 'mode=755', MNT_RELATIME);
    ns.attach(root, hostRoot, hostRoot.root);
    this.process = new Process(kernel, ns, { mnt: root, dentry: root.root }, creds);
    this.process.umask = opts.umask ?? 0;
    anchorShapes(kernel);
  }
}

let anchored = false;

/**
 * The first sandbox made also makes the shape anchor (shape-anchor.ts says why): a sandbox on a
 * kernel of its own with `kernel`'s tmpfs type, holding a directory and an empty file open, and
 * a walk's state, kept for the life of the module.
 */
function anchorShapes(kernel: Kernel): void {
  const tmpfs = kernel.filesystems.get('tmpfs');
  if (anchored || !tmpfs) return;
  anchored = true;
  const k = new Kernel();
  k.register(tmpfs);
  try {
    const p = new Sandbox(k).process;
    p.mkdir('/d', 0o755);
    p.open('/d/f', O_WRONLY | O_CREAT, 0o644);
    keepShape(p);
    keepShape(new Nameidata(p));
  } catch (e) {
    // A tmpfs of the embedder's that refuses these costs only the speed the anchor buys.
    if (!(e instanceof SysError)) throw e;
  }
}
