import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  applyProfileValues,
  chooseProfile,
  compileObjectType,
  type CompiledObjectType,
  keysToPersist,
  mapRecord,
  type MappedKey,
  type MappedRecord,
  normalizeKeyValue,
  type ObjectTypeDefinition,
  type ProfileState,
  scrubObjectType,
  searchKeyContentType,
  standardProfileKeys,
  timestampParser,
  uniqueKeyOf,
} from '../../src/domain/object-type-mapping/index.js';
import { isStale } from '../../src/domain/staleness.js';

const contact: ObjectTypeDefinition = {
  objectTypeName: 'Contact',
  allowProfileCreation: true,
  fields: {
    id: { Source: '_source.Id', ContentType: 'STRING' },
    email: { Source: '_source.Email', Target: '_profile.EmailAddress', ContentType: 'EMAIL_ADDRESS' },
    phone: { Source: '_source.Phone', Target: '_profile.PhoneNumber', ContentType: 'PHONE_NUMBER' },
    first: { Source: '_source.Name.First', Target: '_profile.FirstName', ContentType: 'NAME' },
    city: { Source: '_source.Addresses[0].City', Target: '_profile.Address.City' },
    tier: { Source: '_source.Tier', Target: '_profile.Attributes.loyalty.tier' },
  },
  keys: {
    _contactId: [{ StandardIdentifiers: ['UNIQUE', 'PROFILE'], FieldNames: ['id'] }],
    _email: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['email'] }],
    _phone: [{ StandardIdentifiers: ['PROFILE', 'SECONDARY'], FieldNames: ['phone'] }],
  },
};

function compiled(def: ObjectTypeDefinition): CompiledObjectType {
  const result = compileObjectType(def);
  if (!result.ok) assert.fail(`expected a valid definition: ${result.problems.join(' ')}`);
  return result.type;
}

function problemsOf(def: Partial<ObjectTypeDefinition>): string {
  const result = compileObjectType({ objectTypeName: 'T', ...def });
  assert.equal(result.ok, false, 'expected the definition to be rejected');
  return result.ok ? '' : result.problems.join(' ');
}

function mapped(type: CompiledObjectType, record: unknown): MappedRecord {
  const result = mapRecord(type, record);
  if (!result.ok) assert.fail(`expected the record to map: ${result.message}`);
  return result.mapped;
}

describe('object type definitions', () => {
  test('a definition with Fields and one UNIQUE key compiles', () => {
    const type = compiled(contact);
    assert.equal(type.uniqueKey.name, '_contactId');
    assert.deepEqual(type.keys.map((k) => [k.name, k.match, k.persist]), [
      ['_contactId', 'primary', 'always'],
      ['_email', 'primary', 'always'],
      ['_phone', 'secondary', 'always'],
    ]);
  });

  test("a TemplateId is the type's provenance only: the definition it carries is what compiles", () => {
    assert.equal(compiled({ ...contact, templateId: 'Salesforce-Account' }).uniqueKey.name, '_contactId');
    assert.match(problemsOf({ templateId: 'Salesforce-Account' }), /must define Fields/);
  });

  test('a definition without Fields or Keys says what is missing', () => {
    assert.match(problemsOf({}), /must define Fields\..*must define Keys/);
  });

  test('exactly one key must be UNIQUE', () => {
    const fields = { a: { Source: '_source.a' }, b: { Source: '_source.b' } };
    assert.match(problemsOf({ fields, keys: { ka: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['a'] }] } }), /No key has the UNIQUE/);
    assert.match(
      problemsOf({
        fields,
        keys: {
          ka: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['a'] }],
          kb: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['b'] }],
        },
      }),
      /keys ka, kb all have the UNIQUE/,
    );
  });

  test('a key naming a field that is not defined is rejected, naming both', () => {
    assert.match(
      problemsOf({ fields: { a: { Source: '_source.a' } }, keys: { k: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['nope'] }] } }),
      /Key k names the field nope, which is not defined in Fields/,
    );
  });

  test('UNIQUE and LOOKUP_ONLY on one key is rejected', () => {
    assert.match(
      problemsOf({ fields: { a: { Source: '_source.a' } }, keys: { k: [{ StandardIdentifiers: ['UNIQUE', 'LOOKUP_ONLY'], FieldNames: ['a'] }] } }),
      /both UNIQUE and LOOKUP_ONLY/,
    );
  });

  test('a Source that is not a _source accessor, and a _profile Target that is no profile field, are rejected', () => {
    const keys = { k: [{ StandardIdentifiers: ['UNIQUE' as const], FieldNames: ['a'] }] };
    assert.match(problemsOf({ fields: { a: { Source: 'Id' } }, keys }), /Field a has the Source 'Id'/);
    assert.match(problemsOf({ fields: { a: { Source: '_source' } }, keys }), /Field a has the Source/);
    assert.match(problemsOf({ fields: { a: { Source: '_source.a', Target: '_profile.Shoe' } }, keys }), /Target '_profile.Shoe'/);
    assert.match(problemsOf({ fields: { a: { Source: '_source.a', Target: '_profile.Address.Planet' } }, keys }), /_profile.Address.Planet/);
  });

  test('targets on other objects are accepted and write nothing on the profile', () => {
    const type = compiled({
      objectTypeName: 'T',
      fields: { a: { Source: '_source.a', Target: '_custom.Id' }, o: { Source: '_source.o', Target: '_order.OrderId' } },
      keys: { k: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['a'] }] },
    });
    assert.deepEqual(mapped(type, { a: '1', o: '2' }).profileValues, []);
  });

  test('an unsupported SourceLastUpdatedTimestampFormat is rejected, naming it', () => {
    assert.match(
      problemsOf({
        sourceLastUpdatedTimestampFormat: 'EEE, d MMM yyyy',
        fields: { a: { Source: '_source.a' } },
        keys: { k: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['a'] }] },
      }),
      /SourceLastUpdatedTimestampFormat 'EEE, d MMM yyyy' is not a supported format/,
    );
  });
});

