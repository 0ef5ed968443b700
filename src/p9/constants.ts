/**
 * The numbers of 9P2000.L that are not message layouts: the protocol version string, the reserved
 * tag and fid, the walk limit, header sizes, qid types, the getattr/setattr masks, the lock
 * constants and the open flags a Tlopen carries. Values are those of Linux's
 * include/net/9p/9p.h and diod's protocol.md; the message type numbers and field layouts live in
 * messages.ts, next to the schema that uses them.
 *
 * Every constant that names an 8-byte wire field (the getattr masks) is a bigint, as the field is
 * (codec.ts says why); 4-byte ones are numbers.
 */

/** The only protocol this server speaks; any other Tversion string is answered "unknown". */
export const P9_VERSION_L = '9P2000.L';
/** version(5): the Rversion string for a version the server does not speak. */
export const P9_VERSION_UNKNOWN = 'unknown';

/** The tag of Tversion (version(5)): no other request may be outstanding. */
export const NOTAG = 0xffff;
/** "No fid": Tattach's afid when no authentication is used. */
export const NOFID = 0xffffffff;
/** walk(5): at most 16 names a Twalk and 16 qids an Rwalk. */
export const MAXWELEM = 16;

/** size[4] type[1] tag[2]: every message starts with these 7 bytes. */
export const P9_HEADER_SIZE = 7;
/** Rread/Rreaddir: the header plus count[4] before the data. */
export const P9_RREAD_HEADER_SIZE = 11;
/** P9_IOHDRSZ: Twrite's header (size type tag fid offset count); iounit is msize less this. */
export const P9_IOHDRSZ = 24;

/** The smallest msize a Tversion may settle on: Linux's client refuses less than 4096. */
export const P9_MIN_MSIZE = 4096;
/** The server's default ceiling on msize. */
export const P9_DEFAULT_MAX_MSIZE = 1 << 20;
/** The server's default ceiling on the fids of one connection. */
export const P9_DEFAULT_MAX_FIDS = 4096;

/** Qid types (qid.type): the file's type as 9P sees it. */
export const QTDIR = 0x80;
export const QTAPPEND = 0x40;
export const QTEXCL = 0x20;
export const QTMOUNT = 0x10;
export const QTAUTH = 0x08;
export const QTTMP = 0x04;
export const QTSYMLINK = 0x02;
export const QTLINK = 0x01;
export const QTFILE = 0x00;

/** Tgetattr request_mask / Rgetattr valid bits (P9_STATS_* in Linux, P9_GETATTR_* in diod). */
export const P9_GETATTR_MODE = 0x1n;
export const P9_GETATTR_NLINK = 0x2n;
export const P9_GETATTR_UID = 0x4n;
export const P9_GETATTR_GID = 0x8n;
export const P9_GETATTR_RDEV = 0x10n;
export const P9_GETATTR_ATIME = 0x20n;
export const P9_GETATTR_MTIME = 0x40n;
export const P9_GETATTR_CTIME = 0x80n;
export const P9_GETATTR_INO = 0x100n;
export const P9_GETATTR_SIZE = 0x200n;
export const P9_GETATTR_BLOCKS = 0x400n;
export const P9_GETATTR_BTIME = 0x800n;
export const P9_GETATTR_GEN = 0x1000n;
export const P9_GETATTR_DATA_VERSION = 0x2000n;
/** Everything struct stat has (mode through blocks). */
export const P9_GETATTR_BASIC = 0x7ffn;
export const P9_GETATTR_ALL = 0x3fffn;

/** Tsetattr valid bits (P9_ATTR_* in Linux, P9_SETATTR_* in diod). */
export const P9_SETATTR_MODE = 0x1;
export const P9_SETATTR_UID = 0x2;
export const P9_SETATTR_GID = 0x4;
export const P9_SETATTR_SIZE = 0x8;
/** Set atime: to now, or with P9_SETATTR_ATIME_SET to atime_sec/atime_nsec. */
export const P9_SETATTR_ATIME = 0x10;
export const P9_SETATTR_MTIME = 0x20;
export const P9_SETATTR_CTIME = 0x40;
export const P9_SETATTR_ATIME_SET = 0x80;
export const P9_SETATTR_MTIME_SET = 0x100;

/** Tlock/Tgetlock type. */
export const P9_LOCK_TYPE_RDLCK = 0;
export const P9_LOCK_TYPE_WRLCK = 1;
export const P9_LOCK_TYPE_UNLCK = 2;
/** Rlock status. */
export const P9_LOCK_SUCCESS = 0;
export const P9_LOCK_BLOCKED = 1;
export const P9_LOCK_ERROR = 2;
export const P9_LOCK_GRACE = 3;
/** Tlock flags. */
export const P9_LOCK_FLAGS_BLOCK = 1;
export const P9_LOCK_FLAGS_RECLAIM = 2;

/**
 * Tlopen/Tlcreate flags (P9_DOTL_*): Linux's generic open(2) values, which the x86_64 ones are,
 * so the server passes the bits it honours straight to the VFS.
 */
export const P9_DOTL_RDONLY = 0o0;
export const P9_DOTL_WRONLY = 0o1;
export const P9_DOTL_RDWR = 0o2;
export const P9_DOTL_NOACCESS = 0o3;
export const P9_DOTL_CREATE = 0o100;
export const P9_DOTL_EXCL = 0o200;
export const P9_DOTL_NOCTTY = 0o400;
export const P9_DOTL_TRUNC = 0o1000;
export const P9_DOTL_APPEND = 0o2000;
export const P9_DOTL_NONBLOCK = 0o4000;
export const P9_DOTL_DSYNC = 0o10000;
export const P9_DOTL_FASYNC = 0o20000;
export const P9_DOTL_DIRECT = 0o40000;
export const P9_DOTL_LARGEFILE = 0o100000;
export const P9_DOTL_DIRECTORY = 0o200000;
export const P9_DOTL_NOFOLLOW = 0o400000;
export const P9_DOTL_NOATIME = 0o1000000;
export const P9_DOTL_CLOEXEC = 0o2000000;
export const P9_DOTL_SYNC = 0o4000000;

/** Tunlinkat flags: AT_REMOVEDIR, as unlinkat(2). */
export const P9_DOTL_AT_REMOVEDIR = 0x200;

/** Txattrcreate flags: setxattr(2)'s XATTR_CREATE and XATTR_REPLACE. */
export const P9_XATTR_CREATE = 1;
export const P9_XATTR_REPLACE = 2;
