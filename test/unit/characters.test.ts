import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { characterCount, firstCharacters } from '../../src/domain/characters.js';

// Any UTF-16 text, lone surrogates included: what a JSON body can carry.
const anyText = fc.string({ unit: 'binary', maxLength: 40 });

describe('characters (lengths as the model counts them)', () => {
  test('characterCount counts a surrogate pair once and anything else, a lone surrogate too, once', () => {
    fc.assert(fc.property(anyText, (text) => characterCount(text) === [...text].length));
    assert.equal(characterCount('a\u{1F600}b'), 3);
    assert.equal(characterCount('\udc00\ud83d'), 2);
  });

  test('firstCharacters keeps whole characters', () => {
    fc.assert(
      fc.property(anyText, fc.nat(45), (text, max) => {
        assert.equal(firstCharacters(text, max), [...text].slice(0, max).join(''));
      }),
    );
  });
});
