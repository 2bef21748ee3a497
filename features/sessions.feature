Feature: Sessions
  A session is opened with the PIN, its channel keys come from the same
  exchange, every command obeys its session rule, and opening or closing
  one session leaves every other session and key of the partition as it
  was.

  Background:
    Given a provisioned partition

  @baseline @IHSM-SES-001
  Scenario: OpenSession with the PIN opens a session whose channel keys work at once
    When I send OpenSession
    Then the status is Success
    And the response matches its schema
    When I send ListKeys
    Then the status is Success
    And the response is sealed

  @baseline @IHSM-SES-006
  Scenario Outline: <command> sent <how> is refused with <status>
    Given an open session
    When I send <command> <how>
    Then the status is <status>
    And the response is in plaintext

    Examples:
      | command             | how                 | status             |
      | ListKeys            | without a session   | SessionExpected    |
      | CloseSession        | without a session   | SessionExpected    |
      | GetDeviceInfo       | with session id 1   | SessionNotExpected |
      | GetCredentialKey    | with session id 1   | SessionNotExpected |
      | OpenSession         | with session id 1   | SessionNotExpected |
      | EstablishCredential | with session id 1   | SessionNotExpected |

  @baseline @IHSM-SES-007
  Scenario Outline: A session id that names no open session is refused (<id>)
    Given an open session
    When I send ListKeys with session id <id>
    Then the status is SessionNotFound
    And the response is in plaintext

    Examples:
      | id         |
      | 4294967295 |
      | 4294967294 |

  @baseline @IHSM-SES-003 @IHSM-SES-013 @IHSM-SES-007
  Scenario: A closed session answers SessionNotFound, and CloseSession is answered sealed
    Given an open session
    When I close the session
    Then the status is Success
    And the response is sealed
    When I send ListKeys
    Then the status is SessionNotFound
    When I close the session
    Then the status is SessionNotFound

  @baseline @IHSM-SES-003 @IHSM-SES-004
  Scenario: A session-only key is invisible to other sessions and gone with its session
    Given an open session as "a"
    And a key of kind EccP256 with usage Sign|SessionOnly as @k
    And an open session as "b"
    When I send GetPublicKey with:
      | key_handle | @k |
    Then the status is KeyNotFound
    When I switch to session "a"
    And I send GetPublicKey with:
      | key_handle | @k |
    Then the status is Success
    When I close the session
    Then the status is Success
    When I switch to session "b"
    And I send GetPublicKey with:
      | key_handle | @k |
    Then the status is KeyNotFound

  @baseline @IHSM-SES-014
  Scenario: Opening and closing another session leaves a session, its sequence and its keys unchanged
    Given an open session as "a"
    And a key of kind EccP256 with usage Sign|SessionOnly as @eph
    And a key of kind EccP256 with usage Sign as @per
    When I send ListKeys
    Then the status is Success
    Given an open session as "b"
    When I close the session
    Then the status is Success
    When I switch to session "a"
    And I send Sign with:
      | key_handle | @eph        |
      | algorithm  | EcdsaSha256 |
      | data       | random:32   |
    Then the status is Success
    And the response header field sequence is 4
    And the signature verifies with the public key of @eph
    When I send Sign with:
      | key_handle | @per        |
      | algorithm  | EcdsaSha256 |
      | data       | random:32   |
    Then the status is Success
    And the signature verifies with the public key of @per

  @baseline @IHSM-SES-016
  Scenario: A command error inside the session advances the sequence
    Given an open session
    When I send GetPublicKey with:
      | key_handle | 0xFFFFFFF0 |
    Then the status is KeyNotFound
    And the response header field sequence is 1
    When I send DeleteKey with:
      | key_handle | 0xFFFFFFF0 |
    Then the status is KeyNotFound
    And the response header field sequence is 2
    When I send ListKeys
    Then the status is Success
    And the response header field sequence is 3

  @baseline @serial @IHSM-SES-002
  Scenario: A partition allows max_sessions sessions and refuses one more
    When I open sessions up to the limit
    And I send OpenSession
    Then the status is SessionLimitReached
    When I switch to session "limit3"
    And I close the session
    Then the status is Success
    When I send OpenSession
    Then the status is Success

  @migration @IHSM-SES-015
  Scenario: ReopenSession of a session that is open is refused and leaves it as it was
    Given an open session
    When I send ListKeys
    Then the status is Success
    When I renegotiate the session
    Then the status is SessionNotFound
    When I send ListKeys
    Then the status is Success
    And the response header field sequence is 2

  @migration @IHSM-SES-015
  Scenario: ReopenSession of a closed session is refused
    Given an open session
    When I close the session
    Then the status is Success
    When I renegotiate the session
    Then the status is SessionNotFound

  @migration @IHSM-SES-015
  Scenario: ReopenSession of an unknown session is refused and leaves the open session as it was
    Given an open session
    When I renegotiate session id 4294967295
    Then the status is SessionNotFound
    When I send ListKeys
    Then the status is Success
    And the response header field sequence is 1
