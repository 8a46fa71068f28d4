import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileObjectType, detectObjectType, type DetectedMapping } from '../../src/domain/object-type-mapping/index.js';

function detected(samples: unknown[]): DetectedMapping {
  const out = detectObjectType(samples);
  assert.ok(out.ok, out.ok ? '' : out.problems.join(' '));
  return out.value;
}

describe('detectObjectType', () => {
  test('standard profile names map to _profile targets with their content types', () => {
    const m = detected([{ id: 'c1', Email: 'a@x.com', phone: '+1 206 555 0100', first_name: 'Ada', Surname: 'Lovelace', BirthDate: '1815-12-10' }]);
    assert.deepEqual(m.fields.Email, { Source: '_source.Email', Target: '_profile.EmailAddress', ContentType: 'EMAIL_ADDRESS' });
    assert.deepEqual(m.fields.phone, { Source: '_source.phone', Target: '_profile.PhoneNumber', ContentType: 'PHONE_NUMBER' });
    assert.deepEqual(m.fields.first_name, { Source: '_source.first_name', Target: '_profile.FirstName', ContentType: 'NAME' });
    assert.deepEqual(m.fields.Surname, { Source: '_source.Surname', Target: '_profile.LastName', ContentType: 'NAME' });
    assert.deepEqual(m.fields.BirthDate, { Source: '_source.BirthDate', Target: '_profile.BirthDate', ContentType: 'STRING' });
    assert.deepEqual(m.fields.id, { Source: '_source.id', ContentType: 'STRING' });
  });

  test('address parts map under the address they are in, or the primary address at the top level', () => {
    const m = detected([{ Id: 1, City: 'Seattle', shipping_address: { street: '1 Main St', zip: '98101', Country: 'US' } }]);
    assert.equal(m.fields.City.Target, '_profile.Address.City');
    assert.equal(m.fields['shipping_address.street'].Target, '_profile.ShippingAddress.Address1');
    assert.equal(m.fields['shipping_address.zip'].Source, '_source.shipping_address.zip');
    assert.equal(m.fields['shipping_address.zip'].Target, '_profile.ShippingAddress.PostalCode');
    assert.equal(m.fields['shipping_address.Country'].Target, '_profile.ShippingAddress.Country');
  });

  test('other fields stay on the object, typed by the shape of every value', () => {
    const m = detected([
      { Id: 'a', total: 12.5, backup: 'b@y.org', fax: '(206) 555-0199', petName: 'Rex', note: 'hello 42', flag: true },
      { Id: 'b', total: 3, backup: 'c@y.org', fax: '+44 20 7946 0000', petName: 'Mia', note: 'x', flag: false },
    ]);
    assert.deepEqual(
      Object.fromEntries(Object.entries(m.fields).map(([k, f]) => [k, [f.Target, f.ContentType]])),
      {
        Id: [undefined, 'STRING'],
        total: [undefined, 'NUMBER'],
        backup: [undefined, 'EMAIL_ADDRESS'],
        fax: [undefined, 'PHONE_NUMBER'],
        petName: [undefined, 'NAME'],
        note: [undefined, 'STRING'],
        flag: [undefined, 'STRING'],
      },
    );
    // A value of another shape in one sample makes the field text.
    assert.equal(detected([{ total: 1 }, { total: 'n/a' }]).fields.total.ContentType, 'STRING');
  });

  test('a standard target is proposed once: a second email field stays on the object', () => {
    const m = detected([{ email: 'a@x.com', Email_Address: 'b@x.com' }]);
    assert.equal(m.fields.email.Target, '_profile.EmailAddress');
    assert.equal(m.fields.Email_Address.Target, undefined);
    assert.equal(m.fields.Email_Address.ContentType, 'EMAIL_ADDRESS');
    assert.deepEqual(m.keys._email, [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['email', 'Email_Address'] }]);
  });

  test('UNIQUE goes on an id-like field every sample has with distinct values; PROFILE keys on email and phone', () => {
    const m = detected([
      { orderId: 'o1', customerId: 'c1', email: 'a@x.com', mobile: '+1 206 555 0100' },
      { orderId: 'o2', customerId: 'c1', email: 'b@x.com', mobile: '+1 206 555 0101' },
    ]);
    assert.deepEqual(m.keys, {
      _orderId: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['orderId'] }],
      _email: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['email'] }],
      _phone: [{ StandardIdentifiers: ['PROFILE'], FieldNames: ['mobile'] }],
    });
    assert.equal(m.fields.mobile.Target, '_profile.MobilePhoneNumber');
    // `id` itself wins over other id-like fields; one missing from a sample is no UNIQUE key.
    assert.deepEqual(Object.keys(detected([{ accountId: 'a', id: 1 }, { accountId: 'b', id: 2 }]).keys), ['_id']);
    assert.deepEqual(detected([{ id: 'a' }, { name: 'b' }]).keys, {});
  });

  test('SourceLastUpdatedTimestampFormat comes from a last-updated field whose every value reads in one format', () => {
    const iso = detected([
      { id: 1, updatedAt: '2024-05-01T10:00:00.123Z' },
      { id: 2, updatedAt: '2024-05-02T11:30:00.000+02:00' },
    ]);
    assert.equal(iso.sourceLastUpdatedTimestampFormat, "yyyy-MM-dd'T'HH:mm:ss.SSSX");
    assert.deepEqual(iso.fields.updatedAt, { Source: '_source.updatedAt', Target: '_profile.SourceLastUpdatedTimestamp', ContentType: 'STRING' });
    assert.equal(detected([{ LastModified: 1714557600000 }]).sourceLastUpdatedTimestampFormat, 'EPOCHMILLI');
    assert.equal(detected([{ last_updated: '1714557600' }]).sourceLastUpdatedTimestampFormat, 'EPOCHSECOND');
    assert.equal(detected([{ modified: '2024-05-01 10:00:00' }]).sourceLastUpdatedTimestampFormat, 'yyyy-MM-dd HH:mm:ss');
    // Unrecognised text, mixed formats, or a date field that does not say it is the last update: none.
    assert.equal(detected([{ updatedAt: 'yesterday' }]).sourceLastUpdatedTimestampFormat, undefined);
    assert.equal(detected([{ updatedAt: '2024-05-01' }, { updatedAt: 1714557600000 }]).sourceLastUpdatedTimestampFormat, undefined);
    assert.equal(detected([{ createdAt: '2024-05-01' }]).sourceLastUpdatedTimestampFormat, undefined);
  });

  test('arrays and keys a field name cannot carry are left out', () => {
    const m = detected([{ tags: ['a'], 'bad key': 1, ok: { deep: { x: 1 } } }]);
    assert.deepEqual(Object.keys(m.fields), ['ok.deep.x']);
  });

  test('the proposal compiles as an object type definition and keeps every key on fields it defines', () => {
    const m = detected([{ id: 'x', email: 'a@x.com', phone: '+1 206 555 0100', updated: 1714557600000, address: { city: 'Paris' } }]);
    const compiled = compileObjectType({ objectTypeName: 'Detected', fields: m.fields, keys: m.keys, sourceLastUpdatedTimestampFormat: m.sourceLastUpdatedTimestampFormat });
    assert.ok(compiled.ok, compiled.ok ? '' : compiled.problems.join(' '));
  });

  test('a sample that is not a JSON object is a problem naming its index', () => {
    const out = detectObjectType([{ id: 1 }, [1], null, 'text']);
    assert.equal(out.ok, false);
    assert.deepEqual(!out.ok && out.problems, [
      'Objects[1] is an array, not a JSON object ({...}): every object must be one.',
      'Objects[2] is null, not a JSON object ({...}): every object must be one.',
      'Objects[3] is a string, not a JSON object ({...}): every object must be one.',
    ]);
  });
});
