/**
 * `vfsemu/oci`: an OCI runtime spec read as untrusted input — parsed and validated against the
 * runtime-spec schema (ajv; errors name the JSON path) — and the runc dry-run's prediction for it.
 * A separate entry so that the main one does not load the schema validator.
 *
 * @example
 * ```ts
 * import { parseSpec, predictRunc } from 'vfsemu/oci';
 * const p = predictRunc(parseSpec(configJsonText));
 * p.failure?.message ?? 'every mount would succeed';
 * ```
 */
export { parseSpec, validateSpec, specWarnings, SpecError, type OciSpec, type SpecMount } from './spec.js';
export { predictRunc, type RuncPrediction, type RuncFailure, type RuncProfileOptions } from './runc-profile.js';
export { parseImage, type ImageNode } from './rootfs-image.js';
export { ASSUMED_HOST, type HostFacts } from './host-facts.js';
