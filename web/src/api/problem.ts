/** RFC 9457 problem+json bodies from the API, and the error the client throws for them. */

export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: ValidationIssue[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Read a problem out of any parsed error body (FastAPI's plain `{detail}` included). */
export function asProblem(body: unknown, status?: number): Problem {
  if (!isRecord(body)) {
    return { status, title: typeof body === "string" && body ? body : undefined };
  }
  const p: Problem = { status: typeof body.status === "number" ? body.status : status };
  if (typeof body.title === "string") p.title = body.title;
  if (typeof body.detail === "string") p.detail = body.detail;
  if (typeof body.code === "string") p.code = body.code;
  if (Array.isArray(body.errors)) {
    p.errors = body.errors.filter(isRecord).map((e) => ({
      loc: Array.isArray(e.loc) ? (e.loc as (string | number)[]) : [],
      msg: String(e.msg ?? ""),
    }));
  }
  return p;
}

/** One line for the UI: the detail, then which fields were invalid. */
export function problemMessage(p: Problem): string {
  const head = p.detail ?? p.title ?? (p.status ? `HTTP ${p.status}` : "request failed");
  if (!p.errors?.length) return head;
  const fields = p.errors
    .map((e) => `${e.loc.filter((l) => l !== "body" && l !== "query").join(".")}: ${e.msg}`)
    .join("; ");
  return `${head} (${fields})`;
}

export class ApiError extends Error {
  readonly problem: Problem;
  readonly status: number;

  constructor(problem: Problem) {
    super(problemMessage(problem));
    this.name = "ApiError";
    this.problem = problem;
    this.status = problem.status ?? 0;
  }
}

/** A message for anything caught: API problems, network failures, bugs. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof TypeError) return `network error: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}
