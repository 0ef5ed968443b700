/**
 * The permission matrix: who may read, write, search, list, create, remove, chmod and link, for
 * a non-root uid with and without supplementary groups, the same uid with CAP_DAC_OVERRIDE or
 * CAP_DAC_READ_SEARCH, root without capabilities and root with all of them.
 *
 * Every expected answer is the kernel's, recorded by test/kernel/record-facts.py (group
 * permission-matrix, test/kernel/recorders/permission_matrix.py) on a tmpfs with the same owners
 * and modes, each identity made as the plan op `setcred` makes it (fs.protected_hardlinks=1 on
 * the recording machine, as the file's `conditions` say). Rules exercised: the first matching
 * class decides (owner, then group incl. supplementary groups, then other); CAP_DAC_READ_SEARCH
 * reads files and reads/searches directories; CAP_DAC_OVERRIDE does everything except execute a
 * file with no x bit at all; access(2) checks with the real ids and a non-root caller's
 * capabilities dropped.
 */
import { describe, expect, it } from 'vitest';
import {
  AT_EACCESS,
  AT_FDCWD,
  ALL_CAPS,
  Credentials,
  createSandbox,
  O_CREAT,
  O_DIRECTORY,
  O_RDONLY,
  O_WRONLY,
  R_OK,
  W_OK,
  X_OK,
} from '../../src/index.js';
import type { CapName } from '../../src/vfs/creds.js';
import type { Process } from '../../src/vfs/process.js';
import { itChecksEveryAnswer, kernelFacts } from '../kernel/facts.js';
import { errOf } from './helpers.js';

const K = kernelFacts('permission-matrix');
const CREDS = {
  /** uid 1000 in groups 2000 and 2001 besides its own 1000. */
  user_groups: new Credentials(1000, 1000, [2000, 2001], 0n),
  user: new Credentials(1000, 1000, [], 0n),
  user_dac_override: new Credentials(1000, 1000, [], Credentials.capsOf(['DAC_OVERRIDE'])),
  user_dac_read_search: new Credentials(1000, 1000, [], Credentials.capsOf(['DAC_READ_SEARCH'])),
  root_nocaps: new Credentials(0, 0, [], 0n),
  root: new Credentials(0, 0, [], ALL_CAPS),
} as const;
type Who = keyof typeof CREDS;

/** Files: name -> [uid, gid, mode]. */
const FILES: Record<string, [number, number, number]> = {
  own070: [1000, 2000, 0o070], // owner class matches first and has nothing
  grp070: [0, 2000, 0o070], // group 2000: a supplementary group of user_groups
  oth007: [0, 0, 0o007],
  root600: [0, 0, 0o600],
  u000: [1000, 1000, 0o000],
  x000: [0, 0, 0o000], // no x bit anywhere: not even CAP_DAC_OVERRIDE executes it
  x010: [0, 0, 0o010], // group x only: CAP_DAC_OVERRIDE may execute
};

describe('the recording', () => {
  it('was made with these identities (root: the recorder\'s own, every capability it has) and files', () => {
    const recorded = K.table('identities') as Record<string, { uid: number; gid: number; groups: number[]; caps: string[] } | null>;
    const creds = Object.fromEntries(
      Object.entries(recorded).map(([who, r]) => [
        who,
        r === null ? Credentials.root() : new Credentials(r.uid, r.gid, r.groups, Credentials.capsOf(r.caps.map((c) => c.toUpperCase() as CapName))),
      ]),
    );
    expect(creds).toEqual(CREDS);
    const files = Object.fromEntries(Object.entries(K.table('files') as Record<string, { uid: number; gid: number; mode: number }>).map(([n, f]) => [n, [f.uid, f.gid, f.mode]]));
    expect(files).toEqual(FILES);
  });
});

function world(): Process {
  const p = createSandbox().process;
  for (const [name, [uid, gid, mode]] of Object.entries(FILES)) {
    p.close(p.open('/' + name, O_CREAT | O_WRONLY, 0o644));
    p.chown('/' + name, uid, gid);
    p.chmod('/' + name, mode);
  }
  p.mkdir('/dnox', 0o666); // readable, not searchable
  p.close(p.open('/dnox/f', O_CREAT | O_WRONLY, 0o644));
  p.mkdir('/dnor', 0o333); // searchable and writable, not readable
  p.mkdir('/dnow', 0o555); // no write
  p.mkdir('/sticky', 0o1777);
  p.close(p.open('/sticky/other', O_CREAT | O_WRONLY, 0o666));
  p.chown('/sticky/other', 1001, 1001);
  p.close(p.open('/hl', O_CREAT | O_WRONLY, 0o644)); // root's, not writable by others
  p.mkdir('/pub', 0o777);
  return p;
}

function as(who: Who): Process {
  const p = world().fork();
  p.creds = CREDS[who];
  return p;
}

