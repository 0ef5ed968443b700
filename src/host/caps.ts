/**
 * The capability sets of this process, from /proc/self/status (proc(5): CapEff, CapPrm as hex):
 * whether the native backend may run (CAP_SYS_ADMIN), and the identity the emulator must start
 * from to compare with it (a host's root may lack some capabilities, e.g. in a container).
 */
import { readFileSync } from 'node:fs';

export interface ProcessCaps {
  effective: bigint;
  permitted: bigint;
}

/** The sets, or null where /proc/self/status cannot be read (not Linux). */
export function processCapabilities(): ProcessCaps | null {
  let status: string;
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    return null;
  }
  const field = (name: string): bigint | null => {
    const m = new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(status);
    return m ? BigInt('0x' + m[1]) : null;
  };
  const effective = field('CapEff');
  const permitted = field('CapPrm');
  return effective === null || permitted === null ? null : { effective, permitted };
}

/** CAP_SYS_ADMIN (bit 21) in the effective set: what mount namespaces need. False off Linux. */
export function hasCapSysAdmin(): boolean {
  const caps = processCapabilities();
  return caps !== null && ((caps.effective >> 21n) & 1n) === 1n;
}
