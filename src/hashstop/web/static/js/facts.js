// The facts about hashes that the Python package, the service and these pages share (widths, the
// PDQ quality floor, hashes per request), from facts.json: the same file hashstop.hashing reads,
// served beside this module, so that no number is written twice.

let factsPromise = null;

/** The parsed facts.json (fetched once per page or worker, from this module's folder). */
export function loadFacts() {
  if (factsPromise === null) {
    factsPromise = fetch(new URL("./facts.json", import.meta.url)).then(async (response) => {
      if (!response.ok) throw new Error(`facts.json: ${response.status}`);
      return response.json();
    });
    factsPromise.catch(() => {
      factsPromise = null; // try again next time
    });
  }
  return factsPromise;
}
