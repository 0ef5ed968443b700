/**
 * src/p9: 9P2000.L — the wire codec (messages.ts, codec.ts), the gofer server over an abstract
 * export (server.ts, session.ts, export.ts), the synchronous transport (transport.ts), the
 * export of a vfsemu sandbox's tree (tree-export.ts), and the client (client.ts) with the
 * in-process channel a kernel mounts a server through (client-channel.ts). This module is the
 * folder's public face.
 */
export * from './constants.js';
export { P9Client, P9_NONUNAME, type P9Attr, type P9Dialect, type P9SetAttr, type P9StatFs } from './client.js';
export { serverChannel } from './client-channel.js';
export { decodeHeader, decodeMessage, encodeMessage, type P9Header } from './codec.js';
export { checkName, type P9AttrChange, type P9DirEntry, type P9Export } from './export.js';
export { messageFields, messageName, messageType, MESSAGES, TLERROR, type P9Dirent, type P9FieldKind, type P9Message, type P9MessageName, type P9Qid, type P9Reply, type P9Request } from './messages.js';
export { P9Server, type P9Outcome, type P9ServerOptions } from './server.js';
export { P9Session } from './session.js';
export { SessionTransport, type P9Transport } from './transport.js';
export { TreeExport, TreeNode, type TreeExportOptions, type TreeFile } from './tree-export.js';
export { P9DecodeError } from './wire.js';
