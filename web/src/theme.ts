/** Dark/light theme, persisted in localStorage; defaults to the system preference. */
export type Theme = "dark" | "light";
const KEY = "nautilus.theme";

export function initialTheme(): Theme {
  const saved = globalThis.localStorage?.getItem(KEY);
  if (saved === "dark" || saved === "light") return saved;
  return globalThis.matchMedia?.("(prefers-color-scheme: light)").matches ? "light" : "dark";
}

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  globalThis.localStorage?.setItem(KEY, theme);
}
