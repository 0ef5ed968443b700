/**
 * Fuzz of the 9P codec and server (src/p9/fuzz.ts has the arbitraries): every message round-trips;
 * whatever the bytes, the decoder throws nothing but P9DecodeError; whatever a client sends, the
 * session answers each frame with a well-formed R-message on its tag or closes the connection
 * (the script then reconnects), never throws, and leaves everything outside the export root as it
 * was.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/index.js';
import { decodeMessage, encodeMessage, P9DecodeError } from '../../src/p9/index.js';
import { buildFuzzTree, FUZZ_ROOT, fuzzServer, hostileFrameArbitrary, messageArbitrary, runScript, scriptArbitrary, treeSnapshot, type ExchangeResult } from '../../src/p9/fuzz.js';
import { runsFor, seedFor } from './helpers.js';

/** Decodes, or throws the P9DecodeError; anything else thrown fails the property. */
function decodeOrReject(frame: Uint8Array): void {
  try {
    decodeMessage(frame);
  } catch (e) {
    if (!(e instanceof P9DecodeError)) throw e;
  }
}

describe('9P codec fuzz', () => {
  const seed = seedFor(0x9e2000);

  it(`round-trips any message (seed ${seed})`, () => {
    fc.assert(
      fc.property(messageArbitrary(), (m) => {
        expect(decodeMessage(encodeMessage(m))).toEqual(m);
      }),
      { seed, numRuns: runsFor(3000) },
    );
  });

  it(`throws only P9DecodeError on hostile frames (seed ${seed})`, () => {
    fc.assert(fc.property(hostileFrameArbitrary, decodeOrReject), { seed, numRuns: runsFor(5000) });
  });
});

describe('9P server fuzz', () => {
  const seed = seedFor(0x9e2001);

  it(`answers or closes on every frame and changes nothing outside the export (seed ${seed})`, () => {
    const seen: Record<ExchangeResult, number> = { answered: 0, rejected: 0, closed: 0 };
    fc.assert(
      fc.property(scriptArbitrary(40), (script) => {
        const p = createSandbox().process;
        buildFuzzTree(p);
        const before = treeSnapshot(p, FUZZ_ROOT);
        runScript(fuzzServer(p), script, seen);
        expect(treeSnapshot(p, FUZZ_ROOT)).toEqual(before);
      }),
      { seed, numRuns: runsFor(200) },
    );
    // The scripts must mostly reach the server's logic, not stop at its door.
    expect(seen.answered).toBeGreaterThan(2000);
    expect(seen.answered).toBeGreaterThan(5 * (seen.rejected + seen.closed));
  });
});
