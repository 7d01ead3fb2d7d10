// /case: open a case with its id and secret, see its status, add photos, or withdraw it.
//
// The secret is held in the `current` variable of this module only: never in a URL, never in
// localStorage, sessionStorage or a cookie, and it is dropped when the person closes the case
// or the page. The form's fields have no `name`, so even a form submitted without this script
// could not put the secret into a URL.

import { loadFacts } from "../facts.js";
import { language, t, tn } from "../i18n.js";
import { addHashes, readCase, withdrawCase } from "./api.js";
import { PhotoSet, describeCounts } from "./photo-set.js";

const $ = (id) => document.getElementById(id);
let current = null; // {caseId, secret} while a case is open
const photos = new PhotoSet("add", { onChange: updateAdd });

// --- Opening a case -------------------------------------------------------------------------

$("toggle-secret").addEventListener("click", () => {
  const field = $("case-secret");
  const show = field.type === "password";
  field.type = show ? "text" : "password";
  $("toggle-secret").textContent = show ? t("Hide") : t("Show");
  $("toggle-secret").setAttribute("aria-pressed", String(show));
});

// Fill the fields from a receipt file, read here on this device.
$("receipt-file").addEventListener("change", async () => {
  const file = $("receipt-file").files[0];
  $("receipt-file").value = "";
  if (!file) return;
  $("open-error").textContent = "";
  try {
    const receipt = JSON.parse(await file.text());
    if (typeof receipt.case_id !== "string" || typeof receipt.secret !== "string")
      throw new Error();
    $("case-id").value = receipt.case_id;
    $("case-secret").value = receipt.secret;
    $("open-status").textContent = t("Filled in from your receipt. Press “Open my case”.");
    $("open-case").focus();
  } catch {
    $("open-error").textContent = t(
      "This file is not a hashstop receipt. Type the case id and secret instead.",
    );
  }
});

$("open-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const caseId = $("case-id").value.trim().toLowerCase();
  const secret = $("case-secret").value.trim();
  $("open-error").textContent = "";
  if (!caseId || !secret) {
    $("open-error").textContent = t("Enter both the case id and the secret.");
    $(caseId ? "case-secret" : "case-id").focus();
    return;
  }
  $("open-status").textContent = t("Opening your case…");
  try {
    const view = await readCase(caseId, secret);
    current = { caseId, secret };
    $("case-secret").value = ""; // the field need not keep it; `current` does
    $("open-status").textContent = "";
    $("sign-in").hidden = true;
    show(view);
    $("case-title").focus();
  } catch (failure) {
    $("open-status").textContent = "";
    $("open-error").textContent = failure.message;
  }
});

// --- The case -------------------------------------------------------------------------------

const dateFormat = new Intl.DateTimeFormat(language, { dateStyle: "long", timeStyle: "short" });

function show(view) {
  const withdrawn = view.status === "withdrawn";
  $("view-case-id").textContent = view.case_id;
  $("fact-status").textContent = withdrawn
    ? t("Withdrawn on %(date)s. Its fingerprints are erased and match nothing.", {
        date: dateFormat.format(new Date(view.withdrawn_at)),
      })
    : t("Active: platforms are checking uploads against its fingerprints.");
  $("fact-status").className = withdrawn ? "muted" : "ok";
  // A withdrawn case's photos and fingerprints are erased: their counts are not shown (they
  // would be stale). Its matches are history, and stay.
  for (const id of ["fact-photos", "fact-hashes"]) $(id).parentElement.hidden = withdrawn;
  $("fact-photos").textContent = withdrawn ? "" : String(view.photo_count);
  $("fact-hashes").textContent = withdrawn ? "" : String(view.hash_count);
  $("fact-matches").textContent = String(view.matches.total);
  $("fact-confirmed").textContent = String(view.matches.confirmed);
  if (withdrawn) $("add-result").textContent = "";
  $("fact-opened").textContent = dateFormat.format(new Date(view.created_at));
  $("case-view").hidden = false;
  $("add").hidden = withdrawn;
  $("withdraw").hidden = withdrawn;
}

