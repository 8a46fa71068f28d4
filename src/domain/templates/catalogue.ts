/**
 * The object type templates AWS publishes, as data. Every entry names the page its facts come from.
 *
 * What the Amazon Connect admin guide publishes per template is: the template id (the object type name
 * it documents, e.g. "ObjectTypeName set to Salesforce-Account"), a table of source field → standard
 * object target field, and a table of standard index name → source field. That is what `fields` and
 * `keys` below carry, spelled as the pages spell them except where `corrections` says otherwise.
 *
 * What the pages do not publish is inferred, the same way for every template, in templates/index.ts
 * (and listed per template in `inferred`): each field's ContentType (from its target), each key's
 * StandardIdentifiers (the index on the object's own id identifies it), AllowProfileCreation.
 *
 * A template whose id AWS publishes without its mappings has `mappings: undefined`: it is listed and
 * described, never invented; object types cannot be defined by it here.
 */
export interface TemplateEntry {
  TemplateId: string;
  SourceName: string;
  SourceObject: string;
  /** The page that publishes this template's id and, when there are any, its mappings. */
  url: string;
  /** Which standard object the targets belong to: `_profile` (the standard profile), `_asset`, `_case`. */
  target?: '_profile' | '_asset' | '_case';
  mappings?: {
    /** [source field (a path into the record, dots for nesting), target field on the standard object]. */
    fields: [source: string, target: string][];
    /** Standard index name → the source field its value comes from. */
    keys: [indexName: string, source: string][];
    /** The key on the object's own id: its values identify the object (UNIQUE). */
    uniqueKey: string;
  };
  /** Where this entry departs from the page's spelling, and why. */
  corrections?: string[];
  /** What the page does not say about this template (see the file header). */
  note?: string;
}

const SALESFORCE = 'https://docs.aws.amazon.com/connect/latest/adminguide/mapping-salesforce-objects.html';
const SALESFORCE_ASSET = 'https://docs.aws.amazon.com/connect/latest/adminguide/mapping-salesforce-objects-to-asset.html';
const SERVICENOW = 'https://docs.aws.amazon.com/connect/latest/adminguide/mapping-servicenow-objects.html';
const SERVICENOW_CASE = 'https://docs.aws.amazon.com/connect/latest/adminguide/mapping-servicenow-objects-standard-case.html';
const ZENDESK = 'https://docs.aws.amazon.com/connect/latest/adminguide/mapping-zendesk-objects.html';
const ZENDESK_CASE = 'https://docs.aws.amazon.com/connect/latest/adminguide/mapping-zendesk-objects-case.html';
const MARKETO = 'https://docs.aws.amazon.com/connect/latest/adminguide/mapping-marketo-objects.html';
const CONTACT_RECORD = 'https://docs.aws.amazon.com/connect/latest/adminguide/ctr-contact-record-template.html';
const PHONE_KEY = 'https://docs.aws.amazon.com/connect/latest/adminguide/auto-associate-profile-using-phone-profile-key.html';

