/** The `http` driver: the driver contract over the REST protocol in `protocol.ts`. */
import { DriverError, REASONS } from '../contract.ts';
import type { Driver, EnsureCall, ListCall, ListedItem, ObserveCall, Observation, Outcome, RemoveCall } from '../contract.ts';
import { errorFromResponse, itemPath, listPath, parseRetryAfter, taskPath } from './protocol.ts';

export interface HttpDriverOptions {
  /** Base URL of the backend, e.g. `https://provisioning.example.com/api`. */
  endpoint: string;
  /** The bearer token (read from the Site's credentials Secret), or undefined for none. */
  token?: () => Promise<string | undefined>;
  fetch?: typeof fetch;
}

interface Response {
  status: number;
  body: unknown;
  retryAfterMs: number | undefined;
  location: string | null;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class HttpDriver implements Driver {
  readonly name = 'http';
  private readonly base: string;
  private readonly token: (() => Promise<string | undefined>) | undefined;
  private readonly fetch: typeof fetch;

  constructor(options: HttpDriverOptions) {
    this.base = options.endpoint.replace(/\/+$/, '');
    this.token = options.token;
    this.fetch = options.fetch ?? fetch;
  }

  private async request(method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal, idempotencyKey?: string): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', 'user-agent': 'occupier-operator' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    if (this.token) {
      let token: string | undefined;
      try {
        token = await this.token();
      } catch (err) {
        throw DriverError.transient(REASONS.Unauthorized, `credentials could not be read: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    }
    let res: globalThis.Response;
    try {
      res = await this.fetch(`${this.base}${path}`, { method, headers, signal, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch (err) {
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : DriverError.transient(REASONS.Cancelled, 'request aborted', { cause: err });
      throw DriverError.transient(REASONS.Unreachable, `${method} ${this.base}${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const text = await res.text().catch((err: unknown) => {
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : err;
      throw DriverError.transient(REASONS.Unreachable, `reading the response of ${method} ${path} failed`, { cause: err });
    });
    let parsed: unknown = undefined;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text) as unknown;
      } catch (err) {
        if (res.ok) throw DriverError.transient(REASONS.BadResponse, `${method} ${path}: response is not JSON`, { cause: err });
      }
    }
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
    if (res.status >= 400) throw errorFromResponse(res.status, parsed, retryAfterMs);
    return { status: res.status, body: parsed, retryAfterMs, location: res.headers.get('location') };
  }

  private outcome(res: Response, what: string): Outcome {
    const body = isRecord(res.body) ? res.body : {};
    if (res.status === 202 || body['state'] === 'InProgress') {
      const location = res.location ?? '';
      const taskRef = typeof body['taskRef'] === 'string' ? body['taskRef'] : decodeURIComponent(location.split('/').pop() ?? '');
      if (taskRef === '') throw DriverError.transient(REASONS.BadResponse, `${what}: 202 without a task reference`);
      const hinted = typeof body['retryAfterMs'] === 'number' ? body['retryAfterMs'] : res.retryAfterMs;
      return { state: 'InProgress', taskRef, retryAfterMs: Math.max(0, hinted ?? 1000) };
    }
    if (res.status === 200 && body['state'] === 'Done') return { state: 'Done', details: body['details'] };
    throw DriverError.transient(REASONS.BadResponse, `${what}: unexpected response HTTP ${res.status}`);
  }

  async observe(call: ObserveCall): Promise<Observation> {
    const { ref } = call;
    const res = await this.request('POST', itemPath(call.site.name, ref.capability, ref.type, ref.key, 'observe'), { site: call.site, ...(call.desired === undefined ? {} : { desired: call.desired }) }, call.signal);
    const body = isRecord(res.body) ? res.body : {};
    if (res.status !== 200 || typeof body['exists'] !== 'boolean') throw DriverError.transient(REASONS.BadResponse, `observe ${ref.capability}/${ref.type}: unexpected response`);
    return { exists: body['exists'], upToDate: body['upToDate'] === true, details: body['details'] };
  }

  async ensure(call: EnsureCall): Promise<Outcome> {
    const { item } = call;
    const res = await this.request('POST', itemPath(call.site.name, item.capability, item.type, item.key, 'ensure'), { site: call.site, spec: item.spec }, call.signal, call.idempotencyKey);
    return this.outcome(res, `ensure ${item.capability}/${item.type}`);
  }

  async remove(call: RemoveCall): Promise<Outcome> {
    const { ref } = call;
    const res = await this.request('POST', itemPath(call.site.name, ref.capability, ref.type, ref.key, 'remove'), { site: call.site }, call.signal, call.idempotencyKey);
    return this.outcome(res, `remove ${ref.capability}/${ref.type}`);
  }

  async list(call: ListCall): Promise<ListedItem[]> {
    const res = await this.request('POST', listPath(call.site.name, call.capability, call.type), { site: call.site, ...(call.occupier === undefined ? {} : { occupier: call.occupier }) }, call.signal);
    const items = isRecord(res.body) ? res.body['items'] : undefined;
    if (!Array.isArray(items)) throw DriverError.transient(REASONS.BadResponse, `list ${call.capability}/${call.type}: no items array`);
    return items.filter(isRecord).map((i) => ({ key: String(i['key']), spec: i['spec'], details: i['details'] }));
  }

  /** Follows a task by its reference (`GET /v1/tasks/{taskRef}`). */
  async task(taskRef: string, signal: AbortSignal): Promise<Outcome> {
    return this.outcome(await this.request('GET', taskPath(taskRef), undefined, signal), `task ${taskRef}`);
  }

  async close(): Promise<void> {
    // fetch keeps no per-driver connections to release.
  }
}
