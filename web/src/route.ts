/** A hash router: `#/markets` → "markets". The API serves only static files at `/`. */
import { useEffect, useState } from "react";

export function currentRoute(hash: string = globalThis.location?.hash ?? ""): string {
  const path = hash.replace(/^#\/?/, "").split("?")[0] ?? "";
  return path || "markets";
}

export function useRoute(): string {
  const [route, setRoute] = useState(() => currentRoute());
  useEffect(() => {
    const on = () => setRoute(currentRoute());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}
