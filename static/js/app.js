// Small progressive enhancements. The app works without this file.
// With JavaScript on, text marked .js-only is shown (for example "this page updates by itself").
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", () => {
  // Move focus to the first error after an htmx swap brings one in, for keyboard and screen-reader users.
  // A history restore (Back to an address htmx pushed) swaps without a target in the event's
  // detail: the swapped element itself is the event's target then.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const target = (event.detail && event.detail.target) || event.target;
    const invalid = target && target.querySelector && target.querySelector('[aria-invalid="true"]');
    if (invalid) invalid.focus();
  });

  // A GET form marked data-drop-empty sends only the fields that hold a value, so the address
  // htmx requests and pushes into the history is the short, clean one (without JavaScript the
  // server redirects an address with empty parameters to it).
  document.body.addEventListener("htmx:configRequest", (event) => {
    const detail = event.detail;
    if (detail.verb !== "get" || !detail.elt.closest("[data-drop-empty]")) return;
    const entries = Array.from(detail.formData.entries());
    const blank = (value) => typeof value === "string" && value.trim() === "";
    if (!entries.some(([, value]) => blank(value))) return;
    new Set(entries.map(([name]) => name)).forEach((name) => detail.formData.delete(name));
    entries.forEach(([name, value]) => blank(value) || detail.formData.append(name, value));
  });

  // Moving the start keeps the length: in a <form data-keep-length>, changing "start" (or
  // "start_date") moves "end" (or "end_date") by as much. The hidden "was_*" fields hold what
  // the form showed; they follow every change, so the server (which applies the same rule
  // when JavaScript is off) sees nothing left to move. Runs in the capture phase, before
  // htmx reads the form for its request.
  const parse = (value) => new Date(value + (value.length === 10 ? "T00:00Z" : "Z"));
  document.addEventListener("change", (event) => {
    const form = event.target.form;
    if (!form || !form.hasAttribute("data-keep-length")) return;
    const field = (name) => form.elements.namedItem(name);
    const ends = { start: "end", start_date: "end_date" };
    const name = event.target.name;
    if (Object.hasOwn(ends, name)) {
      const end = field(ends[name]);
      const wasStart = field("was_" + name);
      const wasEnd = field("was_" + ends[name]);
      if (end && wasStart && wasEnd && event.target.value) {
        const shift = parse(event.target.value) - parse(wasStart.value);
        const moved = new Date(parse(wasEnd.value).getTime() + shift);
        if (!Number.isNaN(moved.getTime())) {
          end.value = moved.toISOString().slice(0, wasEnd.value.length);
        }
      }
    }
    for (const shown of ["start", "end", "start_date", "end_date"]) {
      if (field(shown) && field("was_" + shown)) field("was_" + shown).value = field(shown).value;
    }
  }, true);

  // Destructive actions ask first: <form data-confirm="..." [data-confirm-when="field=VALUE"]
  // [data-confirm-code="CODE"]>.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    const message = form.dataset && form.dataset.confirm;
    if (!message) return;
    const when = form.dataset.confirmWhen;
    if (when) {
      const [name, value] = when.split("=");
      if (!form.elements[name] || form.elements[name].value !== value) return;
    }
    if (!window.confirm(message)) {
      event.preventDefault();
      return;
    }
    // Asked here already: the server's own confirm step (for browsers without JavaScript)
    // is told so with the action's code.
    const code = form.dataset.confirmCode;
    if (code && !form.querySelector("input[name=confirm]")) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = "confirm";
      input.value = code;
      form.appendChild(input);
    }
  });

  // A plain POST form, once sent, cannot be sent again by a second click (no double booking).
  // Runs after the confirm handler above, and after the browser has read the form's data.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (event.defaultPrevented || (form.method || "").toLowerCase() !== "post") return;
    if (form.hasAttribute("hx-post")) return; // htmx forms use hx-disabled-elt
    setTimeout(() => {
      form.querySelectorAll("button[type=submit], button:not([type])").forEach((button) => {
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
      });
    }, 0);
  });
});
