/**
 * devpts pseudo-terminals, as far as runc's console needs them: opening ptmx makes /dev/pts/N,
 * closing its last descriptor removes it, and the plan op `openpty` keeps one open. What the
 * kernel does was recorded on a real kernel: the numbering, the max= limit, node modes and
 * owners and TIOCGPTN by test/kernel/record-facts.py (group devpts-pty,
 * test/kernel/recorders/devpts_pty.py), the `openpty` plan by test/kernel/record.py
 * (test/kernel/fixtures/openpty-console.json).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createSandbox, O_NOCTTY, O_RDONLY, O_RDWR } from '../../src/index.js';
import { normaliseMountinfo } from '../../src/plan/compare.js';
import { runEmulated } from '../../src/plan/emulated.js';
import type { OpResult } from '../../src/plan/outcome.js';
import { validatePlan } from '../../src/plan/plan.js';
import { itChecksEveryAnswer, kernelFacts } from '../kernel/facts.js';
import { errOf, readdirNames } from './helpers.js';

const K = kernelFacts('devpts-pty');

describe('devpts pseudo-terminals', () => {
  it('are made by opening ptmx and go with the last close, numbered lowest first up to max', () => {
    const p = createSandbox().process;
    p.mkdir('/pts');
    p.mount('devpts', '/pts', 'devpts', 0, 'newinstance,ptmxmode=0666,mode=0620,gid=5,max=2');
    const a = p.open('/pts/ptmx', O_RDWR | O_NOCTTY);
    const b = p.open('/pts/ptmx', O_RDWR | O_NOCTTY);
    const seen: Record<string, unknown> = { numbers: [p.ptyNumber(a), p.ptyNumber(b)], names: readdirNames(p, '/pts') };
    const st = p.stat('/pts/0');
    seen['/pts/0 [mode (octal), rdev, uid, gid]'] = [st.mode.toString(8), st.rdev, st.uid, st.gid];
    seen['a third open'] = errOf(() => p.open('/pts/ptmx', O_RDWR | O_NOCTTY));
    const dup = p.dup(a);
    p.close(a);
    seen['names after closing 0 with a dup left'] = readdirNames(p, '/pts');
    p.close(dup);
    seen['names after closing the dup'] = readdirNames(p, '/pts');
    seen['stat /pts/0 then'] = errOf(() => p.stat('/pts/0'));
    seen['the next number'] = p.ptyNumber(p.open('/pts/ptmx', O_RDWR | O_NOCTTY));
    const dir = p.open('/pts', O_RDONLY);
    seen['TIOCGPTN of the directory'] = errOf(() => p.ptyNumber(dir));
    expect(seen).toEqual(K.get('devpts', 'newinstance,ptmxmode=0666,mode=0620,gid=5,max=2'));
  });

  it('are owned by the opener unless uid= or gid= say otherwise', () => {
    const p = createSandbox().process;
    p.mkdir('/pts');
    p.mount('devpts', '/pts', 'devpts', 0, 'ptmxmode=0666');
    p.setresgid(7);
    p.setresuid(1000);
    p.open('/pts/ptmx', O_RDWR | O_NOCTTY);
    const st = p.stat('/pts/0');
    expect([st.mode & 0o7777, st.uid, st.gid]).toEqual(K.get('devpts', 'ptmxmode=0666, opened by uid 1000 gid 7: [mode, uid, gid] of /pts/0'));
  });

  it("back the plan op openpty: the number as data, the descriptor kept to the plan's end", () => {
    const fixture = JSON.parse(
      readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'kernel', 'fixtures', 'openpty-console.json'), 'utf8'),
    ) as { plan: unknown; kernel: { results: OpResult[]; mountinfo: string[]; namespaces: string[][] } };
    // The recording is of the bare kernel (record.py has no sandbox policy): replay it without.
    const o = runEmulated(validatePlan(fixture.plan), { policy: false });
    expect(o.results).toEqual(fixture.kernel.results);
    // /dev/console is a bind of /dev/pts/1: root `/1` of the devpts.
    expect(normaliseMountinfo(o).mountinfo).toEqual(normaliseMountinfo(fixture.kernel).mountinfo);
  });
});

itChecksEveryAnswer(K);
