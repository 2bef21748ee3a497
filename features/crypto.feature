Feature: Cryptographic services
  Every algorithm follows its standard: the device's signatures verify
  offline and its Verify refuses every altered signature, its
  ciphertexts decrypt with an independent implementation and it decrypts
  theirs, its derived keys and MACs equal the values computed here, and
  its refusals carry the spec's statuses. Keys with known material enter
  through UnwrapKey; secrets stay in the device and are compared through
  keys derived from them.

  Background:
    Given a provisioned partition
    And an open session

  @baseline @IHSM-CRY-023 @IHSM-CRY-005
  Scenario Outline: A <kind> signature with <algorithm> verifies offline under GetPublicKey's key and on the device
    Given a key of kind <kind> with usage Sign,Verify as @k
    And the bytes random:<n> as @d
    When I send GetPublicKey with:
      | key_handle | @k |
    And I save field public_key as @k_pub
    And I send Sign with:
      | key_handle | @k          |
      | algorithm  | <algorithm> |
      | data       | @d          |
    Then the status is Success
    And the signature verifies with the public key of @k
    When I save field signature as @sig
    And I send Verify with:
      | key_handle | @k          |
      | algorithm  | <algorithm> |
      | data       | @d          |
      | signature  | @sig        |
    Then the status is Success

    Examples:
      | kind    | algorithm      | n   |
      | EccP256 | EcdsaSha256    | 32  |
      | EccP384 | EcdsaSha384    | 48  |
      | EccP521 | EcdsaSha512    | 64  |
      | Rsa2048 | RsaPssSha384   | 48  |
      | Rsa2048 | RsaPkcs1Sha512 | 64  |
      | Ed25519 | Ed25519        | 500 |

  @baseline @IHSM-CRY-005
  Scenario Outline: Verify accepts a <algorithm> signature made outside the device with the key it imported
    Given key material of kind <kind> as @m
    And the key material @m wrapped for the partition as @w
    And the bytes random:<n> as @d
    And the <algorithm> signature of @d by @m as @sig
    When I send UnwrapKey with:
      | wrapped | @w     |
      | kind    | <kind> |
      | usage   | Verify |
    Then the status is Success
    When I save the key handle as @k
    And I send Verify with:
      | key_handle | @k          |
      | algorithm  | <algorithm> |
      | data       | @d          |
      | signature  | @sig        |
    Then the status is Success

    Examples:
      | kind    | algorithm      | n   |
      | EccP256 | EcdsaSha256    | 32  |
      | EccP384 | EcdsaSha384    | 48  |
      | EccP521 | EcdsaSha512    | 64  |
      | Rsa2048 | RsaPssSha256   | 32  |
      | Rsa2048 | RsaPkcs1Sha384 | 48  |
      | Ed25519 | Ed25519        | 200 |

  @baseline @IHSM-CRY-006
  Scenario Outline: Verify refuses a <algorithm> signature with any one byte altered, and one over other data
    Given a key of kind <kind> with usage Sign,Verify as @k
    And the bytes random:<n> as @d
    When I send Sign with:
      | key_handle | @k          |
      | algorithm  | <algorithm> |
      | data       | @d          |
    And I save field signature as @sig
    And I send Verify with each byte of its signature altered in turn, with:
      | key_handle | @k          |
      | algorithm  | <algorithm> |
      | data       | @d          |
      | signature  | @sig        |
    Then every status is one of SignatureInvalid
    When I send Verify with:
      | key_handle | @k          |
      | algorithm  | <algorithm> |
      | data       | random:<n>  |
      | signature  | @sig        |
    Then the status is SignatureInvalid
    Given @short is @sig without its last 1 byte
    When I send Verify with:
      | key_handle | @k          |
      | algorithm  | <algorithm> |
      | data       | @d          |
      | signature  | @short      |
    Then the status is SignatureInvalid
    When I send Verify with:
      | key_handle | @k          |
      | algorithm  | <algorithm> |
      | data       | @d          |
      | signature  | @sig        |
    Then the status is Success

    Examples:
      | kind    | algorithm      | n  |
      | EccP256 | EcdsaSha256    | 32 |
      | EccP384 | EcdsaSha384    | 48 |
      | EccP521 | EcdsaSha512    | 64 |
      | Rsa2048 | RsaPssSha256   | 32 |
      | Rsa2048 | RsaPkcs1Sha256 | 32 |
      | Ed25519 | Ed25519        | 64 |

  @baseline @IHSM-CRY-006
  Scenario: Verify refuses an ECDSA signature of another key of the same curve
    Given a key of kind EccP256 with usage Sign,Verify as @a
    And a key of kind EccP256 with usage Verify as @b
    And the bytes random:32 as @d
    When I send Sign with:
      | key_handle | @a          |
      | algorithm  | EcdsaSha256 |
      | data       | @d          |
    And I save field signature as @sig
    And I send Verify with:
      | key_handle | @b          |
      | algorithm  | EcdsaSha256 |
      | data       | @d          |
      | signature  | @sig        |
    Then the status is SignatureInvalid

  @baseline @IHSM-CRY-002
  Scenario Outline: An imported RSA key signs with <algorithm> exactly as RSASSA-PKCS1-v1_5 computes here
    Given key material of kind Rsa2048 as @m
    And the key material @m wrapped for the partition as @w
    And the bytes random:<n> as @d
    And the <algorithm> signature of @d by @m as @sig
    When I send UnwrapKey with:
      | wrapped | @w      |
      | kind    | Rsa2048 |
      | usage   | Sign    |
    Then the status is Success
    When I save the key handle as @k
    And I send Sign with:
      | key_handle | @k          |
      | algorithm  | <algorithm> |
      | data       | @d          |
    Then the response field signature is @sig

    Examples:
      | algorithm      | n  |
      | RsaPkcs1Sha256 | 32 |
      | RsaPkcs1Sha384 | 48 |
      | RsaPkcs1Sha512 | 64 |

  @baseline @IHSM-CRY-002
  Scenario: RSASSA-PSS signatures are randomized and use a salt as long as the hash
    Given a key of kind Rsa2048 with usage Sign as @k
    And the bytes random:32 as @d
    When I send Sign with:
      | key_handle | @k           |
      | algorithm  | RsaPssSha256 |
      | data       | @d           |
    Then the signature verifies with the public key of @k
    When I save field signature as @first
    And I send Sign with:
      | key_handle | @k           |
      | algorithm  | RsaPssSha256 |
      | data       | @d           |
    Then the signature verifies with the public key of @k
    And the response field signature differs from @first

  @baseline @IHSM-CRY-003
  Scenario: Ed25519 signs the message itself with pure Ed25519 (RFC 8032 §7.1, test 2)
    Given key material of kind Ed25519 from hex:4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb as @m
    And the key material @m wrapped for the partition as @w
    When I send UnwrapKey with:
      | wrapped | @w          |
      | kind    | Ed25519     |
      | usage   | Sign,Verify |
    Then the status is Success
    When I save the key handle as @k
    And I send Sign with:
      | key_handle | @k      |
      | algorithm  | Ed25519 |
      | data       | hex:72  |
    Then the response field signature is hex:92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00
    When I send Verify with:
      | key_handle | @k      |
      | algorithm  | Ed25519 |
      | data       | hex:72  |
      | signature  | hex:92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00 |
    Then the status is Success

  @baseline @IHSM-CRY-007 @IHSM-CRY-022
  Scenario: AES-GCM encryption without an IV uses a fresh device IV of 12 bytes, appends a 16-byte tag and is approved
    Given key material of kind Aes256 as @m
    And the key material @m wrapped for the partition as @w
    And the bytes random:40 as @pt
    And the bytes random:16 as @aad
    When I send UnwrapKey with:
      | wrapped | @w              |
      | kind    | Aes256          |
      | usage   | Encrypt,Decrypt |
    And I save the key handle as @k
    And I send Encrypt with:
      | key_handle | @k     |
      | algorithm  | AesGcm |
      | plaintext  | @pt    |
      | aad        | @aad   |
    Then the status is Success
    And the response is marked FIPS approved
    And the response field iv has 12 bytes
    And the response field ciphertext has 56 bytes
    When I save field iv as @iv
    Then the response field ciphertext decrypts with AesGcm under @m with iv @iv and aad @aad to @pt
    When I send Encrypt with:
      | key_handle | @k     |
      | algorithm  | AesGcm |
      | plaintext  | @pt    |
      | aad        | @aad   |
    Then the response field iv differs from @iv

  @baseline @IHSM-CRY-007 @IHSM-CRY-022 @IHSM-CRY-011
  Scenario: AES-GCM with a caller IV is not approved, decrypts what is made here and refuses an altered ciphertext
    Given key material of kind Aes128 as @m
    And the key material @m wrapped for the partition as @w
    And the bytes random:33 as @pt
    And the bytes random:12 as @iv
    And the bytes random:5 as @aad
    And the AesGcm encryption of @pt under @m with iv @iv and aad @aad as @c
    When I send UnwrapKey with:
      | wrapped | @w              |
      | kind    | Aes128          |
      | usage   | Encrypt,Decrypt |
    And I save the key handle as @k
    And I send Encrypt with:
      | key_handle | @k     |
      | algorithm  | AesGcm |
      | plaintext  | @pt    |
      | iv         | @iv    |
      | aad        | @aad   |
    Then the status is Success
    And the response is not marked FIPS approved
    And the response field ciphertext is @c
    When I send Decrypt with:
      | key_handle | @k     |
      | algorithm  | AesGcm |
      | ciphertext | @c     |
      | iv         | @iv    |
      | aad        | @aad   |
    Then the status is Success
    And the response field plaintext is @pt
    Given @bad is @c with byte -1 flipped
    When I send Decrypt with:
      | key_handle | @k     |
      | algorithm  | AesGcm |
      | ciphertext | @bad   |
      | iv         | @iv    |
      | aad        | @aad   |
    Then the status is DecryptFailed
    When I send Decrypt with:
      | key_handle | @k        |
      | algorithm  | AesGcm    |
      | ciphertext | @c        |
      | iv         | @iv       |
      | aad        | random:5  |
    Then the status is DecryptFailed
    When I send Decrypt with each byte of its ciphertext altered in turn, with:
      | key_handle | @k     |
      | algorithm  | AesGcm |
      | ciphertext | @c     |
      | iv         | @iv    |
      | aad        | @aad   |
    Then every status is one of DecryptFailed

  @baseline @IHSM-CRY-007
  Scenario: AES-GCM refuses an IV that is not 12 bytes, and a Decrypt without an IV
    Given a key of kind Aes256 with usage Encrypt,Decrypt as @k
    When I send Encrypt with:
      | key_handle | @k        |
      | algorithm  | AesGcm    |
      | plaintext  | random:16 |
      | iv         | random:16 |
    Then the status is InvalidLength
    When I send Decrypt with:
      | key_handle | @k        |
      | algorithm  | AesGcm    |
      | ciphertext | random:32 |
    Then the status is InvalidLength

  @baseline @IHSM-CRY-008 @IHSM-CRY-011
  Scenario: AES-CBC uses a 16-byte IV and PKCS #7 padding, and refuses bad padding
    Given key material of kind Aes192 as @m
    And the key material @m wrapped for the partition as @w
    And the bytes random:20 as @pt
    And the bytes random:16 as @iv
    And the AesCbc encryption of @pt under @m with iv @iv as @c
    When I send UnwrapKey with:
      | wrapped | @w              |
      | kind    | Aes192          |
      | usage   | Encrypt,Decrypt |
    And I save the key handle as @k
    And I send Encrypt with:
      | key_handle | @k     |
      | algorithm  | AesCbc |
      | plaintext  | @pt    |
    Then the status is Success
    And the response field iv has 16 bytes
    And the response field ciphertext has 32 bytes
    When I save field iv as @device_iv
    Then the response field ciphertext decrypts with AesCbc under @m with iv @device_iv to @pt
    When I send Encrypt with:
      | key_handle | @k     |
      | algorithm  | AesCbc |
      | plaintext  | @pt    |
      | iv         | @iv    |
    Then the response field ciphertext is @c
    When I send Decrypt with:
      | key_handle | @k     |
      | algorithm  | AesCbc |
      | ciphertext | @c     |
      | iv         | @iv    |
    Then the status is Success
    And the response field plaintext is @pt
    Given @badpad is @c with byte -17 flipped
    When I send Decrypt with:
      | key_handle | @k      |
      | algorithm  | AesCbc  |
      | ciphertext | @badpad |
      | iv         | @iv     |
    Then the status is DecryptFailed
    When I send Encrypt with:
      | key_handle | @k        |
      | algorithm  | AesCbc    |
      | plaintext  | @pt       |
      | iv         | random:12 |
    Then the status is InvalidLength
    Given @ragged is @c without its last 1 byte
    When I send Decrypt with:
      | key_handle | @k      |
      | algorithm  | AesCbc  |
      | ciphertext | @ragged |
      | iv         | @iv     |
    Then the status is InvalidLength

  @baseline @IHSM-CRY-009 @IHSM-CRY-011
  Scenario Outline: AES-KWP wraps <n> bytes as RFC 5649 §6 computes and unwraps them, and refuses an altered wrap
    Given key material of kind Aes192 from hex:5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8 as @kek
    And the key material @kek wrapped for the partition as @w
    When I send UnwrapKey with:
      | wrapped | @w          |
      | kind    | Aes192      |
      | usage   | Wrap,Unwrap |
    And I save the key handle as @k
    And I send Encrypt with:
      | key_handle | @k      |
      | algorithm  | AesKwp  |
      | plaintext  | <key>   |
    Then the status is Success
    And the response field ciphertext is <wrapped>
    When I send Decrypt with:
      | key_handle | @k        |
      | algorithm  | AesKwp    |
      | ciphertext | <wrapped> |
    Then the status is Success
    And the response field plaintext is <key>
    When I send Decrypt with each byte of its ciphertext altered in turn, with:
      | key_handle | @k        |
      | algorithm  | AesKwp    |
      | ciphertext | <wrapped> |
    Then every status is one of DecryptFailed

    Examples:
      | n  | key                                          | wrapped                                                            |
      | 20 | hex:c37b7e6492584340bed12207808941155068f738 | hex:138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a |
      | 7  | hex:466f7250617369                           | hex:afbeb0f07dfbf5419200f2ccb50bb24f                                 |

  @baseline @IHSM-CRY-010 @IHSM-CRY-011
  Scenario Outline: RSA-OAEP with <algorithm> takes aad as the label, both ways
    Given key material of kind Rsa2048 as @m
    And the key material @m wrapped for the partition as @w
    And the bytes random:48 as @pt
    And the bytes random:20 as @label
    And the <algorithm> encryption of @pt under @m and aad @label as @c
    When I send UnwrapKey with:
      | wrapped | @w              |
      | kind    | Rsa2048         |
      | usage   | Encrypt,Decrypt |
    And I save the key handle as @k
    And I send Decrypt with:
      | key_handle | @k          |
      | algorithm  | <algorithm> |
      | ciphertext | @c          |
      | aad        | @label      |
    Then the status is Success
    And the response field plaintext is @pt
    When I send Decrypt with:
      | key_handle | @k          |
      | algorithm  | <algorithm> |
      | ciphertext | @c          |
      | aad        | random:20   |
    Then the status is DecryptFailed
    When I send Decrypt with:
      | key_handle | @k          |
      | algorithm  | <algorithm> |
      | ciphertext | @c          |
    Then the status is DecryptFailed
    When I send Decrypt with:
      | key_handle | @k          |
      | algorithm  | <other>     |
      | ciphertext | @c          |
      | aad        | @label      |
    Then the status is DecryptFailed
    When I send Encrypt with:
      | key_handle | @k          |
      | algorithm  | <algorithm> |
      | plaintext  | @pt         |
      | aad        | @label      |
    Then the status is Success
    And the response field ciphertext decrypts with <algorithm> under @m and aad @label to @pt

    Examples:
      | algorithm     | other         |
      | RsaOaepSha256 | RsaOaepSha384 |
      | RsaOaepSha384 | RsaOaepSha256 |

  @baseline @IHSM-CRY-010
  Scenario: RSA-OAEP to a device-generated key decrypts on the device
    Given a key of kind Rsa2048 with usage Decrypt as @k
    And the bytes random:32 as @pt
    And the RsaOaepSha256 encryption of @pt under @k and aad text:label as @c
    When I send Decrypt with:
      | key_handle | @k            |
      | algorithm  | RsaOaepSha256 |
      | ciphertext | @c            |
      | aad        | text:label    |
    Then the status is Success
    And the response field plaintext is @pt

  @baseline @IHSM-CRY-013 @IHSM-CRY-019
  Scenario Outline: ECDH on <kind> gives a <secret> key holding the x-coordinate, and it stays in the device
    Given a key of kind <kind> with usage Derive as @k
    And key material of kind <kind> as @peer
    And the ECDH secret of @peer and the public key of @k as key material @z
    When I send EcdhDerive with:
      | key_handle      | @k          |
      | peer_public_key | @peer_point |
      | usage           | Derive      |
    Then the status is Success
    When I save the key handle as @secret
    And I send GetPublicKey with:
      | key_handle | @secret |
    Then the response field kind is <secret>
    And the response field public_key is absent
    And the key @secret holds the key material @z

    Examples:
      | kind    | secret    |
      | EccP256 | Secret256 |
      | EccP384 | Secret384 |
      | EccP521 | Secret521 |

  @baseline @IHSM-CRY-013
  Scenario Outline: ECDH refuses a peer key that is not a point of the key's curve (<defect>)
    Given a key of kind EccP256 with usage Derive as @k
    And key material of kind EccP256 as @p256
    And key material of kind EccP384 as @p384
    And @offcurve is @p256_point with byte -1 flipped
    When I send EcdhDerive with:
      | key_handle      | @k      |
      | peer_public_key | <point> |
      | usage           | Derive  |
    Then the status is InvalidPublicKey

    Examples:
      | defect                       | point       |
      | not on the curve             | @offcurve   |
      | a point of P-384             | @p384_point |
      | the encoding of zero         | zeros:65    |

  @baseline @IHSM-CRY-014 @IHSM-CRY-021
  Scenario Outline: HKDF-<hash> derives a <target> key of exactly its length from an HMAC key (RFC 5869)
    Given key material of kind HmacSha256 as @ikm
    And the key material @ikm wrapped for the partition as @w
    And the bytes random:16 as @salt
    And the bytes random:10 as @info
    And the HKDF-<hash> of @ikm with salt @salt and info @info as <target> key material @want
    When I send UnwrapKey with:
      | wrapped | @w         |
      | kind    | HmacSha256 |
      | usage   | Derive     |
    And I save the key handle as @src
    And I send HkdfDerive with:
      | key_handle  | @src     |
      | hash        | <hash>   |
      | salt        | @salt    |
      | info        | @info    |
      | target_kind | <target> |
      | usage       | <usage>  |
    Then the status is Success
    When I save the key handle as @d
    Then the key @d holds the key material @want

    Examples:
      | hash   | target     | usage   |
      | Sha256 | Aes128     | Encrypt |
      | Sha256 | Aes192     | Encrypt |
      | Sha384 | Aes256     | Encrypt |
      | Sha256 | HmacSha256 | Sign    |
      | Sha512 | HmacSha384 | Sign    |
      | Sha384 | HmacSha512 | Sign    |

  @baseline @IHSM-CRY-014
  Scenario: HKDF without salt and info, from an ECDH secret
    Given a key of kind EccP384 with usage Derive as @k
    And key material of kind EccP384 as @peer
    And the ECDH secret of @peer and the public key of @k as key material @z
    And the HKDF-Sha384 of @z with salt absent and info absent as HmacSha384 key material @want
    When I send EcdhDerive with:
      | key_handle      | @k          |
      | peer_public_key | @peer_point |
      | usage           | Derive      |
    And I save the key handle as @secret
    And I send HkdfDerive with:
      | key_handle  | @secret    |
      | hash        | Sha384     |
      | target_kind | HmacSha384 |
      | usage       | Sign       |
    Then the status is Success
    When I save the key handle as @d
    Then the key @d holds the key material @want

  @baseline @IHSM-CRY-015 @IHSM-CRY-021
  Scenario Outline: KBKDF counter mode with HMAC-<hash> derives a <target> key of exactly its length (SP 800-108r1 §4.1)
    Given key material of kind HmacSha512 as @ki
    And the key material @ki wrapped for the partition as @w
    And the bytes random:12 as @label
    And the bytes random:24 as @context
    And the KBKDF-<hash> of @ki with label @label and context @context as <target> key material @want
    When I send UnwrapKey with:
      | wrapped | @w         |
      | kind    | HmacSha512 |
      | usage   | Derive     |
    And I save the key handle as @src
    And I send KbkdfDerive with:
      | key_handle  | @src     |
      | hash        | <hash>   |
      | kdf_label   | @label   |
      | context     | @context |
      | target_kind | <target> |
      | usage       | <usage>  |
    Then the status is Success
    When I save the key handle as @d
    Then the key @d holds the key material @want

    Examples:
      | hash   | target     | usage   |
      | Sha256 | Aes128     | Encrypt |
      | Sha384 | Aes192     | Encrypt |
      | Sha512 | Aes256     | Encrypt |
      | Sha256 | HmacSha256 | Sign    |
      | Sha256 | HmacSha384 | Sign    |
      | Sha512 | HmacSha512 | Sign    |

  @baseline @IHSM-CRY-015
  Scenario: KBKDF without label and context, from an ECDH secret
    Given a key of kind EccP256 with usage Derive as @k
    And key material of kind EccP256 as @peer
    And the ECDH secret of @peer and the public key of @k as key material @z
    And the KBKDF-Sha256 of @z with label absent and context absent as Aes256 key material @want
    When I send EcdhDerive with:
      | key_handle      | @k          |
      | peer_public_key | @peer_point |
      | usage           | Derive      |
    And I save the key handle as @secret
    And I send KbkdfDerive with:
      | key_handle  | @secret |
      | hash        | Sha256  |
      | target_kind | Aes256  |
      | usage       | Encrypt |
    Then the status is Success
    When I save the key handle as @d
    Then the key @d holds the key material @want

  @baseline @IHSM-CRY-016 @IHSM-CRY-024
  Scenario Outline: Hmac with a <kind> key returns the <n>-byte HMAC of the message (FIPS 198-1)
    Given key material of kind <kind> as @m
    And the key material @m wrapped for the partition as @w
    And the bytes random:<len> as @msg
    When I send UnwrapKey with:
      | wrapped | @w     |
      | kind    | <kind> |
      | usage   | Sign   |
    And I save the key handle as @k
    And I send Hmac with:
      | key_handle | @k   |
      | message    | @msg |
    Then the status is Success
    And the response field mac has <n> bytes
    And the response field mac matches the HMAC of @msg under @m

    Examples:
      | kind       | n  | len |
      | HmacSha256 | 32 | 100 |
      | HmacSha384 | 48 | 1   |
      | HmacSha512 | 64 | 0   |

  @baseline @IHSM-CRY-016
  Scenario: Hmac refuses a key that is not an HMAC key, and Verify refuses an HMAC algorithm
    Given a key of kind Aes256 with usage Encrypt as @aes
    When I send Hmac with:
      | key_handle | @aes      |
      | message    | random:10 |
    Then the status is UnsupportedKeyKind
    Given a key of kind HmacSha256 with usage Sign,Verify as @h
    When I send Verify with:
      | key_handle | @h         |
      | algorithm  | HmacSha256 |
      | data       | random:32  |
      | signature  | random:32  |
    Then the status is AlgorithmMismatch

  @baseline @IHSM-CRY-017
  Scenario Outline: <command> with a <kind> key refuses <algorithm> with AlgorithmMismatch
    Given a key of kind <kind> with usage <usage> as @k
    When I send <command> with:
      | key_handle  | @k          |
      | algorithm   | <algorithm> |
      | <field>     | random:32   |
    Then the status is AlgorithmMismatch

    Examples:
      | command | kind    | usage           | algorithm     | field      |
      | Sign    | EccP256 | Sign            | RsaPssSha256  | data       |
      | Sign    | EccP384 | Sign            | Ed25519       | data       |
      | Sign    | Ed25519 | Sign            | EcdsaSha256   | data       |
      | Sign    | Rsa2048 | Sign            | EcdsaSha256   | data       |
      | Sign    | Rsa2048 | Sign            | Ed25519       | data       |
      | Encrypt | Aes256  | Encrypt         | RsaOaepSha256 | plaintext  |
      | Encrypt | Rsa2048 | Encrypt         | AesGcm        | plaintext  |
      | Encrypt | Aes128  | Encrypt         | EcdsaSha256   | plaintext  |
      | Decrypt | Aes192  | Decrypt         | RsaOaepSha384 | ciphertext |
      | Decrypt | Rsa2048 | Decrypt         | AesCbc        | ciphertext |

  @baseline @IHSM-CRY-018 @IHSM-LIM-004
  Scenario Outline: <command> with <algorithm> refuses a <field> of 16385 bytes and accepts one of 16384
    Given a key of kind <kind> with usage <usage> as @k
    When I send <command> with:
      | key_handle | @k          |
      | algorithm  | <algorithm> |
      | <field>    | random:16385 |
    Then the status is InvalidArgument
    When I send <command> with:
      | key_handle | @k          |
      | algorithm  | <algorithm> |
      | <field>    | random:16384 |
    Then the status is <accepted>

    Examples:
      | command | kind    | usage   | algorithm | field     | accepted         |
      | Sign    | Ed25519 | Sign    | Ed25519   | data      | Success          |
      | Encrypt | Aes256  | Encrypt | AesGcm    | plaintext | Success          |
      | Encrypt | Aes128  | Encrypt | AesCbc    | plaintext | Success          |

  @baseline @IHSM-CRY-018 @IHSM-LIM-004
  Scenario: Verify and Hmac accept 16384-byte messages and refuse 16385
    Given a key of kind Ed25519 with usage Sign,Verify as @k
    And the bytes random:16384 as @big
    When I send Sign with:
      | key_handle | @k      |
      | algorithm  | Ed25519 |
      | data       | @big    |
    Then the status is Success
    And the signature verifies with the public key of @k
    When I save field signature as @sig
    And I send Verify with:
      | key_handle | @k      |
      | algorithm  | Ed25519 |
      | data       | @big    |
      | signature  | @sig    |
    Then the status is Success
    When I send Verify with:
      | key_handle | @k           |
      | algorithm  | Ed25519      |
      | data       | random:16385 |
      | signature  | @sig         |
    Then the status is InvalidArgument
    Given key material of kind HmacSha256 as @m
    And the key material @m wrapped for the partition as @w
    When I send UnwrapKey with:
      | wrapped | @w         |
      | kind    | HmacSha256 |
      | usage   | Sign       |
    And I save the key handle as @h
    And I send Hmac with:
      | key_handle | @h   |
      | message    | @big |
    Then the status is Success
    And the response field mac matches the HMAC of @big under @m
    When I send Hmac with:
      | key_handle | @h           |
      | message    | random:16385 |
    Then the status is InvalidArgument

  @baseline @IHSM-CRY-018 @IHSM-LIM-004
  Scenario: Decrypt takes a ciphertext field of up to max_message + 64 bytes and refuses one more as an argument
    Given key material of kind Aes256 as @m
    And the key material @m wrapped for the partition as @w
    And the bytes random:16384 as @pt
    And the bytes random:12 as @iv
    And the AesGcm encryption of @pt under @m with iv @iv as @c
    When I send UnwrapKey with:
      | wrapped | @w              |
      | kind    | Aes256          |
      | usage   | Encrypt,Decrypt |
    And I save the key handle as @k
    And I send Decrypt with:
      | key_handle | @k     |
      | algorithm  | AesGcm |
      | ciphertext | @c     |
      | iv         | @iv    |
    Then the status is Success
    And the response field plaintext is @pt
    When I send Decrypt with:
      | key_handle | @k           |
      | algorithm  | AesGcm       |
      | ciphertext | random:16448 |
      | iv         | @iv          |
    Then the status is one of DecryptFailed, InvalidLength
    When I send Decrypt with:
      | key_handle | @k           |
      | algorithm  | AesGcm       |
      | ciphertext | random:16449 |
      | iv         | @iv          |
    Then the status is InvalidArgument
