// The victim's side of hashstop's JSON API, as the pages use it: open a case, add hashes, read
// it, withdraw it. Requests go to this page's own origin only (the Content-Security-Policy
// allows nothing else), carry no cookies, and send the case secret only in the Authorization
// header: never in a URL, never stored. Errors become an ApiError whose message is plain words
// a person can act on (the server's problem+json `detail`, or what a network failure means),
// in the page's language (the `detail` itself is the API's English).

import { t } from "../i18n.js";

/** An API call that failed; `message` is meant to be shown as it is. */
export class ApiError extends Error {
  constructor(message, { status = 0, problem = null } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status; // 0: the service could not be reached
    this.problem = problem; // the problem+json body, if any
  }
}


async function call(method, path, { secret = null, body = null, headers = {} } = {}) {
  const init = {
    method,
    headers: { Accept: "application/json, application/problem+json", ...headers },
    credentials: "omit",
    cache: "no-store",
  };
  if (secret !== null) init.headers.Authorization = `Bearer ${secret}`;
  if (body !== null) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(
      t(
        "We could not reach the hashstop service. Check your internet connection and try again. Your photos are still only on this device.",
      ),
    );
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    // Not JSON: a proxy's error page, say. The status alone says enough below.
  }
  if (!response.ok) {
    throw new ApiError(explain(response.status, data), { status: response.status, problem: data });
  }
  return data;
}

/** Plain words for a failed call: the server's own `detail`, with a hint where it helps. */
function explain(status, problem) {
  const detail = problem && typeof problem.detail === "string" ? problem.detail : "";
  if (status === 404 || status === 401) {
    return t(
      "We could not find a case with this case id and secret. Check both (the receipt has them) and try again.",
    );
  }
  if (status === 429) {
    return t("Too many requests from this network for now. Please wait a while and try again. %(detail)s", {
      detail,
    }).trim();
  }
  if (status >= 500) {
    return t(
      "The hashstop service had a problem and could not finish this. Please try again in a few minutes.",
    );
  }
  return detail
    ? t("The service could not accept this: %(detail)s", { detail })
    : t("The service answered with an error (%(status)s).", { status });
}

const caseUrl = (caseId) => `/v1/cases/${encodeURIComponent(caseId)}`;

/**
 * Open a case with `hashes`. The answer holds the secret, shown this once.
 *
 * IDEMPOTENCY-KEY: the one place it is set. A retry of the same submission sends the same key,
 * so a server that honours the header never opens two cases for it; a server that does not
 * know the header ignores it.
 */
export function openCase(hashes, idempotencyKey) {
  return call("POST", "/v1/cases", {
    body: { hashes },
    headers: { "Idempotency-Key": idempotencyKey },
  });
}

export function addHashes(caseId, secret, hashes) {
  return call("POST", `${caseUrl(caseId)}/hashes`, { secret, body: { hashes } });
}

export function readCase(caseId, secret) {
  return call("GET", caseUrl(caseId), { secret });
}

export function withdrawCase(caseId, secret) {
  return call("DELETE", caseUrl(caseId), { secret });
}

/**
 * A fresh Idempotency-Key: 32 random bytes in base64url without padding (43 characters), the
 * only shape the server accepts, since for a day it is as good as the case secret it re-derives.
 */
export function newIdempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const base64 = btoa(String.fromCharCode(...bytes));
  return base64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A random key of 32 hex characters (works without a secure context, unlike randomUUID). */
export function randomKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
