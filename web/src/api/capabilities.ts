/** Which API paths this server has, read from its OpenAPI document. */

import type { JsonSchema } from "../components/schema";

export class Capabilities {
  constructor(
    readonly paths: ReadonlySet<string>,
    private readonly schemas: Record<string, JsonSchema> = {},
  ) {}

  /** A component schema of the OpenAPI document, with every schema as `$defs` for `$ref`s. */
  schema(name: string): JsonSchema | null {
    // FastAPI names a model `X-Input` when its request and response schemas differ.
    const s = this.schemas[name] ?? this.schemas[`${name}-Input`];
    return s ? { ...s, $defs: this.schemas } : null;
  }

  /** True when some path starts with `prefix` (e.g. `/api/v1/risk`). */
  has(prefix: string): boolean {
    for (const p of this.paths) if (p === prefix || p.startsWith(`${prefix}/`)) return true;
    return false;
  }

  static async load(fetchImpl: typeof fetch = fetch, url = "/openapi.json"): Promise<Capabilities> {
    const res = await fetchImpl(url);
    if (!res.ok) throw new Error(`could not read the API description (HTTP ${res.status})`);
    const doc = (await res.json()) as {
      paths?: Record<string, unknown>;
      components?: { schemas?: Record<string, JsonSchema> };
    };
    return new Capabilities(new Set(Object.keys(doc.paths ?? {})), doc.components?.schemas ?? {});
  }
}
