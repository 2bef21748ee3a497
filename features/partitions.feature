Feature: Partition isolation
  Every endpoint is its own partition, with its own credential, sessions,
  keys, tags, masking key, credential key and unwrapping key. Nothing one
  partition holds is visible to, or usable on, another, and zeroizing one
  leaves the others as they were.

  @baseline @two-partitions @IHSM-PAR-002
  Scenario: A session of one partition is unknown to the other
    Given a provisioned partition
    And an open session as "a"
    When I switch to partition B
    Given a provisioned partition
    When I switch to partition A
    And I send ListKeys to partition B in session "a"
    Then the status is SessionNotFound
    And the response is in plaintext
    When I send CloseSession to partition B in session "a"
    Then the status is SessionNotFound
    When I send ListKeys
    Then the status is Success
    And the response is sealed

  @baseline @two-partitions @IHSM-PAR-003
  Scenario: Keys, handles and tags of one partition are invisible to the other
    Given a provisioned partition
    And an open session
    And a new tag as @t
    When I send GenerateKey with:
      | kind  | EccP256 |
      | usage | Sign    |
      | tag   | @t      |
    Then the status is Success
    When I save the key handle as @k
    And I switch to partition B
    Given a provisioned partition
    And an open session
    When I send GetPublicKey with:
      | key_handle | @k |
    Then the status is KeyNotFound
    When I send OpenKey with:
      | tag | @t |
    Then the status is KeyTagNotFound
    When I send ListKeys
    Then the response field key_handles does not contain @k
    When I send DeleteKey with:
      | key_handle | @k |
    Then the status is KeyNotFound
    When I send GenerateKey with:
      | kind  | Aes128  |
      | usage | Encrypt |
      | tag   | @t      |
    Then the status is Success
    When I switch to partition A
    And I send GetPublicKey with:
      | key_handle | @k |
    Then the status is Success
    And the response field public_key is @k_pub
    When I send OpenKey with:
      | tag | @t |
    Then the response field key_handle is @k

  @baseline @two-partitions @IHSM-PAR-004 @IHSM-MSK-006
  Scenario: A masked key of one partition does not unmask in the other, even under the other's partition id
    Given a provisioned partition
    And an open session
    And a key of kind EccP256 with usage Sign as @k
    And a key of kind Aes256 with usage Encrypt,SessionOnly as @s
    When I switch to partition B
    Given a provisioned partition
    And an open session
    When I send UnmaskKey with:
      | masked_key | @k_masked |
    Then the status is MaskedKeyWrongPartition
    When I send UnmaskKey with:
      | masked_key | @s_masked |
    Then the status is MaskedKeyWrongPartition
    When I send GetDeviceInfo
    And I save field partition_id as @b
    Given @moved is the masked key @k_masked with partition_id set to @b
    When I send UnmaskKey with:
      | masked_key | @moved |
    Then the status is MaskedKeyTampered

  @baseline @destructive @serial @two-partitions @IHSM-PAR-005
  Scenario: Each partition has its own credential: the PIN of one does not open sessions on the other
    Given a provisioned partition
    When I switch to partition B
    Given an unprovisioned partition
    When I send EstablishCredential with:
      | pin | text:partition-b-pin-0002 |
    Then the status is Success
    When I send OpenSession with:
      | pin | text:partition-b-pin-0002 |
    Then the status is Success
    When I send OpenSession
    Then the status is PinIncorrect
    When I switch to partition A
    And I send OpenSession with:
      | pin | text:partition-b-pin-0002 |
    Then the status is PinIncorrect
    When I send OpenSession
    Then the status is Success
    When I switch to partition B
    And I send Zeroize
    Then the status is Success

  @baseline @destructive @serial @two-partitions @IHSM-PAR-006
  Scenario: Zeroize of one partition leaves the other's credential, sessions, keys and masked keys usable
    Given a provisioned partition
    And an open session as "kept"
    And a key of kind EccP256 with usage Sign as @k
    And a key of kind Ed25519 with usage Sign as @d
    When I send DeleteKey with:
      | key_handle | @d |
    And I send GetDeviceInfo
    And I save field partition_id as @pid
    And I switch to partition B
    Given a provisioned partition
    And an open session
    When I send Zeroize
    Then the status is Success
    When I send GetDeviceInfo
    Then the response field partition_state is Unprovisioned
    When I switch to partition A
    And I send Sign with:
      | key_handle | @k          |
      | algorithm  | EcdsaSha256 |
      | data       | random:32   |
    Then the status is Success
    And the signature verifies with the public key of @k
    When I send UnmaskKey with:
      | masked_key | @d_masked |
    Then the status is Success
    And the response field public_key is @d_pub
    When I send GetDeviceInfo
    Then the response field partition_state is Provisioned
    And the response field partition_id is @pid
    Given an open session as "new"
    When I send GetPublicKey with:
      | key_handle | @k |
    Then the status is Success

  @baseline @two-partitions @IHSM-PAR-008
  Scenario: Each partition has its own credential key and unwrapping key
    Given a provisioned partition
    And an open session
    When I send GetCredentialKey
    And I save field public_key as @ck
    And I send GetUnwrappingKey
    And I save field public_key as @uk
    And I switch to partition B
    Given a provisioned partition
    And an open session
    When I send GetCredentialKey
    Then the response field public_key differs from @ck
    When I send GetUnwrappingKey
    Then the response field public_key differs from @uk
