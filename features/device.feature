Feature: Device information and identity
  Every device answers the anonymous device commands outside any session,
  and every response matches the spec's schema for it.

  @baseline @IHSM-DEV-001
  Scenario: The device reports its API revision
    When I send GetApiRevision
    Then the status is Success
    And the response matches its schema

  @baseline @IHSM-DEV-002
  Scenario: The device describes itself
    When I send GetDeviceInfo
    Then the status is Success
    And the response matches its schema

  @baseline @IHSM-DEV-003
  Scenario: The device reports its capabilities
    When I send GetCapabilities
    Then the status is Success
    And the response matches its schema

  @baseline @IHSM-WIRE-003
  Scenario: An unknown opcode is refused by code
    When I send opcode 0x7F7F
    Then the status is UnknownOpcode

  @baseline @IHSM-WIRE-004
  Scenario: An unsupported revision is refused
    When I send GetDeviceInfo with revision 0x7F00
    Then the status is UnsupportedRevision

  @baseline @IHSM-WIRE-002
  Scenario: A non-canonical body is refused
    When I send GetDeviceInfo with a non-canonical body
    Then the status is DecodeFailed