describe('mapping a record', () => {
  const type = compiled(contact);

  test('reads nested and indexed accessors, normalizes key values and collects profile values', () => {
    const m = mapped(type, {
      Id: 'c-1',
      Email: ' Ann@Example.COM ',
      Phone: '(555) 123-4567',
      Name: { First: 'Ann' },
      Addresses: [{ City: 'Lisbon' }],
      Tier: 'gold',
    });
    assert.deepEqual(m.keyValues, { _contactId: 'c-1', _email: 'ann@example.com', _phone: '+15551234567' });
    assert.equal(m.uniqueKey, 'c-1', "the UNIQUE key's own value names the object");
    assert.deepEqual(m.profileValues, [
      { path: 'EmailAddress', value: ' Ann@Example.COM ' },
      { path: 'PhoneNumber', value: '(555) 123-4567' },
      { path: 'FirstName', value: 'Ann' },
      { path: 'Address.City', value: 'Lisbon' },
      { path: 'Attributes.loyalty.tier', value: 'gold' },
    ]);
    assert.deepEqual(m.contactValues, [
      { path: 'EmailAddress', value: ' Ann@Example.COM ' },
      { path: 'PhoneNumber', value: '(555) 123-4567' },
    ]);
  });

  test('the unique key is the same for the same record, and a digest when the value exceeds 255 characters', () => {
    assert.equal(mapped(type, { Id: 'x' }).uniqueKey, mapped(type, { Id: 'x', Email: 'a@b.c' }).uniqueKey);
    assert.notEqual(mapped(type, { Id: 'x' }).uniqueKey, mapped(type, { Id: 'y' }).uniqueKey);
    assert.equal(mapped(type, { Id: 'z'.repeat(255) }).uniqueKey, 'z'.repeat(255));
    const long = mapped(type, { Id: 'z'.repeat(5000) }).uniqueKey;
    assert.equal(long, uniqueKeyOf('_contactId', 'z'.repeat(5000)));
    assert.ok(long.length <= 255, 'fits ProfileObjectUniqueKey (1..255)');
    assert.notEqual(long, mapped(type, { Id: `${'z'.repeat(4999)}y` }).uniqueKey);
  });

  test('a number is a key value too; a missing, blank or structured UNIQUE value rejects the record, naming the key', () => {
    assert.equal(mapped(type, { Id: 42 }).keyValues._contactId, '42');
    for (const record of [{}, { Id: '  ' }, { Id: null }, { Id: { nested: 1 } }]) {
      const result = mapRecord(type, record);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.message, /no value for its UNIQUE key _contactId \(field id\)/);
    }
  });

  test('a record that is not a JSON object is rejected', () => {
    for (const record of [null, 'text', [1, 2]]) assert.equal(mapRecord(type, record).ok, false);
  });

  test('keys without a value are left out; a blank email links nothing', () => {
    const m = mapped(type, { Id: 'c-2', Email: '' });
    assert.deepEqual(m.keys.map((k) => k.name), ['_contactId']);
  });

  test('a multi-field key joins its values in FieldNames order; a template Source combines accessors', () => {
    const t = compiled({
      objectTypeName: 'Order',
      fields: {
        shop: { Source: '_source.shop' },
        no: { Source: '_source.no', ContentType: 'NUMBER' },
        full: { Source: '{{_source.first}} {{_source.last}}', Target: '_profile.BusinessName' },
      },
      keys: { _order: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['shop', 'no'] }] },
    });
    const m = mapped(t, { shop: 'lis', no: '007', first: 'Ann', last: 'Lee' });
    assert.equal(m.keyValues._order, 'lis_7');
    assert.deepEqual(m.profileValues, [{ path: 'BusinessName', value: 'Ann Lee' }]);
    assert.equal(mapRecord(t, { shop: 'lis' }).ok, false, 'every field of the UNIQUE key is required');
  });

  test('a whole-address target copies the address members it knows', () => {
    const t = compiled({
      objectTypeName: 'T',
      fields: { id: { Source: '_source.id' }, addr: { Source: '_source.addr', Target: '_profile.ShippingAddress' } },
      keys: { k: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['id'] }] },
    });
    assert.deepEqual(mapped(t, { id: '1', addr: { City: 'Porto', PostalCode: 4000, Planet: 'Earth' } }).profileValues, [
      { path: 'ShippingAddress.City', value: 'Porto' },
      { path: 'ShippingAddress.PostalCode', value: '4000' },
    ]);
  });

  test('the source timestamp comes from the field targeting _profile.SourceLastUpdatedTimestamp, in the declared format', () => {
    const t = compiled({
      objectTypeName: 'T',
      sourceLastUpdatedTimestampFormat: "yyyy-MM-dd'T'HH:mm:ss.SSSZ",
      fields: { id: { Source: '_source.id' }, at: { Source: '_source.modified', Target: '_profile.SourceLastUpdatedTimestamp' } },
      keys: { k: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['id'] }] },
    });
    assert.equal(mapped(t, { id: '1', modified: '2024-03-01T10:00:00.500+0100' }).sourceUpdatedAt, Date.UTC(2024, 2, 1, 9, 0, 0, 500));
    assert.equal(mapped(t, { id: '1' }).sourceUpdatedAt, undefined);
    const bad = mapRecord(t, { id: '1', modified: 'yesterday' });
    assert.equal(bad.ok, false);
    if (!bad.ok) assert.match(bad.message, /'yesterday' of field at does not match the SourceLastUpdatedTimestampFormat/);
  });

  test('a field named SourceLastUpdatedTimestamp carries the source time when no target names one', () => {
    const t = compiled({
      objectTypeName: 'T',
      sourceLastUpdatedTimestampFormat: 'EPOCHMILLI',
      fields: { id: { Source: '_source.id' }, SourceLastUpdatedTimestamp: { Source: '_source.ts' } },
      keys: { k: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['id'] }] },
    });
    assert.equal(mapped(t, { id: '1', ts: 1700000000123 }).sourceUpdatedAt, 1700000000123);
  });
});

