// The quick exit of every victim page: the button, or the Esc key anywhere on the page, replaces
// the page with a neutral site (the button's own href, set by the operator). location.replace()
// swaps the current history entry instead of adding one, so the back button does not bring this
// page back. The page's content is removed first, so nothing stays on screen while the other
// site loads.

const exit = document.getElementById("quick-exit");

function leave(event) {
  event?.preventDefault();
  const target = exit.href;
  document.title = "";
  document.body.replaceChildren();
  window.location.replace(target);
}

if (exit) {
  exit.addEventListener("click", leave);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !event.defaultPrevented) leave(event);
  });
}
