/**
 * A typed client for one custom resource (group/version/plural) over client-node's
 * CustomObjectsApi, namespace-aware (namespace undefined = cluster-scoped), with the patch
 * content types set explicitly.
 */
import { PatchStrategy, setHeaderOptions, type CustomObjectsApi, type KubernetesObject } from '@kubernetes/client-node';
import type { ResourceKind } from './cache.ts';

export type JsonPatchOp =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

export class ResourceClient<T extends KubernetesObject = KubernetesObject> {
  readonly api: CustomObjectsApi;
  readonly resource: ResourceKind;
  private readonly fieldManager: string | undefined;

  constructor(api: CustomObjectsApi, resource: ResourceKind, opts: { fieldManager?: string } = {}) {
    this.api = api;
    this.resource = resource;
    this.fieldManager = opts.fieldManager;
  }

  private base(): { group: string; version: string; plural: string } {
    const { group, version, plural } = this.resource;
    return { group, version, plural };
  }

  private fm(): { fieldManager?: string } {
    return this.fieldManager ? { fieldManager: this.fieldManager } : {};
  }

  async get(namespace: string | undefined, name: string): Promise<T> {
    const res: unknown = namespace
      ? await this.api.getNamespacedCustomObject({ ...this.base(), namespace, name })
      : await this.api.getClusterCustomObject({ ...this.base(), name });
    return res as T;
  }

  async create(obj: T): Promise<T> {
    const namespace = obj.metadata?.namespace;
    const res: unknown = namespace
      ? await this.api.createNamespacedCustomObject({ ...this.base(), namespace, body: obj, ...this.fm() })
      : await this.api.createClusterCustomObject({ ...this.base(), body: obj, ...this.fm() });
    return res as T;
  }

  async replace(obj: T): Promise<T> {
    const namespace = obj.metadata?.namespace;
    const name = obj.metadata?.name ?? '';
    const res: unknown = namespace
      ? await this.api.replaceNamespacedCustomObject({ ...this.base(), namespace, name, body: obj, ...this.fm() })
      : await this.api.replaceClusterCustomObject({ ...this.base(), name, body: obj, ...this.fm() });
    return res as T;
  }

  async delete(namespace: string | undefined, name: string): Promise<void> {
    if (namespace) await this.api.deleteNamespacedCustomObject({ ...this.base(), namespace, name });
    else await this.api.deleteClusterCustomObject({ ...this.base(), name });
  }

  /** JSON patch (RFC 6902) of the main resource. */
  async jsonPatch(namespace: string | undefined, name: string, ops: JsonPatchOp[]): Promise<T> {
    return this.patch(namespace, name, ops, PatchStrategy.JsonPatch, false);
  }

  /** Merge patch (RFC 7386) of the main resource. */
  async mergePatch(namespace: string | undefined, name: string, patch: object): Promise<T> {
    return this.patch(namespace, name, patch, PatchStrategy.MergePatch, false);
  }

  /** Merge patch of the status subresource. */
  async mergePatchStatus(namespace: string | undefined, name: string, patch: object): Promise<T> {
    return this.patch(namespace, name, patch, PatchStrategy.MergePatch, true);
  }

  /** PUT of the status subresource; `obj.metadata.resourceVersion` makes it conditional. */
  async replaceStatus(obj: T): Promise<T> {
    const namespace = obj.metadata?.namespace;
    const name = obj.metadata?.name ?? '';
    const res: unknown = namespace
      ? await this.api.replaceNamespacedCustomObjectStatus({ ...this.base(), namespace, name, body: obj, ...this.fm() })
      : await this.api.replaceClusterCustomObjectStatus({ ...this.base(), name, body: obj, ...this.fm() });
    return res as T;
  }

  private async patch(namespace: string | undefined, name: string, body: object, strategy: PatchStrategy, status: boolean): Promise<T> {
    const options = setHeaderOptions('Content-Type', strategy);
    const req = { ...this.base(), name, body, ...this.fm() };
    let res: unknown;
    if (namespace) {
      res = status
        ? await this.api.patchNamespacedCustomObjectStatus({ ...req, namespace }, options)
        : await this.api.patchNamespacedCustomObject({ ...req, namespace }, options);
    } else {
      res = status ? await this.api.patchClusterCustomObjectStatus(req, options) : await this.api.patchClusterCustomObject(req, options);
    }
    return res as T;
  }
}
