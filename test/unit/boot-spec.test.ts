/** The OCI spec validator: the examples pass, errors name the JSON path and say what is wrong. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonPath, parseSpec, SpecError, specWarnings, validateSpec } from '../../src/boot/spec.js';

const problems = (doc: unknown): string[] => {
  try {
    validateSpec(doc);
    return [];
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    return e.problems.map((p) => `${p.where}: ${p.problem}`);
  }
};
const base = { ociVersion: '1.0.2', root: { path: 'rootfs' } };

describe('validateSpec', () => {
  it('accepts every example bundle, and the versions 1.0 to 1.2', () => {
    const dir = 'examples/bundles';
    for (const name of readdirSync(dir).filter((n) => !n.endsWith('.md'))) expect(() => parseSpec(readFileSync(join(dir, name, 'config.json'), 'utf8')), name).not.toThrow();
    for (const v of ['1.0.0', '1.0.2-dev', '1.1.0', '1.2.1', '1.2.0+build']) expect(problems({ ...base, ociVersion: v }), v).toEqual([]);
  });

  it('names the mount and field of a relative destination', () => {
    expect(problems({ ...base, mounts: [{ destination: '/proc', type: 'proc' }, { destination: '/a' }, { destination: '/b' }, { destination: 'tmp' }] })).toEqual([
      'mounts[3].destination: must be an absolute path',
    ]);
  });

  it('reports every problem at once', () => {
    expect(
      problems({ ociVersion: '2.0.0', root: {}, mounts: [{ type: 'tmpfs', options: 'ro' }], linux: { rootfsPropagation: 'wide', maskedPaths: ['proc/kcore'], uidMappings: [{ containerID: 0, hostID: -1, size: 1 }] }, annotations: { a: 1 } }),
    ).toEqual([
      'ociVersion: must be a runtime-spec version from 1.0.0 to 1.2.x (SemVer), as vfsemu reads those',
      'root.path: missing (required)',
      'mounts[0].destination: missing (required)',
      'mounts[0].options: must be an array of strings',
      'annotations.a: must be a string (annotation values are strings)',
      'linux.rootfsPropagation: must be one of private, shared, slave, unbindable (runc also takes rprivate, rshared, rslave, runbindable)',
      'linux.maskedPaths[0]: must be an absolute path',
      'linux.uidMappings[0].hostID: must be an integer from 0 to 4294967295',
    ]);
  });

  it('refuses NUL bytes in mount fields (runc: "mount field contains null byte")', () => {
    expect(problems({ ...base, mounts: [{ destination: '/a', source: 'x\u0000y' }] })).toEqual(['mounts[0].source: must be a string without NUL bytes']);
  });

  it('needs major and minor for character and block devices', () => {
    expect(problems({ ...base, linux: { devices: [{ type: 'c', path: '/dev/fuse' }, { type: 'p', path: '/dev/fifo' }] } })).toEqual(['linux.devices[0]: a character or block device needs "major" and "minor"']);
  });

  it('says a non-object or bad JSON is not a spec', () => {
    expect(problems([1])).toEqual(['(config): must be a JSON object (the contents of config.json)']);
    expect(() => parseSpec('{')).toThrow(/\(config\): not valid JSON/);
  });

  it('warns about what runc treats specially', () => {
    expect(specWarnings({ ociVersion: '1.0.0', linux: { rootfsPropagation: 'rshared', namespaces: [{ type: 'pid' }] } })).toEqual([
      'root: missing; runc refuses a spec without one ("root must be specified")',
      'linux.namespaces: no mount namespace; runc then chroots instead of pivot_root, and every mount lands in the host namespace',
      'linux.rootfsPropagation: "rshared" is runc\'s, not the spec\'s (private, shared, slave, unbindable)',
    ]);
  });
});

describe('jsonPath', () => {
  it('turns JSON pointers into the path style of the messages', () => {
    expect(jsonPath('/mounts/3/destination')).toBe('mounts[3].destination');
    expect(jsonPath('/annotations/io.k8s~1name')).toBe('annotations["io.k8s/name"]');
    expect(jsonPath('', 'ociVersion')).toBe('ociVersion');
    expect(jsonPath('')).toBe('(config)');
  });
});
