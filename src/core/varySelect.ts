/**
 * Selecting header values for `Vary` matching (RFC 9111 §4.1): two requests select the same
 * stored variant when their values differ only by whitespace the field's syntax allows, by how
 * lines were combined, or by a normalisation the field's definition allows. For the content
 * negotiation lists below that is member order and case too. Other fields are compared as sent,
 * less surrounding whitespace: a looser match could hand one tenant's variant to another.
 */

/**
 * Comma-separated lists whose members may carry whitespace around `,` and `;`; those with a
 * suffix are lists of case-insensitive members whose order carries no meaning (weights are explicit).
 */
const LIST = /^accept(-language|-encoding|-charset)?$/;

/**
 * The value to compare for one selecting header, `null` when the request lacks it.
 * @param name lowercase field name, as `Vary` named it
 * @param value the request's value (`Headers.get` has already joined repeated lines with `, `)
 */
export function selectingValue(name: string, value: string | null): string | null {
  if (value === null) return null;
  const list = LIST.exec(name);
  // Another field's commas may be data ("acme, inc" is not "acme,inc"): only its edges are OWS.
  const tidy = (list ? value.replace(/\s*([,;])\s*/g, '$1') : value).trim();
  return list?.[1] ? tidy.toLowerCase().split(',').sort().join() : tidy;
}
