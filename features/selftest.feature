Feature: The SelfTest state
  While its power-on self-tests run, a device answers only the status
  services: its API revisions, its information and the outcome of its
  self-tests. The control channel holds the device in that state so the
  suite can see it, and a power cycle lets the self-tests finish.

  @baseline @serial @needs-control @IHSM-SLF-008
  Scenario: In the SelfTest state only GetApiRevision, GetDeviceInfo and GetSelfTestStatus answer
    Given a provisioned partition
    And an open session
    And a key of kind EccP256 with usage Sign as @k
    When the device is held in its power-on self-tests
    And I send GetDeviceInfo
    Then the status is Success
    And the response field device_state is SelfTest
    When I send GetSelfTestStatus
    Then the status is Success
    And the response field device_state is SelfTest
    And the response field state is Running
    When I send GetApiRevision
    Then the status is Success
    When I send every command except GetApiRevision, GetDeviceInfo and GetSelfTestStatus
    Then every status is one of DeviceNotOperational
    When I send opcode 0x7F7F
    Then the status is UnknownOpcode
    When the device is power-cycled
    And I send GetDeviceInfo
    Then the response field device_state is Operational
    And the response field partition_state is Provisioned
    Given an open session as "after"
    When I send UnmaskKey with:
      | masked_key | @k_masked |
    Then the status is Success
    And the response field public_key is @k_pub
