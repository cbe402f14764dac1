/** What every page needs: the client, the token store, the stream, the server's capabilities. */
import { createContext, useContext } from "react";
import type { Api } from "./api/client";
import type { Capabilities } from "./api/capabilities";
import type { StreamClient } from "./api/stream";
import type { TokenStore } from "./api/tokens";
import type { Me } from "./api/types";

export interface AppServices {
  api: Api;
  tokens: TokenStore;
  stream: StreamClient;
  caps: Capabilities;
  me: Me | null;
}

export const AppContext = createContext<AppServices | null>(null);

export function useServices(): AppServices {
  const s = useContext(AppContext);
  if (!s) throw new Error("useServices outside <AppContext.Provider>");
  return s;
}