describe('key values', () => {
  test('phone numbers compare in any format', () => {
    assert.equal(normalizeKeyValue('PHONE_NUMBER', '+15551234567'), '+15551234567');
    assert.equal(normalizeKeyValue('PHONE_NUMBER', '(555)-123-4567'), '+15551234567');
    assert.equal(normalizeKeyValue('PHONE_NUMBER', '+44 20 7946 0958'), '+442079460958');
    assert.equal(normalizeKeyValue('PHONE_NUMBER', 'n/a'), undefined);
  });

  test('emails and names ignore case and spacing; numbers compare by value; strings are trimmed', () => {
    assert.equal(normalizeKeyValue('EMAIL_ADDRESS', ' A@B.Com'), 'a@b.com');
    assert.equal(normalizeKeyValue('NAME', 'Ann   LEE'), 'ann lee');
    assert.equal(normalizeKeyValue('NUMBER', '007.50'), '7.5');
    assert.equal(normalizeKeyValue('NUMBER', 'x7'), 'x7');
    assert.equal(normalizeKeyValue('STRING', ' Id-1 '), 'Id-1');
    assert.equal(normalizeKeyValue(undefined, '   '), undefined);
  });
});

describe('matching and the key index', () => {
  const key = (name: string, value: string, match: MappedKey['match'], persist: MappedKey['persist'] = 'always'): MappedKey => ({
    name,
    value,
    match,
    persist,
  });
  const index: Record<string, string[]> = {
    'email:a': ['p-email'],
    'phone:1': ['p-phone'],
    'shared:x': ['p-1', 'p-2'],
  };
  const lookup = (name: string, value: string) => index[`${name}:${value}`] ?? [];

  test('primary keys are searched before SECONDARY ones', () => {
    assert.equal(chooseProfile([key('phone', '1', 'secondary'), key('email', 'a', 'primary')], lookup), 'p-email');
    assert.equal(chooseProfile([key('phone', '1', 'secondary'), key('email', 'none', 'primary')], lookup), 'p-phone');
  });

  test('a value shared by several profiles is no match; keys that are not for matching are ignored', () => {
    assert.equal(chooseProfile([key('shared', 'x', 'primary')], lookup), undefined);
    assert.equal(chooseProfile([key('shared', 'x', 'primary'), key('email', 'a', 'primary')], lookup), 'p-email');
    assert.equal(chooseProfile([key('email', 'a', 'none')], lookup), undefined);
  });

  test('LOOKUP_ONLY keys are never kept, NEW_ONLY ones only when the object created the profile', () => {
    const keys = [key('a', '1', 'primary'), key('b', '2', 'primary', 'never'), key('c', '3', 'primary', 'new-only')];
    assert.deepEqual(keysToPersist(keys, false).map((k) => k.name), ['a']);
    assert.deepEqual(keysToPersist(keys, true).map((k) => k.name), ['a', 'c']);
  });

  test('the identifiers decide how each key is used', () => {
    const type = compiled({
      objectTypeName: 'T',
      fields: {
        a: { Source: '_source.a' },
        b: { Source: '_source.b' },
        c: { Source: '_source.c' },
        d: { Source: '_source.d' },
        e: { Source: '_source.e' },
      },
      keys: {
        ka: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['a'] }],
        kb: [{ StandardIdentifiers: ['PROFILE', 'LOOKUP_ONLY'], FieldNames: ['b'] }],
        kc: [{ StandardIdentifiers: ['NEW_ONLY'], FieldNames: ['c'] }],
        kd: [{ FieldNames: ['d'] }],
        ke: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['e'] }],
      },
    });
    assert.deepEqual(type.keys.map((k) => [k.name, k.match, k.persist]), [
      ['ka', 'none', 'always'],
      ['kb', 'primary', 'never'],
      ['kc', 'primary', 'new-only'],
      ['kd', 'none', 'always'],
      ['ke', 'primary', 'always'],
    ]);
  });
});

