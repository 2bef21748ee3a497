Feature: Post-quantum algorithms
  ML-DSA-65 (FIPS 204) signs with an empty context and its signatures
  verify with an independent implementation; ML-KEM-768 (FIPS 203)
  encapsulates and decapsulates to Secret256 keys that stay in the
  device, and an altered ciphertext yields the implicit-rejection secret,
  never an error.

  Background:
    Given a provisioned partition
    And an open session

  @pqc @IHSM-DEV-008
  Scenario: A device of the pqc profile reports its mandatory features
    When I send GetCapabilities
    Then the status is Success
    And the response field features names every mandatory feature of profile pqc
    And the response field key_kinds contains MlDsa65
    And the response field key_kinds contains MlKem768
    And the response field algorithms contains MlDsa65

  @pqc @IHSM-CRY-004 @IHSM-CRY-005 @IHSM-CRY-006 @IHSM-KEY-001
  Scenario: An ML-DSA-65 key generated on the device signs messages that verify offline with an empty context, and Verify refuses altered ones
    Given a key of kind MlDsa65 with usage Sign,Verify as @k
    And the bytes random:300 as @msg
    When I send GetPublicKey with:
      | key_handle | @k |
    Then the response field public_key holds a public key of kind MlDsa65
    When I send Sign with:
      | key_handle | @k      |
      | algorithm  | MlDsa65 |
      | data       | @msg    |
    Then the status is Success
    And the signature verifies with the public key of @k
    When I save field signature as @sig
    And I send Verify with:
      | key_handle | @k      |
      | algorithm  | MlDsa65 |
      | data       | @msg    |
      | signature  | @sig    |
    Then the status is Success
    Given @first is @sig with byte 0 flipped
    And @middle is @sig with byte 1600 flipped
    And @last is @sig with byte -1 flipped
    When I send Verify with:
      | key_handle | @k      |
      | algorithm  | MlDsa65 |
      | data       | @msg    |
      | signature  | @first  |
    Then the status is SignatureInvalid
    When I send Verify with:
      | key_handle | @k      |
      | algorithm  | MlDsa65 |
      | data       | @msg    |
      | signature  | @middle |
    Then the status is SignatureInvalid
    When I send Verify with:
      | key_handle | @k      |
      | algorithm  | MlDsa65 |
      | data       | @msg    |
      | signature  | @last   |
    Then the status is SignatureInvalid
    When I send Verify with:
      | key_handle | @k         |
      | algorithm  | MlDsa65    |
      | data       | random:300 |
      | signature  | @sig       |
    Then the status is SignatureInvalid

  @pqc @IHSM-CRY-004 @IHSM-CRY-005 @IHSM-KEY-013
  Scenario: An imported ML-DSA-65 key verifies a signature made here and signs one that verifies here
    Given key material of kind MlDsa65 as @m
    And the key material @m wrapped for the partition as @w
    And the bytes random:77 as @msg
    And the MlDsa65 signature of @msg by @m as @sig
    When I send UnwrapKey with:
      | wrapped | @w          |
      | kind    | MlDsa65     |
      | usage   | Sign,Verify |
    Then the status is Success
    And the response field public_key is @m_pub
    When I save the key handle as @k
    And I send Verify with:
      | key_handle | @k      |
      | algorithm  | MlDsa65 |
      | data       | @msg    |
      | signature  | @sig    |
    Then the status is Success
    When I send Sign with:
      | key_handle | @k      |
      | algorithm  | MlDsa65 |
      | data       | @msg    |
    Then the status is Success
    And the signature verifies with the public key of @m

  @pqc @IHSM-CRY-012 @IHSM-CRY-019 @IHSM-KEY-002 @IHSM-MSK-001
  Scenario: Decapsulate of a ciphertext encapsulated here gives a Secret256 key holding the shared secret
    Given a key of kind MlKem768 with usage Derive as @k
    When I send GetPublicKey with:
      | key_handle | @k |
    Then the response field public_key holds a public key of kind MlKem768
    Given the ML-KEM-768 encapsulation to the public key of @k as @ct and key material @z
    When I send Decapsulate with:
      | key_handle | @k     |
      | ciphertext | @ct    |
      | usage      | Derive |
    Then the status is Success
    When I save the key handle as @secret
    And I send GetPublicKey with:
      | key_handle | @secret |
    Then the response field kind is Secret256
    And the response field public_key is absent
    And @secret_masked is a well-formed masked key of this partition
    And the masked key @secret_masked has key_kind Secret256
    And the key @secret holds the key material @z

  @pqc @IHSM-CRY-012 @IHSM-CRY-019 @IHSM-KEY-002 @IHSM-KEY-013
  Scenario: Encapsulate to an imported key gives a 1088-byte ciphertext that decapsulates here to the device's Secret256
    Given key material of kind MlKem768 as @m
    And the key material @m wrapped for the partition as @w
    When I send UnwrapKey with:
      | wrapped | @w       |
      | kind    | MlKem768 |
      | usage   | Derive   |
    Then the status is Success
    And the response field public_key is @m_pub
    When I save the key handle as @k
    And I send Encapsulate with:
      | key_handle | @k     |
      | usage      | Derive |
    Then the status is Success
    And the response field ciphertext has 1088 bytes
    When I save the key handle as @secret
    And I save field ciphertext as @ct
    Given the ML-KEM-768 decapsulation of @ct by @m as key material @z
    When I send GetPublicKey with:
      | key_handle | @secret |
    Then the response field kind is Secret256
    And the key @secret holds the key material @z
    When I send Decapsulate with:
      | key_handle | @k     |
      | ciphertext | @ct    |
      | usage      | Derive |
    Then the status is Success
    When I save the key handle as @again
    Then the key @again holds the key material @z

  @pqc @IHSM-CRY-020
  Scenario: Decapsulate of an altered ciphertext succeeds with the implicit-rejection secret of FIPS 203
    Given key material of kind MlKem768 as @m
    And the key material @m wrapped for the partition as @w
    When I send UnwrapKey with:
      | wrapped | @w       |
      | kind    | MlKem768 |
      | usage   | Derive   |
    And I save the key handle as @k
    Given the ML-KEM-768 encapsulation to the public key of @m as @ct and key material @z
    And @bad is @ct with byte 500 flipped
    And the ML-KEM-768 decapsulation of @bad by @m as key material @rejected
    When I send Decapsulate with:
      | key_handle | @k     |
      | ciphertext | @bad   |
      | usage      | Derive |
    Then the status is Success
    When I save the key handle as @secret
    Then the key @secret holds the key material @rejected
    And the key @secret does not hold the key material @z

  @pqc @IHSM-CRY-012
  Scenario: Decapsulate refuses a ciphertext that is not 1088 bytes, and both commands refuse a key that is not ML-KEM-768
    Given a key of kind MlKem768 with usage Derive as @k
    And a key of kind EccP256 with usage Derive as @ecc
    When I send Decapsulate with:
      | key_handle | @k          |
      | ciphertext | random:1087 |
      | usage      | Derive      |
    Then the status is InvalidLength
    When I send Decapsulate with:
      | key_handle | @k          |
      | ciphertext | random:1089 |
      | usage      | Derive      |
    Then the status is InvalidLength
    When I send Encapsulate with:
      | key_handle | @ecc   |
      | usage      | Derive |
    Then the status is UnsupportedKeyKind
    When I send Decapsulate with:
      | key_handle | @ecc        |
      | ciphertext | random:1088 |
      | usage      | Derive      |
    Then the status is UnsupportedKeyKind

  @pqc @IHSM-KEY-009
  Scenario Outline: GenerateKey of a <kind> key with <usage> is <status>
    When I send GenerateKey with:
      | kind  | <kind>  |
      | usage | <usage> |
    Then the status is <status>

    Examples:
      | kind     | usage              | status            |
      | MlDsa65  | Sign,Verify        | Success           |
      | MlDsa65  | Encrypt            | UsageNotPermitted |
      | MlDsa65  | Sign,Derive        | UsageNotPermitted |
      | MlKem768 | Derive,SessionOnly | Success           |
      | MlKem768 | Sign               | UsageNotPermitted |
      | MlKem768 | Derive,Decrypt     | UsageNotPermitted |

  @pqc @IHSM-KEY-020 @IHSM-KEY-004
  Scenario: The Secret256 of Encapsulate and Decapsulate takes Derive and SessionOnly only, and a tag unique in the partition
    Given a key of kind MlKem768 with usage Derive as @k
    And a new tag as @t
    And a key of kind Aes128 with usage Encrypt as @other
    When I send Encapsulate with:
      | key_handle | @k          |
      | usage      | Derive,Sign |
    Then the status is UsageNotPermitted
    When I send Encapsulate with:
      | key_handle | @k                 |
      | usage      | Derive,SessionOnly |
      | tag        | @t                 |
    Then the status is Success
    When I save field ciphertext as @ct
    And I send Decapsulate with:
      | key_handle | @k      |
      | ciphertext | @ct     |
      | usage      | Encrypt |
    Then the status is UsageNotPermitted
    When I send Decapsulate with:
      | key_handle | @k     |
      | ciphertext | @ct    |
      | usage      | Derive |
      | tag        | @t     |
    Then the status is KeyTagExists
    When I send Encapsulate with:
      | key_handle | @k     |
      | usage      | Derive |
      | tag        | @t     |
    Then the status is KeyTagExists
