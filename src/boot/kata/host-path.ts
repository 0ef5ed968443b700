/**
 * The kubelet's checks of a hostPath volume, replayed from kubernetes pkg/volume/hostpath/
 * host_path.go: `SetUp` (the path must not contain ".." — ValidatePathNoBacksteps — and with a
 * type set, checkType) and `checkTypeInternal` with its fileTypeChecker: DirectoryOrCreate makes a
 * missing directory (MkdirAll 0755, under the kubelet's umask), FileOrCreate a missing file (0644,
 * its parent must exist); Directory, File, Socket, CharDevice and BlockDevice only check, following
 * symlinks (os.Stat). "File" means anything that exists and is not a directory, a socket or device
 * included, as fileTypeChecker.IsFile has it. The errors are the kubelet's.
 */
import { SysError } from '../../vfs/errno.js';
import { isDir, S_IFBLK, S_IFCHR, S_IFMT, S_IFSOCK } from '../../vfs/inode.js';
import { O_CREAT, O_RDONLY, type Process } from '../../vfs/process.js';
import { mkdirAll, statOrNull } from '../tar/task-fs.js';
import { KataError } from './bind-mount.js';

export type HostPathType = '' | 'DirectoryOrCreate' | 'Directory' | 'FileOrCreate' | 'File' | 'Socket' | 'CharDevice' | 'BlockDevice';

/**
 * hostPathMounter.SetUp: the checks (and creations) the kubelet makes before the bind.
 *
 * @example
 * ```ts
 * checkHostPath(kubelet, '/var/log/app', 'DirectoryOrCreate');
 * ```
 */
export function checkHostPath(p: Process, path: string, type: HostPathType): void {
  if (path.split('/').includes('..')) throw new KataError(`invalid HostPath \`${path}\`: must not contain '..'`);
  if (type === '') return;
  const st = statOrNull(p, path);
  const fmt = st ? st.mode & S_IFMT : -1;
  // DirectoryOrCreate and FileOrCreate make what is missing, then check as Directory and File.
  if (type === 'DirectoryOrCreate' && !st) {
    mkdirAll(p, path, 0o755);
    return;
  }
  if (type === 'FileOrCreate' && !st) {
    try {
      p.close(p.open(path, O_CREAT | O_RDONLY, 0o644));
    } catch (e) {
      if (e instanceof SysError) throw new KataError(`open ${path}: ${e.message.replace(/^[A-Z0-9]+: /, '').replace(/, .*$/, '')}`, e.code);
      throw e;
    }
    return;
  }
  switch (type) {
    case 'DirectoryOrCreate':
    case 'Directory':
      if (!st || !isDir(st.mode)) throw new KataError(`hostPath type check failed: ${path} is not a directory`);
      return;
    case 'FileOrCreate':
    case 'File':
      if (!st || isDir(st.mode)) throw new KataError(`hostPath type check failed: ${path} is not a file`);
      return;
    case 'Socket':
      if (fmt !== S_IFSOCK) throw new KataError(`hostPath type check failed: ${path} is not a socket file`);
      return;
    case 'CharDevice':
      if (fmt !== S_IFCHR) throw new KataError(`hostPath type check failed: ${path} is not a character device`);
      return;
    case 'BlockDevice':
      if (fmt !== S_IFBLK) throw new KataError(`hostPath type check failed: ${path} is not a block device`);
      return;
    default:
      throw new KataError(`${String(type)} is an invalid volume type`);
  }
}