describe('the standard profile', () => {
  const fresh = (): ProfileState => ({ attributes: {}, attributeSources: {} });

  test('values are written as nested attributes with their source', () => {
    const p = fresh();
    assert.equal(applyProfileValues(p, [{ path: 'FirstName', value: 'Ann' }, { path: 'Address.City', value: 'Porto' }], { objectTypeName: 'A' }), true);
    assert.deepEqual(p.attributes, { FirstName: 'Ann', Address: { City: 'Porto' } });
    assert.deepEqual(p.attributeSources, { FirstName: { objectTypeName: 'A' }, 'Address.City': { objectTypeName: 'A' } });
    assert.equal(applyProfileValues(p, [{ path: 'FirstName', value: 'Ann' }], { objectTypeName: 'A' }), false, 'nothing changed');
  });

  test('a lower SourcePriority wins; a type without one never overrides one that has one', () => {
    const p = fresh();
    applyProfileValues(p, [{ path: 'FirstName', value: 'crm' }], { objectTypeName: 'Crm', sourcePriority: 1 });
    applyProfileValues(p, [{ path: 'FirstName', value: 'web' }], { objectTypeName: 'Web', sourcePriority: 5 });
    applyProfileValues(p, [{ path: 'FirstName', value: 'csv' }], { objectTypeName: 'Csv' });
    assert.equal(p.attributes.FirstName, 'crm');
    applyProfileValues(p, [{ path: 'FirstName', value: 'crm2' }], { objectTypeName: 'Crm', sourcePriority: 1 });
    assert.equal(p.attributes.FirstName, 'crm2', 'a source always updates its own value');
  });

  test("scrubbing an object type removes exactly the values it wrote, and containers left empty", () => {
    const p = fresh();
    applyProfileValues(p, [{ path: 'Address.City', value: 'Porto' }, { path: 'Attributes.x.y', value: '1' }], { objectTypeName: 'A' });
    applyProfileValues(p, [{ path: 'LastName', value: 'Lee' }, { path: 'Attributes.z', value: '2' }], { objectTypeName: 'B' });
    assert.equal(scrubObjectType(p, 'A'), true);
    assert.deepEqual(p.attributes, { LastName: 'Lee', Attributes: { z: '2' } });
    assert.deepEqual(Object.keys(p.attributeSources).sort(), ['Attributes.z', 'LastName']);
    assert.equal(scrubObjectType(p, 'A'), false);
  });
});

