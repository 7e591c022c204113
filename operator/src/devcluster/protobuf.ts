// Decoder for the Kubernetes protobuf envelope (`k8s\0` + runtime.Unknown) for the few built-in
// kinds kubectl's typed clients send as protobuf (`kubectl create namespace|configmap|secret`).
// Responses are always JSON (kubectl accepts both).
import { ApiError } from './errors.ts';
import type { Obj } from './errors.ts';

type Field = { n: number; wt: number; v: number | Buffer };

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): number => {
    let r = 0;
    let mul = 1;
    for (;;) {
      const b = buf[i++];
      if (b === undefined) throw new Error('truncated varint');
      r += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return r;
      mul *= 128;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const n = Math.floor(key / 8);
    const wt = key & 7;
    if (wt === 0) out.push({ n, wt, v: varint() });
    else if (wt === 2) { const len = varint(); out.push({ n, wt, v: buf.subarray(i, i + len) }); i += len; }
    else if (wt === 1) { out.push({ n, wt, v: buf.subarray(i, i + 8) }); i += 8; }
    else if (wt === 5) { out.push({ n, wt, v: buf.subarray(i, i + 4) }); i += 4; }
    else throw new Error(`unsupported wire type ${wt}`);
  }
  return out;
}

const str = (f: Field): string => (Buffer.isBuffer(f.v) ? f.v.toString('utf8') : String(f.v));
const bytes = (f: Field): Buffer => (Buffer.isBuffer(f.v) ? f.v : Buffer.alloc(0));
const num = (f: Field): number => (typeof f.v === 'number' ? f.v : 0);

function mapEntry(f: Field, asBase64 = false): [string, string] {
  let k = '';
  let v = '';
  for (const e of fields(bytes(f))) {
    if (e.n === 1) k = str(e);
    if (e.n === 2) v = asBase64 ? bytes(e).toString('base64') : str(e);
  }
  return [k, v];
}

