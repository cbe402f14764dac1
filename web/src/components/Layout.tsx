/** Header, collapsible navigation, theme toggle, and the page. */
import { useState, type ReactNode } from "react";
import type { Theme } from "../theme";

export const PAGES: { route: string; title: string }[] = [
  { route: "markets", title: "Markets" },
  { route: "trading", title: "Trading" },
  { route: "risk", title: "Risk" },
  { route: "portfolio", title: "Portfolio" },
  { route: "research", title: "Research" },
  { route: "data", title: "Data" },
  { route: "strategies", title: "Strategies" },
];

export function Layout({ route, theme, onTheme, user, onLogout, children }: {
  route: string;
  theme: Theme;
  onTheme: (t: Theme) => void;
  user: string;
  onLogout: () => void;
  children: ReactNode;
}) {
  const [navOpen, setNavOpen] = useState(false);
  const title = PAGES.find((p) => p.route === route)?.title ?? "Not found";
  return (
    <div className="shell">
      <a className="skip" href="#main">Skip to content</a>
      <header className="topbar">
        <button type="button" className="nav-toggle" aria-expanded={navOpen} aria-controls="nav"
          onClick={() => setNavOpen((o) => !o)}>
          <span aria-hidden="true">☰</span>
          <span className="sr-only">Menu</span>
        </button>
        <span className="brand">Nautilus</span>
        <span className="spacer" />
        <button type="button" onClick={() => onTheme(theme === "dark" ? "light" : "dark")}
          aria-label={`Switch to ${theme === "dark" ? "light" : "dark"} theme`}>
          {theme === "dark" ? "Light" : "Dark"} theme
        </button>
        <span className="muted user">{user}</span>
        <button type="button" onClick={onLogout}>Log out</button>
      </header>
      <nav id="nav" className={navOpen ? "nav open" : "nav"} aria-label="Pages">
        <ul>
          {PAGES.map((p) => (
            <li key={p.route}>
              <a href={`#/${p.route}`} aria-current={p.route === route ? "page" : undefined}
                onClick={() => setNavOpen(false)}>
                {p.title}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        <h1>{title}</h1>
        {children}
      </main>
    </div>
  );
}