describe('source timestamps', () => {
  test('EPOCHMILLI and EPOCHSECOND read numbers', () => {
    assert.equal(timestampParser('EPOCHMILLI')?.('1700000000123'), 1700000000123);
    assert.equal(timestampParser('EPOCHSECOND')?.('1700000000.5'), 1700000000500);
    assert.equal(timestampParser('EPOCHMILLI')?.('soon'), undefined);
    // Digits past what a millisecond count holds exactly (309 of them are Infinity) match no time.
    assert.equal(timestampParser('EPOCHMILLI')?.('9'.repeat(309)), undefined);
    assert.equal(timestampParser('EPOCHSECOND')?.('9007199254740993'), undefined);
    assert.equal(timestampParser('EPOCHMILLI')?.('9007199254740991'), 9007199254740991);
  });

  test('date patterns read as UTC unless they carry a zone', () => {
    assert.equal(timestampParser('yyyy-MM-dd HH:mm:ss')?.('2024-01-02 03:04:05'), Date.UTC(2024, 0, 2, 3, 4, 5));
    assert.equal(timestampParser("yyyy-MM-dd'T'HH:mm:ssXXX")?.('2024-01-02T03:04:05-02:30'), Date.UTC(2024, 0, 2, 5, 34, 5));
    assert.equal(timestampParser("yyyy-MM-dd'T'HH:mm:ssX")?.('2024-01-02T03:04:05Z'), Date.UTC(2024, 0, 2, 3, 4, 5));
    assert.equal(timestampParser('dd/MM/yy')?.('31/12/23'), Date.UTC(2023, 11, 31));
  });

  test('impossible dates and patterns without a year are not read', () => {
    assert.equal(timestampParser('yyyy-MM-dd')?.('2023-02-30'), undefined);
    assert.equal(timestampParser('HH:mm'), undefined);
    assert.equal(timestampParser("yyyy'T"), undefined);
  });

  test('only an older incoming time is stale', () => {
    assert.equal(isStale(1, 2), true);
    assert.equal(isStale(2, 2), false);
    assert.equal(isStale(undefined, 2), false);
    assert.equal(isStale(1, undefined), false);
  });
});

