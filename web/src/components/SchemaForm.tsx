/** Form fields rendered from a config's JSON Schema (pydantic); the value is a plain object. */
import { useEffect, useId, useRef, useState } from "react";
import { fieldKind, resolve, unwrapNullable, type JsonSchema } from "./schema";

type Obj = Record<string, unknown>;

interface FieldProps {
  name: string;
  schema: JsonSchema;
  root: JsonSchema;
  value: unknown;
  required: boolean;
  onChange: (v: unknown) => void;
}

function label(name: string, s: JsonSchema): string {
  return s.title ?? name;
}

/** Text state for a value typed as text; replaced when the value changes from outside (defaults). */
function useText(value: unknown, show: (v: unknown) => string) {
  const [text, setText] = useState(() => show(value));
  const emitted = useRef<unknown>(value);
  useEffect(() => {
    if (value !== emitted.current) {
      emitted.current = value;
      setText(show(value));
    }
  }, [value, show]);
  return { text, setText, emitted };
}

const showList = (v: unknown) => (Array.isArray(v) ? v.join(", ") : "");
const showJson = (v: unknown) => (v === undefined ? "" : JSON.stringify(v));

function ListField({ id, value, onChange, numeric }: { id: string; value: unknown; onChange: (v: unknown) => void; numeric: boolean }) {
  const { text, setText, emitted } = useText(value, showList);
  return (
    <input
      id={id}
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        const parts = e.target.value.split(",").map((p) => p.trim()).filter(Boolean);
        emitted.current = numeric ? parts.map(Number) : parts;
        onChange(emitted.current);
      }}
    />
  );
}

function JsonField({ id, value, onChange }: { id: string; value: unknown; onChange: (v: unknown) => void }) {
  const { text, setText, emitted } = useText(value, showJson);
  const [bad, setBad] = useState<string | null>(null);
  return (
    <>
      <textarea
        id={id}
        rows={2}
        value={text}
        aria-invalid={bad ? true : undefined}
        aria-describedby={bad ? `${id}-err` : undefined}
        placeholder="JSON (empty = server default)"
        onChange={(e) => {
          setText(e.target.value);
          if (!e.target.value.trim()) {
            setBad(null);
            emitted.current = undefined;
            onChange(undefined);
            return;
          }
          try {
            emitted.current = JSON.parse(e.target.value);
            onChange(emitted.current);
            setBad(null);
          } catch (err) {
            setBad(err instanceof Error ? err.message : "invalid JSON");
          }
        }}
      />
      {bad && (
        <span id={`${id}-err`} className="field-error">
          {bad}
        </span>
      )}
    </>
  );
}

function Field({ name, schema, root, value, required, onChange }: FieldProps) {
  const id = useId();
  const [s] = unwrapNullable(resolve(schema, root));
  const kind = fieldKind(s);
  const help = s.description ? <small id={`${id}-help`}>{s.description}</small> : null;
  const describedBy = s.description ? `${id}-help` : undefined;
  if (kind === "object") {
    return (
      <fieldset>
        <legend>{label(name, s)}</legend>
        <details>
          <summary>{s.description ?? `${label(name, s)} settings`}</summary>
          <SchemaFields schema={s} root={root} value={(value as Obj) ?? {}} onChange={onChange} />
        </details>
      </fieldset>
    );
  }
  let input;
  switch (kind) {
    case "enum":
      input = (
        <select id={id} value={value === undefined ? "" : String(value)} aria-describedby={describedBy}
          onChange={(e) => onChange(s.enum?.find((o) => String(o) === e.target.value))}>
          {!required && <option value="">(default)</option>}
          {s.enum?.map((o) => (
            <option key={String(o)} value={String(o)}>
              {String(o)}
            </option>
          ))}
        </select>
      );
      break;
    case "boolean":
      input = <input id={id} type="checkbox" checked={value === true} aria-describedby={describedBy}
        onChange={(e) => onChange(e.target.checked)} />;
      break;
    case "integer":
    case "number":
      input = (
        <input id={id} type="number" step={kind === "integer" ? 1 : "any"} required={required}
          min={s.minimum ?? s.exclusiveMinimum} max={s.maximum ?? s.exclusiveMaximum}
          value={typeof value === "number" ? value : ""} aria-describedby={describedBy}
          onChange={(e) => onChange(e.target.value === "" ? undefined : Number(e.target.value))} />
      );
      break;
    case "string":
      input = <input id={id} required={required} value={typeof value === "string" ? value : ""}
        aria-describedby={describedBy}
        onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)} />;
      break;
    case "list":
      input = <ListField id={id} value={value} onChange={onChange}
        numeric={s.items?.type === "number" || s.items?.type === "integer"} />;
      break;
    default:
      input = <JsonField id={id} value={value} onChange={onChange} />;
  }
  return (
    <div className={kind === "boolean" ? "field field-inline" : "field"}>
      <label htmlFor={id}>
        {label(name, s)}
        {required && <span aria-hidden="true"> *</span>}
      </label>
      {input}
      {help}
    </div>
  );
}

export function SchemaFields({ schema, root, value, onChange }: {
  schema: JsonSchema;
  root: JsonSchema;
  value: Obj;
  onChange: (v: Obj) => void;
}) {
  const s = resolve(schema, root);
  const required = new Set(s.required ?? []);
  return (
    <>
      {Object.entries(s.properties ?? {}).map(([name, prop]) => (
        <Field key={name} name={name} schema={prop} root={root} value={value[name]} required={required.has(name)}
          onChange={(v) => {
            const next = { ...value };
            if (v === undefined) delete next[name];
            else next[name] = v;
            onChange(next);
          }} />
      ))}
    </>
  );
}

export function SchemaForm({ schema, value, onChange }: { schema: JsonSchema; value: Obj; onChange: (v: Obj) => void }) {
  return <SchemaFields schema={schema} root={schema} value={value} onChange={onChange} />;
}
