// The page's words in the person's language, from the same catalogue as the server's pages and
// the CLI (hashstop.i18n). The server puts the translations this page's scripts need into the
// page, as data (<script type="application/json" id="hashstop-messages">, never run as code);
// a page without them, or a message without a translation, shows the English text.
//
//   import { t, tn } from "../i18n.js";
//   t("Copied %(what)s.", { what })                           // %(name)s placeholders
//   tn("%(num)s file", "%(num)s files", count)                // counted: %(num)s is the count
//
// Write each message as one string literal in the call (no concatenation, no template literal):
// `python -m scripts.translations` finds them there, and tests/i18n fails on any message that
// has no translation in every language. A literal percent sign is written %%.

const source = globalThis.document?.getElementById("hashstop-messages");
const catalogue = source
  ? JSON.parse(source.textContent)
  : { lang: "en", plural: ["one", "other"], messages: {} };

/** The page's language code (en, es, fr, de, ar). */
export const language = catalogue.lang;

const pluralRules = new Intl.PluralRules(language);

function format(text, values) {
  return text.replace(/%(?:\((\w+)\)s|%)/g, (whole, name) => {
    if (name === undefined) return "%";
    return Object.hasOwn(values, name) ? String(values[name]) : whole;
  });
}

/** `message` in the page's language, with `values` put in its %(name)s placeholders. */
export function t(message, values = {}) {
  const translated = catalogue.messages[message];
  return format(typeof translated === "string" && translated ? translated : message, values);
}

/** The form of a counted message for `num`, which fills %(num)s. */
export function tn(singular, plural, num, values = {}) {
  const forms = catalogue.messages[singular];
  let text = num === 1 ? singular : plural;
  if (Array.isArray(forms)) {
    const index = catalogue.plural.indexOf(pluralRules.select(num));
    text = forms[index >= 0 ? index : forms.length - 1];
  }
  return format(text, { ...values, num });
}
