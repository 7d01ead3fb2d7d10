// The case receipt on this device: "copy" buttons for the case id and secret, and a receipt
// file built in the page (a Blob behind an object URL, revoked once saved). Nothing here makes
// a network request; the secret goes only to the clipboard or the file the person asks for.

import { t } from "../i18n.js";

// What each copy button copies, for the message that says it was copied (or not).
const WHAT = {
  "case-id": () => t("the case id"),
  "case-secret": () => t("the secret"),
};

/**
 * Wire every button[data-copy] under `root`: it copies the text of the element whose id it
 * names, and says so in `status` (a polite live region); `onCopied(id)` is told what was copied.
 */
export function wireCopyButtons(root, status, onCopied = () => {}) {
  for (const button of root.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      const what = (WHAT[button.dataset.copy] ?? (() => t("the text")))();
      try {
        await navigator.clipboard.writeText(source.textContent);
        status.textContent = t("Copied %(what)s.", { what });
        onCopied(button.dataset.copy);
      } catch {
        // No clipboard access (an older browser, or not allowed): select it for the person.
        const range = document.createRange();
        range.selectNodeContents(source);
        getSelection().removeAllRanges();
        getSelection().addRange(range);
        status.textContent = t("Could not copy automatically: %(what)s is selected, copy it by hand.", {
          what,
        });
      }
    });
  }
}

/** Save {case_id, secret, server, created_at} as a JSON file the person keeps. */
export function downloadReceipt(receipt) {
  const text = `${JSON.stringify(receipt, null, 2)}\n`;
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = `hashstop-receipt-${receipt.case_id}.json`;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has its own reference by now; give it a moment before letting go.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
