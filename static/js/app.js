// Small progressive enhancements. The app works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Move focus to the first error after an htmx swap brings one in, for keyboard and screen-reader users.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const invalid = event.detail.target.querySelector('[aria-invalid="true"]');
    if (invalid) invalid.focus();
  });

  // Destructive actions ask first: <form data-confirm="..." [data-confirm-when="field=VALUE"]>.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    const message = form.dataset && form.dataset.confirm;
    if (!message) return;
    const when = form.dataset.confirmWhen;
    if (when) {
      const [name, value] = when.split("=");
      if (!form.elements[name] || form.elements[name].value !== value) return;
    }
    if (!window.confirm(message)) event.preventDefault();
  });
});
