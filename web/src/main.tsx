import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { TokenStore } from "./api/tokens";
import "./styles.css";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App tokens={new TokenStore()} />
  </StrictMode>,
);
