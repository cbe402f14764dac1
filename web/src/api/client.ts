/** The typed client over the generated OpenAPI types (`scripts/gen-client.sh`). */
import createClient from "openapi-fetch";
import type { paths } from "./schema";
import { createAuthFetch, type FetchLike } from "./http";
import { ApiError, asProblem } from "./problem";
import type { TokenStore } from "./tokens";

export type Api = ReturnType<typeof createApi>;

export function createApi(store: TokenStore, baseUrl = globalThis.location?.origin ?? "", base?: FetchLike) {
  return createClient<paths>({ baseUrl, fetch: createAuthFetch(store, base) });
}

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The body of a successful call, or an {@link ApiError} carrying the problem+json. */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok || error !== undefined) throw new ApiError(asProblem(error, response.status));
  return data as T;
}
