/**
 * Shape anchors: a few objects kept for the life of the module so that the JavaScript engine
 * keeps the hidden classes of the VFS's hot objects, and the machine code compiled against
 * them, from one sandbox to the next.
 *
 * Why: V8 gives an object of a class the constructor's initial hidden class ("map") and one
 * transition a field its constructor sets; the map it ends with is held only weakly — by the
 * transition tree, by the inline caches that saw it and by the optimized code that checks for
 * it. When the last object with that map dies (every sandbox dropped, or no descriptor open, or
 * no path walk running) and a full collection follows, the map goes, every function optimized
 * against it is thrown away (`--trace-deopt-verbose`: "marking dependent code ... reason: weak
 * objects") and the next objects get a fresh map the JIT must learn again. Measured in
 * bench/fs.mjs, where each round makes a sandbox on a collected heap: nearly every function of
 * open, stat, read and unlink was deoptimized each round, and the first thousand calls of the
 * next sandbox ran 3 to 10 times slower than the same calls once warm. One live object of each
 * such class keeps its map, so the code stays.
 *
 * What is kept is small (a sandbox of one directory, one empty file and its open descriptor, and
 * a walk's state) and shares nothing mutable with any other sandbox: its own kernel, ids and
 * clock, so no inode number, mount id, device number or timestamp anyone else sees changes.
 */

const kept: object[] = [];

/** Keeps `o` alive as long as the module is loaded: its hidden class with it. */
export function keepShape(o: object): void {
  kept.push(o);
}