export const TEMPLATE_CATALOGUE: readonly TemplateEntry[] = [
  {
    TemplateId: 'Salesforce-Account',
    SourceName: 'Salesforce',
    SourceObject: 'Account',
    url: `${SALESFORCE}#mapping-salesforceaccountobject`,
    target: '_profile',
    mappings: {
      fields: [
        ['Id', 'Attributes.sfdcAccountId'],
        ['Name', 'BusinessName'],
        ['Phone', 'PhoneNumber'],
        ['BillingStreet', 'BillingAddress.Address1'],
        ['BillingCity', 'BillingAddress.City'],
        ['BillingState', 'BillingAddress.State'],
        ['BillingCountry', 'BillingAddress.Country'],
        ['BillingPostalCode', 'BillingAddress.PostalCode'],
        ['ShippingStreet', 'ShippingAddress.Address1'],
        ['ShippingCity', 'ShippingAddress.City'],
        ['ShippingState', 'ShippingAddress.State'],
        ['ShippingCountry', 'ShippingAddress.Country'],
        ['ShippingPostalCode', 'ShippingAddress.PostalCode'],
        ['IsPersonAccount', 'PartyType'],
        ['PersonMobilePhone', 'MobilePhoneNumber'],
        ['PersonHomePhone', 'HomePhoneNumber'],
        ['PersonEmail', 'PersonalEmailAddress'],
        ['PersonMailingAddress.Street', 'MailingAddress.Address1'],
        ['PersonMailingAddress.City', 'MailingAddress.City'],
        ['PersonMailingAddress.State', 'MailingAddress.State'],
        ['PersonMailingAddress.Country', 'MailingAddress.Country'],
        ['PersonMailingAddress.PostalCode', 'MailingAddress.PostalCode'],
        ['PersonBirthDate', 'BirthDate'],
        ['PersonOtherStreet', 'Address.Address1'],
        ['PersonOtherCity', 'Address.City'],
        ['PersonOtherState', 'Address.State'],
        ['PersonOtherCountry', 'Address.Country'],
        ['PersonOtherPostalCode', 'Address.PostalCode'],
        ['FirstName', 'FirstName'],
        ['LastName', 'LastName'],
        ['MiddleName', 'MiddleName'],
        ['AccountNumber', 'AccountNumber'],
      ],
      keys: [['_salesforceAccountId', 'Id']],
      uniqueKey: '_salesforceAccountId',
    },
  },
  {
    TemplateId: 'Salesforce-Contact',
    SourceName: 'Salesforce',
    SourceObject: 'Contact',
    url: `${SALESFORCE}#mapping-salesforcecontactobject`,
    target: '_profile',
    mappings: {
      fields: [
        ['Id', 'Attributes.sfdcContactId'],
        ['AccountId', 'Attributes.sfdcAccountId'],
        ['LastName', 'LastName'],
        ['FirstName', 'FirstName'],
        ['MiddleName', 'MiddleName'],
        ['OtherStreet', 'Address.Address1'],
        ['OtherCity', 'Address.City'],
        ['OtherState', 'Address.State'],
        ['OtherCountry', 'Address.Country'],
        ['OtherPostalCode', 'Address.PostalCode'],
        ['MailingStreet', 'MailingAddress.Address1'],
        ['MailingCity', 'MailingAddress.City'],
        ['MailingState', 'MailingAddress.State'],
        ['MailingCountry', 'MailingAddress.Country'],
        ['MailingPostalCode', 'MailingAddress.PostalCode'],
        ['Phone', 'PhoneNumber'],
        ['HomePhone', 'HomePhoneNumber'],
        ['MobilePhone', 'MobilePhoneNumber'],
        ['Email', 'EmailAddress'],
        ['Birthdate', 'BirthDate'],
      ],
      keys: [
        ['_salesforceContactId', 'Id'],
        ['_salesforceAccountId', 'AccountId'],
      ],
      uniqueKey: '_salesforceContactId',
    },
  },
  {
    TemplateId: 'Salesforce-Asset',
    SourceName: 'Salesforce',
    SourceObject: 'Asset',
    url: SALESFORCE_ASSET,
    target: '_asset',
    mappings: {
      fields: [
        ['Id', 'Attributes.sfdcAssetId'],
        ['ContactId', 'Attributes.sfdcContactId'],
        ['AccountId', 'Attributes.sfdcAccountId'],
        ['SerialNumber', 'SerialNumber'],
        ['StockKeepingUnit', 'ProductSKU'],
        ['UsageEndDate', 'UsageEndDate'],
        ['Status', 'Status'],
        ['Price', 'Price'],
        ['Quantity', 'Quantity'],
        ['Description', 'Description'],
      ],
      keys: [
        ['_salesforceAssetId', 'Id'],
        ['_salesforceContactId', 'ContactId'],
        ['_salesforceAccountId', 'AccountId'],
      ],
      uniqueKey: '_salesforceAssetId',
    },
  },
  {
    TemplateId: 'Servicenow-sys_user',
    SourceName: 'Servicenow',
    SourceObject: 'sys_user',
    url: `${SERVICENOW}#mapping-servicenow-sys-user-object`,
    target: '_profile',
    mappings: {
      fields: [
        ['sys_id', 'Attributes.ServiceNowSystemId'],
        ['first_name', 'FirstName'],
        ['last_name', 'LastName'],
        ['middle_name', 'MiddleName'],
        ['gender', 'Gender'],
        ['email', 'EmailAddress'],
        ['phone', 'PhoneNumber'],
        ['home_phone', 'HomePhoneNumber'],
        ['mobile_phone', 'MobilePhoneNumber'],
        ['street', 'Address.Address1'],
        ['city', 'Address.City'],
        ['state', 'Address.State'],
        ['country', 'Address.Country'],
        ['zip', 'Address.PostalCode'],
      ],
      keys: [['_serviceNowSystemId', 'sys_id']],
      uniqueKey: '_serviceNowSystemId',
    },
  },
  {
    TemplateId: 'Servicenow-task',
    SourceName: 'Servicenow',
    SourceObject: 'task',
    url: `${SERVICENOW_CASE}#mapping-servicenow-task-case`,
    target: '_case',
    mappings: {
      fields: [
        ['sys_id', 'Attributes.ServiceNowTaskId'],
        ['opened_by.link', 'Attributes.ServiceNowSystemUserId'],
        ['short_description', 'Title'],
        ['description', 'Summary'],
        ['status', 'Status'],
        ['sys_created_by', 'CreatedBy'],
        ['sys_created_on', 'CreatedDate'],
        ['sys_updated_on', 'UpdatedDate'],
      ],
      keys: [
        ['_serviceNowTaskId', 'sys_id'],
        ['_serviceNowSystemId', 'opened_by.link'],
      ],
      uniqueKey: '_serviceNowTaskId',
    },
    corrections: ["The index table names the source of _serviceNowSystemId 'open_by.link'; the field table and the task object both say opened_by.link."],
  },
  {
    TemplateId: 'Servicenow-incident',
    SourceName: 'Servicenow',
    SourceObject: 'incident',
    url: `${SERVICENOW_CASE}#mapping-servicenowincident-case`,
    target: '_case',
    mappings: {
      fields: [
        ['sys_id', 'Attributes.ServiceNowIncidentId'],
        ['caller_id.link', 'Attributes.ServiceNowSystemUserId'],
        ['incident_status', 'Status'],
        ['caller_id.link', 'CreatedBy'],
        ['resolved_at', 'ClosedDate'],
        ['category', 'Reason'],
      ],
      keys: [
        ['_serviceNowIncidentId', 'sys_id'],
        ['_serviceNowSystemId', 'caller_id.link'],
      ],
      uniqueKey: '_serviceNowIncidentId',
    },
    corrections: [
      'The field table spells the two attribute targets Attributes_ServiceNowIncidentId and Attributes_ServiceNowSystemUserId; every other table (and the task mapping) writes attributes as Attributes.<name>.',
    ],
  },
  {
    TemplateId: 'Zendesk-users',
    SourceName: 'Zendesk',
    SourceObject: 'users',
    url: `${ZENDESK}#mapping-zendeskusersobject`,
    target: '_profile',
    mappings: {
      fields: [
        ['id', 'Attributes.ZendeskUserId'],
        ['external_id', 'Attributes.ZendeskExternalId'],
        ['email', 'EmailAddress'],
        ['phone', 'PhoneNumber'],
      ],
      keys: [
        ['_zendeskUserId', 'id'],
        ['_zendeskExternalId', 'external_id'],
      ],
      uniqueKey: '_zendeskUserId',
    },
    corrections: ["The index table names the source of _zendeskUserId 'Id'; the users object's field (and the field table) is id."],
  },
  {
    TemplateId: 'Zendesk-tickets',
    SourceName: 'Zendesk',
    SourceObject: 'tickets',
    url: `${ZENDESK_CASE}#mapping-zendeskticketsobject-case`,
    target: '_case',
    mappings: {
      fields: [
        ['requester_id', 'Attributes.ZendeskUserId'],
        ['id', 'Attributes.ZendeskTicketId'],
        ['subject', 'Title'],
        ['description', 'Summary'],
        ['status', 'Status'],
        ['requester_id', 'CreatedBy'],
        ['created_at', 'CreatedDate'],
        ['updated_at', 'UpdatedDate'],
      ],
      keys: [
        ['_zendeskUserId', 'requester_id'],
        ['_zendeskTicketId', 'id'],
      ],
      uniqueKey: '_zendeskTicketId',
    },
  },
  {
    TemplateId: 'Marketo-leads',
    SourceName: 'Marketo',
    SourceObject: 'leads',
    url: `${MARKETO}#mapping-marketo-leads-object`,
    target: '_profile',
    mappings: {
      fields: [
        ['id', 'Attributes.MarketoLeadId'],
        ['sfdcAccountId', 'Attributes.sfdcAccountId'],
        ['sfdcContactId', 'Attributes.sfdcContactId'],
        ['firstName', 'FirstName'],
        ['lastName', 'LastName'],
        ['middleName', 'MiddleName'],
        ['email', 'EmailAddress'],
        ['phone', 'PhoneNumber'],
        ['mobilePhone', 'MobilePhoneNumber'],
        ['billingStreet', 'BillingAddress.Address1'],
        ['billingCity', 'BillingAddress.City'],
        ['billingState', 'BillingAddress.State'],
        ['billingCountry', 'BillingAddress.Country'],
        ['billingPostalCode', 'BillingAddress.PostalCode'],
        ['address', 'Address.Address1'],
        ['city', 'Address.City'],
        ['state', 'Address.State'],
        ['country', 'Address.Country'],
        ['postalcode', 'Address.PostalCode'],
        ['gender', 'Gender'],
        ['dateOfBirth', 'BirthDate'],
      ],
      keys: [
        ['_marketoLeadId', 'id'],
        ['_salesforceAccountId', 'sfdcAccountId'],
        ['_salesforceContactId', 'sfdcContactId'],
      ],
      uniqueKey: '_marketoLeadId',
    },
    corrections: [
      'The field table lists mobilePhone → MobilePhoneNumber twice; it is kept once.',
      "The field table spells the birth date source dataOfBirth; Marketo's lead field is dateOfBirth.",
    ],
  },
  {
    TemplateId: 'CTR',
    SourceName: 'Connect',
    SourceObject: 'CTR',
    url: PHONE_KEY,
    note:
      'The default contact record template: the admin guide names its id (put-profile-object-type --template-id CTR) and ' +
      'describes its behaviour (inferred profiles from contact records), but publishes no Fields or Keys. SourceName and ' +
      'SourceObject are inferred from the id.',
  },
  {
    TemplateId: 'CTR-NoInferred',
    SourceName: 'Connect',
    SourceObject: 'CTR',
    url: CONTACT_RECORD,
    note:
      'The admin guide names this id and describes its keys in prose (_ctrContactId first, then _phone), but publishes no ' +
      'Fields or Keys definition. SourceName and SourceObject are inferred from the id.',
  },
];
