Feature: Device information, capabilities and self-tests
  Every device answers the anonymous device commands outside any session:
  its API revisions, its identity and the states of the device and of the
  partition behind the endpoint, its capabilities and limits, and the
  outcome of its self-tests.

  @baseline @IHSM-DEV-001
  Scenario: The device implements API revision 1.0
    When I send GetApiRevision
    Then the status is Success
    And the response field min_revision is 0x0100

  @baseline @IHSM-DEV-002 @IHSM-DEV-006
  Scenario: The device describes itself and the provisioned partition behind the endpoint
    Given a provisioned partition
    When I send GetDeviceInfo
    Then the status is Success
    And the response field device_state is Operational
    And the response field partition_state is Provisioned
    And the response field partition_index is 0
    And the response field partition_id has 16 bytes

  @baseline @two-partitions @IHSM-DEV-002
  Scenario: Each endpoint reports the partition behind it
    When I switch to partition B
    And I send GetDeviceInfo
    Then the status is Success
    And the response field partition_index is 1

  @baseline @IHSM-DEV-003
  Scenario: The device lists its mandatory algorithms and the spec's limits
    When I send GetCapabilities
    Then the status is Success
    And the response field key_kinds contains EccP256
    And the response field key_kinds contains Aes256
    And the response field algorithms contains EcdsaSha256
    And the response field algorithms contains AesGcm
    And the response field max_sessions is 8
    And the response field max_frame is 65536
    And the response field min_pin is 8
    And the response field max_pin is 64
    And the response field max_pin_attempts is 5

  @baseline @IHSM-SLF-005 @IHSM-SLF-006
  Scenario: RunSelfTest runs the known-answer tests and GetSelfTestStatus reports the run
    When I send RunSelfTest
    Then the status is Success
    And the response field state is Passed
    And the response field failed does not contain KAT-SHA2
    When I save field tests_run as @n
    And I send GetSelfTestStatus
    Then the status is Success
    And the response field state is Passed
    And the response field device_state is Operational
    And the response field failed does not contain KAT-SHA2

  @baseline @IHSM-DEV-008
  Scenario: GetCapabilities names only features of the spec, and every mandatory feature of the baseline profile
    When I send GetCapabilities
    Then the status is Success
    And every item of the response field features is a feature of the spec
    And the response field features names every mandatory feature of profile baseline

  @attestation @IHSM-DEV-008
  Scenario: A device of the attestation profile reports its mandatory features
    When I send GetCapabilities
    Then the response field features names every mandatory feature of profile attestation

  @migration @IHSM-DEV-008
  Scenario: A device of the migration profile reports its mandatory features
    When I send GetCapabilities
    Then the response field features names every mandatory feature of profile migration

  @baseline @IHSM-DEV-004 @IHSM-KEY-001
  Scenario Outline: GenerateKey of a <kind> key works exactly when the device declares the kind
    Given a provisioned partition
    And an open session
    When I send GenerateKey with:
      | kind  | <kind>  |
      | usage | <usage> |
    Then the status is Success if the device declares <kind> in key_kinds, otherwise UnsupportedKeyKind

    Examples:
      | kind       | usage          |
      | EccP256    | Sign           |
      | EccP384    | Sign           |
      | EccP521    | Derive         |
      | Rsa2048    | Decrypt        |
      | Aes128     | Encrypt        |
      | Aes192     | Wrap           |
      | Aes256     | Unwrap         |
      | HmacSha256 | Sign           |
      | HmacSha384 | Verify         |
      | HmacSha512 | Derive         |
      | Ed25519    | Sign           |
      | MlDsa65    | Sign           |
      | MlKem768   | Derive         |

  @baseline @IHSM-DEV-004
  Scenario Outline: Sign with <algorithm> works exactly when the device declares the algorithm
    Given a provisioned partition
    And an open session
    And a key of kind <kind> with usage Sign as @k
    When I send Sign with:
      | key_handle | @k          |
      | algorithm  | <algorithm> |
      | data       | random:<n>  |
    Then the status is Success if the device declares <algorithm> in algorithms, otherwise UnsupportedAlgorithm

    Examples:
      | kind    | algorithm   | n  |
      | EccP256 | EcdsaSha256 | 32 |
      | EccP384 | EcdsaSha384 | 48 |
      | EccP521 | EcdsaSha512 | 64 |
      | Ed25519 | Ed25519     | 10 |

  @baseline @IHSM-DEV-004
  Scenario: Every RSA signature algorithm works exactly when the device declares it
    Given a provisioned partition
    And an open session
    And a key of kind Rsa2048 with usage Sign as @k
    When I send Sign with:
      | key_handle | @k           |
      | algorithm  | RsaPssSha256 |
      | data       | random:32    |
    Then the status is Success if the device declares RsaPssSha256 in algorithms, otherwise UnsupportedAlgorithm
    When I send Sign with:
      | key_handle | @k           |
      | algorithm  | RsaPssSha384 |
      | data       | random:48    |
    Then the status is Success if the device declares RsaPssSha384 in algorithms, otherwise UnsupportedAlgorithm
    When I send Sign with:
      | key_handle | @k           |
      | algorithm  | RsaPssSha512 |
      | data       | random:64    |
    Then the status is Success if the device declares RsaPssSha512 in algorithms, otherwise UnsupportedAlgorithm
    When I send Sign with:
      | key_handle | @k             |
      | algorithm  | RsaPkcs1Sha256 |
      | data       | random:32      |
    Then the status is Success if the device declares RsaPkcs1Sha256 in algorithms, otherwise UnsupportedAlgorithm
    When I send Sign with:
      | key_handle | @k             |
      | algorithm  | RsaPkcs1Sha384 |
      | data       | random:48      |
    Then the status is Success if the device declares RsaPkcs1Sha384 in algorithms, otherwise UnsupportedAlgorithm
    When I send Sign with:
      | key_handle | @k             |
      | algorithm  | RsaPkcs1Sha512 |
      | data       | random:64      |
    Then the status is Success if the device declares RsaPkcs1Sha512 in algorithms, otherwise UnsupportedAlgorithm

  @baseline @IHSM-DEV-004 @IHSM-KEY-001
  Scenario Outline: GenerateKey refuses the <kind> kind, which comes only from derivation
    Given a provisioned partition
    And an open session
    When I send GenerateKey with:
      | kind  | <kind> |
      | usage | Derive |
    Then the status is UnsupportedKeyKind

    Examples:
      | kind      |
      | Secret256 |
      | Secret384 |
      | Secret521 |
