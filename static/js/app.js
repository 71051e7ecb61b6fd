// Small progressive enhancements. The app works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Move focus to the first error after an htmx swap brings one in, for keyboard and screen-reader users.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const invalid = event.detail.target.querySelector('[aria-invalid="true"]');
    if (invalid) invalid.focus();
  });
});
