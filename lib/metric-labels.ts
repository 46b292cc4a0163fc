/** What a label value taken from a request may look like; anything else is counted as `invalid`. */
const LABEL_VALUE = /^[\w.@/:+ -]{1,64}$/;

/** A label value from outside (a header, an operation name): checked, `unknown` when absent. */
export function labelValue(value: string | undefined | null, missing = 'unknown'): string {
  if (value === undefined || value === null || value === '') return missing;
  return LABEL_VALUE.test(value) ? value : 'invalid';
}

/**
 * A label whose values come from outside, kept to a bounded set: the first
 * `max` distinct values are kept as they are, later ones are `other`, so a
 * caller cannot blow up the series count.
 */
export class CappedLabel {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  value(raw: string | undefined | null, missing = 'unknown'): string {
    const value = labelValue(raw, missing);
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return 'other';
    this.seen.add(value);
    return value;
  }
}
