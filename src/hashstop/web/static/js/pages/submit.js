// /submit: choose photos, fingerprint them here, show what will be sent, open a case with the
// fingerprints only, then show the case id and secret once (copy, download a receipt).
//
// The secret lives in this module's memory and in the page's text until the page is closed;
// it is never written to a URL, localStorage, sessionStorage or a cookie.

import { loadFacts } from "../facts.js";
import { t, tn } from "../i18n.js";
import { openCase, addHashes, newIdempotencyKey, readCase } from "./api.js";
import { PhotoSet, describeCounts } from "./photo-set.js";
import { downloadReceipt, wireCopyButtons } from "./receipt.js";

// Hashes per request (facts.json), below the service's default limit per request; the hashes of
// one file never straddle two requests. More files: the case is opened with the first batch and
// the others are added to it.
const batchSize = async () => (await loadFacts()).client.hashes_per_request;

const $ = (id) => document.getElementById(id);
// One key per set of files: pressing send again after a failure reuses it, so a server that
// honours Idempotency-Key never opens two cases for one set. A change to the set drops it.
let idempotencyKey = null;
let sending = false;
const photos = new PhotoSet("submit", {
  onChange: () => {
    idempotencyKey = null;
    $("send-error").replaceChildren();
    update();
  },
});

function update() {
  const counts = photos.counts();
  $("review").hidden = photos.entries.length === 0;
  if (photos.busy) {
    $("summary").textContent = t(
      "Fingerprinting your files. The summary appears when every file is done.",
    );
  } else if (counts.hashes === 0) {
    $("summary").textContent = t(
      "There is nothing to send yet: choose at least one photo or video.",
    );
  } else {
    $("summary").textContent = t(
      "Ready to send %(counts)s. No photo, video or file name will be sent: only the fingerprints below.",
      { counts: describeCounts(counts) },
    );
  }
  if (counts.failed) {
    const left = tn(
      "%(num)s file cannot be protected and will not be sent (see the list above).",
      "%(num)s files cannot be protected and will not be sent (see the list above).",
      counts.failed,
    );
    $("summary").textContent += " " + left;
  }
  $("payload").textContent = JSON.stringify({ hashes: photos.hashes().list }, null, 2);
  $("send").disabled = sending || photos.busy || counts.hashes === 0;
}

// Split the hash list into requests of at most `size` hashes, keeping each file's together.
function batches({ list, owners }, size) {
  const result = [];
  let current = null;
  list.forEach((hash, i) => {
    const newFile = i === 0 || owners[i] !== owners[i - 1];
    const fileSize = owners.filter((o) => o === owners[i]).length;
    if (current === null || (newFile && current.hashes.length + fileSize > size)) {
      current = { hashes: [], owners: [] };
      result.push(current);
    }
    current.hashes.push(hash);
    current.owners.push(owners[i]);
  });
  return result;
}

// The refusals worth telling a person about (a repeated hash is stored once: no news), by file.
function refusals(rejected, batch) {
  return rejected
    .filter((r) => !r.reason.startsWith("duplicate"))
    .map((r) =>
      t("%(file)s: %(reason)s", {
        file: batch.owners[r.index]?.file.name ?? t("a file"),
        reason: r.reason,
      }),
    );
}

function listItems(element, lines) {
  const list = document.createElement("ul");
  for (const line of lines) {
    const item = document.createElement("li");
    item.textContent = line;
    list.append(item);
  }
  element.append(list);
}

async function send() {
  const hashList = photos.hashes();
  if (hashList.list.length === 0 || photos.busy || sending) return;
  sending = true;
  update();
  const requests = batches(hashList, await batchSize());
  idempotencyKey ??= newIdempotencyKey();
  const error = $("send-error");
  error.replaceChildren();
  $("send-status").textContent = t("Sending the fingerprints…");

  let opened;
  try {
    opened = await openCase(requests[0].hashes, idempotencyKey);
  } catch (failure) {
    $("send-status").textContent = "";
    const rejected = failure.problem?.rejected;
    if (Array.isArray(rejected)) {
      error.textContent = t(
        "None of these fingerprints could be registered, so no case was opened:",
      );
      listItems(error, refusals(rejected, requests[0]));
    } else {
      error.textContent = failure.message;
    }
    sending = false;
    update();
    $("send").focus();
    return;
  }

  let accepted = opened.accepted;
  const notes = refusals(opened.rejected, requests[0]);
  const unsent = [];
  for (const batch of requests.slice(1)) {
    try {
      const added = await addHashes(opened.case_id, opened.secret, batch.hashes);
      accepted += added.accepted;
      notes.push(...refusals(added.rejected, batch));
    } catch {
      unsent.push(...new Set(batch.owners.map((o) => o.file.name)));
    }
  }
  // The receipt counts what the service holds, not what this page meant to send.
  let registered;
  try {
    const view = await readCase(opened.case_id, opened.secret);
    registered = { files: view.photo_count, fingerprints: view.hash_count };
  } catch {
    registered = null;
  }
  showReceipt(opened, { registered, accepted, notes, unsent });
}

// Until the person has downloaded the receipt or copied both values, leaving asks first: the
// secret cannot be shown again.
let receiptSaved = true;
const copied = new Set();
window.addEventListener("beforeunload", (event) => {
  if (receiptSaved) return;
  event.preventDefault();
  event.returnValue = ""; // older browsers need it set
});

function showReceipt(opened, { registered, accepted, notes, unsent }) {
  receiptSaved = false;
  const receipt = {
    case_id: opened.case_id,
    secret: opened.secret,
    server: window.location.origin,
    created_at: new Date().toISOString(),
  };
  photos.clear(); // the files are no longer needed; only the receipt remains
  for (const id of ["intro", "choose", "review"]) $(id).hidden = true;
  $("case-id").textContent = receipt.case_id;
  $("case-secret").textContent = receipt.secret;
  $("receipt-summary").textContent = registered
    ? tn(
        "%(fingerprints)s of %(num)s file registered. Platforms that work with hashstop can now recognise them.",
        "%(fingerprints)s of %(num)s files registered. Platforms that work with hashstop can now recognise them.",
        registered.files,
        { fingerprints: tn("%(num)s fingerprint", "%(num)s fingerprints", registered.fingerprints) },
      )
    : tn(
        "%(num)s fingerprint registered. Platforms that work with hashstop can now recognise them.",
        "%(num)s fingerprints registered. Platforms that work with hashstop can now recognise them.",
        accepted,
      );
  const warnings = $("receipt-warnings");
  if (notes.length || unsent.length) {
    warnings.hidden = false;
    if (notes.length) {
      warnings.append(t("Some fingerprints were not accepted:"));
      listItems(warnings, notes);
    }
    if (unsent.length) {
      warnings.append(t("These files could not be sent; add them again from “Your case”:"));
      listItems(warnings, unsent);
    }
  }
  $("download-receipt").addEventListener("click", () => {
    downloadReceipt(receipt);
    receiptSaved = true;
  });
  $("receipt").hidden = false;
  $("receipt-title").focus();
}

wireCopyButtons($("receipt"), $("copy-status"), (what) => {
  copied.add(what);
  if (copied.has("case-id") && copied.has("case-secret")) receiptSaved = true;
});
$("send").addEventListener("click", send);
