import type {
  FieldContentType,
  GetProfileObjectTypeTemplateResponse,
  ObjectTypeField,
  ObjectTypeKey,
  StandardIdentifier,
} from '../../api/shapes.generated.js';
import { TEMPLATE_CATALOGUE, type TemplateEntry } from './catalogue.js';

/**
 * Object type templates: the catalogue (catalogue.ts) turned into the model's template shape. Pure.
 *
 * What the admin guide leaves unsaid is inferred here, once, for every template [I]:
 * - ContentType from the target: phone number members PHONE_NUMBER, email members EMAIL_ADDRESS, name
 *   members NAME, anything else STRING;
 * - StandardIdentifiers: the key on the object's own id is UNIQUE and, for a template that maps to the
 *   standard profile, PROFILE (for an asset or a case, ASSET or CASE); every other published index is
 *   PROFILE (the pages say each index associates the object with a profile);
 * - AllowProfileCreation: true for templates whose fields map to the standard profile (the pages say
 *   they populate it), false for asset and case templates;
 * - field names are the source fields; a source mapped twice gets `<source>_<target leaf>` the second time.
 */
export type ObjectTypeTemplate = GetProfileObjectTypeTemplateResponse & {
  TemplateId: string;
  SourceName: string;
  SourceObject: string;
  /** The page the template's facts come from. */
  url: string;
  /** False when AWS publishes the template id but not its Fields and Keys. */
  mappingsPublished: boolean;
};

const PHONE = new Set(['PhoneNumber', 'MobilePhoneNumber', 'HomePhoneNumber', 'BusinessPhoneNumber']);
const EMAIL = new Set(['EmailAddress', 'PersonalEmailAddress', 'BusinessEmailAddress']);
const NAME = new Set(['FirstName', 'MiddleName', 'LastName', 'BusinessName']);

function contentTypeOf(target: string): FieldContentType {
  if (PHONE.has(target)) return 'PHONE_NUMBER';
  if (EMAIL.has(target)) return 'EMAIL_ADDRESS';
  if (NAME.has(target)) return 'NAME';
  return 'STRING';
}

function build(entry: TemplateEntry): ObjectTypeTemplate {
  const base = {
    TemplateId: entry.TemplateId,
    SourceName: entry.SourceName,
    SourceObject: entry.SourceObject,
    url: entry.url,
  };
  const mappings = entry.mappings;
  if (!mappings) return { ...base, mappingsPublished: false };
  const prefix = entry.target ?? '_profile';
  const Fields: Record<string, ObjectTypeField> = {};
  const fieldOfSource = new Map<string, string>();
  for (const [source, target] of mappings.fields) {
    let name = source;
    if (Object.hasOwn(Fields, name)) name = `${source}_${target.split('.').pop() as string}`;
    Fields[name] = { Source: `_source.${source}`, Target: `${prefix}.${target}`, ContentType: contentTypeOf(target) };
    if (!fieldOfSource.has(source)) fieldOfSource.set(source, name);
  }
  const owner: StandardIdentifier = prefix === '_asset' ? 'ASSET' : prefix === '_case' ? 'CASE' : 'PROFILE';
  const Keys: Record<string, ObjectTypeKey[]> = {};
  for (const [indexName, source] of mappings.keys) {
    const field = fieldOfSource.get(source);
    if (field === undefined) throw new Error(`Template ${entry.TemplateId}: index ${indexName} reads ${source}, which no field maps.`);
    const identifiers: StandardIdentifier[] = indexName === mappings.uniqueKey ? [owner, 'UNIQUE'] : ['PROFILE'];
    Keys[indexName] = [{ StandardIdentifiers: identifiers, FieldNames: [field] }];
  }
  return { ...base, mappingsPublished: true, AllowProfileCreation: prefix === '_profile', Fields, Keys };
}

const TEMPLATES: readonly ObjectTypeTemplate[] = TEMPLATE_CATALOGUE.map(build).sort((a, b) =>
  a.TemplateId < b.TemplateId ? -1 : a.TemplateId > b.TemplateId ? 1 : 0,
);
const BY_ID = new Map(TEMPLATES.map((t) => [t.TemplateId, t]));

/** Every template, ordered by TemplateId (code unit order, so keyset paging is stable). */
export function allTemplates(): readonly ObjectTypeTemplate[] {
  return TEMPLATES;
}

/** The template of this id; ids are matched exactly, as object type names are. */
export function findTemplate(templateId: string): ObjectTypeTemplate | undefined {
  return BY_ID.get(templateId);
}

/** The template as GetProfileObjectTypeTemplate answers it: a copy, so callers cannot change the catalogue. */
export function templateOutput(t: ObjectTypeTemplate): GetProfileObjectTypeTemplateResponse {
  return structuredClone({
    TemplateId: t.TemplateId,
    SourceName: t.SourceName,
    SourceObject: t.SourceObject,
    AllowProfileCreation: t.AllowProfileCreation,
    SourceLastUpdatedTimestampFormat: t.SourceLastUpdatedTimestampFormat,
    Fields: t.Fields,
    Keys: t.Keys,
  });
}
