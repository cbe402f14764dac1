import { ApiError, asProblem, errorMessage, problemMessage } from "./problem";

describe("problem+json", () => {
  it("reads detail, code and validation errors", () => {
    const p = asProblem({ status: 422, title: "Invalid input", detail: "the request is not valid", code: "validation_error",
      errors: [{ loc: ["body", "quantity"], msg: "field required", type: "missing" }] });
    expect(p.code).toBe("validation_error");
    expect(problemMessage(p)).toBe("the request is not valid (quantity: field required)");
  });

  it("falls back to the title, then the status", () => {
    expect(problemMessage(asProblem({ title: "Forbidden" }, 403))).toBe("Forbidden");
    expect(problemMessage(asProblem(null, 502))).toBe("HTTP 502");
  });

  it("makes an error whose message is the detail", () => {
    const e = new ApiError(asProblem({ detail: "no quote for 'X'" }, 404));
    expect(e.status).toBe(404);
    expect(errorMessage(e)).toBe("no quote for 'X'");
    expect(errorMessage(new TypeError("Failed to fetch"))).toBe("network error: Failed to fetch");
  });
});

import { Capabilities } from "./capabilities";

describe("Capabilities", () => {
  it("knows path prefixes and finds request schemas, FastAPI's -Input names included", async () => {
    const doc = { paths: { "/api/v1/risk/limits": {}, "/api/v1/data/bars/{instrument_id}": {} },
      components: { schemas: { "LimitSet-Input": { type: "object", properties: { max_order_qty: { $ref: "#/components/schemas/Q" } } }, Q: { type: "number" } } } };
    const caps = await Capabilities.load(async () => new Response(JSON.stringify(doc)), "/openapi.json");
    expect(caps.has("/api/v1/risk")).toBe(true);
    expect(caps.has("/api/v1/ri")).toBe(false);
    expect(caps.has("/api/v1/trading")).toBe(false);
    expect(caps.schema("LimitSet")?.$defs?.Q).toEqual({ type: "number" });
    expect(caps.schema("Nope")).toBeNull();
  });
});
