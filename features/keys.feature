Feature: Key lifecycles and usage policy
  Keys are used only for what their usage flags permit and leave the
  device only masked.

  Background:
    Given a provisioned partition
    And an open session

  @baseline @IHSM-KEY-001 @IHSM-CRY-001
  Scenario Outline: A <kind> key signs and the signature verifies offline
    Given a key of kind <kind> with usage Sign|Verify as @k
    When I send Sign with:
      | key_handle | @k          |
      | algorithm  | <algorithm> |
      | data       | <data>      |
    Then the status is Success
    And the signature verifies with the public key of @k

    Examples:
      | kind    | algorithm   | data      |
      | EccP256 | EcdsaSha256 | random:32 |
      | EccP384 | EcdsaSha384 | random:48 |
      | Ed25519 | Ed25519     | random:100 |

  @baseline @IHSM-KEY-005
  Scenario Outline: A key without the <usage> usage cannot <command>
    Given a key of kind <kind> with usage <granted> as @k
    When I send <command> with:
      | key_handle | @k          |
      | algorithm  | <algorithm> |
      | <field>    | random:32   |
    Then the status is UsageNotPermitted

    Examples:
      | usage   | kind    | granted | command | algorithm   | field     |
      | Sign    | EccP256 | Verify  | Sign    | EcdsaSha256 | data      |
      | Encrypt | Aes256  | Decrypt | Encrypt | AesGcm      | plaintext |

  @baseline @IHSM-KEY-003
  Scenario: A deleted key is gone
    Given a key of kind EccP256 with usage Sign as @k
    When I send DeleteKey with:
      | key_handle | @k |
    Then the status is Success
    When I send GetPublicKey with:
      | key_handle | @k |
    Then the status is KeyNotFound

  @baseline @IHSM-KEY-002 @IHSM-MSK-001
  Scenario: Every key creation returns a handle that names the key and the key masked in format version 1
    Given a key of kind EccP256 with usage Sign,Derive as @ecc
    And @ecc_masked is a well-formed masked key of this partition
    And the masked key @ecc_masked has key_kind EccP256
    And the masked key @ecc_masked has usage Sign,Derive
    And key material of kind EccP256 as @peer
    When I send EcdhDerive with:
      | key_handle      | @ecc        |
      | peer_public_key | @peer_point |
      | usage           | Derive      |
    Then the status is Success
    When I save the key handle as @z
    And I send GetPublicKey with:
      | key_handle | @z |
    Then the status is Success
    And the response field kind is Secret256
    And @z_masked is a well-formed masked key of this partition
    And the masked key @z_masked has key_kind Secret256
    When I send HkdfDerive with:
      | key_handle  | @z          |
      | hash        | Sha256      |
      | target_kind | HmacSha256  |
      | usage       | Sign,Derive |
    Then the status is Success
    When I save the key handle as @h
    And I send GetPublicKey with:
      | key_handle | @h |
    Then the response field kind is HmacSha256
    And @h_masked is a well-formed masked key of this partition
    When I send KbkdfDerive with:
      | key_handle  | @h              |
      | hash        | Sha256          |
      | target_kind | Aes128          |
      | usage       | Encrypt,Decrypt |
    Then the status is Success
    When I save the key handle as @a
    And I send GetPublicKey with:
      | key_handle | @a |
    Then the response field kind is Aes128
    And @a_masked is a well-formed masked key of this partition
    And the masked key @a_masked has usage Encrypt,Decrypt
    Given key material of kind Aes256 as @m
    And the key material @m wrapped for the partition as @w
    When I send UnwrapKey with:
      | wrapped | @w      |
      | kind    | Aes256  |
      | usage   | Encrypt |
    Then the status is Success
    When I save the key handle as @u
    And I send GetPublicKey with:
      | key_handle | @u |
    Then the response field kind is Aes256
    And @u_masked is a well-formed masked key of this partition
    When I send DeleteKey with:
      | key_handle | @ecc |
    And I send UnmaskKey with:
      | masked_key | @ecc_masked |
    Then the status is Success
    When I save the key handle as @again
    And I send GetPublicKey with:
      | key_handle | @again |
    Then the status is Success
    And the response field kind is EccP256
    And the response field public_key is @ecc_pub

  @baseline @IHSM-KEY-004
  Scenario: A tag names one key of the partition: every key creation refuses a tag in use, and a deleted key frees it
    Given a new tag as @t
    And a key of kind EccP256 with usage Sign,Derive as @ecc
    When I send GenerateKey with:
      | kind  | HmacSha256 |
      | usage | Derive     |
      | tag   | @t         |
    Then the status is Success
    When I save the key handle as @h
    And I send GenerateKey with:
      | kind  | Aes256  |
      | usage | Encrypt |
      | tag   | @t      |
    Then the status is KeyTagExists
    Given key material of kind EccP256 as @peer
    When I send EcdhDerive with:
      | key_handle      | @ecc        |
      | peer_public_key | @peer_point |
      | usage           | Derive      |
      | tag             | @t          |
    Then the status is KeyTagExists
    When I send HkdfDerive with:
      | key_handle  | @h         |
      | hash        | Sha256     |
      | target_kind | Aes256     |
      | usage       | Encrypt    |
      | tag         | @t         |
    Then the status is KeyTagExists
    When I send KbkdfDerive with:
      | key_handle  | @h         |
      | hash        | Sha384     |
      | target_kind | HmacSha384 |
      | usage       | Sign       |
      | tag         | @t         |
    Then the status is KeyTagExists
    Given key material of kind Aes128 as @m
    And the key material @m wrapped for the partition as @w
    When I send UnwrapKey with:
      | wrapped | @w      |
      | kind    | Aes128  |
      | usage   | Encrypt |
      | tag     | @t      |
    Then the status is KeyTagExists
    When I send UnmaskKey with:
      | masked_key | @h_masked |
    Then the status is KeyTagExists
    When I send DeleteKey with:
      | key_handle | @h |
    Then the status is Success
    When I send OpenKey with:
      | tag | @t |
    Then the status is KeyTagNotFound
    When I send UnmaskKey with:
      | masked_key | @h_masked |
    Then the status is Success
    When I save the key handle as @back
    And I send OpenKey with:
      | tag | @t |
    Then the status is Success
    And the response field key_handle is @back

  @baseline @IHSM-KEY-006
  Scenario: A deleted key answers KeyNotFound to every command that names it
    Given a key of kind EccP384 with usage Sign,Verify as @k
    When I send DeleteKey with:
      | key_handle | @k |
    Then the status is Success
    When I send Sign with:
      | key_handle | @k          |
      | algorithm  | EcdsaSha384 |
      | data       | random:48   |
    Then the status is KeyNotFound
    When I send GetPublicKey with:
      | key_handle | @k |
    Then the status is KeyNotFound
    When I send DeleteKey with:
      | key_handle | @k |
    Then the status is KeyNotFound
    When I send ListKeys
    Then the response field key_handles does not contain @k

  @baseline @serial @IHSM-KEY-007 @IHSM-DEV-007
  Scenario: A partition holds max_keys keys and every key creation refuses one more
    Given a key of kind EccP256 with usage Derive as @ecc
    And a key of kind HmacSha256 with usage Derive as @h
    And key material of kind EccP256 as @peer
    And key material of kind Aes128 as @m
    And the key material @m wrapped for the partition as @w
    When I send GetCapabilities
    Then the response field max_keys equals the spec limit max_keys
    When I create keys up to the limit
    And I send GenerateKey with:
      | kind  | Aes128  |
      | usage | Encrypt |
    Then the status is KeyLimitReached
    When I send EcdhDerive with:
      | key_handle      | @ecc        |
      | peer_public_key | @peer_point |
      | usage           | Derive      |
    Then the status is KeyLimitReached
    When I send HkdfDerive with:
      | key_handle  | @h      |
      | hash        | Sha256  |
      | target_kind | Aes128  |
      | usage       | Encrypt |
    Then the status is KeyLimitReached
    When I send KbkdfDerive with:
      | key_handle  | @h      |
      | hash        | Sha256  |
      | target_kind | Aes128  |
      | usage       | Encrypt |
    Then the status is KeyLimitReached
    When I send UnwrapKey with:
      | wrapped | @w      |
      | kind    | Aes128  |
      | usage   | Encrypt |
    Then the status is KeyLimitReached
    When I send DeleteKey with:
      | key_handle | @h |
    Then the status is Success
    When I send UnmaskKey with:
      | masked_key | @h_masked |
    Then the status is Success
    When I send UnmaskKey with:
      | masked_key | @ecc_masked |
    Then the status is KeyLimitReached

  @baseline @IHSM-KEY-008 @IHSM-KEY-017
  Scenario Outline: <command> with <algorithm> needs the <needed> usage
    Given a key of kind <kind> with usage <granted> as @k
    When I send <command> with:
      | key_handle | @k          |
      | algorithm  | <algorithm> |
      | <f1>       | <v1>        |
      | <f2>       | <v2>        |
    Then the status is UsageNotPermitted

    Examples:
      | command | algorithm     | needed  | kind       | granted                | f1         | v1        | f2        | v2        |
      | Sign    | EcdsaSha256   | Sign    | EccP256    | Verify,Derive          | data       | random:32 | data      | random:32 |
      | Sign    | RsaPssSha256  | Sign    | Rsa2048    | Verify,Encrypt,Decrypt | data       | random:32 | data      | random:32 |
      | Sign    | Ed25519       | Sign    | Ed25519    | Verify                 | data       | random:32 | data      | random:32 |
      | Verify  | EcdsaSha256   | Verify  | EccP256    | Sign,Derive            | data       | random:32 | signature | random:64 |
      | Verify  | Ed25519       | Verify  | Ed25519    | Sign                   | data       | random:32 | signature | random:64 |
      | Encrypt | AesGcm        | Encrypt | Aes256     | Decrypt,Wrap,Unwrap    | plaintext  | random:32 | aad       | random:8  |
      | Encrypt | AesCbc        | Encrypt | Aes128     | Decrypt,Wrap,Unwrap    | plaintext  | random:32 | iv        | random:16 |
      | Encrypt | AesKwp        | Wrap    | Aes256     | Encrypt,Decrypt,Unwrap | plaintext  | random:32 | plaintext | random:32 |
      | Encrypt | RsaOaepSha256 | Encrypt | Rsa2048    | Sign,Verify,Decrypt    | plaintext  | random:32 | plaintext | random:32 |
      | Decrypt | AesGcm        | Decrypt | Aes256     | Encrypt,Wrap,Unwrap    | ciphertext | random:48 | iv        | random:12 |
      | Decrypt | AesKwp        | Unwrap  | Aes192     | Encrypt,Decrypt,Wrap   | ciphertext | random:40 | ciphertext| random:40 |
      | Decrypt | RsaOaepSha256 | Decrypt | Rsa2048    | Sign,Verify,Encrypt    | ciphertext | random:256| ciphertext| random:256|

  @baseline @IHSM-KEY-008 @IHSM-KEY-017
  Scenario: Hmac needs the Sign usage, and every derivation the Derive usage
    Given a key of kind HmacSha256 with usage Verify,Derive as @h
    When I send Hmac with:
      | key_handle | @h        |
      | message    | random:32 |
    Then the status is UsageNotPermitted
    Given a key of kind HmacSha384 with usage Sign,Verify as @s
    When I send HkdfDerive with:
      | key_handle  | @s      |
      | hash        | Sha384  |
      | target_kind | Aes256  |
      | usage       | Encrypt |
    Then the status is UsageNotPermitted
    When I send KbkdfDerive with:
      | key_handle  | @s      |
      | hash        | Sha384  |
      | target_kind | Aes256  |
      | usage       | Encrypt |
    Then the status is UsageNotPermitted
    Given a key of kind EccP384 with usage Sign,Verify as @ecc
    And key material of kind EccP384 as @peer
    When I send EcdhDerive with:
      | key_handle      | @ecc        |
      | peer_public_key | @peer_point |
      | usage           | Derive      |
    Then the status is UsageNotPermitted

  @baseline @IHSM-KEY-009
  Scenario Outline: GenerateKey refuses the usage <usage> for a <kind> key
    When I send GenerateKey with:
      | kind  | <kind>  |
      | usage | <usage> |
    Then the status is UsageNotPermitted

    Examples:
      | kind       | usage          |
      | EccP256    | Encrypt        |
      | EccP384    | Sign,Wrap      |
      | EccP521    | Decrypt        |
      | Rsa2048    | Derive         |
      | Rsa3072    | Sign,Unwrap    |
      | Aes128     | Sign           |
      | Aes256     | Encrypt,Derive |
      | HmacSha256 | Encrypt        |
      | HmacSha512 | Sign,Decrypt   |
      | Ed25519    | Derive         |
      | Ed25519    | Sign,Encrypt   |

  @baseline @IHSM-KEY-009
  Scenario Outline: GenerateKey accepts every usage the rule allows for a <kind> key
    When I send GenerateKey with:
      | kind  | <kind>  |
      | usage | <usage> |
    Then the status is Success
    When I save the key handle as @k
    And I send GetPublicKey with:
      | key_handle | @k |
    Then the response field usage is <usage>

    Examples:
      | kind       | usage                           |
      | EccP256    | Sign,Verify,Derive,SessionOnly  |
      | Rsa2048    | Sign,Verify,Encrypt,Decrypt     |
      | Aes192     | Encrypt,Decrypt,Wrap,Unwrap     |
      | HmacSha384 | Sign,Verify,Derive              |
      | Ed25519    | Sign,Verify                     |

  @baseline @IHSM-KEY-009
  Scenario: UnwrapKey refuses a usage the kind cannot perform
    Given key material of kind Aes256 as @m
    And the key material @m wrapped for the partition as @w
    When I send UnwrapKey with:
      | wrapped | @w          |
      | kind    | Aes256      |
      | usage   | Sign,Verify |
    Then the status is UsageNotPermitted

  @baseline @IHSM-KEY-011 @IHSM-KEY-012 @IHSM-KEY-023
  Scenario: ListKeys lists the partition's keys and the session's own session-only keys, with their kinds and tags
    Given an open session as "a"
    And a new tag as @t
    When I send GenerateKey with:
      | kind  | EccP384 |
      | usage | Sign    |
      | tag   | @t      |
    Then the status is Success
    When I save the key handle as @p
    Given a key of kind Aes128 with usage Encrypt,SessionOnly as @e
    When I send ListKeys
    Then the response field key_handles contains @p
    And the response field key_handles contains @e
    And the entry of key_handles holding @p has kinds EccP384
    And the entry of key_handles holding @p has tags @t
    And the entry of key_handles holding @e has kinds Aes128
    And the entry of key_handles holding @e has tags 0
    Given an open session as "b"
    When I send ListKeys
    Then the response field key_handles contains @p
    And the response field key_handles does not contain @e
    When I send OpenKey with:
      | tag | @t |
    Then the status is Success
    And the response field key_handle is @p
    And the response field kind is EccP384
    When I switch to session "a"
    And I close the session
    Then the status is Success
    When I switch to session "b"
    And I send ListKeys
    Then the response field key_handles contains @p
    And the response field key_handles does not contain @e
    When I send GetPublicKey with:
      | key_handle | @e |
    Then the status is KeyNotFound
    When I send Sign with:
      | key_handle | @p          |
      | algorithm  | EcdsaSha384 |
      | data       | random:48   |
    Then the status is Success
    And the signature verifies with the public key of @p
    When I send DeleteKey with:
      | key_handle | @p |
    And I send ListKeys
    Then the response field key_handles does not contain @p

  @baseline @IHSM-KEY-012
  Scenario: A session-only key imported with UnwrapKey is destroyed with its session
    Given an open session as "a"
    And key material of kind HmacSha256 as @m
    And the key material @m wrapped for the partition as @w
    When I send UnwrapKey with:
      | wrapped | @w               |
      | kind    | HmacSha256       |
      | usage   | Sign,SessionOnly |
    Then the status is Success
    When I save the key handle as @k
    And I close the session
    Given an open session as "b"
    When I send GetPublicKey with:
      | key_handle | @k |
    Then the status is KeyNotFound

  @baseline @IHSM-KEY-013
  Scenario Outline: UnwrapKey imports a wrapped <kind> key that then works as that key
    Given key material of kind <kind> as @m
    And the key material @m wrapped for the partition as @w
    When I send UnwrapKey with:
      | wrapped | @w          |
      | kind    | <kind>      |
      | usage   | Sign,Verify |
    Then the status is Success
    And the response field public_key is @m_pub
    When I save the key handle as @k
    And I send Sign with:
      | key_handle | @k          |
      | algorithm  | <algorithm> |
      | data       | random:32   |
    Then the status is Success
    And the signature verifies with the public key of @m

    Examples:
      | kind    | algorithm      |
      | EccP256 | EcdsaSha256    |
      | Rsa2048 | RsaPkcs1Sha256 |
      | Ed25519 | Ed25519        |

  @baseline @IHSM-KEY-013
  Scenario Outline: UnwrapKey imports a wrapped <kind> key that holds the wrapped bytes
    Given key material of kind <kind> as @m
    And the key material @m wrapped for the partition as @w
    When I send UnwrapKey with:
      | wrapped | @w      |
      | kind    | <kind>  |
      | usage   | <usage> |
    Then the status is Success
    When I save the key handle as @k
    Then the key @k holds the key material @m

    Examples:
      | kind       | usage           |
      | Aes128     | Encrypt         |
      | Aes256     | Encrypt,Decrypt |
      | HmacSha384 | Sign            |
      | HmacSha512 | Sign,Verify     |

  @baseline @IHSM-KEY-013
  Scenario: UnwrapKey refuses a wrapped key that does not unwrap
    Given key material of kind EccP256 as @m
    And the key material @m wrapped for the partition as @w
    And @rsa is @w with byte 17 flipped
    And @kwp is @w with byte -3 flipped
    And @short is @w truncated to 400 bytes
    When I send UnwrapKey with:
      | wrapped | @rsa    |
      | kind    | EccP256 |
      | usage   | Sign    |
    Then the status is UnwrapFailed
    When I send UnwrapKey with:
      | wrapped | @kwp    |
      | kind    | EccP256 |
      | usage   | Sign    |
    Then the status is UnwrapFailed
    When I send UnwrapKey with:
      | wrapped | @short  |
      | kind    | EccP256 |
      | usage   | Sign    |
    Then the status is UnwrapFailed
    When I send UnwrapKey with:
      | wrapped | random:512 |
      | kind    | EccP256    |
      | usage   | Sign       |
    Then the status is UnwrapFailed

  @baseline @IHSM-KEY-021
  Scenario Outline: UnwrapKey refuses <material> key material sent as <kind> and stores nothing
    Given a new tag as @t
    And key material of kind <material> as @m
    And the key material @m wrapped for the partition as @w
    When I send UnwrapKey with:
      | wrapped | @w      |
      | kind    | <kind>  |
      | usage   | <usage> |
      | tag     | @t      |
    Then the status is UnwrapFailed
    When I send OpenKey with:
      | tag | @t |
    Then the status is KeyTagNotFound

    Examples:
      | material   | kind       | usage   |
      | EccP256    | EccP384    | Sign    |
      | EccP521    | EccP256    | Sign    |
      | Rsa2048    | Rsa3072    | Sign    |
      | Ed25519    | EccP256    | Sign    |
      | EccP256    | Ed25519    | Sign    |
      | EccP256    | Rsa2048    | Sign    |
      | Aes128     | Aes256     | Encrypt |
      | Aes256     | Aes192     | Encrypt |
      | HmacSha256 | Aes192     | Encrypt |
      | Aes256     | EccP256    | Sign    |

  @baseline @IHSM-KEY-013 @IHSM-KEY-021
  Scenario Outline: UnwrapKey imports an HMAC key of <n> bytes, 14 to 128 bytes being the lengths an HMAC kind takes
    Given key material of kind <kind> from random:<n> as @m
    And the key material @m wrapped for the partition as @w
    When I send UnwrapKey with:
      | wrapped | @w     |
      | kind    | <kind> |
      | usage   | Sign   |
    Then the status is Success
    When I save the key handle as @k
    Then the key @k holds the key material @m

    Examples:
      | kind       | n   |
      | HmacSha256 | 14  |
      | HmacSha384 | 20  |
      | HmacSha512 | 128 |

  @baseline @IHSM-KEY-021
  Scenario Outline: UnwrapKey refuses an HMAC key of <n> bytes, outside the 14 to 128 bytes an HMAC kind takes, and stores nothing
    Given a new tag as @t
    And key material of kind <kind> from random:<n> as @m
    And the key material @m wrapped for the partition as @w
    When I send UnwrapKey with:
      | wrapped | @w     |
      | kind    | <kind> |
      | usage   | Sign   |
      | tag     | @t     |
    Then the status is UnwrapFailed
    When I send OpenKey with:
      | tag | @t |
    Then the status is KeyTagNotFound

    Examples:
      | kind       | n   |
      | HmacSha256 | 13  |
      | HmacSha512 | 129 |

  @baseline @IHSM-KEY-014
  Scenario: GetUnwrappingKey returns the partition's RSA-3072 key, the same in every session
    When I send GetUnwrappingKey
    Then the status is Success
    And the response field public_key holds a public key of kind Rsa3072
    When I save field public_key as @uk
    Given an open session as "other"
    When I send GetUnwrappingKey
    Then the response field public_key is @uk
    When I close the session
    Given an open session as "third"
    When I send GetUnwrappingKey
    Then the response field public_key is @uk

  @baseline @IHSM-KEY-016 @IHSM-CRY-002 @IHSM-CRY-023
  Scenario Outline: An <kind> key pair is generated on the device and signs with RSASSA-PSS and RSASSA-PKCS1-v1_5
    Given a key of kind <kind> with usage Sign,Verify as @k
    When I send GetPublicKey with:
      | key_handle | @k |
    Then the response field public_key holds a public key of kind <kind>
    When I save field public_key as @k_pub
    And I send Sign with:
      | key_handle | @k         |
      | algorithm  | <pss>      |
      | data       | random:<n> |
    Then the status is Success
    And the signature verifies with the public key of @k
    When I send Sign with:
      | key_handle | @k         |
      | algorithm  | <pkcs1>    |
      | data       | random:<n> |
    Then the status is Success
    And the signature verifies with the public key of @k

    Examples:
      | kind    | pss          | pkcs1          | n  |
      | Rsa2048 | RsaPssSha256 | RsaPkcs1Sha256 | 32 |
      | Rsa3072 | RsaPssSha384 | RsaPkcs1Sha384 | 48 |
      | Rsa4096 | RsaPssSha512 | RsaPkcs1Sha512 | 64 |

  @baseline @IHSM-KEY-018 @IHSM-MSK-003
  Scenario: A key's kind, usage, tag and label are those given at creation, in every command that reports them
    Given a new tag as @t
    When I send GenerateKey with:
      | kind  | EccP256          |
      | usage | Sign,Verify      |
      | tag   | @t               |
      | label | text:signing-key |
    Then the status is Success
    When I save the key handle as @k
    And I send GetPublicKey with:
      | key_handle | @k |
    Then the response field kind is EccP256
    And the response field usage is Sign,Verify
    And the response field tag is @t
    And the response field label is signing-key
    And the response field public_key is @k_pub
    And the masked key @k_masked has label text:signing-key
    And the masked key @k_masked has tag @t
    When I send OpenKey with:
      | tag | @t |
    Then the response field key_handle is @k
    And the response field kind is EccP256
    And the response field usage is Sign,Verify
    And the response field label is signing-key
    When I send DeleteKey with:
      | key_handle | @k |
    And I send UnmaskKey with:
      | masked_key | @k_masked |
    Then the status is Success
    And the response field kind is EccP256
    And the response field usage is Sign,Verify
    And the response field public_key is @k_pub
    When I save the key handle as @back
    And I send GetPublicKey with:
      | key_handle | @back |
    Then the response field tag is @t
    And the response field label is signing-key

  @baseline @IHSM-KEY-019
  Scenario: Key handles are non-zero and a deleted key's handle names no later key
    Given a key of kind Aes128 with usage Encrypt as @old
    When I send DeleteKey with:
      | key_handle | @old |
    Then the status is Success
    When I send GenerateKey with:
      | kind  | Aes128  |
      | usage | Encrypt |
    Then the response field key_handle differs from @old
    And the response field key_handle differs from 0
    When I send GenerateKey with:
      | kind  | EccP256 |
      | usage | Sign    |
    Then the response field key_handle differs from @old
    And the response field key_handle differs from 0
    When I send UnmaskKey with:
      | masked_key | @old_masked |
    Then the status is Success
    And the response field key_handle differs from 0
    When I send GetPublicKey with:
      | key_handle | @old |
    Then the status is KeyNotFound

  @baseline @IHSM-KEY-020
  Scenario Outline: <command> refuses the usage <usage> for a derived <target> key
    Given a key of kind EccP256 with usage Derive as @ecc
    And a key of kind HmacSha256 with usage Derive as @h
    And key material of kind EccP256 as @peer
    When I send <command> with:
      | key_handle | <source> |
      | usage      | <usage>  |
      | <f1>       | <v1>     |
      | <f2>       | <v2>     |
    Then the status is UsageNotPermitted

    Examples:
      | command     | source | target     | usage          | f1              | v1          | f2          | v2         |
      | EcdhDerive  | @ecc   | Secret256  | Sign           | peer_public_key | @peer_point | peer_public_key | @peer_point |
      | EcdhDerive  | @ecc   | Secret256  | Derive,Encrypt | peer_public_key | @peer_point | peer_public_key | @peer_point |
      | HkdfDerive  | @h     | Aes256     | Sign           | hash            | Sha256      | target_kind | Aes256     |
      | HkdfDerive  | @h     | Aes128     | Derive         | hash            | Sha256      | target_kind | Aes128     |
      | KbkdfDerive | @h     | HmacSha256 | Encrypt        | hash            | Sha256      | target_kind | HmacSha256 |
      | KbkdfDerive | @h     | Aes192     | Sign,Verify    | hash            | Sha256      | target_kind | Aes192     |

  @baseline @IHSM-KEY-020
  Scenario: A derived secret takes Derive and SessionOnly
    Given a key of kind EccP384 with usage Derive as @ecc
    And key material of kind EccP384 as @peer
    When I send EcdhDerive with:
      | key_handle      | @ecc               |
      | peer_public_key | @peer_point        |
      | usage           | Derive,SessionOnly |
    Then the status is Success
    When I save the key handle as @z
    And I send GetPublicKey with:
      | key_handle | @z |
    Then the response field usage is Derive,SessionOnly

  @baseline @IHSM-KEY-022 @IHSM-MSK-010
  Scenario: A deleted key's masked key still unmasks, and the unmasked key signs as the original
    Given a key of kind EccP521 with usage Sign,Verify as @k
    When I send DeleteKey with:
      | key_handle | @k |
    Then the status is Success
    When I send UnmaskKey with:
      | masked_key | @k_masked |
    Then the status is Success
    And the response field public_key is @k_pub
    When I save the key handle as @back
    And I send Sign with:
      | key_handle | @back       |
      | algorithm  | EcdsaSha512 |
      | data       | random:64   |
    Then the status is Success
    And the signature verifies with the public key of @k
    When I save field signature as @sig
    And I send Verify with:
      | key_handle | @back       |
      | algorithm  | EcdsaSha512 |
      | data       | random:64   |
      | signature  | @sig        |
    Then the status is SignatureInvalid
