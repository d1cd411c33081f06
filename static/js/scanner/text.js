// Small text helpers shared by the scanner's modules.

/** Fill {name} placeholders of a translated string; unknown ones stay as they are. */
export function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
}
