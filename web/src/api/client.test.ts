import { fakeFetch, jsonResponse } from "../test/fakes";
import { createApi, unwrap } from "./client";
import { ApiError } from "./problem";
import { TokenStore } from "./tokens";

describe("typed client", () => {
  it("returns the body of a successful call", async () => {
    const { fetch, seen } = fakeFetch({
      "GET /api/v1/data/instruments": () => jsonResponse(200, [{ id: "MSFT.XNAS" }]),
    });
    const api = createApi(new TokenStore(null), "http://n.test", fetch);
    const found = await unwrap(api.GET("/api/v1/data/instruments", { params: { query: { q: "ms", limit: 5 } } }));
    expect(found.map((i) => i.id)).toEqual(["MSFT.XNAS"]);
    expect(new URL(seen[0]!.url).search).toBe("?q=ms&limit=5");
  });

  it("throws the problem detail of an error response", async () => {
    const { fetch } = fakeFetch({
      "GET /api/v1/data/quotes/X.Y": () =>
        jsonResponse(404, { type: "https://nautilus.dev/problems/no_source", status: 404, title: "Not Found", detail: "no quote for 'X.Y'", code: "no_source" }, "application/problem+json"),
    });
    const api = createApi(new TokenStore(null), "http://n.test", fetch);
    const call = unwrap(api.GET("/api/v1/data/quotes/{instrument_id}", { params: { path: { instrument_id: "X.Y" } } }));
    await expect(call).rejects.toBeInstanceOf(ApiError);
    await expect(call).rejects.toMatchObject({ status: 404, message: "no quote for 'X.Y'", problem: { code: "no_source" } });
  });
});
