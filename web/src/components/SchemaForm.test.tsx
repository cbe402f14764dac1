import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { SchemaForm } from "./SchemaForm";
import { defaults, type JsonSchema } from "./schema";

// The shape pydantic gives a strategy config: $defs, $ref, Optional (anyOf null), enums, nested.
const schema: JsonSchema = {
  title: "EmaCrossConfig",
  type: "object",
  required: ["instrument_id"],
  properties: {
    instrument_id: { type: "string", title: "Instrument Id" },
    fast: { type: "integer", default: 10, minimum: 1, description: "Fast EMA period (bars)." },
    side: { enum: ["long", "short", "both"], default: "both" },
    allow_short: { type: "boolean", default: false },
    stop_pct: { anyOf: [{ type: "number" }, { type: "null" }], default: null },
    windows: { type: "array", items: { type: "integer" } },
    venue: { $ref: "#/$defs/Venue" },
    extra: { type: "object", additionalProperties: { type: "number" } },
  },
  $defs: { Venue: { type: "object", properties: { fee_bps: { type: "number", default: 1.5 } } } },
};

function Harness({ onValue }: { onValue: (v: Record<string, unknown>) => void }) {
  const [v, setV] = useState<Record<string, unknown>>(() => defaults(schema));
  return <SchemaForm schema={schema} value={v} onChange={(n) => { setV(n); onValue(n); }} />;
}

describe("SchemaForm", () => {
  it("takes defaults from the schema, nested $refs included", () => {
    expect(defaults(schema)).toEqual({ fast: 10, side: "both", allow_short: false, stop_pct: null, venue: { fee_bps: 1.5 } });
  });

  it("renders a labelled control per field and edits the value", async () => {
    const user = userEvent.setup();
    let last: Record<string, unknown> = {};
    render(<Harness onValue={(v) => (last = v)} />);
    expect(screen.getByLabelText(/Instrument Id/)).toBeRequired();
    expect(screen.getByLabelText("fast")).toHaveValue(10);
    expect(screen.getByLabelText("fast")).toHaveAccessibleDescription("Fast EMA period (bars).");
    expect(screen.getByRole("group", { name: "venue" })).toBeInTheDocument();

    await user.type(screen.getByLabelText(/Instrument Id/), "MSFT.XNAS");
    await user.clear(screen.getByLabelText("fast"));
    await user.type(screen.getByLabelText("fast"), "7");
    await user.selectOptions(screen.getByLabelText("side"), "short");
    await user.click(screen.getByLabelText("allow_short"));
    await user.type(screen.getByLabelText("windows"), "5, 20");
    await user.clear(screen.getByLabelText("fee_bps"));
    await user.type(screen.getByLabelText("fee_bps"), "2");
    expect(last).toMatchObject({ instrument_id: "MSFT.XNAS", fast: 7, side: "short", allow_short: true, windows: [5, 20], venue: { fee_bps: 2 } });
  });

  it("takes free-form objects as JSON and flags invalid JSON", async () => {
    const user = userEvent.setup();
    let last: Record<string, unknown> = {};
    render(<Harness onValue={(v) => (last = v)} />);
    const box = screen.getByLabelText("extra");
    await user.type(box, '{{"a": 1}');
    expect(last.extra).toEqual({ a: 1 });
    await user.type(box, "x");
    expect(box).toHaveAttribute("aria-invalid", "true");
  });
});

describe("SchemaForm with defaults that arrive after mount", () => {
  it("shows list and JSON values set from outside", () => {
    const s: JsonSchema = { type: "object", properties: { symbols: { type: "array", items: { type: "string" } }, grid: { type: "object" } } };
    const { rerender } = render(<SchemaForm schema={s} value={{}} onChange={() => undefined} />);
    expect(screen.getByLabelText("symbols")).toHaveValue("");
    rerender(<SchemaForm schema={s} value={{ symbols: ["SYN", "ABC"], grid: { fast: [5, 10] } }} onChange={() => undefined} />);
    expect(screen.getByLabelText("symbols")).toHaveValue("SYN, ABC");
    expect(screen.getByLabelText("grid")).toHaveValue('{"fast":[5,10]}');
  });
});
