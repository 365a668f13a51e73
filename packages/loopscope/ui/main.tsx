/** The inspector's page: strips a token from its own address, then renders the dashboard. */
import { render } from "preact";
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import { App } from "./App.js";

/**
 * The server sets the token as an HttpOnly cookie and redirects away from `?token=`; if
 * the address still holds one, it must not stay in the history, a bookmark or a screenshot.
 */
function forgetTokenInAddress(): void {
  const url = new URL(location.href);
  if (!url.searchParams.has("token")) return;
  url.searchParams.delete("token");
  history.replaceState(history.state, "", `${url.pathname}${url.search}${url.hash}`);
}

forgetTokenInAddress();
const root = document.getElementById("app");
if (root) render(<App />, root);
