/**
 * The web platform globals the core (src/vfs, src/fs, src/p9, src/plan, src/boot) uses beyond
 * ES2022, declared only as far as it uses them: the core runs in Node and in a browser worker
 * alike, and tsconfig.core.json compiles it with these and without Node's types, so that a Node
 * API used by mistake (Buffer, process, node:*) fails to compile. The main build gets the same
 * names from @types/node and does not read this file.
 */

/** WHATWG Encoding: UTF-8 only. */
declare class TextEncoder {
  readonly encoding: string;
  encode(input?: string): Uint8Array<ArrayBuffer>;
}

/** WHATWG Encoding. */
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  readonly encoding: string;
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  decode(input?: ArrayBufferView | ArrayBufferLike, options?: { stream?: boolean }): string;
}
