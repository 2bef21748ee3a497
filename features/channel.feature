Feature: Channel protection
  Every in-session request and response is sealed with AES-256-GCM under
  the session's channel keys (k_c2d with nonce prefix 1 for requests, k_d2c
  with nonce prefix 2 for responses), with the header as associated data.
  The device accepts each sequence number once and in order, and a refused
  request changes nothing.

  Background:
    Given a provisioned partition
    And an open session

  @baseline @IHSM-CHN-006 @IHSM-CHN-009
  Scenario: A sealed request is answered sealed under k_d2c with its own sequence
    When I send ListKeys
    Then the status is Success
    And the response is sealed
    And the response header field sequence is 1
    When I send ListKeys
    Then the status is Success
    And the response header field sequence is 2

  @baseline @IHSM-CHN-006 @IHSM-CHN-009 @IHSM-SES-016
  Scenario: An error response to an authenticated request is sealed and advances the sequence
    When I send GetPublicKey with:
      | key_handle | 0xFFFFFFF0 |
    Then the status is KeyNotFound
    And the response is sealed
    When I replay the last request
    Then the status is ChannelSequenceError
    When I send ListKeys
    Then the status is Success
    And the response header field sequence is 2

  @baseline @IHSM-CHN-001 @IHSM-CHN-010
  Scenario Outline: <command> with a plaintext body is refused in plaintext
    When I send <command> in plaintext
    Then the status is ChannelRequired
    And the response is in plaintext

    Examples:
      | command      |
      | ListKeys     |
      | CloseSession |

  @baseline @IHSM-CHN-002 @IHSM-CHN-010 @IHSM-CHN-005
  Scenario: A sealed request with an altered ciphertext is refused and changes nothing
    When I send ListKeys with a tampered seal
    Then the status is ChannelAuthFailed
    And the response is in plaintext
    When I send ListKeys
    Then the status is Success
    And the response header field sequence is 1

  @baseline @IHSM-CHN-003 @IHSM-CHN-010
  Scenario: A replayed sealed request is refused in plaintext
    When I send ListKeys
    Then the status is Success
    When I replay the last request
    Then the status is ChannelSequenceError
    And the response is in plaintext

  @baseline @IHSM-CHN-004 @IHSM-CHN-005 @IHSM-CHN-010
  Scenario: A sealed request that skips a sequence number is refused and does not advance the sequence
    When I send ListKeys skipping a sequence number
    Then the status is ChannelSequenceError
    And the response is in plaintext
    When I send ListKeys
    Then the status is Success
    And the response header field sequence is 1

  @baseline @IHSM-CHN-005
  Scenario: After every kind of refusal the next correct request is still accepted
    When I send ListKeys
    Then the status is Success
    When I send ListKeys with a tampered seal
    Then the status is ChannelAuthFailed
    When I send ListKeys skipping a sequence number
    Then the status is ChannelSequenceError
    When I send ListKeys in plaintext
    Then the status is ChannelRequired
    When I send ListKeys
    Then the status is Success
    And the response header field sequence is 2

  @baseline @IHSM-CHN-007
  Scenario: A response sent back as a request fails authentication
    When I send ListKeys and send its sealed response back as a request
    Then the status is ChannelAuthFailed
    And the response is in plaintext

  @baseline @IHSM-CHN-007
  Scenario Outline: A request sealed with <what> fails authentication
    When I send ListKeys sealed with <what>
    Then the status is ChannelAuthFailed
    When I send ListKeys
    Then the status is Success

    Examples:
      | what                       |
      | the response key           |
      | the response nonce prefix  |

  @baseline @IHSM-CHN-008
  Scenario: Changing the request id of a sealed request fails authentication
    When I send ListKeys with its request id changed after sealing
    Then the status is ChannelAuthFailed
    When I send ListKeys
    Then the status is Success

  @baseline @IHSM-CHN-008
  Scenario: Changing the opcode of a sealed request fails authentication
    When I send ListKeys with its opcode changed to GetUnwrappingKey after sealing
    Then the status is ChannelAuthFailed
    When I send ListKeys
    Then the status is Success

  @baseline @IHSM-CHN-008 @IHSM-CHN-011
  Scenario: Moving a sealed request to another session fails authentication
    Given an open session as "b"
    And an open session as "a"
    When I send ListKeys with its session id changed to session "b" after sealing
    Then the status is ChannelAuthFailed
    When I switch to session "b"
    And I send ListKeys
    Then the status is Success
    And the response header field sequence is 1

  @baseline @IHSM-CHN-011
  Scenario: A request sealed for one session does not authenticate in another
    Given an open session as "a"
    And an open session as "b"
    When I send ListKeys sealed with the keys of session "a"
    Then the status is ChannelAuthFailed
    When I send ListKeys
    Then the status is Success
    When I switch to session "a"
    And I send ListKeys
    Then the status is Success
