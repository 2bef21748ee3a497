Feature: Provisioning and the partition credential
  The partition credential key is signed by the device attestation key and
  a partition is provisioned exactly once.

  @baseline @IHSM-PRV-001 @IHSM-ATT-002
  Scenario: The credential key signature verifies against the certificate chain
    When I send GetCredentialKey
    Then the status is Success
    And the credential key signature verifies against the certificate chain

  @baseline @IHSM-PRV-003
  Scenario: A provisioned partition refuses a second credential
    Given a provisioned partition
    When I send EstablishCredential
    Then the status is PartitionAlreadyProvisioned
