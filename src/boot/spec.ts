/**
 * The OCI runtime spec (config.json, runtime-spec 1.0 to 1.2) as vfsemu reads it: the TypeScript
 * shape of the parts a dry-run uses, and validation against oci-config.schema.json with errors
 * that name the JSON path at fault (`mounts[3].destination: must be an absolute path`).
 *
 * Validation is ajv's (JSON Schema draft-07, with ajv-errors for the messages): the schema is a
 * data file anyone can read and reuse, ajv compiles it to one fast function and reports every
 * error with its JSON pointer, which hand-written checks would do worse and at greater length.
 * Warnings are what the spec allows but a runtime treats specially.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import ajvErrorsModule from 'ajv-errors';
import schema from './oci-config.schema.json' with { type: 'json' };

export interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface SpecMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
  uidMappings?: IdMapping[];
  gidMappings?: IdMapping[];
}

export type NamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';

export interface SpecDevice {
  type: 'c' | 'b' | 'u' | 'p';
  path: string;
  major?: number;
  minor?: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export type RootfsPropagation = 'private' | 'shared' | 'slave' | 'unbindable' | 'rprivate' | 'rshared' | 'rslave' | 'runbindable';

export interface OciSpec {
  ociVersion: string;
  root?: { path: string; readonly?: boolean };
  mounts?: SpecMount[];
  hostname?: string;
  process?: { terminal?: boolean; cwd?: string; args?: string[]; user?: { uid?: number; gid?: number; umask?: number }; [k: string]: unknown };
  annotations?: Record<string, string>;
  linux?: {
    rootfsPropagation?: RootfsPropagation;
    maskedPaths?: string[];
    readonlyPaths?: string[];
    uidMappings?: IdMapping[];
    gidMappings?: IdMapping[];
    cgroupsPath?: string;
    namespaces?: { type: NamespaceType; path?: string }[];
    devices?: SpecDevice[];
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

/** An invalid spec: every problem, each `where: what` with `where` a JSON path. */
export class SpecError extends Error {
  constructor(readonly problems: { where: string; problem: string }[]) {
    super(problems.map((p) => `${p.where}: ${p.problem}`).join('\n'));
    this.name = 'SpecError';
  }
}

// ajv-errors is CommonJS: its module object is the plugin, with the same function as `default`.
const ajvErrors = ((ajvErrorsModule as unknown as { default?: unknown }).default ?? ajvErrorsModule) as (ajv: Ajv) => Ajv;

let validator: ValidateFunction | undefined;

function compiled(): ValidateFunction {
  if (!validator) {
    // allErrors: report every problem at once (and ajv-errors needs it).
    // strictRequired is off: a conditional "required" names properties declared beside the "if".
    const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
    ajvErrors(ajv);
    validator = ajv.compile(schema);
  }
  return validator;
}

/** JSON pointer (`/mounts/3/destination`) to the path style of the messages (`mounts[3].destination`). */
export function jsonPath(pointer: string, child?: string): string {
  const parts = pointer === '' ? [] : pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) parts.push(child);
  let out = '';
  for (const p of parts) {
    if (/^[0-9]+$/.test(p)) out += `[${p}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(p)) out += out === '' ? p : `.${p}`;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out === '' ? '(config)' : out;
}

function problemOf(e: ErrorObject): { where: string; problem: string } {
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    return { where: jsonPath(e.instancePath, missing), problem: 'missing (required)' };
  }
  if (e.keyword === 'errorMessage') {
    // A "required" message of ajv-errors names the object; the wording says what is missing.
    return { where: jsonPath(e.instancePath), problem: e.message ?? 'invalid' };
  }
  return { where: jsonPath(e.instancePath), problem: e.message ?? 'invalid' };
}

/**
 * Validates untrusted JSON as a runtime spec; returns it typed, or throws SpecError.
 *
 * @example
 * ```ts
 * validateSpec({ ociVersion: '1.0.2', root: { path: 'rootfs' } }); // the spec
 * validateSpec({ ociVersion: '1.0.2', mounts: [{ destination: 'proc' }] });
 * // throws SpecError "mounts[0].destination: must be an absolute path"
 * ```
 */
export function validateSpec(doc: unknown): OciSpec {
  const validate = compiled();
  if (validate(doc)) return doc as OciSpec;
  const seen = new Set<string>();
  // "if" failures and the inner errors of propertyNames repeat what their own message says.
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if' && !('propertyName' in e.params));
  const problems = errors.map(problemOf).filter((p) => {
    const k = `${p.where}: ${p.problem}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  throw new SpecError(problems);
}

/** Parses config.json text; a JSON syntax error is a SpecError too. */
export function parseSpec(text: string): OciSpec {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new SpecError([{ where: '(config)', problem: `not valid JSON: ${(e as Error).message}` }]);
  }
  return validateSpec(doc);
}

/** What is valid but worth saying about a spec before it runs. */
export function specWarnings(spec: OciSpec): string[] {
  const w: string[] = [];
  if (!spec.root) w.push('root: missing; runc refuses a spec without one ("root must be specified")');
  const nsTypes = new Set((spec.linux?.namespaces ?? []).map((n) => n.type));
  if (spec.linux && !nsTypes.has('mount')) w.push('linux.namespaces: no mount namespace; runc then chroots instead of pivot_root, and every mount lands in the host namespace');
  const p = spec.linux?.rootfsPropagation;
  if (p && p.startsWith('r')) w.push(`linux.rootfsPropagation: "${p}" is runc's, not the spec's (private, shared, slave, unbindable)`);
  return w;
}
