Feature: Framing, the envelope and the order of request checks
  A device reads the length prefix first, accepts only one canonical
  deterministic-CBOR envelope per frame, checks every request in the
  spec's order and answers each with a header that echoes the request,
  carries a status from the registry and the FIPS-approved indicator.

  @baseline @IHSM-WIRE-001 @IHSM-WIRE-015
  Scenario Outline: A length prefix of <length> bytes is refused before any payload is sent
    When I send a length prefix of <length> bytes
    Then the status is FrameTooLarge
    And the response header field request_id is 0
    And the response is not marked FIPS approved

    Examples:
      | length     |
      | 65537      |
      | 1048576    |
      | 4294967295 |

  @baseline @IHSM-WIRE-002
  Scenario: A well-formed raw frame is answered, so the refusals below are about the encoding
    When I send a raw frame "a201a30119010002190102030702a0"
    Then the status is Success
    And the response header field request_id is 7

  @baseline @IHSM-WIRE-002 @IHSM-WIRE-011 @IHSM-WIRE-015
  Scenario Outline: A payload that is not canonical deterministic CBOR is refused (<defect>)
    When I send a raw frame "<payload>"
    Then the status is DecodeFailed
    And the response is not marked FIPS approved

    Examples:
      | defect                              | payload                                    |
      | integer not in its shortest form    | a201a3011901000219010203180702a0           |
      | float instead of an integer         | a201a3011901000219010203f9470002a0         |
      | tagged integer                      | a201a3011901000219010203c10702a0           |
      | indefinite-length envelope          | bf01a30119010002190102030702a0ff           |
      | indefinite-length body              | a201a30119010002190102030702bfff           |
      | header keys out of order            | a201a30219010201190100030702a0             |
      | trailing byte after the envelope    | a201a30119010002190102030702a000           |

  @baseline @IHSM-WIRE-002
  Scenario: A body map with a non-canonical head is refused
    When I send GetDeviceInfo with a non-canonical body
    Then the status is DecodeFailed

  @baseline @IHSM-WIRE-003
  Scenario Outline: An unknown or duplicate key is refused (<defect>)
    When I send a raw frame "<payload>"
    Then the status is DecodeFailed

    Examples:
      | defect                    | payload                                    |
      | unknown envelope key 4    | a301a30119010002190102030702a004a0         |
      | unknown header key 9      | a201a401190100021901020307090002a0         |
      | duplicate header key      | a201a401190100021901020307030802a0         |
      | unknown body key 99       | a201a30119010002190102030702a1186300       |
      | duplicate body key        | a201a30119010002190102030702a2186300186300 |

  @baseline @IHSM-WIRE-003
  Scenario: An unknown key in a plaintext body is refused
    When I send GetCapabilities with an unknown body field
    Then the status is DecodeFailed

  @baseline @IHSM-WIRE-003 @IHSM-CHN-006
  Scenario: An unknown key in a sealed body is refused, and the refusal is sealed
    Given a provisioned partition
    And an open session
    When I send ListKeys with an unknown body field
    Then the status is DecodeFailed
    And the response is sealed

  @baseline @IHSM-WIRE-004
  Scenario: A request of an unsupported major revision is refused
    When I send GetDeviceInfo with revision 0x7F00
    Then the status is UnsupportedRevision
    And the response is not marked FIPS approved

  @baseline @IHSM-WIRE-004 @IHSM-DEV-001
  Scenario: GetApiRevision answers whatever revision the request carries
    When I send GetApiRevision with revision 0x7F00
    Then the status is Success
    And the response field min_revision is 0x0100

  @baseline @IHSM-WIRE-005
  Scenario Outline: Opcode <opcode> is not in the registry and is refused
    When I send opcode <opcode>
    Then the status is UnknownOpcode
    And the response header field opcode is <opcode>

    Examples:
      | opcode |
      | 0x0000 |
      | 0x01FF |
      | 0x7F7F |
      | 0xFFFF |

  @baseline @IHSM-WIRE-007
  Scenario: Pipelined requests on one connection are each answered with their own opcode and request id
    When I pipeline GetApiRevision, GetDeviceInfo, GetCapabilities, GetSelfTestStatus and GetCertificateChain on one connection
    Then every pipelined response echoes the opcode and request id of its request

  @baseline @IHSM-WIRE-007 @IHSM-WIRE-015
  Scenario: A refusal after the header was read echoes the request's opcode and request id
    When I send a raw frame "a201a30119010002190102030702a2186300186300"
    Then the status is DecodeFailed
    And the response header field request_id is 7
    And the response header field opcode is 0x0102

  @baseline @IHSM-WIRE-009
  Scenario: An approved signature service is marked FIPS approved
    Given a provisioned partition
    And an open session
    And a key of kind EccP384 with usage Sign as @k
    When I send Sign with:
      | key_handle | @k          |
      | algorithm  | EcdsaSha384 |
      | data       | random:48   |
    Then the status is Success
    And the response is marked FIPS approved

  @baseline @IHSM-WIRE-009
  Scenario: AES-GCM encryption under a caller's IV is not an approved service, under the device's IV it is
    Given a provisioned partition
    And an open session
    And a key of kind Aes256 with usage Encrypt|Decrypt as @k
    When I send Encrypt with:
      | key_handle | @k        |
      | algorithm  | AesGcm    |
      | plaintext  | random:32 |
      | iv         | random:12 |
    Then the status is Success
    And the response is not marked FIPS approved
    When I send Encrypt with:
      | key_handle | @k        |
      | algorithm  | AesGcm    |
      | plaintext  | random:32 |
    Then the status is Success
    And the response is marked FIPS approved

  @baseline @IHSM-WIRE-014 @IHSM-WIRE-011
  Scenario: A refused request is never marked FIPS approved, sealed or plain
    Given a provisioned partition
    And an open session
    When I send GetPublicKey with:
      | key_handle | 0xFFFFFFF0 |
    Then the status is KeyNotFound
    And the response is sealed
    And the response is not marked FIPS approved
    When I send opcode 0x7F7F
    Then the status is UnknownOpcode
    And the response is not marked FIPS approved

  @baseline @IHSM-WIRE-012 @IHSM-WIRE-015
  Scenario Outline: An envelope that is not exactly a header and one body is refused (<defect>)
    When I send a raw frame "<payload>"
    Then the status is DecodeFailed
    And the response is in plaintext

    Examples:
      | defect                    | payload                                  |
      | zero-length payload       |                                          |
      | an array, not a map       | 80                                       |
      | both body and sealed      | a301a30119010002190102030702a00340       |
      | neither body nor sealed   | a101a301190100021901020307               |
      | body that is not a map    | a201a3011901000219010203070240           |

  @baseline @IHSM-WIRE-015
  Scenario Outline: A request whose header cannot be read is answered with request id 0 (<defect>)
    When I send a raw frame "<payload>"
    Then the status is DecodeFailed
    And the response header field request_id is 0
    And the response is in plaintext

    Examples:
      | defect                    | payload                                  |
      | zero-length payload       |                                          |
      | not CBOR at all           | ff                                       |
      | header without an opcode  | a201a201190100030702a0                   |

  @baseline @IHSM-WIRE-013
  Scenario: The revision is checked before the body
    When I send a raw frame "a201a301197f0002190102030702a1186300"
    Then the status is UnsupportedRevision

  @baseline @IHSM-WIRE-013
  Scenario: The opcode is checked before the body
    When I send a raw frame "a201a30119010002197f7f030702a1186300"
    Then the status is UnknownOpcode

  @baseline @IHSM-WIRE-013
  Scenario: The revision is checked before the opcode
    When I send opcode 0x7F7F with revision 0x7F00
    Then the status is UnsupportedRevision

  @baseline @IHSM-WIRE-013 @IHSM-SES-007
  Scenario: The session rule is checked before channel protection
    Given a provisioned partition
    When I send ListKeys in plaintext with session id 4294967295
    Then the status is SessionNotFound

  @baseline @IHSM-WIRE-013 @IHSM-CHN-002
  Scenario: Channel protection is checked before the body
    Given a provisioned partition
    And an open session
    When I send GetPublicKey with a tampered seal with:
      | key_handle | absent |
    Then the status is ChannelAuthFailed
