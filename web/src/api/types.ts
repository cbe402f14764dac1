/** Shorthands for generated schema types used across pages. */
import type { components } from "./schema";

type S = components["schemas"];
export type Instrument = S["InstrumentOut"];
export type BarPoint = S["BarOut"];
export type Job = S["JobOut"];
export type JobKind = S["JobKindOut"];
export type Source = S["SourceOut"];
export type SourceHealth = S["SourceHealthOut"];
export type Me = S["MeOut"];
export type Timeframe = S["Timeframe"];
export type Bars = S["BarsOut"];

import type { paths } from "./schema";

/** The JSON body of a path's successful response (names of component schemas may clash). */
export type Ok<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: infer R;
}
  ? R extends { 200: { content: { "application/json": infer J } } }
    ? J
    : R extends { 201: { content: { "application/json": infer J } } }
      ? J
      : never
  : never;

export type TradingAccount = Ok<"/api/v1/trading/sessions", "get">[number];
export type Order = Ok<"/api/v1/trading/orders", "get">[number];
export type Fill = Ok<"/api/v1/trading/fills", "get">[number];
export type Position = Ok<"/api/v1/trading/positions", "get">[number];
export type Alert = Ok<"/api/v1/risk/alerts", "get">[number];
export type Limits = Ok<"/api/v1/risk/limits", "get">[number];
export type Household = Ok<"/api/v1/portfolio/households", "get">[number];
export type Consolidated = Ok<"/api/v1/portfolio/households/{household_id}/view", "get">;
export type Optimisation = Ok<"/api/v1/portfolio/optimise", "post">;
export type Plan = Ok<"/api/v1/portfolio/portfolios/{portfolio_id}/rebalance/preview", "post">;
