Feature: Provisioning, the partition credential and the PIN
  The credential key is signed by the attestation key, each credential
  nonce is used once on the endpoint that issued it, a sealed PIN is bound
  to its command, a partition is provisioned exactly once with a fresh
  identifier, and the PIN obeys its policy.

  @baseline @IHSM-PRV-001
  Scenario: The credential key signature verifies against the certificate chain
    When I send GetCredentialKey
    Then the status is Success
    And the response field public_key has 97 bytes
    And the response field nonce has 32 bytes
    And the credential key signature verifies against the certificate chain

  @baseline @serial @IHSM-PRV-003
  Scenario: A credential nonce opens one session only
    Given a provisioned partition
    When I send GetCredentialKey
    And I save the credential key exchange as @x
    And I send OpenSession with the credential key exchange @x
    Then the status is Success
    When I send OpenSession with the credential key exchange @x
    Then the status is NonceInvalid

  @baseline @serial @two-partitions @IHSM-PRV-003
  Scenario: A credential nonce is valid only on the endpoint that issued it
    Given a provisioned partition
    When I send GetCredentialKey
    And I save the credential key exchange as @a
    And I switch to partition B
    Given a provisioned partition
    When I send GetCredentialKey
    And I send OpenSession with the credential key exchange @a
    Then the status is NonceInvalid

  @baseline @serial @IHSM-PRV-015
  Scenario: A new GetCredentialKey replaces the outstanding nonce
    Given a provisioned partition
    When I send GetCredentialKey
    And I save the credential key exchange as @first
    And I save field nonce as @n1
    And I send GetCredentialKey
    Then the response field nonce differs from @n1
    When I save the credential key exchange as @second
    And I send OpenSession with the credential key exchange @first
    Then the status is NonceInvalid
    When I send OpenSession with the credential key exchange @second
    Then the status is NonceInvalid

  @baseline @serial @IHSM-PRV-015
  Scenario: A failed OpenSession consumes the nonce
    Given a provisioned partition
    When I send GetCredentialKey
    And I save the credential key exchange as @x
    And I send OpenSession with the credential key exchange @x and a wrong PIN
    Then the status is PinIncorrect
    When I send OpenSession with the credential key exchange @x
    Then the status is NonceInvalid
    When I send OpenSession
    Then the status is Success

  @baseline @IHSM-PRV-006
  Scenario: EstablishCredential on a provisioned partition changes nothing
    Given a provisioned partition
    When I send GetDeviceInfo
    And I save field partition_id as @id
    And I send EstablishCredential with:
      | pin | text:another-pin-0002 |
    Then the status is PartitionAlreadyProvisioned
    When I send GetDeviceInfo
    Then the response field partition_id is @id
    And the response field partition_state is Provisioned
    When I send OpenSession
    Then the status is Success

  @baseline @IHSM-PRV-008
  Scenario: A sealed PIN that fails authentication is refused
    Given a provisioned partition
    When I send OpenSession with its sealed PIN tampered
    Then the status is CredentialDecryptFailed
    When I send OpenSession
    Then the status is Success

  @baseline @IHSM-PRV-016
  Scenario Outline: A PIN sealed <how> EstablishCredential does not open a session
    Given a provisioned partition
    When I send OpenSession with its PIN sealed <how> EstablishCredential
    Then the status is CredentialDecryptFailed

    Examples:
      | how                  |
      | for                  |
      | under the label of   |
      | with the opcode of   |

  @baseline @serial @IHSM-PRV-012 @IHSM-PRV-007
  Scenario: ChangePin replaces the PIN; the old PIN stops working
    Given a provisioned partition
    And an open session as "owner"
    And I save the suite PIN as @pin
    When I send ChangePin with:
      | current_pin | @pin          |
      | new_pin     | text:8bytes!! |
    Then the status is Success
    When I send OpenSession
    Then the status is PinIncorrect
    When I send OpenSession with:
      | pin | text:8bytes!! |
    Then the status is Success
    When I send ChangePin with:
      | current_pin | text:8bytes!! |
      | new_pin     | @pin          |
    Then the status is Success
    Given an open session as "check"

  @baseline @IHSM-PRV-007
  Scenario Outline: ChangePin to a PIN of <n> bytes is refused and the PIN stays
    Given a provisioned partition
    And an open session as "owner"
    And I save the suite PIN as @pin
    When I send ChangePin with:
      | current_pin | @pin     |
      | new_pin     | zeros:<n> |
    Then the status is PinPolicyViolation
    When I send OpenSession
    Then the status is Success

    Examples:
      | n |
      | 7 |
      | 1 |

  @baseline @destructive @serial @IHSM-PRV-005 @IHSM-PRV-007 @IHSM-PRV-016
  Scenario: An unprovisioned partition refuses sessions and a PIN outside the policy
    Given an unprovisioned partition
    When I send OpenSession
    Then the status is PartitionNotProvisioned
    When I send EstablishCredential with:
      | pin | text:7bytes! |
    Then the status is PinPolicyViolation
    When I send EstablishCredential with its PIN sealed for OpenSession
    Then the status is CredentialDecryptFailed
    When I send GetDeviceInfo
    Then the response field partition_state is Unprovisioned
    When I send EstablishCredential
    Then the status is Success

  @baseline @destructive @serial @IHSM-PRV-019 @IHSM-DEV-006 @IHSM-PRV-004
  Scenario: A partition established again after Zeroize gets a new identifier
    Given a provisioned partition
    When I send GetDeviceInfo
    Then the response field partition_state is Provisioned
    When I save field partition_id as @old
    And I send Zeroize
    Then the status is Success
    When I send GetDeviceInfo
    Then the response field partition_state is Unprovisioned
    And the response field partition_id is absent
    When I send EstablishCredential
    Then the status is Success
    And the response field partition_id differs from @old
    When I save field partition_id as @new
    And I send GetDeviceInfo
    Then the response field partition_id is @new
    And the response field partition_state is Provisioned
    When I send OpenSession
    Then the status is Success
