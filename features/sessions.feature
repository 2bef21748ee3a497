Feature: Sessions and channel protection
  Every in-session request and response is sealed with AES-256-GCM under
  the session's channel keys, and the device accepts each sequence number
  exactly once, in order.

  Background:
    Given a provisioned partition
    And an open session

  @baseline @IHSM-CHN-001
  Scenario: A sealed request is answered sealed
    When I send ListKeys
    Then the status is Success
    And the response matches its schema

  @baseline @IHSM-CHN-003
  Scenario: A replayed request is refused
    When I send ListKeys
    And I replay the last request
    Then the status is ChannelSequenceError

  @baseline @IHSM-CHN-003
  Scenario: A reordered request is refused
    When I send ListKeys skipping a sequence number
    Then the status is ChannelSequenceError

  @baseline @IHSM-CHN-002
  Scenario: A tampered sealed body is refused
    When I send ListKeys with a tampered seal
    Then the status is ChannelAuthFailed

  @baseline @IHSM-CHN-004
  Scenario: A plaintext body for an in-session command is refused
    When I send ListKeys in plaintext
    Then the status is ChannelRequired

  @baseline @IHSM-SES-002
  Scenario: An unknown session id is refused
    When I send ListKeys with session id 4294967295
    Then the status is SessionNotFound

  @baseline @IHSM-SES-003
  Scenario: A closed session is gone
    When I close the session
    Then the status is Success
    When I send ListKeys
    Then the status is SessionNotFound

  @baseline @serial @IHSM-SES-004 @IHSM-LIM-002
  Scenario: The session limit is enforced
    When I open sessions up to the limit
    And I send OpenSession
    Then the status is SessionLimitReached
