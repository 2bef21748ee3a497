Feature: Device lifecycle through the control channel
  Power cycles, migrations, self-test failures, tamper signals and
  zeroization move the device and its partitions through the spec's state
  machines. Every scenario leaves the device operational: a tamper is
  followed by a reset through the control channel, a self-test failure by
  a power cycle, and later scenarios provision again in their set-up.

  @baseline @serial @needs-control @IHSM-SES-005 @IHSM-MSK-008
  Scenario: Sessions and their keys do not survive a power cycle; a masked key unmasks afterwards
    Given a provisioned partition
    And an open session
    And a key of kind EccP256 with usage Sign as @k
    And a key of kind EccP256 with usage Sign|SessionOnly as @ephemeral
    When the device is power-cycled
    And I send ListKeys
    Then the status is SessionNotFound
    Given an open session as "after"
    When I send GetPublicKey with:
      | key_handle | @ephemeral |
    Then the status is KeyNotFound
    When I send UnmaskKey with:
      | masked_key | @k_masked |
    Then the status is Success
    And the response field public_key is @k_pub

  @attestation @serial @needs-control @IHSM-ATT-008
  Scenario: The device identity and its certificates survive a power cycle
    When I send GetCertificateChain
    And I save field certificates as @chain
    And the device is power-cycled
    And I send GetCertificateChain
    Then the status is Success
    And the response field certificates is @chain

  @migration @serial @needs-control @IHSM-SES-009 @IHSM-SES-010 @IHSM-SES-011 @IHSM-SES-012 @IHSM-CHN-012
  Scenario: A migrated session is reopened with its id, new channel keys, a fresh sequence and its session-only keys
    Given a provisioned partition
    And an open session as "a"
    And I save field session_id as @sid
    And a key of kind EccP256 with usage Sign|SessionOnly as @k
    And an open session as "b"
    When the device is migrated
    And I send ListKeys
    Then the status is SessionNeedsRenegotiation
    When I switch to session "a"
    And I send Sign with:
      | key_handle | @k          |
      | algorithm  | EcdsaSha256 |
      | data       | random:32   |
    Then the status is SessionNeedsRenegotiation
    When I keep the session's channel keys as "old"
    And I renegotiate the session
    Then the status is Success
    And the response field session_id is @sid
    When I send Sign with:
      | key_handle | @k          |
      | algorithm  | EcdsaSha256 |
      | data       | random:32   |
    Then the status is Success
    And the response header field sequence is 1
    And the signature verifies with the public key of @k
    When I send ListKeys sealed with the kept keys "old"
    Then the status is ChannelAuthFailed
    When I switch to session "b"
    And I send ListKeys
    Then the status is SessionNeedsRenegotiation
    When I renegotiate the session
    Then the status is Success
    When I send ListKeys
    Then the status is Success

  @baseline @serial @needs-control @IHSM-SLF-001 @IHSM-SLF-004 @IHSM-SLF-006 @IHSM-SLF-009
  Scenario: A failed power-on known-answer test leaves only the status services until a power cycle
    Given a provisioned partition
    When the self-test "KAT-ECDSA-P384" is forced to fail
    And I send GetDeviceInfo
    Then the status is Success
    And the response field device_state is Error
    When I send GetSelfTestStatus
    Then the status is Success
    And the response field state is Failed
    And the response field device_state is Error
    And the response field failed contains KAT-ECDSA-P384
    When I send GetApiRevision
    Then the status is Success
    When I send GetCapabilities
    Then the status is DeviceNotOperational
    When I send GetCertificateChain
    Then the status is DeviceNotOperational
    When I send GetCredentialKey
    Then the status is DeviceNotOperational
    When I send RunSelfTest
    Then the status is DeviceNotOperational
    When I send GetDeviceInfo
    Then the response field device_state is Error
    When the device is power-cycled
    And I send GetSelfTestStatus
    Then the status is Success
    And the response field state is Passed
    And the response field device_state is Operational
    And the response field failed does not contain KAT-ECDSA-P384
    When I send OpenSession
    Then the status is Success

  @baseline @serial @needs-control @IHSM-SLF-003 @IHSM-SLF-009
  Scenario: A failed pairwise consistency test refuses the key and puts the device in the Error state
    Given a provisioned partition
    When the self-test "PCT-ECDSA" is forced to fail
    Given an open session
    When I send GenerateKey with:
      | kind  | EccP256 |
      | usage | Sign    |
    Then the status is SelfTestFailed
    When I send GetSelfTestStatus
    Then the response field device_state is Error
    And the response field failed contains PCT-ECDSA
    When I send ListKeys
    Then the status is DeviceNotOperational
    When the device is power-cycled
    And I send GetDeviceInfo
    Then the response field device_state is Operational

  @baseline @destructive @serial @needs-control @IHSM-TMP-005
  Scenario: Zeroize answers in the Error state
    Given a provisioned partition
    When the self-test "PCT-ECDSA" is forced to fail
    Given an open session
    When I send GenerateKey with:
      | kind  | EccP384 |
      | usage | Sign    |
    Then the status is SelfTestFailed
    When I send Zeroize
    Then the status is Success
    When I send GetDeviceInfo
    Then the response field device_state is Error
    And the response field partition_state is Unprovisioned
    When the device is power-cycled
    Given a provisioned partition
    And an open session

  @baseline @destructive @serial @IHSM-TMP-003 @IHSM-TMP-007
  Scenario: Zeroize destroys the partition's keys and sessions; its masked keys never unmask again
    Given a provisioned partition
    And an open session
    And a key of kind EccP256 with usage Sign as @k
    When I send Zeroize
    Then the status is Success
    When I send ListKeys
    Then the status is PartitionNotProvisioned
    When I send GetDeviceInfo
    Then the response field partition_state is Unprovisioned
    Given a provisioned partition
    And an open session as "new"
    When I send GetPublicKey with:
      | key_handle | @k |
    Then the status is KeyNotFound
    When I send UnmaskKey with:
      | masked_key | @k_masked |
    Then the status is MaskedKeyWrongPartition

  @baseline @destructive @serial @needs-control @IHSM-TMP-001 @IHSM-TMP-002 @IHSM-TMP-006 @IHSM-SLF-006 @IHSM-WIRE-013
  Scenario: A tamper signal zeroizes everything and leaves only the status services, also after a restart
    Given a provisioned partition
    And an open session
    When the device is tampered
    And I send GetDeviceInfo
    Then the status is Success
    And the response field device_state is Tampered
    When I send GetSelfTestStatus
    Then the status is Success
    And the response field device_state is Tampered
    When I send GetApiRevision
    Then the status is Success
    When I send ListKeys
    Then the status is DeviceTampered
    When I send GetCertificateChain
    Then the status is DeviceTampered
    When I send GetCredentialKey
    Then the status is DeviceTampered
    When I send GetCapabilities
    Then the status is DeviceTampered
    When I send Zeroize
    Then the status is DeviceTampered
    When I send opcode 0x7F7F
    Then the status is UnknownOpcode
    When the device is power-cycled
    And I send GetDeviceInfo
    Then the response field device_state is Tampered
    When I send GetCertificateChain
    Then the status is DeviceTampered
    When I send OpenSession
    Then the status is DeviceTampered
    When the device is reset
    And I send GetDeviceInfo
    Then the response field device_state is Operational
    And the response field partition_state is Unprovisioned
    Given a provisioned partition
    And an open session as "after"

  @baseline @destructive @serial @needs-control @two-partitions @IHSM-TMP-004
  Scenario: Zeroizing every partition through the control channel leaves the device Zeroized, also after a restart
    Given a provisioned partition
    And an open session
    And a key of kind EccP256 with usage Sign as @k
    When the device is zeroized
    And I send GetDeviceInfo
    Then the status is Success
    And the response field device_state is Zeroized
    When I send GetCredentialKey
    Then the status is DeviceZeroized
    When I switch to partition B
    And I send GetCredentialKey
    Then the status is DeviceZeroized
    When the device is power-cycled
    And I send GetDeviceInfo
    Then the response field device_state is Zeroized
    When I send GetCertificateChain
    Then the status is DeviceZeroized
    When the device is reset
    And I send GetDeviceInfo
    Then the response field device_state is Operational
    And the response field partition_state is Unprovisioned