function time(f: Field): string {
  let s = 0;
  for (const e of fields(bytes(f))) if (e.n === 1) s = num(e);
  return new Date(s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

function objectMeta(buf: Buffer): Obj {
  const m: Obj = {};
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  const finalizers: string[] = [];
  const owners: Obj[] = [];
  for (const f of fields(buf)) {
    switch (f.n) {
      case 1: m['name'] = str(f); break;
      case 2: m['generateName'] = str(f); break;
      case 3: m['namespace'] = str(f); break;
      case 5: m['uid'] = str(f); break;
      case 6: m['resourceVersion'] = str(f); break;
      case 7: m['generation'] = num(f); break;
      case 8: m['creationTimestamp'] = time(f); break;
      case 11: { const [k, v] = mapEntry(f); labels[k] = v; break; }
      case 12: { const [k, v] = mapEntry(f); annotations[k] = v; break; }
      case 13: {
        const o: Obj = {};
        for (const e of fields(bytes(f))) {
          if (e.n === 1) o['kind'] = str(e);
          if (e.n === 3) o['name'] = str(e);
          if (e.n === 4) o['uid'] = str(e);
          if (e.n === 5) o['apiVersion'] = str(e);
          if (e.n === 6) o['controller'] = num(e) !== 0;
          if (e.n === 7) o['blockOwnerDeletion'] = num(e) !== 0;
        }
        owners.push(o);
        break;
      }
      case 14: finalizers.push(str(f)); break;
      default: break;
    }
  }
  if (Object.keys(labels).length) m['labels'] = labels;
  if (Object.keys(annotations).length) m['annotations'] = annotations;
  if (finalizers.length) m['finalizers'] = finalizers;
  if (owners.length) m['ownerReferences'] = owners;
  return m;
}

function decodeKind(kind: string, raw: Buffer): Obj {
  const o: Obj = {};
  const data: Record<string, string> = {};
  const binary: Record<string, string> = {};
  const stringData: Record<string, string> = {};
  for (const f of fields(raw)) {
    if (f.n === 1) { o['metadata'] = objectMeta(bytes(f)); continue; }
    if (kind === 'ConfigMap') {
      if (f.n === 2) { const [k, v] = mapEntry(f); data[k] = v; }
      if (f.n === 3) { const [k, v] = mapEntry(f, true); binary[k] = v; }
      if (f.n === 4) o['immutable'] = num(f) !== 0;
    } else if (kind === 'Secret') {
      if (f.n === 2) { const [k, v] = mapEntry(f, true); data[k] = v; }
      if (f.n === 3) o['type'] = str(f);
      if (f.n === 4) { const [k, v] = mapEntry(f); stringData[k] = v; }
      if (f.n === 5) o['immutable'] = num(f) !== 0;
    } else if (kind === 'Namespace') {
      if (f.n === 2) o['spec'] = { finalizers: fields(bytes(f)).filter((e) => e.n === 1).map(str) };
    } else if (REVIEWS.has(kind) && f.n === 2) {
      o['spec'] = reviewSpec(kind, bytes(f));
    }
  }
  if (Object.keys(data).length) o['data'] = data;
  if (Object.keys(binary).length) o['binaryData'] = binary;
  if (Object.keys(stringData).length) {
    // The API server folds stringData into data.
    const d = (o['data'] as Record<string, string> | undefined) ?? {};
    for (const [k, v] of Object.entries(stringData)) d[k] = Buffer.from(v).toString('base64');
    o['data'] = d;
  }
  return o;
}

const REVIEWS = new Set(['SelfSubjectAccessReview', 'SubjectAccessReview', 'SelfSubjectRulesReview', 'SelfSubjectReview']);
const SUPPORTED = new Set(['ConfigMap', 'Secret', 'Namespace', ...REVIEWS]);

const RESOURCE_ATTRS = ['', 'namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'];

/** `kubectl auth can-i` sends access reviews as protobuf: decode the attributes it asks about. */
function reviewSpec(kind: string, buf: Buffer): Obj {
  const spec: Obj = {};
  for (const f of fields(buf)) {
    if (kind === 'SelfSubjectRulesReview') { if (f.n === 1) spec['namespace'] = str(f); continue; }
    if (f.n === 1) {
      const ra: Obj = {};
      for (const e of fields(bytes(f))) { const name = RESOURCE_ATTRS[e.n]; if (name && e.wt === 2) ra[name] = str(e); }
      spec['resourceAttributes'] = ra;
    } else if (f.n === 2) {
      const nra: Obj = {};
      for (const e of fields(bytes(f))) { if (e.n === 1) nra['path'] = str(e); if (e.n === 2) nra['verb'] = str(e); }
      spec['nonResourceAttributes'] = nra;
    } else if (kind === 'SubjectAccessReview' && f.n === 3) spec['user'] = str(f);
  }
  return spec;
}

/** Decodes a protobuf request body into the JSON object it stands for. */
export function decodeProtobuf(body: Buffer): Obj {
  if (body.length < 4 || body.subarray(0, 4).toString('latin1') !== 'k8s\0') {
    throw new ApiError(400, 'BadRequest', 'provided protobuf is not a valid Kubernetes object (missing k8s\\0 prefix)');
  }
  let apiVersion = '';
  let kind = '';
  let raw: Buffer = Buffer.alloc(0);
  for (const f of fields(body.subarray(4))) {
    if (f.n === 1) for (const t of fields(bytes(f))) { if (t.n === 1) apiVersion = str(t); if (t.n === 2) kind = str(t); }
    if (f.n === 2) raw = bytes(f);
  }
  if (!SUPPORTED.has(kind)) {
    throw new ApiError(415, 'UnsupportedMediaType', `the dev cluster accepts protobuf only for ${[...SUPPORTED].join(', ')}; send application/json`);
  }
  return { apiVersion, kind, ...decodeKind(kind, raw) };
}
