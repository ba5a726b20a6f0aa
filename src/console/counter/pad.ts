// The counter's number pad, the console's one script, served by stampd at COUNTER_SCRIPT_PATH
// (kept in the code so the built server carries it). It shows the pad, whose keys type into the
// phone field, and the count's -/+ keys, and disables the save button once the form is sent, so
// a second tap sends nothing (the form's idempotency key has the server save once regardless).
// Without it the page is the same form, typed by keyboard.
export const COUNTER_SCRIPT = `"use strict";
(() => {
  const form = document.querySelector("form.counter");
  if (!form) return;
  const phone = form.elements.namedItem("phone");
  const count = form.elements.namedItem("count");
  for (const hidden of form.querySelectorAll("[data-script]")) hidden.hidden = false;
  // The pad is the keyboard: a phone's own would cover it.
  phone.setAttribute("inputmode", "none");
  form.addEventListener("click", (event) => {
    const key = event.target.closest("button[data-key], button[data-step]");
    if (!key) return;
    if (key.dataset.step) {
      count.value = String(Math.max(1, (parseInt(count.value, 10) || 1) + Number(key.dataset.step)));
    } else if (key.dataset.key === "back") {
      phone.value = phone.value.slice(0, -1);
    } else if (key.dataset.key === "clear") {
      phone.value = "";
    } else {
      phone.value += key.dataset.key;
    }
  });
  form.addEventListener("submit", () => {
    for (const button of form.querySelectorAll("button")) button.disabled = true;
  });
})();
`;
