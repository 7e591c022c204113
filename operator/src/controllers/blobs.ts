/**
 * Large JSON kept beside a resource whose own object must stay small (an object is limited to
 * 1.5 MiB by etcd): gzipped, in immutable ConfigMaps of at most ~900 KiB each, named
 * `<base>`, `<base>-1`, ... in the resource's namespace, labelled for `kubectl get -l`, and
 * checked on read against the SHA-256 recorded in the resource's status. Used for an order's
 * frozen plan (`orders/planstore.ts`) and an Occupier's per-item lists (`occupier/details.ts`).
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { CoreV1Api, V1ConfigMap, V1OwnerReference } from '@kubernetes/client-node';
import { isConflict, isNotFound } from '../runtime/index.ts';

/** Gzipped bytes per ConfigMap (a ConfigMap holds at most 1 MiB). */
const CHUNK_BYTES = 900 * 1024;
export const SHA_ANNOTATION = 'occupier.dev/sha256';
const LEGACY_SHA_ANNOTATION = 'occupier.dev/plan-sha256';

export interface BlobRef {
  configMaps: string[];
  sha256: string;
}

export interface BlobTarget {
  namespace: string;
  /** Name of the first ConfigMap; further chunks add `-1`, `-2`, ... (keep it ≤ 240 characters). */
  base: string;
  /** The binaryData key of each chunk, e.g. `plan.json.gz`. */
  key: string;
  labels: Record<string, string>;
  ownerReferences?: V1OwnerReference[];
}

export function sha256(json: string): string {
  return createHash('sha256').update(json).digest('hex');
}

/** The ConfigMap names of a blob of `chunks` chunks. */
export function chunkNames(base: string, chunks: number): string[] {
  return Array.from({ length: chunks }, (_, i) => (i === 0 ? base : `${base}-${i}`));
}

/** The command that prints a blob's JSON, as a user types it. */
export function reviewCommand(namespace: string, names: readonly string[], key: string): string {
  return `kubectl -n ${namespace} get configmap ${names.join(' ')} -o jsonpath='{.binaryData.${key.replaceAll('.', '\\.')}}' | base64 -d | gunzip`;
}

/**
 * Writes `json` (idempotent: ConfigMaps already holding the same SHA-256 are kept; one holding
 * other content, e.g. a plan made before a crash and never started, is replaced).
 */
export async function writeBlob(core: CoreV1Api, target: BlobTarget, json: string): Promise<BlobRef> {
  const sha = sha256(json);
  const gz = gzipSync(json);
  const names = chunkNames(target.base, Math.max(1, Math.ceil(gz.length / CHUNK_BYTES)));
  const { namespace } = target;
  for (const [i, name] of names.entries()) {
    const body: V1ConfigMap = {
      metadata: {
        name,
        namespace,
        labels: { 'app.kubernetes.io/managed-by': 'occupier-operator', ...target.labels },
        annotations: { [SHA_ANNOTATION]: sha, 'occupier.dev/review': reviewCommand(namespace, names, target.key) },
        ...(target.ownerReferences ? { ownerReferences: target.ownerReferences } : {}),
      },
      immutable: true,
      binaryData: { [target.key]: gz.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES).toString('base64') },
    };
    try {
      await core.createNamespacedConfigMap({ namespace, body });
      continue;
    } catch (err) {
      if (!isConflict(err)) throw err; // 409 AlreadyExists
    }
    const existing = await core.readNamespacedConfigMap({ name, namespace });
    if (shaOf(existing) === sha) continue;
    // Other content under this name (ConfigMaps are immutable): replace it.
    await core.deleteNamespacedConfigMap({ name, namespace }).catch((e: unknown) => {
      if (!isNotFound(e)) throw e;
    });
    await core.createNamespacedConfigMap({ namespace, body });
  }
  return { configMaps: names, sha256: sha };
}

/** A blob that cannot be had again: one of its ConfigMaps is gone, or its content is not what was recorded. */
export class BlobLostError extends Error {
  readonly configMaps: readonly string[];

  constructor(message: string, configMaps: readonly string[]) {
    super(message);
    this.name = 'BlobLostError';
    this.configMaps = configMaps;
  }
}

/** Reads a blob back; throws a BlobLostError naming the ConfigMaps when it is gone or not what was recorded. */
export async function readBlob(core: CoreV1Api, namespace: string, ref: BlobRef, key: string, field: string): Promise<string> {
  const parts: Buffer[] = [];
  const lost = (what: string): BlobLostError => new BlobLostError(`ConfigMap(s) ${ref.configMaps.join(', ')} in namespace ${namespace}, recorded in ${field}: ${what}`, ref.configMaps);
  for (const name of ref.configMaps) {
    let cm: V1ConfigMap;
    try {
      cm = await core.readNamespacedConfigMap({ name, namespace });
    } catch (err) {
      if (isNotFound(err)) throw lost(`${name} is gone`);
      throw err;
    }
    parts.push(Buffer.from(cm.binaryData?.[key] ?? '', 'base64'));
  }
  let json: string;
  try {
    json = gunzipSync(Buffer.concat(parts)).toString('utf8');
  } catch {
    throw lost('their content is not the gzip that was written: it was changed');
  }
  if (sha256(json) !== ref.sha256) throw lost('their content does not match the recorded SHA-256: it was changed');
  return json;
}

function shaOf(cm: V1ConfigMap): string | undefined {
  const a = cm.metadata?.annotations ?? {};
  return a[SHA_ANNOTATION] ?? a[LEGACY_SHA_ANNOTATION];
}