async function refresh() {
  $("view-error").textContent = "";
  try {
    show(await readCase(current.caseId, current.secret));
  } catch (failure) {
    $("view-error").textContent = failure.message;
  }
}

$("refresh").addEventListener("click", refresh);

$("close-case").addEventListener("click", () => {
  current = null;
  photos.clear();
  for (const id of ["case-view", "add", "withdraw", "withdraw-confirm"]) $(id).hidden = true;
  for (const id of ["view-error", "add-result", "add-error", "withdraw-error"]) {
    $(id).textContent = "";
  }
  $("case-id").value = "";
  $("sign-in").hidden = false;
  $("open-status").textContent = t(
    "This page has forgotten your case. The case itself is unchanged: open it again with its case id and secret.",
  );
  $("case-id").focus();
});

// --- Adding photos --------------------------------------------------------------------------

function updateAdd() {
  const counts = photos.counts();
  $("add-review").hidden = photos.entries.length === 0;
  $("add-error").textContent = "";
  $("add-summary").textContent = photos.busy
    ? t("Fingerprinting your files…")
    : counts.hashes
      ? t("Ready to add %(counts)s. Only the fingerprints will be sent.", {
          counts: describeCounts(counts),
        })
      : t("There is nothing to add yet.");
  $("add-send").disabled = photos.busy || counts.hashes === 0;
}

$("add-send").addEventListener("click", async () => {
  const { list, owners } = photos.hashes();
  if (!list.length || current === null) return;
  const { caseId, secret } = current;
  $("add-send").disabled = true;
  $("add-result").textContent = t("Sending the fingerprints…");
  try {
    let accepted = 0;
    let repeated = 0;
    const refused = [];
    const batchSize = (await loadFacts()).client.hashes_per_request;
    for (let start = 0; start < list.length; start += batchSize) {
      const answer = await addHashes(caseId, secret, list.slice(start, start + batchSize));
      accepted += answer.accepted;
      repeated += answer.duplicates;
      for (const r of answer.rejected) {
        if (!r.reason.startsWith("duplicate"))
          refused.push(
            t("%(file)s: %(reason)s", { file: owners[start + r.index].file.name, reason: r.reason }),
          );
      }
    }
    photos.clear();
    const words = [tn("Added %(num)s fingerprint.", "Added %(num)s fingerprints.", accepted)];
    if (repeated)
      words.push(
        tn("%(num)s was already in your case.", "%(num)s were already in your case.", repeated),
      );
    if (refused.length) words.push(t("Not accepted: %(list)s.", { list: refused.join("; ") }));
    $("add-result").textContent = words.join(" ");
    await refresh();
    $("add-files").focus();
  } catch (failure) {
    $("add-result").textContent = "";
    $("add-error").textContent = failure.message;
    $("add-send").disabled = false;
  }
});

// --- Withdrawing ----------------------------------------------------------------------------

$("withdraw-start").addEventListener("click", () => {
  $("withdraw-confirm").hidden = false;
  $("withdraw-start").hidden = true;
  $("withdraw-confirm-title").focus();
});

$("withdraw-cancel").addEventListener("click", () => {
  $("withdraw-confirm").hidden = true;
  $("withdraw-start").hidden = false;
  $("withdraw-start").focus();
});

$("withdraw-yes").addEventListener("click", async () => {
  $("withdraw-error").textContent = "";
  $("withdraw-yes").disabled = true;
  try {
    const view = await withdrawCase(current.caseId, current.secret);
    photos.clear();
    $("withdraw-confirm").hidden = true;
    $("withdraw-start").hidden = false;
    show(view);
    $("case-title").focus();
  } catch (failure) {
    $("withdraw-error").textContent = failure.message;
  } finally {
    $("withdraw-yes").disabled = false;
  }
});
