"""What a test of your own code looks like: boto3 against profileflow, state reset per test."""
import botocore.exceptions
import pytest

CONTACT_FIELDS = {
    "Id": {"Source": "_source.Id", "Target": "_custom.Id", "ContentType": "STRING"},
    "Email": {"Source": "_source.Email", "Target": "_profile.EmailAddress", "ContentType": "EMAIL_ADDRESS"},
}


def test_create_and_list_domains(client):
    client.create_domain(DomainName="shop", DefaultExpirationDays=30)
    names = [d["DomainName"] for d in client.list_domains()["Items"]]
    assert names == ["shop"]


def test_each_test_starts_empty(client):
    assert client.list_domains().get("Items", []) == []


def test_a_workflow_completes_when_the_engine_is_advanced(pf, client):
    client.create_domain(DomainName="shop", DefaultExpirationDays=30)
    client.put_profile_object_type(
        DomainName="shop", ObjectTypeName="Contact", Description="Contacts", AllowProfileCreation=True,
        Fields=CONTACT_FIELDS, Keys={"Id": [{"StandardIdentifiers": ["UNIQUE", "PROFILE"], "FieldNames": ["Id"]}]})
    pf.put_connector_profile("contacts", "synthetic", {"recordsPerDay": 24, "seed": 1})
    workflow_id = client.create_integration_workflow(
        DomainName="shop", WorkflowType="APPFLOW_INTEGRATION", ObjectTypeName="Contact",
        RoleArn="arn:aws:iam::123456789012:role/ingest",
        IntegrationConfig={"AppflowIntegration": {
            "FlowDefinition": {
                "FlowName": "contacts-history", "KmsArn": "arn:aws:kms:us-east-1:123456789012:key/k1",
                "SourceFlowConfig": {"ConnectorType": "Salesforce", "ConnectorProfileName": "contacts",
                                     "SourceConnectorProperties": {"Salesforce": {"Object": "Contact"}}},
                "Tasks": [{"TaskType": "Map", "SourceFields": ["Id"], "DestinationField": "Id",
                           "ConnectorOperator": {"Salesforce": "NO_OP"}}],
                "TriggerConfig": {"TriggerType": "OnDemand"}},
            "Batches": [{"StartTime": "2025-01-01T00:00:00Z", "EndTime": "2025-01-02T00:00:00Z"}]}})["WorkflowId"]
    assert client.get_workflow(DomainName="shop", WorkflowId=workflow_id)["Status"] == "NOT_STARTED"
    pf.advance()
    workflow = client.get_workflow(DomainName="shop", WorkflowId=workflow_id)
    assert workflow["Status"] == "COMPLETE"
    assert workflow["Metrics"]["AppflowIntegration"]["RecordsProcessed"] == 24


def test_an_injected_fault_fails_the_call(pf, client):
    pf.faults([{"operation": "ListDomains", "error": "ThrottlingException"}])
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        client.list_domains()
    assert raised.value.response["Error"]["Code"] == "ThrottlingException"
