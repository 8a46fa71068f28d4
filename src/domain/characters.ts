/**
 * Text measured as the models measure it: Smithy's length trait counts Unicode characters (scalar
 * values), where a JavaScript string's length counts UTF-16 units, two for each character outside the
 * Basic Multilingual Plane (an emoji, many CJK extension characters). A lone surrogate counts as one.
 */
export function characterCount(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count--;
        i++;
      }
    }
  }
  return count;
}

/** The first `max` characters of `text`, never half of a surrogate pair. */
export function firstCharacters(text: string, max: number): string {
  let end = 0;
  for (let taken = 0; taken < max && end < text.length; taken++) {
    const unit = text.charCodeAt(end);
    const next = text.charCodeAt(end + 1);
    end += unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
  }
  return text.slice(0, end);
}