const FILE_OPS = {
  openR: (p: Process, f: string) => p.open(f, O_RDONLY),
  openW: (p: Process, f: string) => p.open(f, O_WRONLY),
  /** faccessat(AT_EACCESS): the effective credentials, capabilities included. */
  eaccessX: (p: Process, f: string) => p.faccessat(AT_FDCWD, f, X_OK, AT_EACCESS),
  /** access(2): real ids; a non-root caller loses its capabilities. */
  accessR: (p: Process, f: string) => p.access(f, R_OK),
  accessW: (p: Process, f: string) => p.access(f, W_OK),
};
type FileOp = keyof typeof FILE_OPS;

/** Every identity × file × op, named `who file op` as the recording names them. */
const fileCases = K.cases(
  'file ops',
  Object.fromEntries(
    (Object.keys(CREDS) as Who[]).flatMap((who) =>
      Object.keys(FILES).flatMap((file) => (Object.keys(FILE_OPS) as FileOp[]).map((op) => [`${who} ${file} ${op}`, { who, file, op }] as const)),
    ),
  ),
);

describe('files: the first matching class, then capability overrides', () => {
  it.each(fileCases)('%s -> %s', (_n, expected, { who, file, op }) => {
    expect(errOf(() => FILE_OPS[op](as(who), '/' + file))).toBe(expected);
  });
});

const DIR_OPS = {
  /** read a directory without search permission */
  listNoX: (p: Process) => p.getdents(p.open('/dnox', O_DIRECTORY)),
  /** walk through a directory without search permission */
  statThroughNoX: (p: Process) => p.stat('/dnox/f'),
  chdirNoX: (p: Process) => p.chdir('/dnox'),
  /** read a directory without read permission */
  listNoR: (p: Process) => p.getdents(p.open('/dnor', O_DIRECTORY)),
  /** create in a directory with w and x only */
  createNoR: (p: Process) => p.close(p.open('/dnor/n', O_CREAT | O_WRONLY)),
  /** create in a directory without write permission */
  mkdirNoW: (p: Process) => p.mkdir('/dnow/n'),
  /** remove someone else's file from a root-owned sticky directory */
  stickyUnlink: (p: Process) => p.unlink('/sticky/other'),
  /** chmod of root's file */
  chmodRoot: (p: Process) => p.chmod('/root600', 0o640),
  /** hard link to root's 0644 file (fs.protected_hardlinks=1) */
  linkRoot: (p: Process) => p.link('/hl', '/pub/h'),
  /** security.* is for CAP_SYS_ADMIN */
  securityXattr: (p: Process) => p.setxattr('/pub', 'security.foo', new Uint8Array([1])),
};
type DirOp = keyof typeof DIR_OPS;

const dirCases = K.cases(
  'directory ops',
  Object.fromEntries((Object.keys(CREDS) as Who[]).flatMap((who) => (Object.keys(DIR_OPS) as DirOp[]).map((op) => [`${who} ${op}`, { who, op }] as const))),
);

describe('directories, sticky bit, ownership and links', () => {
  it.each(dirCases)('%s -> %s', (_n, expected, { who, op }) => {
    expect(errOf(() => DIR_OPS[op](as(who)))).toBe(expected);
  });
});

describe('the owner class wins even when group or other would allow more', () => {
  it.each(
    K.cases<[number, number, number]>('owner class first', {
      'owner 0o077': [1000, 1000, 0o077],
      'owner 0o007 (other rwx)': [1000, 0, 0o007],
      'group member 0o607 (other rw)': [0, 2000, 0o607],
      'group member 0o460': [0, 2000, 0o460],
      'non-member 0o604': [0, 3000, 0o604],
      'non-member 0o640': [0, 3000, 0o640],
    }),
  )('%s -> %s', (_n, expected, [uid, gid, mode]) => {
    const p = world();
    p.close(p.open('/t', O_CREAT | O_WRONLY));
    p.chown('/t', uid, gid);
    p.chmod('/t', mode);
    const u = p.fork();
    u.creds = CREDS.user_groups;
    expect(errOf(() => u.open('/t', O_RDONLY))).toBe(expected);
  });
});

describe('search permission is needed on every directory of the walk', () => {
  const WALK_OPS = { stat: (u: Process) => u.stat('/a/b'), mkdir: (u: Process) => u.mkdir('/a/b/c') };
  const walkCases = K.cases(
    'search on every directory of the walk',
    Object.fromEntries(
      (['user', 'user_groups', 'user_dac_read_search', 'root_nocaps', 'root'] as const).flatMap((who) =>
        (Object.keys(WALK_OPS) as (keyof typeof WALK_OPS)[]).map((op) => [`${who} ${op}`, { who, op }] as const),
      ),
    ),
  );

  it.each(walkCases)('%s through /a (0700 uid 5)/b -> %s', (_n, expected, { who, op }) => {
    const p = world();
    p.mkdir('/a', 0o700);
    p.mkdir('/a/b', 0o777);
    p.chown('/a', 5, 5);
    const u = p.fork();
    u.creds = CREDS[who];
    expect(errOf(() => WALK_OPS[op](u))).toBe(expected);
  });
});

itChecksEveryAnswer(K);
