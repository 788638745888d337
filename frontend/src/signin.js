import { el } from "./dom.js";

let shown = false;

// A team server with a read token answers the API with 401 until the browser signs in;
// the token is exchanged once for an HttpOnly cookie, so the page never keeps it.
export function askForReadToken() {
  if (shown) return;
  shown = true;
  const input = el("input", {
    type: "password",
    autocomplete: "current-password",
    placeholder: "Read token",
    "aria-label": "Read token",
    "data-testid": "signin-token",
    required: true,
  });
  const message = el("p", { class: "signin-message", "data-testid": "signin-message", role: "alert" });
  const form = el(
    "form",
    {
      class: "signin",
      "data-testid": "signin",
      onsubmit: async (event) => {
        event.preventDefault();
        message.textContent = "";
        const response = await fetch(new URL("api/session", document.baseURI), {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ token: input.value }),
        }).catch(() => null);
        if (response?.ok) location.reload();
        else message.textContent = response ? "That is not this server's read token." : "The server cannot be reached.";
      },
    },
    el("h2", { text: "This trackio server needs its read token" }),
    el("p", { class: "signin-help", text: "Ask whoever runs the server; it printed the token when it started." }),
    input,
    el("button", { type: "submit", text: "Sign in", "data-testid": "signin-submit" }),
    message,
  );
  document.body.append(el("div", { class: "signin-backdrop" }, form));
  input.focus();
}
