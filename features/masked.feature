Feature: Masked keys
  A masked key is the only form in which key material leaves the device.
  UnmaskKey checks a blob in the spec's order (structure, then version
  and AEAD, then the partition and session it is bound to, then its GCM
  tag) and answers the first failure; a blob with any byte changed never
  unmasks, and a session-only key's blob unmasks only in its session.

  Background:
    Given a provisioned partition
    And an open session

  @baseline @IHSM-MSK-004 @IHSM-MSK-012
  Scenario Outline: UnmaskKey refuses a masked key whose structure is broken (<defect>)
    Given a key of kind EccP256 with usage Sign as @k
    And <edit>
    When I send UnmaskKey with:
      | masked_key | @bad |
    Then the status is MaskedKeyMalformed

    Examples:
      | defect                             | edit                                                    |
      | shorter than 72 bytes              | @bad is @k_masked truncated to 71 bytes                 |
      | the last byte missing              | @bad is @k_masked without its last 1 byte               |
      | a byte too many                    | @bad is @k_masked with hex:00 appended                  |
      | magic not IHMK                     | @bad is the masked key @k_masked with magic set to text:IHMX |
      | reserved byte not 0                | @bad is the masked key @k_masked with reserved set to 1 |
      | scope 0                            | @bad is the masked key @k_masked with scope set to 0    |
      | scope 3                            | @bad is the masked key @k_masked with scope set to 3    |
      | label length beyond the blob       | @bad is the masked key @k_masked with label_length set to 64 |
      | ciphertext length beyond the blob  | @bad is the masked key @k_masked with ciphertext_length set to 4096 |

  @baseline @IHSM-MSK-005 @IHSM-MSK-012
  Scenario Outline: UnmaskKey refuses a masked key of <field> <value> with MaskedKeyVersionUnsupported
    Given a key of kind EccP256 with usage Sign as @k
    And @bad is the masked key @k_masked with <field> set to <value>
    When I send UnmaskKey with:
      | masked_key | @bad |
    Then the status is MaskedKeyVersionUnsupported

    Examples:
      | field   | value |
      | version | 2     |
      | version | 0     |
      | aead    | 2     |
      | aead    | 0     |

  @baseline @IHSM-MSK-012
  Scenario: UnmaskKey checks structure, then version, then binding, then the tag
    Given a key of kind EccP256 with usage Sign as @k
    And @v2 is the masked key @k_masked with version set to 2
    And @v2r is the masked key @v2 with reserved set to 1
    And @v2p is the masked key @v2 with partition_id set to random:16
    And @p is the masked key @k_masked with partition_id set to random:16
    And @pt is @p with byte -1 flipped
    And @t is @k_masked with byte -1 flipped
    When I send UnmaskKey with:
      | masked_key | @v2r |
    Then the status is MaskedKeyMalformed
    When I send UnmaskKey with:
      | masked_key | @v2p |
    Then the status is MaskedKeyVersionUnsupported
    When I send UnmaskKey with:
      | masked_key | @pt |
    Then the status is MaskedKeyWrongPartition
    When I send UnmaskKey with:
      | masked_key | @t |
    Then the status is MaskedKeyTampered

  @baseline @IHSM-MSK-007 @IHSM-MSK-012
  Scenario Outline: UnmaskKey refuses a masked key whose <what> was changed with MaskedKeyTampered
    Given a key of kind EccP384 with usage Sign,Verify as @k
    And <edit>
    When I send UnmaskKey with:
      | masked_key | @bad |
    Then the status is MaskedKeyTampered

    Examples:
      | what       | edit                                                     |
      | key kind   | @bad is the masked key @k_masked with key_kind set to EccP256 |
      | usage      | @bad is the masked key @k_masked with usage set to Sign,Verify,Derive |
      | tag        | @bad is the masked key @k_masked with tag set to 7       |
      | nonce      | @bad is the masked key @k_masked with nonce set to zeros:12 |
      | ciphertext | @bad is @k_masked with byte 80 flipped                   |
      | GCM tag    | @bad is @k_masked with byte -16 flipped                  |

  @baseline @IHSM-MSK-007
  Scenario Outline: A <scope> masked key with any one byte altered never unmasks
    Given a key of kind <kind> with usage <usage> as @k
    When I send UnmaskKey with each byte of its masked_key altered in turn, with:
      | masked_key | @k_masked |
    Then every status is one of MaskedKeyMalformed, MaskedKeyVersionUnsupported, MaskedKeyWrongPartition, MaskedKeyTampered

    Examples:
      | scope         | kind    | usage           |
      | partition     | EccP256 | Sign,Verify     |
      | session-scope | Aes256  | Encrypt,SessionOnly |

  @baseline @IHSM-MSK-009 @IHSM-MSK-011
  Scenario: A session-only key's masked key is bound to its session and unmasks only there
    Given an open session as "a"
    And I save field session_id as @sid
    And a key of kind EccP256 with usage Sign,SessionOnly as @k
    Then @k_masked is a well-formed masked key of this partition
    And the masked key @k_masked has scope 2
    And the masked key @k_masked has session_id @sid
    Given a key of kind EccP256 with usage Sign as @p
    Then the masked key @p_masked has scope 1
    And the masked key @p_masked has session_id 0
    When I send DeleteKey with:
      | key_handle | @k |
    And I send UnmaskKey with:
      | masked_key | @k_masked |
    Then the status is Success
    And the response field public_key is @k_pub
    Given an open session as "b"
    And I save field session_id as @other
    When I send UnmaskKey with:
      | masked_key | @k_masked |
    Then the status is MaskedKeyWrongPartition
    Given @moved is the masked key @k_masked with session_id set to @other
    When I send UnmaskKey with:
      | masked_key | @moved |
    Then the status is MaskedKeyTampered
    When I switch to session "a"
    And I close the session
    Given an open session as "c"
    When I send UnmaskKey with:
      | masked_key | @k_masked |
    Then the status is MaskedKeyWrongPartition

  @baseline @IHSM-MSK-003 @IHSM-MSK-010
  Scenario Outline: An unmasked <kind> key behaves as the original
    Given a new tag as @t
    When I send GenerateKey with:
      | kind  | <kind>          |
      | usage | Sign,Verify     |
      | tag   | @t              |
      | label | text:a-label    |
    Then the status is Success
    When I save the key handle as @k
    And I send DeleteKey with:
      | key_handle | @k |
    And I send UnmaskKey with:
      | masked_key | @k_masked |
    Then the status is Success
    And the response field kind is <kind>
    And the response field usage is Sign,Verify
    And the response field public_key is @k_pub
    When I save the key handle as @u
    And I send OpenKey with:
      | tag | @t |
    Then the response field key_handle is @u
    And the response field label is a-label
    When I send Sign with:
      | key_handle | @u          |
      | algorithm  | <algorithm> |
      | data       | random:32   |
    Then the status is Success
    And the signature verifies with the public key of @k

    Examples:
      | kind    | algorithm      |
      | EccP256 | EcdsaSha256    |
      | Rsa2048 | RsaPssSha256   |
      | Ed25519 | Ed25519        |
