/**
 * The mount table as the dry-runs print it (`--format tree`): findmnt's tree of mountinfo lines.
 * Shared by the OCI bundle dry-run (dry-run.ts) and the containerd mount-list one
 * (dry-run-mounts.ts), which is why it is a module of its own rather than either's.
 */

/** findmnt's tree: target (indented under its parent), source, fstype, options. */
export function formatTree(mountinfo: readonly string[]): string {
  type Row = { id: string; parent: string; target: string; source: string; fstype: string; options: string };
  const rows: Row[] = mountinfo.map((l) => {
    const f = l.split(' ');
    const sep = f.indexOf('-');
    const root = f[3]!;
    const dev = f[sep + 2]!;
    const source = root === '/' ? dev : `${dev}[${root}]`;
    const superOpts = f[sep + 3]!.split(',').filter((o) => o !== 'rw' && o !== 'ro');
    return { id: f[0]!, parent: f[1]!, target: f[4]!, source, fstype: f[sep + 1]!, options: [f[5]!, ...superOpts].join(',') };
  });
  const ids = new Set(rows.map((r) => r.id));
  const lines: [string, Row][] = [];
  const walk = (parent: string, prefix: string): void => {
    const kids = rows.filter((r) => r.parent === parent && r.id !== parent);
    kids.forEach((r, i) => {
      const last = i === kids.length - 1;
      lines.push([`${prefix}${last ? '└─' : '├─'}${r.target}`, r]);
      walk(r.id, prefix + (last ? '  ' : '│ '));
    });
  };
  for (const top of rows.filter((r) => !ids.has(r.parent) || r.parent === r.id)) {
    lines.push([top.target, top]);
    walk(top.id, '');
  }
  const w = Math.max(6, ...lines.map(([t]) => t.length));
  const ws = Math.max(6, ...lines.map(([, r]) => r.source.length));
  const wf = Math.max(6, ...lines.map(([, r]) => r.fstype.length));
  let out = `${'TARGET'.padEnd(w)} ${'SOURCE'.padEnd(ws)} ${'FSTYPE'.padEnd(wf)} OPTIONS\n`;
  for (const [t, r] of lines) out += `${t.padEnd(w)} ${r.source.padEnd(ws)} ${r.fstype.padEnd(wf)} ${r.options}\n`;
  return out;
}
