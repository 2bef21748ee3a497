Feature: Size limits and malformed requests
  Every bytes and text field of a request is checked against the sizes
  the spec gives it, every integer against its range and every enum and
  flag against the values the spec defines; a request that breaks one is
  InvalidArgument and changes nothing. The limits GetCapabilities reports
  are those the device enforces.

  Background:
    Given a provisioned partition
    And an open session

  @baseline @IHSM-LIM-003 @IHSM-LIM-001
  Scenario: Every key creation refuses a label of 65 bytes and takes one of 64
    Given a key of kind EccP256 with usage Derive as @ecc
    And a key of kind HmacSha256 with usage Derive as @h
    And key material of kind EccP256 as @peer
    And key material of kind Aes128 as @m
    And the key material @m wrapped for the partition as @w
    When I send GenerateKey with:
      | kind  | Aes128    |
      | usage | Encrypt   |
      | label | random:65 |
    Then the status is InvalidArgument
    When I send GenerateKey with:
      | kind  | Aes128    |
      | usage | Encrypt   |
      | label | random:64 |
    Then the status is Success
    When I send EcdhDerive with:
      | key_handle      | @ecc        |
      | peer_public_key | @peer_point |
      | usage           | Derive      |
      | label           | random:65   |
    Then the status is InvalidArgument
    When I send HkdfDerive with:
      | key_handle  | @h        |
      | hash        | Sha256    |
      | target_kind | Aes128    |
      | usage       | Encrypt   |
      | label       | random:65 |
    Then the status is InvalidArgument
    When I send KbkdfDerive with:
      | key_handle  | @h        |
      | hash        | Sha256    |
      | target_kind | Aes128    |
      | usage       | Encrypt   |
      | label       | random:65 |
    Then the status is InvalidArgument
    When I send UnwrapKey with:
      | wrapped | @w        |
      | kind    | Aes128    |
      | usage   | Encrypt   |
      | label   | random:65 |
    Then the status is InvalidArgument
    When I send UnwrapKey with:
      | wrapped | @w        |
      | kind    | Aes128    |
      | usage   | Encrypt   |
      | label   | random:64 |
    Then the status is Success

  @baseline @IHSM-LIM-001
  Scenario Outline: <command> refuses a <field> of <size> bytes
    Given a key of kind HmacSha256 with usage Derive as @h
    When I send <command> with:
      | key_handle  | @h      |
      | hash        | Sha256  |
      | target_kind | Aes128  |
      | usage       | Encrypt |
      | <field>     | <value> |
    Then the status is InvalidArgument

    Examples:
      | command     | field     | size | value      |
      | HkdfDerive  | salt      | 257  | random:257 |
      | HkdfDerive  | info      | 257  | random:257 |
      | KbkdfDerive | kdf_label | 257  | random:257 |
      | KbkdfDerive | context   | 257  | random:257 |

  @baseline @IHSM-LIM-001
  Scenario: HKDF and KBKDF take inputs of 256 bytes
    Given a key of kind HmacSha256 with usage Derive as @h
    When I send HkdfDerive with:
      | key_handle  | @h         |
      | hash        | Sha256     |
      | target_kind | Aes128     |
      | usage       | Encrypt    |
      | salt        | random:256 |
      | info        | random:256 |
    Then the status is Success
    When I send KbkdfDerive with:
      | key_handle  | @h         |
      | hash        | Sha256     |
      | target_kind | Aes128     |
      | usage       | Encrypt    |
      | kdf_label   | random:256 |
      | context     | random:256 |
    Then the status is Success

  @baseline @IHSM-LIM-001
  Scenario Outline: <command> refuses a <field> of <size> bytes outside its limits
    Given a key of kind Aes256 with usage Encrypt,Decrypt as @k
    When I send <command> with:
      | key_handle | @k          |
      | algorithm  | AesGcm      |
      | <data>     | random:32   |
      | <field>    | <value>     |
    Then the status is InvalidArgument

    Examples:
      | command | data       | field | size | value       |
      | Encrypt | plaintext  | iv    | 11   | random:11   |
      | Encrypt | plaintext  | iv    | 17   | random:17   |
      | Encrypt | plaintext  | aad   | 1025 | random:1025 |
      | Decrypt | ciphertext | iv    | 11   | random:11   |
      | Decrypt | ciphertext | aad   | 1025 | random:1025 |

  @baseline @IHSM-LIM-001
  Scenario: Signature, data, key blob and peer key fields are checked against their sizes
    Given a key of kind Ed25519 with usage Sign,Verify as @k
    And a key of kind EccP256 with usage Derive as @ecc
    When I send Sign with:
      | key_handle | @k      |
      | algorithm  | Ed25519 |
      | data       | zeros:0 |
    Then the status is InvalidArgument
    When I send Verify with:
      | key_handle | @k          |
      | algorithm  | Ed25519     |
      | data       | random:16   |
      | signature  | random:4097 |
    Then the status is InvalidArgument
    When I send UnmaskKey with:
      | masked_key | random:8193 |
    Then the status is InvalidArgument
    When I send UnmaskKey with:
      | masked_key | zeros:0 |
    Then the status is InvalidArgument
    When I send UnwrapKey with:
      | wrapped | random:399 |
      | kind    | Aes128     |
      | usage   | Encrypt    |
    Then the status is InvalidArgument
    When I send UnwrapKey with:
      | wrapped | random:8193 |
      | kind    | Aes128      |
      | usage   | Encrypt     |
    Then the status is InvalidArgument
    When I send EcdhDerive with:
      | key_handle      | @ecc       |
      | peer_public_key | random:64  |
      | usage           | Derive     |
    Then the status is InvalidArgument
    When I send EcdhDerive with:
      | key_handle      | @ecc       |
      | peer_public_key | random:134 |
      | usage           | Derive     |
    Then the status is InvalidArgument

  @baseline @IHSM-WIRE-006
  Scenario Outline: A request with <defect> is InvalidArgument and creates nothing
    Given a new tag as @t
    When I send GenerateKey with:
      | kind  | <kind>  |
      | usage | <usage> |
      | tag   | @t      |
      | label | <label> |
    Then the status is InvalidArgument
    When I send OpenKey with:
      | tag | @t |
    Then the status is KeyTagNotFound

    Examples:
      | defect                        | kind   | usage | label     |
      | no kind                       | absent | Sign  | absent    |
      | no usage                      | EccP256 | absent | absent  |
      | an undefined key kind         | 99     | Sign  | absent    |
      | the undefined key kind 0      | 0      | Sign  | absent    |
      | an undefined usage bit        | EccP256 | 0x81 | absent    |
      | a label of 65 bytes           | EccP256 | Sign | random:65 |

  @baseline @IHSM-WIRE-006
  Scenario: A request with an integer outside its range, an undefined enum value or a missing field is InvalidArgument
    Given a key of kind Ed25519 with usage Sign as @k
    And a key of kind HmacSha256 with usage Derive as @h
    When I send GenerateKey with:
      | kind  | Aes128  |
      | usage | Encrypt |
      | tag   | 0       |
    Then the status is InvalidArgument
    When I send Sign with:
      | key_handle | @k        |
      | algorithm  | Ed25519   |
    Then the status is InvalidArgument
    When I send Sign with:
      | key_handle | @k        |
      | algorithm  | 99        |
      | data       | random:32 |
    Then the status is InvalidArgument
    When I send HkdfDerive with:
      | key_handle  | @h      |
      | hash        | 9       |
      | target_kind | Aes128  |
      | usage       | Encrypt |
    Then the status is InvalidArgument
    When I send HkdfDerive with:
      | key_handle  | @h      |
      | hash        | Sha256  |
      | target_kind | 99      |
      | usage       | Encrypt |
    Then the status is InvalidArgument
    When I send GetPublicKey
    Then the status is InvalidArgument
    When I send Sign with:
      | key_handle | @k        |
      | algorithm  | Ed25519   |
      | data       | random:32 |
    Then the status is Success
    And the signature verifies with the public key of @k

  @baseline @IHSM-WIRE-008
  Scenario: Malformed requests are answered with a status of the registry and change nothing
    Given a key of kind EccP256 with usage Sign as @k
    When I send ListKeys with the body hex:ff
    Then the status is DecodeFailed
    When I send Sign with the body hex:a1
    Then the status is DecodeFailed
    When I send Sign with the body hex:80
    Then the status is DecodeFailed
    When I send GetDeviceInfo with the body hex:a10100
    Then the status is DecodeFailed
    When I send a raw frame "ffffffff"
    Then the status is DecodeFailed
    When I send a raw frame "a201a3011901000219040103070240"
    Then the status is DecodeFailed
    When I send ListKeys
    Then the status is Success
    And the response is sealed
    And the response field key_handles contains @k
    When I send Sign with:
      | key_handle | @k          |
      | algorithm  | EcdsaSha256 |
      | data       | random:32   |
    Then the status is Success
    And the signature verifies with the public key of @k
    When I send GetDeviceInfo
    Then the response field device_state is Operational
    And the response field partition_state is Provisioned

  @baseline @serial @IHSM-DEV-007
  Scenario: The limits GetCapabilities reports are the spec's and the device enforces them
    When I send GetCapabilities
    Then the status is Success
    And the response field max_sessions equals the spec limit max_sessions
    And the response field max_keys equals the spec limit max_keys
    And the response field max_message equals the spec limit max_message
    And the response field max_frame equals the spec limit max_frame
    And the response field min_pin equals the spec limit min_pin
    And the response field max_pin equals the spec limit max_pin
    And the response field max_pin_attempts equals the spec limit max_pin_attempts
    When I open sessions up to the limit
    And I send OpenSession
    Then the status is SessionLimitReached
    When I send a length prefix of 65537 bytes
    Then the status is FrameTooLarge
    Given a key of kind Ed25519 with usage Sign as @k
    When I send Sign with:
      | key_handle | @k           |
      | algorithm  | Ed25519      |
      | data       | random:16385 |
    Then the status is InvalidArgument