describe('definition rules from the admin guide', () => {
  const fields = { id: { Source: '_source.Id' }, l: { Source: '_source.L' }, n: { Source: '_source.N' } };

  test('a PROFILE + LOOKUP_ONLY key needs another PROFILE key that is neither NEW_ONLY nor LOOKUP_ONLY', () => {
    const keys = {
      u: [{ StandardIdentifiers: ['UNIQUE' as const], FieldNames: ['id'] }],
      look: [{ StandardIdentifiers: ['PROFILE' as const, 'LOOKUP_ONLY' as const], FieldNames: ['l'] }],
      fresh: [{ StandardIdentifiers: ['PROFILE' as const, 'NEW_ONLY' as const], FieldNames: ['n'] }],
    };
    assert.match(problemsOf({ fields, keys }), /key look is PROFILE and LOOKUP_ONLY/);
    compiled({ objectTypeName: 'T', fields, keys: { ...keys, fresh: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['n'] }] } });
    compiled({
      objectTypeName: 'T',
      fields,
      keys: { u: keys.u, _profileId: [{ StandardIdentifiers: ['PROFILE', 'LOOKUP_ONLY'], FieldNames: ['l'] }] },
    });
  });

  test('a key naming an unknown field, two UNIQUE keys, UNIQUE + LOOKUP_ONLY and bad Targets are named', () => {
    assert.match(problemsOf({ fields, keys: { u: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['nope'] }] } }), /names the field nope/);
    assert.match(
      problemsOf({
        fields,
        keys: { a: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['id'] }], b: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['l'] }] },
      }),
      /a, b all have the UNIQUE/,
    );
    assert.match(problemsOf({ fields, keys: { a: [{ StandardIdentifiers: ['UNIQUE', 'LOOKUP_ONLY'], FieldNames: ['id'] }] } }), /both UNIQUE and LOOKUP_ONLY/);
    const unique = { u: [{ StandardIdentifiers: ['UNIQUE' as const], FieldNames: ['id'] }] };
    assert.match(problemsOf({ fields: { ...fields, x: { Source: '_source.X', Target: '_profile.ShoeSize' } }, keys: unique }), /Field x .*_profile.ShoeSize.*not a standard profile field/);
    assert.match(problemsOf({ fields: { ...fields, x: { Source: '_source.X', Target: '_profile.Address.Planet' } }, keys: unique }), /Address.Planet/);
    assert.match(problemsOf({ fields: { ...fields, x: { Source: '_source.X', Target: 'FirstName' } }, keys: unique }), /Field x has the Target 'FirstName'/);
    compiled({ objectTypeName: 'T', fields: { ...fields, x: { Source: '_source.X', Target: '_asset.AssetName' } }, keys: unique });
  });
});

describe('standard search keys', () => {
  test('a profile is indexed by _phone, _email, _account and _fullName, values normalized', () => {
    assert.deepEqual(
      standardProfileKeys({
        FirstName: 'Ada',
        MiddleName: 'King',
        LastName: 'Lovelace',
        PhoneNumber: '(206) 555-0100',
        MobilePhoneNumber: '+1 206 555 0100',
        BusinessPhoneNumber: '+44 20 7946 0000',
        EmailAddress: 'Ada@X.com',
        BusinessEmailAddress: 'ada@work.example',
        AccountNumber: ' A-1 ',
        Attributes: { EmailAddress: 'not@indexed.example' },
      }),
      [
        { keyName: '_phone', keyValue: '+12065550100' },
        { keyName: '_phone', keyValue: '+442079460000' },
        { keyName: '_email', keyValue: 'ada@x.com' },
        { keyName: '_email', keyValue: 'ada@work.example' },
        { keyName: '_account', keyValue: 'A-1' },
        { keyName: '_fullName', keyValue: 'ada king lovelace' },
      ],
    );
    assert.deepEqual(standardProfileKeys({ LastName: 'Hopper' }), [{ keyName: '_fullName', keyValue: 'hopper' }]);
    assert.deepEqual(standardProfileKeys({ FirstName: '  ', BusinessName: 'Acme' }), []);
  });

  test('search values compare as the key indexes them', () => {
    assert.equal(searchKeyContentType('_email', []), 'EMAIL_ADDRESS');
    assert.equal(searchKeyContentType('_phone', [contact]), 'PHONE_NUMBER');
    assert.equal(searchKeyContentType('_contactId', [contact]), 'STRING');
    assert.equal(searchKeyContentType('_unknown', [contact]), 'STRING');
  });
});
