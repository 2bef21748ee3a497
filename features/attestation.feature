Feature: Device identity and attestation
  The device names itself with a certificate chain rooted in its own CA
  and signs, with its attestation key, COSE_Sign1 reports of its firmware
  and of its keys. A verifier checks every report with a standard COSE
  library against that chain, and finds in it the caller's report data,
  the measurement the attestation key certificate names, and the facts
  of the key or the device.

  @attestation @IHSM-ATT-001
  Scenario: GetCertificateChain returns the root CA, the device identity and the attestation key, root first
    When I send GetCertificateChain
    Then the status is Success
    And the response holds the certificate chain root first, each certificate signed by the one before

  @attestation @IHSM-ATT-002
  Scenario: The attestation key certificate names the running firmware version and its SHA-384 measurement
    When I send GetDeviceInfo
    And I save field firmware_version as @fw
    Then the attestation key certificate carries the firmware version @fw and a SHA-384 measurement

  @attestation @IHSM-ATT-003 @IHSM-ATT-006 @IHSM-ATT-009 @IHSM-ATT-011
  Scenario Outline: A device attestation carries the firmware, the device state, the serial and <n> bytes of report data
    Given the bytes random:<n> as @nonce
    When I send GetDeviceInfo
    And I save field firmware_version as @fw
    And I save field serial as @serial
    And I save the firmware measurement of the attestation key certificate as @measurement
    And I send GetDeviceAttestation with:
      | report_data | @nonce |
    Then the status is Success
    And the attestation report verifies against the certificate chain
    And the report field type is 2
    And the report field report_data is @nonce
    And the report field firmware_version is @fw
    And the report field firmware_measurement is @measurement
    And the report field device_state is Operational
    And the report field serial is @serial

    Examples:
      | n  |
      | 64 |
      | 1  |

  @attestation @IHSM-ATT-004 @IHSM-ATT-005 @IHSM-ATT-006 @IHSM-ATT-009 @IHSM-ATT-010 @IHSM-ATT-011
  Scenario Outline: A key attestation report of a generated <kind> key names the key, its origin, its scope and the partition
    Given a provisioned partition
    And an open session
    And the bytes random:<n> as @rd
    When I send GetDeviceInfo
    And I save field partition_id as @pid
    And I save the firmware measurement of the attestation key certificate as @measurement
    Given a key of kind <kind> with usage <usage> as @k
    When I send AttestKey with:
      | key_handle  | @k  |
      | report_data | @rd |
    Then the status is Success
    And the attestation report verifies against the certificate chain
    And the report field type is 1
    And the report field public_key is <public_key>
    And the report field kind is <kind>
    And the report field usage is <usage>
    And the report field flags is <flags>
    And the report field report_data is @rd
    And the report field partition_id is @pid
    And the report field firmware_measurement is @measurement

    Examples:
      | kind    | usage               | flags                   | public_key | n  |
      | EccP384 | Sign,Verify         | Generated,Persistent    | @k_pub     | 64 |
      | Ed25519 | Sign,SessionOnly    | Generated,SessionScoped | @k_pub     | 1  |
      | Aes256  | Encrypt,Decrypt     | Generated,Persistent    | absent     | 32 |
      | Rsa2048 | Decrypt,SessionOnly | Generated,SessionScoped | @k_pub     | 16 |

  @attestation @IHSM-ATT-004 @IHSM-ATT-010
  Scenario: A key attestation report of an imported key says it was imported
    Given a provisioned partition
    And an open session
    And key material of kind EccP256 as @m
    And the key material @m wrapped for the partition as @w
    When I send UnwrapKey with:
      | wrapped | @w          |
      | kind    | EccP256     |
      | usage   | Sign,Verify |
    Then the status is Success
    When I save the key handle as @k
    And I send AttestKey with:
      | key_handle  | @k        |
      | report_data | random:32 |
    Then the status is Success
    And the attestation report verifies against the certificate chain
    And the report field flags is Imported,Persistent
    And the report field public_key is @m_pub
    And the report field kind is EccP256

  @attestation @IHSM-ATT-004
  Scenario: AttestKey of a handle that names no key is refused
    Given a provisioned partition
    And an open session
    When I send AttestKey with:
      | key_handle  | 0xFFFFFFF0 |
      | report_data | random:32  |
    Then the status is KeyNotFound

  @attestation @IHSM-LIM-002
  Scenario: AttestKey and GetDeviceAttestation refuse report data of 65 bytes
    Given a provisioned partition
    And an open session
    And a key of kind EccP256 with usage Sign as @k
    When I send AttestKey with:
      | key_handle  | @k        |
      | report_data | random:65 |
    Then the status is InvalidArgument
    When I send AttestKey with:
      | key_handle  | @k        |
      | report_data | random:64 |
    Then the status is Success
    When I send GetDeviceAttestation with:
      | report_data | random:65 |
    Then the status is InvalidArgument
    When I send GetDeviceAttestation with:
      | report_data | random:64 |
    Then the status is Success
